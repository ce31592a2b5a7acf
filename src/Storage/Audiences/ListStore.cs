using System.Data.Common;
using Dapper;

namespace Loa.Storage.Audiences;

public sealed record ListRow(string Id, string Tenant, string Name, string CreatedBy, long CreatedAt, long Accepted, long Rejected, long Duplicates);

public sealed record ListCountRow(string Carrier, string Province, long Recipients);

public sealed record MemberRow(string Msisdn, string Province);

public sealed class ListStore(Database database, TimeProvider time)
{
    private Database Db => database;
    private TimeProvider Time => time;

    private static readonly Sql InsertMember = new(
        Sqlite: """
            INSERT INTO list_members (list_id, msisdn, province, tags, name) VALUES (@list, @msisdn, @province, @tags, @name)
            ON CONFLICT DO NOTHING
            """,
        SqlServer: """
            INSERT INTO list_members (list_id, msisdn, province, tags, name)
            SELECT @list, @msisdn, @province, @tags, @name
            WHERE NOT EXISTS (SELECT 1 FROM list_members WITH (UPDLOCK, HOLDLOCK) WHERE list_id = @list AND msisdn = @msisdn)
            """);

    private static readonly Sql InsertList = Sql.Both("""
        INSERT INTO lists (id, tenant, name, created_by, created_at, accepted, rejected, duplicates)
        VALUES (@Id, @Tenant, @Name, @CreatedBy, @CreatedAt, @Accepted, @Rejected, @Duplicates)
        """);

    private static readonly Sql InsertCount = Sql.Both(
        "INSERT INTO list_counts (list_id, carrier, province, recipients) VALUES (@ListId, @Carrier, @Province, @Recipients)");

    // Keyset page of one list: the primary key (list_id, msisdn) serves both the filter and the order.
    private static readonly Sql Page = new(
        Sqlite: """
            SELECT msisdn AS Msisdn, province AS Province FROM list_members
            WHERE list_id = @ListId AND msisdn > @After ORDER BY msisdn LIMIT @Limit
            """,
        SqlServer: """
            SELECT TOP (@Limit) msisdn AS Msisdn, province AS Province FROM list_members
            WHERE list_id = @ListId AND msisdn > @After ORDER BY msisdn
            """);

    /// <summary>
    /// Starts writing a list in one transaction: members stream in row by row through a prepared
    /// statement, and nothing is visible (or left behind) unless <see cref="ListImport.CommitAsync"/> runs.
    /// </summary>
    public async Task<ListImport> BeginImportAsync(string tenant, string name, string createdBy, CancellationToken cancellationToken = default)
    {
        var connection = await database.OpenAsync(cancellationToken);
        var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var command = Commands.Prepare(connection, transaction, database.Text(InsertMember), "list", "msisdn", "province", "tags", "name");
        var id = Guid.CreateVersion7().ToString("n");
        command.Parameters[0].Value = id;
        await command.PrepareAsync(cancellationToken);
        return new ListImport(id, tenant, name, createdBy, connection, transaction, command, this);
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

    public async Task<IReadOnlyList<ListCountRow>> CountsAsync(IEnumerable<string> listIds, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ListCountRow>(
            """
            SELECT carrier AS Carrier, province AS Province, SUM(recipients) AS Recipients
            FROM list_counts WHERE list_id IN @ids GROUP BY carrier, province
            """,
            new { ids = listIds.ToArray() })).ToList();
    }

    public async Task<IReadOnlyList<MemberRow>> PageAsync(DbConnection connection, string listId, string after, int limit, CancellationToken cancellationToken = default) =>
        (await connection.QueryAsync<MemberRow>(new CommandDefinition(
            database.Text(Page), new { ListId = listId, After = after, Limit = limit }, cancellationToken: cancellationToken))).AsList();

    public sealed class ListImport : IAsyncDisposable
    {
        private readonly string tenant;
        private readonly string name;
        private readonly string createdBy;
        private readonly DbConnection connection;
        private readonly DbTransaction transaction;
        private readonly DbCommand insert;
        private readonly ListStore store;
        private readonly Dictionary<(string Carrier, string Province), long> counts = [];
        private bool committed;

        internal ListImport(string id, string tenant, string name, string createdBy, DbConnection connection, DbTransaction transaction, DbCommand insert, ListStore store)
        {
            Id = id;
            this.tenant = tenant;
            this.name = name;
            this.createdBy = createdBy;
            this.connection = connection;
            this.transaction = transaction;
            this.insert = insert;
            this.store = store;
        }

        public string Id { get; }

        /// <returns>false when the number is already in this list (a duplicate row).</returns>
        public async Task<bool> AddAsync(string msisdn, string province, string carrier, string? tags, string? memberName, CancellationToken cancellationToken = default)
        {
            insert.Parameters[1].Value = msisdn;
            insert.Parameters[2].Value = province;
            insert.Parameters[3].Value = (object?)tags ?? DBNull.Value;
            insert.Parameters[4].Value = (object?)memberName ?? DBNull.Value;
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
                return false;
            var key = (carrier, province);
            counts[key] = counts.GetValueOrDefault(key) + 1;
            return true;
        }

        public async Task<ListRow> CommitAsync(int accepted, int rejected, int duplicates, CancellationToken cancellationToken = default)
        {
            var row = new ListRow(Id, tenant, name, createdBy, store.Time.Ms(), accepted, rejected, duplicates);
            await connection.ExecuteAsync(store.Db.Text(InsertList), row, transaction);
            await connection.ExecuteAsync(
                store.Db.Text(InsertCount),
                counts.Select(c => new { ListId = Id, c.Key.Carrier, c.Key.Province, Recipients = c.Value }),
                transaction);
            await transaction.CommitAsync(cancellationToken);
            committed = true;
            return row;
        }

        public async ValueTask DisposeAsync()
        {
            if (!committed)
                await transaction.RollbackAsync();
            await insert.DisposeAsync();
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
