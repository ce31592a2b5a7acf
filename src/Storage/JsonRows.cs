using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Loa.Storage;

/// <summary>
/// Many rows as one JSON array parameter, for set-based statements that read it with
/// <c>json_each</c> (SQLite) or <c>OPENJSON</c> (SQL Server). One bind per statement instead of one
/// per column per row: binding by name was a fifth of the CPU of the row-by-row writes (perf/README).
/// </summary>
internal static class JsonRows
{
    // Relaxed: Vietnamese province names and carrier reasons stay readable (and shorter) in the
    // parameter; quotes, backslashes and control characters are still escaped, which is all JSON needs.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>Writes <c>[row, row, …]</c>, each row by <paramref name="write"/> (usually one object).</summary>
    public static string Of<T>(IEnumerable<T> rows, Action<Utf8JsonWriter, T> write) =>
        System.Text.Encoding.UTF8.GetString(Write(rows, write).WrittenSpan);

    /// <summary>
    /// The same array as UTF-8 bytes, for SQLite statements that read it as <c>CAST(@p AS TEXT)</c>: a
    /// planner page's JSON is a few hundred kilobytes, and a string would be converted to UTF-16 and
    /// back to UTF-8 on its way to SQLite. (Bound as a BLOB, SQLite would take it for JSONB: the cast is needed.)
    /// </summary>
    public static byte[] Utf8Of<T>(IEnumerable<T> rows, Action<Utf8JsonWriter, T> write) => Write(rows, write).WrittenSpan.ToArray();

    private static ArrayBufferWriter<byte> Write<T>(IEnumerable<T> rows, Action<Utf8JsonWriter, T> write)
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using var writer = new Utf8JsonWriter(buffer, Options);
        writer.WriteStartArray();
        foreach (var row in rows)
            write(writer, row);
        writer.WriteEndArray();
        writer.Flush();
        return buffer;
    }

    /// <summary>A plain array of strings.</summary>
    public static string Of(IEnumerable<string> values) => Of(values, static (w, v) => w.WriteStringValue(v));
}
