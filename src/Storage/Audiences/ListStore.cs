using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Loa.Storage.Audiences;

public sealed record ListRow(string Id, string Tenant, string Name, string CreatedBy, long CreatedAt, long Accepted, long Rejected, long Duplicates);

/// <param name="Commune">The members' commune ('' none); <c>Tags</c> their whole tag set as stored ('' none).</param>
public sealed record ListCountRow(string Carrier, string Province, long Recipients, string Commune = "", string Tags = "");

/// <summary>Which of a member's segment the counters are read by, beside carrier and province (always).</summary>
[Flags]
public enum CounterDetail
{
    None = 0,
    Communes = 1,
    Tags = 2,
}

public sealed class ListStore(Database database, TimeProvider time, ILogger<ListStore> logger)
{
    private Database Db => database;
    private TimeProvider Time => time;
    private ILogger Logger => logger;

    // One chunk of members per statement, as a JSON array of {m, p, t, c, n}: one bind instead of six
    // per row. Only the inserted rows come back, so a number already in the list (an earlier chunk)
    // is a duplicate by the count the statement itself reports. SQLite needs the `WHERE true`: without
    // it the parser takes ON CONFLICT for a join's ON after an INSERT … SELECT.
    private static readonly Sql InsertMembers = new(
        Sqlite: """
            INSERT INTO list_members (list_id, msisdn, province, tags, commune, name)
            SELECT @list, j.value->>'m', j.value->>'p', j.value->>'t', j.value->>'c', j.value->>'n' FROM json_each(@rows) j
            WHERE true
            ON CONFLICT DO NOTHING
            RETURNING msisdn
            """,
        SqlServer: """
            INSERT INTO list_members (list_id, msisdn, province, tags, commune, name)
            OUTPUT inserted.msisdn
            SELECT @list, j.m, j.p, j.t, j.c, j.n
            FROM OPENJSON(@rows) WITH (m VARCHAR(16) '$.m', p NVARCHAR(16) '$.p', t VARCHAR(300) '$.t', c VARCHAR(5) '$.c', n NVARCHAR(200) '$.n') j
            WHERE NOT EXISTS (SELECT 1 FROM list_members WITH (UPDLOCK, HOLDLOCK) WHERE list_id = @list AND msisdn = j.m)
            """);

    // An abandoned import's members, a bounded slice per turn at the write lock.
    private static readonly Sql DeleteMembers = new(
        Sqlite: """
            DELETE FROM list_members
            WHERE list_id = @list AND msisdn IN (SELECT msisdn FROM list_members WHERE list_id = @list LIMIT @limit)
            """,
        SqlServer: "DELETE TOP (@limit) FROM list_members WHERE list_id = @list");

    // Every chunk says the import is alive, in the chunk's own transaction.
    private static readonly Sql TouchImport = new(
        Sqlite: """
            INSERT INTO list_imports (id, last_written_at) VALUES (@list, @now)
            ON CONFLICT (id) DO UPDATE SET last_written_at = excluded.last_written_at
            """,
        SqlServer: """
            UPDATE list_imports SET last_written_at = @now WHERE id = @list;
            IF @@ROWCOUNT = 0 INSERT INTO list_imports (id, last_written_at) VALUES (@list, @now);
            """);

    private static readonly Sql InsertList = Sql.Both("""
        INSERT INTO lists (id, tenant, name, created_by, created_at, accepted, rejected, duplicates)
        VALUES (@Id, @Tenant, @Name, @CreatedBy, @CreatedAt, @Accepted, @Rejected, @Duplicates)
        """);

    private static readonly Sql InsertCount = Sql.Both(
        "INSERT INTO list_counts (list_id, carrier, province, commune, tags, recipients) VALUES (@ListId, @Carrier, @Province, @Commune, @Tags, @Recipients)");

