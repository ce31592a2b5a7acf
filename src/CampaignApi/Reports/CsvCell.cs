using System.Buffers;
using System.Text;

namespace Loa.CampaignApi.Reports;

/// <summary>
/// Writes CSV cells (RFC 4180) that a spreadsheet opens as text. Province codes and carrier ids come
/// from uploaded and configured data, so a cell may start like a formula (<c>=HYPERLINK(…)</c>,
/// <c>+cmd|…</c>): such a cell gets a leading apostrophe, which spreadsheets read as "this is text"
/// (OWASP "CSV injection").
/// </summary>
public static class CsvCell
{
    // Tab and CR too: some spreadsheets skip them before deciding that a cell is a formula. The
    // full-width forms are folded to their ASCII twins by some spreadsheet locales.
    private static readonly SearchValues<char> FormulaStarts =
        SearchValues.Create("=+-@\t\r\uFF1D\uFF0B\uFF0D\uFF20");

    /// <summary>The text with a leading apostrophe when it would start a formula; unchanged otherwise.</summary>
    public static string Neutralise(string text) =>
        text.Length > 0 && FormulaStarts.Contains(text[0]) ? "'" + text : text;

    /// <summary>A text cell: neutralised, then quoted when it holds a comma, a quote or a line break.</summary>
    public static string Text(string? text)
    {
        var safe = Neutralise(text ?? "");
        if (safe.AsSpan().IndexOfAny(",\"\r\n") < 0)
            return safe;
        return "\"" + safe.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>Appends one record: the cells separated by commas, ended by CRLF.</summary>
    public static void AppendRecord(StringBuilder csv, IEnumerable<string> cells)
    {
        var first = true;
        foreach (var cell in cells)
        {
            if (!first)
                csv.Append(',');
            csv.Append(cell);
            first = false;
        }
        csv.Append("\r\n");
    }
}
