using Sylvan.Data.Csv;

namespace Loa.CampaignApi.Audiences;

/// <summary>
/// How the list and opt-out uploads read CSV: one bounded buffer, and every failure of the reader
/// turned into the sender's error at the line where it happened.
/// </summary>
public static class CsvUpload
{
    /// <summary>
    /// Characters one record (the header included) may hold. A list row is a number, a province, tags of
    /// at most 400 and a name of at most 200 characters: 64 Ki is a hundred times that. Fixed, not grown:
    /// Sylvan would otherwise grow its buffer to hold a 20 MB line or a header of a million columns.
    /// </summary>
    public const int MaxRecordChars = 64 * 1024;

    public static CsvDataReaderOptions Options() =>
        new() { HasHeaders = true, BufferSize = MaxRecordChars, MaxBufferSize = MaxRecordChars };

    /// <summary>True when the request says it carries CSV (<c>text/csv</c>, with or without a charset); else the upload answers 415.</summary>
    public static bool IsCsv(HttpRequest request) =>
        request.ContentType is { } contentType && contentType.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase);

    /// <summary>The body as text: UTF-8 unless a byte order mark says otherwise, read 64 KiB at a time.</summary>
    public static StreamReader Text(HttpRequest request) =>
        new(request.Body, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024);

    /// <summary>The CSV reader over <paramref name="text"/>, header row first, with the bounded buffer (see <see cref="Options"/>).</summary>
    public static Task<CsvDataReader> OpenAsync(TextReader text, CancellationToken cancellationToken) =>
        CsvDataReader.CreateAsync(text, Options(), cancellationToken);

    /// <summary>True for an exception of the CSV reader that says the file is malformed (not that we configured it wrong).</summary>
    public static bool IsUnreadable(Exception exception) =>
        exception.GetType().Assembly == typeof(CsvDataReader).Assembly && exception is not CsvConfigurationException;

    /// <summary>The 400 for a file the reader gave up on at <paramref name="line"/> (1 is the header).</summary>
    public static IResult Refusal(Exception exception, long line) => Problems.Unreadable(line, exception switch
    {
        CsvMissingHeadersException => "the file is empty; it needs a header row naming a 'msisdn' column.",
        CsvRecordTooLargeException => $"the record is longer than {MaxRecordChars} characters (a quote never closed, or not a CSV file).",
        _ => "not valid CSV (a quote never closed, or text after a closing quote).",
    });
}
