using Dapper;

namespace Loa.Storage.Coverage;

/// <param name="AsOf">yyyy-MM-dd: the date the figure is true on.</param>
public sealed record BaseRow(string Province, string Carrier, string Tag, string AsOf, long Subscribers, string Source);

public sealed record TargetRow(string Tag, string Name, double Percent);

public sealed record ReachedRow(string Province, string Carrier, long Reached);

/// <summary>
/// The coverage report's reads and the operators' figures: the subscriber base (history kept by date)
/// and the plans' targets. Reach is read from <c>coverage_counts</c> (noted by <see cref="ReachedTally"/>, folded by <see cref="FoldAsync"/>), never from deliveries.
/// </summary>
public sealed class CoverageStore(Database database, TimeProvider time)
{
    private static readonly Sql UpsertBase = new(
        Sqlite: """
            INSERT INTO coverage_base (province, carrier, tag, as_of, subscribers, source, entered_by, entered_at)
            VALUES (@Province, @Carrier, @Tag, @AsOf, @Subscribers, @Source, @By, @At)
            ON CONFLICT (province, carrier, tag, as_of) DO UPDATE SET
                subscribers = excluded.subscribers, source = excluded.source, entered_by = excluded.entered_by, entered_at = excluded.entered_at
            """,
        SqlServer: """
            MERGE coverage_base WITH (HOLDLOCK) AS t
            USING (SELECT @Province AS province, @Carrier AS carrier, @Tag AS tag, @AsOf AS as_of) AS s
            ON t.province = s.province AND t.carrier = s.carrier AND t.tag = s.tag AND t.as_of = s.as_of
            WHEN MATCHED THEN UPDATE SET subscribers = @Subscribers, source = @Source, entered_by = @By, entered_at = @At
            WHEN NOT MATCHED THEN INSERT (province, carrier, tag, as_of, subscribers, source, entered_by, entered_at)
                VALUES (@Province, @Carrier, @Tag, @AsOf, @Subscribers, @Source, @By, @At);
            """);

    // The journal's oldest rows; on SQL Server rows another folder holds are passed over, not waited for.
    private static readonly Sql TakeJournal = new(
        Sqlite: "SELECT id, recipient_hash, at, province, carrier FROM coverage_journal ORDER BY id LIMIT @max",
        SqlServer: "SELECT TOP (@max) id, recipient_hash, at, province, carrier FROM coverage_journal WITH (UPDLOCK, READPAST) ORDER BY id");

