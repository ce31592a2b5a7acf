using System.Diagnostics;
using Loa.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.Perf;

/// <summary>
/// Writes a running campaign with N deliveries (and the campaign_progress counters that go with
/// them) straight into a SQLite file migrated by Loa's own Migrator, in one INSERT … SELECT, instead
/// of planning N recipients for real. The host is then started on that file.
/// </summary>
public static class Seeding
{
    public enum Shape
    {
        /// <summary>90 % delivered, 5 % submitted, 5 % queued: a big campaign near its end.</summary>
        Progress,

        /// <summary>Every delivery submitted with carrier message id <c>m&lt;i&gt;</c>, waiting for its receipt.</summary>
        Submitted,
    }

    public static async Task<string> SeedAsync(string directory, long deliveries, Shape shape)
    {
        var watch = Stopwatch.StartNew();
        var database = new Database(new DatabaseOptions { ConnectionString = LoaRun.ConnectionString(directory) });
        await new Migrator(database, NullLogger<Migrator>.Instance).MigrateAsync();
        var id = "perf" + Guid.NewGuid().ToString("n")[..20];
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync();
        await using var tx = await Database.BeginWriteAsync(connection);
        await Exec(connection, tx, """
            INSERT INTO campaigns (id, tenant, name, kind, status, definition, sms_text, sms_encoding, sms_parts, created_by, created_at,
                                   updated_by, updated_at, submitted_by, approved_by, approved_at, launched_at, started_at, planned_at)
            VALUES (@id, 'national', 'perf seeded', 'warning', 'running', @definition, @sms, 'gsm7', 1, 'perf', @now,
                    'perf', @now, 'perf', 'perf-approver', @now, @now, @now, @now)
            """, ("id", id), ("definition", $$$"""{"name":"perf seeded","kind":"warning","channels":["sms"],"message":{"sms":"{{{LoaRun.Sms}}}"},"audience":{"lists":[]}}"""),
            ("sms", LoaRun.Sms), ("now", now));
        var status = shape == Shape.Submitted
            ? "'submitted'"
            : "CASE WHEN i % 20 < 18 THEN 'delivered' WHEN i % 20 = 18 THEN 'submitted' ELSE 'queued' END";
        var cmid = shape == Shape.Submitted ? "'m' || i" : "CASE WHEN i % 20 = 19 THEN NULL ELSE 'm' || i END";
        var final = shape == Shape.Submitted ? "NULL" : "CASE WHEN i % 20 < 18 THEN @now ELSE NULL END";
        await Exec(connection, tx, $"""
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < @count - 1)
            INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, batch_id, status, attempts, carrier_message_id, submitted_at, final_at)
            SELECT @id, '+849' || printf('%08d', i), 'sms',
                   CASE i % 5 WHEN 0 THEN 'viettel' WHEN 1 THEN 'vinaphone' WHEN 2 THEN 'mobifone' WHEN 3 THEN 'vietnamobile' ELSE 'gmobile' END,
                   'HN', NULL, {status}, 1, {cmid}, @now, {final}
            FROM n
            """, ("id", id), ("count", deliveries), ("now", now));
        await Exec(connection, tx, """
            INSERT INTO campaign_progress (campaign_id, carrier, status, count)
            SELECT campaign_id, carrier, status, COUNT(*) FROM deliveries WHERE campaign_id = @id GROUP BY carrier, status
            """, ("id", id));
        await tx.CommitAsync();
        await connection.CloseAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Console.WriteLine($"  seeded {deliveries:N0} deliveries ({shape}) in {watch.Elapsed.TotalSeconds:0.0} s " +
                          $"({deliveries / watch.Elapsed.TotalSeconds:N0} rows/s, INSERT … SELECT), db {new FileInfo(Path.Combine(directory, "loa.db")).Length / 1048576.0:N0} MB");
        return id;
    }

    private static async Task Exec(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.CommandTimeout = 0;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@" + name;
            p.Value = value;
            command.Parameters.Add(p);
        }
        await command.ExecuteNonQueryAsync();
    }
}
