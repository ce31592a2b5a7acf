using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;

namespace Loa.Storage.Coverage;

/// <summary>
/// Who was reached, noted as deliveries become delivered, in the transaction that moves them, so that the
/// coverage report never counts delivery rows (issue 19). Each reach is appended to <c>coverage_journal</c>
/// (cheap: rows go at the end); <see cref="CoverageStore.FoldAsync"/> later folds the journal into each
/// person's mask of months reached in the year (<c>coverage_people</c>, Vietnam time) and moves
/// <c>coverage_counts</c> for the first reach of a person in a year, a quarter or a month, keyed by that
/// month, the delivery's province, carrier and tag set (the list member's when planned, so the report can
/// answer per target group). Distinct reach over a month, a quarter, a year, or any run
/// of months from a bucket's start, is then an exact sum of a few hundred counter rows. The fold is off
/// the hot path because three random-keyed inserts per delivered message inside each receipt post made
/// the 1M-recipient run eight times slower.
/// </summary>
public sealed class ReachedTally(Database database)
{
    private static readonly TimeSpan Vietnam = TimeSpan.FromHours(7);

    // @rows: JSON array of {h: recipient hash, a: at (unix ms), p: province, c: carrier, t: tag set, absent for none}.
    private static readonly Sql Append = new(
        Sqlite: """
            INSERT INTO coverage_journal (recipient_hash, at, province, carrier, tags)
            SELECT j.value->>'h', j.value->>'a', j.value->>'p', j.value->>'c', COALESCE(j.value->>'t', '') FROM json_each(@rows) j
            """,
        SqlServer: """
            INSERT INTO coverage_journal (recipient_hash, at, province, carrier, tags)
            SELECT j.h, j.a, j.p, j.c, COALESCE(j.t, '') FROM OPENJSON(@rows) WITH (h BIGINT '$.h', a BIGINT '$.a', p NVARCHAR(16) '$.p', c VARCHAR(32) '$.c', t VARCHAR(300) '$.t') j
            """);

    private readonly List<(long Hash, long At, string Province, string Carrier, string? Tags)> reached = [];

    /// <summary>A delivery of <paramref name="recipient"/> (planned with the member's <paramref name="tags"/>) became delivered at <paramref name="atMs"/> (unix ms).</summary>
    internal void Delivered(string recipient, string province, string carrier, string? tags, long atMs) =>
        reached.Add((Hash(recipient), atMs, province, carrier, tags));

    /// <summary>Writes in the caller's transaction: one append for every reach of this post.</summary>
    internal async Task FlushAsync(DbConnection connection, DbTransaction transaction)
    {
        if (reached.Count == 0)
            return;
        var rows = JsonRows.Of(reached, static (w, r) =>
        {
            w.WriteStartObject();
            w.WriteNumber("h", r.Hash);
            w.WriteNumber("a", r.At);
            w.WriteString("p", r.Province);
            w.WriteString("c", r.Carrier);
            if (r.Tags is not null)
                w.WriteString("t", r.Tags);
            w.WriteEndObject();
        });
        await connection.ExecuteAsync(database.Text(Append), new { rows }, transaction);
        reached.Clear();
    }

    /// <summary>The month (Vietnam time) a reach at <paramref name="atMs"/> counts in.</summary>
    public static (int Year, int Month) MonthOf(long atMs)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(atMs).ToOffset(Vietnam);
        return (at.Year, at.Month);
    }

    public static string YearBucket(int year) => $"Y{year:D4}";

    public static string QuarterBucket(int year, int quarter) => $"Q{year:D4}-{quarter}";

    public static string MonthBucket(int year, int month) => $"M{year:D4}-{month:D2}";

    /// <summary>The first 8 bytes of SHA-256: at 120M recipients the chance of any two colliding is about 4 in 10,000.</summary>
    public static long Hash(string recipient)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(recipient), digest);
        return BitConverter.ToInt64(digest[..8]);
    }
}