    // Keyset page of one list: the primary key (list_id, msisdn) serves both the filter and the order.
    /// <summary>
    /// Starts writing a list. Members are written a chunk at a time, each chunk in its own short write
    /// transaction, so that on SQLite the other writers (delivery results, receipts, an emergency
    /// campaign) get turns during a long upload instead of waiting for the whole file. The list stays
    /// invisible until <see cref="ListImport.CommitAsync"/> inserts its <c>lists</c> row: every reader of
    /// <c>list_members</c> reaches it through a list id it found in <c>lists</c> (campaign rules, CAP
    /// lists), so members under an id with no such row are seen by nothing. An import disposed without
    /// commit deletes what it wrote. A crash mid-upload leaves its members behind under that unknown id,
    /// invisible, with its <c>list_imports</c> row: <see cref="SweepAbandonedImportsAsync"/> deletes them.
    /// </summary>
    public Task<ListImport> BeginImportAsync(string tenant, string name, string createdBy, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(new ListImport(Guid.CreateVersion7().ToString("n"), tenant, name, createdBy, this));
    }

    /// <summary>
    /// Deletes the members of imports that have written nothing for <paramref name="stillFor"/>: their
    /// process died mid-upload. A live upload writes a chunk far more often (Kestrel drops a request
    /// body slower than its minimum data rate), so one still that long is not coming back.
    /// </summary>
    /// <returns>The abandoned imports swept.</returns>
    public async Task<int> SweepAbandonedImportsAsync(TimeSpan stillFor, CancellationToken cancellationToken = default)
    {
        var before = time.Ms() - (long)stillFor.TotalMilliseconds;
        List<string> abandoned;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            abandoned = (await connection.QueryAsync<string>(
                "SELECT id FROM list_imports WHERE last_written_at < @before", new { before })).AsList();
        }
        foreach (var id in abandoned)
        {
            logger.LogWarning("List import {ListId} stopped mid-upload and was never committed; deleting its members", id);
            await DeleteImportAsync(id, cancellationToken);
        }
        return abandoned.Count;
    }

    /// <summary>An uncommitted import's members, a slice per write transaction, then its <c>list_imports</c> row.</summary>
    private async Task DeleteImportAsync(string id, CancellationToken cancellationToken)
    {
        int deleted;
        do
        {
            deleted = await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
                database.Text(DeleteMembers), new { list = id, limit = ListImport.ChunkRows }, transaction, cancellationToken: cancellationToken)), cancellationToken);
        }
        while (deleted > 0);
        await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM list_imports WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken)), cancellationToken);
    }

    public async Task<ListRow?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ListRow>(
            """
            SELECT id AS Id, tenant AS Tenant, name AS Name, created_by AS CreatedBy, created_at AS CreatedAt,
                   accepted AS Accepted, rejected AS Rejected, duplicates AS Duplicates
            FROM lists WHERE id = @id
            """,
            new { id });
    }

    // Newest first, by key. List ids are version 7 GUIDs written as 32 lower-case hex digits, so their order
    // is the order of upload and "g" sorts after every one of them (the first page's bound). A national
    // caller walks the primary key; a province walks ix_lists_tenant (tenant, id) from its end. Counts are
    // the ones kept at upload: nothing here reads a member.
    private const string ListColumns = """
        id AS Id, tenant AS Tenant, name AS Name, created_by AS CreatedBy, created_at AS CreatedAt,
        accepted AS Accepted, rejected AS Rejected, duplicates AS Duplicates
        """;

    /// <summary>The bound of a first page of <see cref="PageAsync"/>: above every list id.</summary>
    public const string FirstPage = "g";

    private static readonly Sql PageAll = new(
        Sqlite: $"SELECT {ListColumns} FROM lists WHERE id < @After ORDER BY id DESC LIMIT @Limit",
        SqlServer: $"SELECT TOP (@Limit) {ListColumns} FROM lists WHERE id < @After ORDER BY id DESC");

    private static readonly Sql PageOfTenant = new(
        Sqlite: $"SELECT {ListColumns} FROM lists WHERE tenant = @Tenant AND id < @After ORDER BY id DESC LIMIT @Limit",
        SqlServer: $"SELECT TOP (@Limit) {ListColumns} FROM lists WHERE tenant = @Tenant AND id < @After ORDER BY id DESC");

    /// <summary>A keyset page of lists, newest first: every tenant's when <paramref name="tenant"/> is null, else that tenant's only.</summary>
    /// <param name="before">The last id of the previous page (<see cref="FirstPage"/> for the first).</param>
    public async Task<IReadOnlyList<ListRow>> PageAsync(string? tenant, string before, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ListRow>(new CommandDefinition(
            database.Text(tenant is null ? PageAll : PageOfTenant), new { Tenant = tenant, After = before, Limit = limit },
            cancellationToken: cancellationToken))).AsList();
    }

    public async Task<IReadOnlyList<ListRow>> GetManyAsync(IEnumerable<string> ids, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ListRow>(
            """
            SELECT id AS Id, tenant AS Tenant, name AS Name, created_by AS CreatedBy, created_at AS CreatedAt,
                   accepted AS Accepted, rejected AS Rejected, duplicates AS Duplicates
            FROM lists WHERE id IN @ids
            """,
            new { ids = ids.ToArray() })).ToList();
    }

    // The counters folded in SQL to the detail a caller asks about: a list of 10M with 34 provinces, 340
    // communes and a few tag sets keeps 8,500 rows, and reading them all through the reader was 100-600 ms
    // of a preview on the shared 2-core machine; folded by carrier and province they are 170 (issue 19).
    // A dimension folded away reads as '' (none), so a filter that does not ask about it is still exact.
    private static readonly string[] CountsBy =
    [
        """
        SELECT carrier, province, '', '', SUM(recipients) FROM list_counts WHERE list_id IN @ids
        GROUP BY carrier, province
        """,
        """
        SELECT carrier, province, commune, '', SUM(recipients) FROM list_counts WHERE list_id IN @ids
        GROUP BY carrier, province, commune
        """,
        """
        SELECT carrier, province, '', tags, SUM(recipients) FROM list_counts WHERE list_id IN @ids
        GROUP BY carrier, province, tags
        """,
        """
        SELECT carrier, province, commune, tags, SUM(recipients) FROM list_counts WHERE list_id IN @ids
        GROUP BY carrier, province, commune, tags
        """,
    ];

    /// <summary>The lists' counters summed by carrier, province, commune and tag set.</summary>
    public Task<IReadOnlyList<ListCountRow>> CountsAsync(IEnumerable<string> listIds, CancellationToken cancellationToken = default) =>
        CountsAsync(listIds, CounterDetail.Communes | CounterDetail.Tags, cancellationToken);

    /// <summary>
    /// The lists' counters summed by carrier and province, and by commune and tag set only when
    /// <paramref name="detail"/> names them (otherwise those read as '').
    /// </summary>
    public async Task<IReadOnlyList<ListCountRow>> CountsAsync(IEnumerable<string> listIds, CounterDetail detail, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // Read by hand: SQLite gives a SUM no declared type, so on an empty result (a list whose every
        // row was rejected) Dapper would see a BLOB column and refuse to build the record.
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            CountsBy[(int)(detail & (CounterDetail.Communes | CounterDetail.Tags))],
            new { ids = listIds.ToArray() }, cancellationToken: cancellationToken));
        var rows = new List<ListCountRow>();
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new ListCountRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(4), reader.GetString(2), reader.GetString(3)));
        return rows;
    }

    // The ported table drives the join, one key probe of the list per ported number. The CROSS JOIN is
    // what makes it so on SQLite: with a plain JOIN and no statistics its planner took the list as the
    // outer loop (an equality on the key's first column looks cheap) and walked every member, 0.2-0.7 s
    // of each preview of a 1M list with no number ported at all (issue 19). SQL Server reads CROSS JOIN
    // with the WHERE as the inner join it is and orders it by its statistics.
    internal static readonly Sql PortedMembers = Sql.Both("""
        SELECT m.msisdn, m.province, p.carrier, m.commune, m.tags
        FROM ported_numbers p CROSS JOIN list_members m
        WHERE m.list_id = @listId AND m.msisdn = p.msisdn
        """);

    /// <summary>
    /// Members of a list whose number was ported, with their province and the carrier that now serves
    /// them (the counts kept at upload routed them by prefix): the ported table drives the join.
    /// </summary>
    public async Task<IReadOnlyList<(string Msisdn, string Province, string Carrier, string? Commune, string? Tags)>> PortedMembersAsync(
        string listId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<(string, string, string, string?, string?)>(new CommandDefinition(
            database.Text(PortedMembers), new { listId }, cancellationToken: cancellationToken))).AsList();
    }

    // The last key of a keyset page of a list.
    private static readonly Sql PageEnd = new(
        Sqlite: "SELECT MAX(msisdn) FROM (SELECT msisdn FROM list_members WHERE list_id = @listId AND msisdn > @after ORDER BY msisdn LIMIT @limit)",
        SqlServer: "SELECT MAX(msisdn) FROM (SELECT TOP (@limit) msisdn FROM list_members WHERE list_id = @listId AND msisdn > @after ORDER BY msisdn) p");

    /// <summary>
    /// One keyset page of a list (up to <paramref name="limit"/> members after <paramref name="after"/>),
    /// giving only the members that are also in one of <paramref name="others"/>: a row per other list
    /// holding the number, with both rows' province, commune and tags. Each member probes the other lists by key.
    /// </summary>
    /// <returns>The shared members, and the page's last key (null when the list has no more).</returns>
    public async Task<(IReadOnlyList<SharedMember> Shared, string? Last)> SharedMembersPageAsync(
        string listId, IReadOnlyCollection<string> others, string after, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var last = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            database.Text(PageEnd), new { listId, after, limit }, cancellationToken: cancellationToken));
        if (last is null)
            return ([], null);
        var shared = (await connection.QueryAsync<SharedMember>(new CommandDefinition(
            """
            SELECT w.msisdn AS Msisdn, w.province AS Province, w.commune AS Commune, w.tags AS Tags,
                   o.list_id AS OtherList, o.province AS OtherProvince, o.commune AS OtherCommune, o.tags AS OtherTags
            FROM list_members w JOIN list_members o ON o.list_id IN @others AND o.msisdn = w.msisdn
            WHERE w.list_id = @listId AND w.msisdn > @after AND w.msisdn <= @last
            """,
            new { listId, others, after, last }, cancellationToken: cancellationToken))).AsList();
        return (shared, last);
    }

    /// <summary>A number of a walked list that another list also holds: the walked row's place and tags, then the other's.</summary>
    public sealed record SharedMember(
        string Msisdn, string Province, string? Commune, string? Tags, string OtherList, string OtherProvince, string? OtherCommune, string? OtherTags);

    public sealed class ListImport : IAsyncDisposable
    {
        /// <summary>
        /// Members per write transaction: big enough that a 10M upload is a couple of thousand short
        /// statements, small enough that a turn at SQLite's write lock lasts milliseconds and that the
        /// import's memory is one chunk, whatever the file's size.
        /// </summary>
        public const int ChunkRows = 5_000;

        private static readonly JsonEncodedText M = JsonEncodedText.Encode("m");
        private static readonly JsonEncodedText P = JsonEncodedText.Encode("p");
        private static readonly JsonEncodedText T = JsonEncodedText.Encode("t");
        private static readonly JsonEncodedText N = JsonEncodedText.Encode("n");
        private static readonly JsonEncodedText C = JsonEncodedText.Encode("c");

        private readonly string tenant;
        private readonly string name;
        private readonly string createdBy;
        private readonly ListStore store;

        // The chunk being gathered, by number: it drops a repeat within the chunk at once (the first
        // row wins, as the key did row by row), which also keeps SQL Server's NOT EXISTS from meeting
        // two equal keys in one statement; and it gives each inserted number back its carrier and province.
        private readonly Dictionary<string, Member> chunk = new(ChunkRows, StringComparer.Ordinal);
        private readonly Dictionary<(string Carrier, string Province, string Commune, string Tags), long> counts = [];
        private long accepted;
        private long duplicates;
        private bool written; // a chunk may have reached list_members: an abandoned import has rows to delete
        private bool committed;

        internal ListImport(string id, string tenant, string name, string createdBy, ListStore store)
        {
            Id = id;
            this.tenant = tenant;
            this.name = name;
            this.createdBy = createdBy;
            this.store = store;
        }

        public string Id { get; }

        /// <summary>
        /// Adds a member to the chunk being gathered, writing the chunk when it is full. Whether the number
        /// was new to the list is known only once its chunk is written: see <see cref="CommitAsync"/>.
        /// </summary>
        /// <param name="tags">The member's tag set in its stored form (SegmentTags.Normalize), or null.</param>
        /// <param name="commune">The member's 5-digit commune, or null.</param>
        public async Task AddAsync(
            string msisdn, string province, string carrier, string? tags, string? memberName, CancellationToken cancellationToken = default, string? commune = null)
        {
            if (!chunk.TryAdd(msisdn, new Member(province, carrier, tags, memberName, commune)))
            {
                duplicates++;
                return;
            }
            if (chunk.Count >= ChunkRows)
                await FlushAsync(cancellationToken);
        }

        /// <summary>
        /// Writes the last chunk, then makes the list visible: its <c>lists</c> row and per carrier and
        /// province counts, in one transaction of their own.
        /// </summary>
        /// <returns>The list as stored, with the members accepted (new to it) and the duplicates.</returns>
        public async Task<ListRow> CommitAsync(int rejected, CancellationToken cancellationToken = default)
        {
            await FlushAsync(cancellationToken);
            var row = new ListRow(Id, tenant, name, createdBy, store.Time.Ms(), accepted, rejected, duplicates);
            await using var connection = await store.Db.OpenAsync(cancellationToken);
            await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
            await connection.ExecuteAsync(store.Db.Text(InsertList), row, transaction);
            await connection.ExecuteAsync("DELETE FROM list_imports WHERE id = @Id", new { Id }, transaction);
            await connection.ExecuteAsync(
                store.Db.Text(InsertCount),
                counts.Select(c => new { ListId = Id, c.Key.Carrier, c.Key.Province, c.Key.Commune, c.Key.Tags, Recipients = c.Value }),
                transaction);
            await transaction.CommitAsync(cancellationToken);
            committed = true;
            return row;
        }

        /// <summary>
        /// Without a commit (the client went away, the file was refused, something threw), deletes the
        /// members written so far, a slice per write transaction. Best effort: what a failure leaves is
        /// invisible (no <c>lists</c> row names it), and throwing here would hide the error that ended the import.
        /// </summary>
        public async ValueTask DisposeAsync()
        {
            chunk.Clear();
            if (committed || !written)
                return;
            try
            {
                await store.DeleteImportAsync(Id, CancellationToken.None);
            }
            catch (Exception e)
            {
                store.Logger.LogWarning(e, "Could not delete the members of abandoned list import {ListId}; the sweeper will", Id);
            }
        }

        private async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (chunk.Count == 0)
                return;
            var rows = RowsJson();
            await using var connection = await store.Db.OpenAsync(cancellationToken);
            await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
            written = true;
            var inserted = (await connection.QueryAsync<string>(new CommandDefinition(
                store.Db.Text(InsertMembers), new { list = Id, rows }, transaction, cancellationToken: cancellationToken))).AsList();
            await connection.ExecuteAsync(new CommandDefinition(
                store.Db.Text(TouchImport), new { list = Id, now = store.Time.Ms() }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);

            foreach (var msisdn in inserted)
            {
                var member = chunk[msisdn];
                // Keyed by the member's whole segment, so any filter on tags, places and carriers is answered exactly from these rows.
                var key = (member.Carrier, member.Province, member.Commune ?? "", member.Tags ?? "");
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
            accepted += inserted.Count;
            duplicates += chunk.Count - inserted.Count; // already in the list from an earlier chunk
            chunk.Clear();
        }

        private string RowsJson() => JsonRows.Of(chunk, static (w, row) =>
        {
            w.WriteStartObject();
            w.WriteString(M, row.Key);
            w.WriteString(P, row.Value.Province);
            if (row.Value.Tags is not null)
                w.WriteString(T, row.Value.Tags);
            if (row.Value.Commune is not null)
                w.WriteString(C, row.Value.Commune);
            if (row.Value.Name is not null)
                w.WriteString(N, row.Value.Name);
            w.WriteEndObject();
        });

        private readonly record struct Member(string Province, string Carrier, string? Tags, string? Name, string? Commune);
    }
}
