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

    // The masks of the people a chunk reached, driven by the chunk's keys (sorted), one index seek each.
    private static readonly Sql ReadPeople = new(
        Sqlite: """
            SELECT p.year, p.recipient_hash, p.months
            FROM json_each(@keys) j CROSS JOIN coverage_people p
            WHERE p.year = j.value->>'y' AND p.recipient_hash = j.value->>'h'
            """,
        SqlServer: """
            SELECT p.year, p.recipient_hash, p.months
            FROM OPENJSON(@keys) WITH (y INT '$.y', h BIGINT '$.h') j
            JOIN coverage_people p WITH (UPDLOCK, HOLDLOCK) ON p.year = j.y AND p.recipient_hash = j.h
            """);

    // Only the masks that gained a month are written, sorted by key so that each page is touched once.
    private static readonly Sql WritePeople = new(
        Sqlite: """
            INSERT INTO coverage_people (year, recipient_hash, months)
            SELECT j.value->>'y', j.value->>'h', j.value->>'m' FROM json_each(@rows) j WHERE true
            ON CONFLICT (year, recipient_hash) DO UPDATE SET months = excluded.months
            """,
        SqlServer: """
            MERGE coverage_people WITH (HOLDLOCK) AS t
            USING (SELECT y, h, m FROM OPENJSON(@rows) WITH (y INT '$.y', h BIGINT '$.h', m INT '$.m')) AS s
            ON t.year = s.y AND t.recipient_hash = s.h
            WHEN MATCHED THEN UPDATE SET months = s.m
            WHEN NOT MATCHED THEN INSERT (year, recipient_hash, months) VALUES (s.y, s.h, s.m);
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
    /// transaction: each person's mask of months reached in the year (<c>coverage_people</c>) says whether a
    /// reach is the first of its year, its quarter and its month, and only those move their bucket's counter
    /// (keyed by that month, the delivery's province and carrier). A repeat is harmless (its month is set
    /// already), so several folders may run. Answers how many journal rows it folded.
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

        var masks = new Dictionary<(int Year, long Hash), int>();
        foreach (var row in journal)
            masks.TryAdd((ReachedTally.MonthOf(row.At).Year, row.Hash), 0);
        var keys = masks.Keys.OrderBy(k => k.Year).ThenBy(k => k.Hash).ToList();
        var keysJson = JsonRows.Of(keys, static (w, k) =>
        {
            w.WriteStartObject();
            w.WriteNumber("y", k.Year);
            w.WriteNumber("h", k.Hash);
            w.WriteEndObject();
        });
        foreach (var (year, hash, months) in await connection.QueryAsync<(long Year, long Hash, long Months)>(new CommandDefinition(
                     database.Text(ReadPeople), new { keys = keysJson }, transaction, cancellationToken: cancellationToken)))
            masks[((int)year, hash)] = (int)months;
        var before = new Dictionary<(int Year, long Hash), int>(masks);

        var deltas = new Dictionary<(string Bucket, int Month, string Province, string Carrier), long>();
        void Count(string bucket, int month, string province, string carrier)
        {
            var key = (bucket, month, province, carrier);
            deltas[key] = deltas.GetValueOrDefault(key) + 1;
        }
        foreach (var row in journal)
        {
            var (year, month) = ReachedTally.MonthOf(row.At);
            var mask = masks[(year, row.Hash)];
            var bit = 1 << (month - 1);
            if ((mask & bit) != 0)
                continue; // reached in this month already: in every bucket that holds it
            var quarter = (month - 1) / 3;
            if (mask == 0)
                Count(ReachedTally.YearBucket(year), month, row.Province, row.Carrier);
            if ((mask & (0b111 << (quarter * 3))) == 0)
                Count(ReachedTally.QuarterBucket(year, quarter + 1), month, row.Province, row.Carrier);
            Count(ReachedTally.MonthBucket(year, month), month, row.Province, row.Carrier);
            masks[(year, row.Hash)] = mask | bit;
        }

        var changed = keys.Where(k => masks[k] != before[k]).ToList();
        if (changed.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(database.Text(WritePeople), new
            {
                rows = JsonRows.Of(changed, (w, k) =>
                {
                    w.WriteStartObject();
                    w.WriteNumber("y", k.Year);
                    w.WriteNumber("h", k.Hash);
                    w.WriteNumber("m", masks[k]);
                    w.WriteEndObject();
                }),
            }, transaction, cancellationToken: cancellationToken));
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
