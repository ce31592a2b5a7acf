using System.Data.Common;
using Dapper;

namespace Loa.Storage.Coverage;

/// <param name="AsOf">yyyy-MM-dd: the date the figure is true on.</param>
public sealed record BaseRow(string Province, string Carrier, string Tag, string AsOf, long Subscribers, string Source);

public sealed record TargetRow(string Tag, string Name, double Percent);

/// <param name="Tags">The tag set the people were first reached under in the period ('' for none).</param>
public sealed record ReachedRow(string Province, string Carrier, long Reached, string Tags = "");

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

    // The journal's oldest rows, read before the write transaction (see FoldAsync).
    private static readonly Sql TakeJournal = new(
        Sqlite: "SELECT id, recipient_hash, at, province, carrier, tags FROM coverage_journal ORDER BY id LIMIT @max",
        SqlServer: "SELECT TOP (@max) id, recipient_hash, at, province, carrier, tags FROM coverage_journal ORDER BY id");

    // Sets one month in each person's mask (@rows: [[year, hash, bit], …], sorted, a person at most once)
    // and answers the rows whose mask gained it, with the mask as it now is: a month already set writes
    // nothing and answers nothing, so reading the masks and writing them back is one pass over the pages.
    private static readonly Sql MarkPeople = new(
        Sqlite: """
            INSERT INTO coverage_people (year, recipient_hash, months)
            SELECT j.value->>0, j.value->>1, j.value->>2 FROM json_each(@rows) j WHERE true
            ON CONFLICT (year, recipient_hash) DO UPDATE SET months = months | excluded.months
                WHERE (months & excluded.months) = 0
            RETURNING year, recipient_hash, months
            """,
        SqlServer: """
            MERGE coverage_people WITH (HOLDLOCK) AS t
            USING (SELECT y, h, m FROM OPENJSON(@rows) WITH (y INT '$[0]', h BIGINT '$[1]', m INT '$[2]')) AS s
            ON t.year = s.y AND t.recipient_hash = s.h
            WHEN MATCHED AND (t.months & s.m) = 0 THEN UPDATE SET months = t.months | s.m
            WHEN NOT MATCHED THEN INSERT (year, recipient_hash, months) VALUES (s.y, s.h, s.m)
            OUTPUT inserted.year, inserted.recipient_hash, inserted.months;
            """);

    private static readonly Sql UpsertCount = new(
        Sqlite: """
            INSERT INTO coverage_counts (bucket, first_month, province, carrier, tags, reached) VALUES (@Bucket, @Month, @Province, @Carrier, @Tags, @Delta)
            ON CONFLICT (bucket, first_month, province, carrier, tags) DO UPDATE SET reached = reached + excluded.reached
            """,
        SqlServer: """
            MERGE coverage_counts WITH (HOLDLOCK) AS t
            USING (SELECT @Bucket AS bucket, @Month AS first_month, @Province AS province, @Carrier AS carrier, @Tags AS tags) AS s
            ON t.bucket = s.bucket AND t.first_month = s.first_month AND t.province = s.province AND t.carrier = s.carrier AND t.tags = s.tags
            WHEN MATCHED THEN UPDATE SET reached = t.reached + @Delta
            WHEN NOT MATCHED THEN INSERT (bucket, first_month, province, carrier, tags, reached) VALUES (@Bucket, @Month, @Province, @Carrier, @Tags, @Delta);
            """);

    // SQLite: the chunk is every row up to its last id (read in this write transaction, oldest first, with
    // no other writer in flight). SQL Server: by id, as rows another folder held were passed over.
    private static readonly Sql ForgetJournal = new(
        Sqlite: "DELETE FROM coverage_journal WHERE id <= @last",
        SqlServer: "DELETE FROM coverage_journal WHERE id IN (SELECT CAST(j.value AS BIGINT) FROM OPENJSON(@ids) j)");

    /// <summary>
    /// Folds the oldest <paramref name="maxRows"/> reaches of the journal into the counters: each person's
    /// mask of months reached in the year (<c>coverage_people</c>) says whether a reach is the first of its
    /// year, its quarter and its month, and only those move their bucket's counter (keyed by that month, the
    /// delivery's province and carrier). Answers how many journal rows it folded.
    /// </summary>
    /// <remarks>
    /// The chunk is read and prepared before the write transaction, so SQLite's one write lock is held only
    /// for marking the masks, the counters and forgetting the chunk. That is safe because the journal is only
    /// appended to, its ids are never reused (AUTOINCREMENT, IDENTITY), and a reach another folder folded in
    /// the meantime finds its month set and changes nothing: several folders may run.
    /// </remarks>
    public async Task<int> FoldAsync(int maxRows, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var journal = await ReadJournalAsync(connection, maxRows, cancellationToken);
        if (journal.Count == 0)
            return 0;
        var rounds = Rounds(journal);

        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var deltas = new Dictionary<(char Kind, int Year, int Month, string Province, string Carrier, string Tags), long>();
        void Count(char kind, in JournalRow reach)
        {
            var key = (kind, reach.Year, reach.Month, reach.Province, reach.Carrier, reach.Tags);
            deltas[key] = deltas.GetValueOrDefault(key) + 1;
        }
        foreach (var (people, rows) in rounds)
        {
            await using var marked = await connection.ExecuteReaderAsync(new CommandDefinition(
                database.Text(MarkPeople), new { rows }, transaction, cancellationToken: cancellationToken));
            while (await marked.ReadAsync(cancellationToken))
            {
                var reach = journal[people[Array.BinarySearch(people, new Person(marked.GetInt32(0), marked.GetInt64(1), 0))].Index];
                // Answered: this month is new for this person; the mask before it tells the year and quarter.
                var before = marked.GetInt32(2) & ~reach.Bit;
                var quarter = (reach.Month - 1) / 3;
                if (before == 0)
                    Count('Y', reach);
                if ((before & (0b111 << (quarter * 3))) == 0)
                    Count('Q', reach);
                Count('M', reach);
            }
        }

        if (deltas.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(database.Text(UpsertCount), deltas.Select(d => new
            {
                Bucket = d.Key.Kind switch
                {
                    'Y' => ReachedTally.YearBucket(d.Key.Year),
                    'Q' => ReachedTally.QuarterBucket(d.Key.Year, (d.Key.Month - 1) / 3 + 1),
                    _ => ReachedTally.MonthBucket(d.Key.Year, d.Key.Month),
                },
                d.Key.Month,
                d.Key.Province,
                d.Key.Carrier,
                d.Key.Tags,
                Delta = d.Value,
            }).ToList(), transaction, cancellationToken: cancellationToken));
        }
        await connection.ExecuteAsync(new CommandDefinition(database.Text(ForgetJournal), database.IsSqlite
            ? new { last = journal[^1].Id, ids = (string?)null }
            : new { last = journal[^1].Id, ids = (string?)JsonRows.Of(journal, static (w, r) => w.WriteNumberValue(r.Id)) },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return journal.Count;
    }

    private readonly record struct JournalRow(long Id, long Hash, int Year, int Month, string Province, string Carrier, string Tags)
    {
        public int Bit => 1 << (Month - 1);
    }

    /// <summary>A person (year and hash, the order of <c>coverage_people</c>'s key) and the journal row that reaches them in a round.</summary>
    private readonly record struct Person(int Year, long Hash, int Index) : IComparable<Person>
    {
        public int CompareTo(Person other) => Year != other.Year ? Year.CompareTo(other.Year) : Hash.CompareTo(other.Hash);
    }

    /// <summary>
    /// The marks to make, in rounds: a person reached in several months of one chunk (a month's turn) gets one
    /// month a round, in journal order, as the statement takes each person once; a month reached twice counts
    /// by its first reach only. Each round's people are sorted by key, so each page is visited once.
    /// </summary>
    private static List<(Person[] People, string Rows)> Rounds(List<JournalRow> journal)
    {
        var inChunk = new Dictionary<(int Year, long Hash), int>(journal.Count);
        var rounds = new List<List<Person>> { new(journal.Count) };
        for (var i = 0; i < journal.Count; i++)
        {
            var reach = journal[i];
            var key = (reach.Year, reach.Hash);
            var seen = inChunk.GetValueOrDefault(key);
            if ((seen & reach.Bit) != 0)
                continue;
            var round = System.Numerics.BitOperations.PopCount((uint)seen);
            if (round == rounds.Count)
                rounds.Add([]);
            rounds[round].Add(new Person(reach.Year, reach.Hash, i));
            inChunk[key] = seen | reach.Bit;
        }
        return rounds.Select(round =>
        {
            var people = round.ToArray();
            Array.Sort(people);
            return (people, JsonRows.Of(people, (w, p) =>
            {
                w.WriteStartArray();
                w.WriteNumberValue(p.Year);
                w.WriteNumberValue(p.Hash);
                w.WriteNumberValue(journal[p.Index].Bit);
                w.WriteEndArray();
            }));
        }).ToList();
    }

    // By hand rather than through Dapper: a chunk is 200,000 rows.
    private async Task<List<JournalRow>> ReadJournalAsync(DbConnection connection, int maxRows, CancellationToken cancellationToken)
    {
        var rows = new List<JournalRow>(Math.Min(maxRows, 1 << 16));
        // A few provinces, carriers and tag sets repeat over the chunk: one string each keeps the counters' keys cheap to compare.
        var names = new Dictionary<string, string>();
        string Shared(string name) => names.TryGetValue(name, out var known) ? known : names[name] = name;
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            database.Text(TakeJournal), new { max = maxRows }, cancellationToken: cancellationToken));
        while (await reader.ReadAsync(cancellationToken))
        {
            var (year, month) = ReachedTally.MonthOf(reader.GetInt64(2));
            rows.Add(new JournalRow(reader.GetInt64(0), reader.GetInt64(1), year, month, Shared(reader.GetString(3)), Shared(reader.GetString(4)), Shared(reader.GetString(5))));
        }
        return rows;
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
    /// Distinct recipients reached per province, carrier and tag set, in <paramref name="bucket"/> (see <see cref="ReachedTally"/>)
    /// by those first reached in its months <paramref name="firstMonth"/> to <paramref name="lastMonth"/>: a few hundred counter rows.
    /// </summary>
    public async Task<IReadOnlyList<ReachedRow>> ReachedAsync(string bucket, int firstMonth, int lastMonth, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // Read by hand: SQLite gives SUM no declared type, and Dapper would see a BLOB column.
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            """
            SELECT province, carrier, tags, SUM(reached) FROM coverage_counts
            WHERE bucket = @bucket AND first_month BETWEEN @firstMonth AND @lastMonth
            GROUP BY province, carrier, tags
            """, new { bucket, firstMonth, lastMonth }, cancellationToken: cancellationToken));
        var rows = new List<ReachedRow>();
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new ReachedRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(3), reader.GetString(2)));
        return rows;
    }
}