    // @rows: JSON array of {b: bucket, h: recipient hash}, sorted by key so that each page is touched once.
    // RETURNING / OUTPUT give only the rows that were new.
    private static readonly Sql InsertReached = new(
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

    private static readonly Sql UpsertCount = new(
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

    private static readonly Sql ForgetJournal = new(
        Sqlite: "DELETE FROM coverage_journal WHERE id IN (SELECT j.value FROM json_each(@ids) j)",
        SqlServer: "DELETE FROM coverage_journal WHERE id IN (SELECT CAST(j.value AS BIGINT) FROM OPENJSON(@ids) j)");

    /// <summary>
    /// Folds the oldest <paramref name="maxRows"/> reaches of the journal into the counters, in one write
    /// transaction: each (bucket, recipient) first seen in the journal's order is inserted-or-ignored, and
    /// only the new ones move their counter. Repeats are harmless (a reach folded twice is ignored the
    /// second time), so several folders may run. Answers how many journal rows it folded.
    /// </summary>
    public async Task<int> FoldAsync(int maxRows, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // Most turns find nothing: a read, not a turn at the write lock.
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM coverage_journal) THEN 1 ELSE 0 END", cancellationToken: cancellationToken)))
            return 0;
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var journal = (await connection.QueryAsync<(long Id, long Hash, long At, string Province, string Carrier)>(new CommandDefinition(
            database.Text(TakeJournal), new { max = maxRows }, transaction, cancellationToken: cancellationToken))).AsList();
        if (journal.Count == 0)
            return 0;
        var first = new Dictionary<(string Bucket, long Hash), (int Month, string Province, string Carrier)>();
        foreach (var row in journal)
        {
            var (year, month) = ReachedTally.MonthOf(row.At);
            foreach (var bucket in ReachedTally.Buckets(year, month))
                first.TryAdd((bucket, row.Hash), (month, row.Province, row.Carrier));
        }
        var keys = first.Keys.OrderBy(k => k.Bucket, StringComparer.Ordinal).ThenBy(k => k.Hash).ToList();
        var rows = JsonRows.Of(keys, static (w, k) =>
        {
            w.WriteStartObject();
            w.WriteString("b", k.Bucket);
            w.WriteNumber("h", k.Hash);
            w.WriteEndObject();
        });
        var deltas = new Dictionary<(string Bucket, int Month, string Province, string Carrier), long>();
        foreach (var fresh in await connection.QueryAsync<(string Bucket, long Hash)>(new CommandDefinition(
                     database.Text(InsertReached), new { rows }, transaction, cancellationToken: cancellationToken)))
        {
            var (month, province, carrier) = first[fresh];
            var key = (fresh.Bucket, month, province, carrier);
            deltas[key] = deltas.GetValueOrDefault(key) + 1;
        }
        if (deltas.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(database.Text(UpsertCount),
                deltas.Select(d => new { d.Key.Bucket, d.Key.Month, d.Key.Province, d.Key.Carrier, Delta = d.Value }).ToList(), transaction,
                cancellationToken: cancellationToken));
        }
        await connection.ExecuteAsync(new CommandDefinition(database.Text(ForgetJournal),
            new { ids = JsonRows.Of(journal, static (w, r) => w.WriteNumberValue(r.Id)) }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return journal.Count;
    }

    /// <summary>Reaches noted but not folded yet: the folder keeps this small.</summary>
    public async Task<long> PendingAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM coverage_journal", cancellationToken: cancellationToken));
    }

    /// <summary>Keeps the rows (a row for the same province, carrier, tag and date replaces the earlier one) in one transaction.</summary>
    public async Task PutBaseAsync(IReadOnlyList<BaseRow> rows, string by, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var at = time.Ms();
        await connection.ExecuteAsync(new CommandDefinition(database.Text(UpsertBase),
            rows.Select(r => new { r.Province, r.Carrier, r.Tag, r.AsOf, r.Subscribers, r.Source, By = by, At = at }).ToList(), transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Each (province, carrier, tag)'s latest figure dated on or before <paramref name="asOf"/> (yyyy-MM-dd).</summary>
    public async Task<IReadOnlyList<BaseRow>> BaseAsync(string asOf, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<BaseRow>(new CommandDefinition(
            """
            SELECT b.province AS Province, b.carrier AS Carrier, b.tag AS Tag, b.as_of AS AsOf, b.subscribers AS Subscribers, b.source AS Source
            FROM coverage_base b
            WHERE b.as_of = (SELECT MAX(l.as_of) FROM coverage_base l
                             WHERE l.province = b.province AND l.carrier = b.carrier AND l.tag = b.tag AND l.as_of <= @asOf)
            ORDER BY b.province, b.carrier, b.tag
            """, new { asOf }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    public async Task<IReadOnlyList<TargetRow>> TargetsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<TargetRow>(new CommandDefinition(
            "SELECT tag AS Tag, name AS Name, target_percent AS \"Percent\" FROM coverage_targets ORDER BY tag", cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Replaces the targets with <paramref name="rows"/>.</summary>
    public async Task PutTargetsAsync(IReadOnlyList<TargetRow> rows, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM coverage_targets", transaction: transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO coverage_targets (tag, name, target_percent) VALUES (@Tag, @Name, @Percent)", rows, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Distinct recipients reached per province and carrier, in <paramref name="bucket"/> (see <see cref="ReachedTally"/>)
    /// by those first reached in its months <paramref name="firstMonth"/> to <paramref name="lastMonth"/>: a few hundred counter rows.
    /// </summary>
    public async Task<IReadOnlyList<ReachedRow>> ReachedAsync(string bucket, int firstMonth, int lastMonth, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // Read by hand: SQLite gives SUM no declared type, and Dapper would see a BLOB column.
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            """
            SELECT province, carrier, SUM(reached) FROM coverage_counts
            WHERE bucket = @bucket AND first_month BETWEEN @firstMonth AND @lastMonth
            GROUP BY province, carrier
            """, new { bucket, firstMonth, lastMonth }, cancellationToken: cancellationToken));
        var rows = new List<ReachedRow>();
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new ReachedRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        return rows;
    }
}
