using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;

namespace Loa.Storage.Coverage;

/// <summary>
/// Who was reached, kept as deliveries become delivered, in the transaction that moves them, so that the
/// coverage report never counts delivery rows (issue 19). A recipient reached is inserted-or-ignored into
/// <c>coverage_reached</c> under three buckets (its year, quarter and month, Vietnam time); only the rows
/// that were new move <c>coverage_counts</c>, keyed by the month of the first reach within the bucket,
/// the delivery's province and carrier. Distinct reach over a month, a quarter, a year, or any run of
/// months from a bucket's start, is then an exact sum of a few hundred counter rows.
/// </summary>
public sealed class ReachedTally(Database database)
{
    private static readonly TimeSpan Vietnam = TimeSpan.FromHours(7);

    // @rows: JSON array of {b: bucket, h: recipient hash}. RETURNING / OUTPUT give only the rows that were new.
    private static readonly Sql Insert = new(
        Sqlite: """
            INSERT INTO coverage_reached (bucket, recipient_hash)
            SELECT j.value->>'b', j.value->>'h' FROM json_each(@rows) j WHERE true
            ON CONFLICT DO NOTHING
            RETURNING bucket, recipient_hash
            """,
        SqlServer: """
            INSERT INTO coverage_reached (bucket, recipient_hash)
            OUTPUT inserted.bucket, inserted.recipient_hash
            SELECT DISTINCT j.b, j.h FROM OPENJSON(@rows) WITH (b VARCHAR(10) '$.b', h BIGINT '$.h') j
            WHERE NOT EXISTS (SELECT 1 FROM coverage_reached r WITH (UPDLOCK, HOLDLOCK) WHERE r.bucket = j.b AND r.recipient_hash = j.h)
            """);

    private static readonly Sql Upsert = new(
        Sqlite: """
            INSERT INTO coverage_counts (bucket, first_month, province, carrier, reached) VALUES (@Bucket, @Month, @Province, @Carrier, @Delta)
            ON CONFLICT (bucket, first_month, province, carrier) DO UPDATE SET reached = reached + excluded.reached
            """,
        SqlServer: """
            MERGE coverage_counts WITH (HOLDLOCK) AS t
            USING (SELECT @Bucket AS bucket, @Month AS first_month, @Province AS province, @Carrier AS carrier) AS s
            ON t.bucket = s.bucket AND t.first_month = s.first_month AND t.province = s.province AND t.carrier = s.carrier
            WHEN MATCHED THEN UPDATE SET reached = t.reached + @Delta
            WHEN NOT MATCHED THEN INSERT (bucket, first_month, province, carrier, reached) VALUES (@Bucket, @Month, @Province, @Carrier, @Delta);
            """);

    private readonly List<(string Bucket, long Hash, int Month, string Province, string Carrier)> reached = [];

    /// <summary>A delivery of <paramref name="recipient"/> became delivered at <paramref name="atMs"/> (unix ms).</summary>
    internal void Delivered(string recipient, string province, string carrier, long atMs)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(atMs).ToOffset(Vietnam);
        var hash = Hash(recipient);
        foreach (var bucket in Buckets(at.Year, at.Month))
            reached.Add((bucket, hash, at.Month, province, carrier));
    }

    /// <summary>Writes in the caller's transaction: one insert for every reach, one upsert per counter that moved.</summary>
    internal async Task FlushAsync(DbConnection connection, DbTransaction transaction)
    {
        if (reached.Count == 0)
            return;
        var rows = JsonRows.Of(reached, static (w, r) =>
        {
            w.WriteStartObject();
            w.WriteString("b", r.Bucket);
            w.WriteNumber("h", r.Hash);
            w.WriteEndObject();
        });
        var fresh = new HashSet<(string, long)>();
        foreach (var row in await connection.QueryAsync<(string Bucket, long Hash)>(database.Text(Insert), new { rows }, transaction))
            fresh.Add(row);
        var deltas = new Dictionary<(string Bucket, int Month, string Province, string Carrier), long>();
        foreach (var r in reached)
        {
            if (!fresh.Remove((r.Bucket, r.Hash)))
                continue; // reached before in this bucket, or a repeat within this flush
            var key = (r.Bucket, r.Month, r.Province, r.Carrier);
            deltas[key] = deltas.GetValueOrDefault(key) + 1;
        }
        if (deltas.Count > 0)
        {
            await connection.ExecuteAsync(database.Text(Upsert),
                deltas.Select(d => new { d.Key.Bucket, d.Key.Month, d.Key.Province, d.Key.Carrier, Delta = d.Value }).ToList(), transaction);
        }
        reached.Clear();
    }

    /// <summary>The year, quarter and month buckets a reach in that month counts in.</summary>
    public static string[] Buckets(int year, int month) =>
        [YearBucket(year), QuarterBucket(year, (month - 1) / 3 + 1), MonthBucket(year, month)];

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
