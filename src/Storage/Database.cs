using System.Data.Common;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;

namespace Loa.Storage;

/// <summary>A query written out in both dialects, side by side, so a reviewer sees every variant.</summary>
public sealed record Sql(string Sqlite, string SqlServer)
{
    /// <summary>For statements that read the same in both dialects.</summary>
    public static Sql Both(string text) => new(text, text);
}

/// <summary>
/// Opens connections for the configured dialect. The one place that knows which ADO.NET provider
/// is in use; stores ask it for the text of their <see cref="Sql"/> and for a connection.
/// </summary>
public sealed class Database
{
    public Database(DatabaseOptions options)
    {
        Provider = options.Provider;
        ConnectionString = Provider == DatabaseProvider.Sqlite
            ? PrepareSqlite(options.ConnectionString)
            : options.ConnectionString;
        if (Provider == DatabaseProvider.Sqlite)
            writeGate = SqliteWriteGate.For(new SqliteConnectionStringBuilder(ConnectionString));
    }

    private readonly SemaphoreSlim? writeGate;

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    public bool IsSqlite => Provider == DatabaseProvider.Sqlite;

    public string Text(Sql sql) => IsSqlite ? sql.Sqlite : sql.SqlServer;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (!IsSqlite)
        {
            var sqlServer = new SqlConnection(ConnectionString);
            await sqlServer.OpenAsync(cancellationToken);
            return sqlServer;
        }

        var connection = new GatedSqliteConnection(ConnectionString, writeGate);
        try
        {
            await connection.OpenAsync(cancellationToken);
            // Per-connection settings (synchronous, foreign keys, temp store), once per physical
            // connection; WAL itself is persistent (set by the first migration).
            await connection.PrepareAsync(cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        return connection;
    }

    /// <summary>
    /// Begins a write transaction. On SQLite this is BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default
    /// for Serializable), taken in turn: on a connection from <see cref="OpenAsync"/>, writers of this
    /// process first await the file's write gate (one at a time, no thread held while waiting), which
    /// the transaction gives back when it commits, rolls back or is disposed. Writers in other
    /// processes still queue on the busy timeout. SQL Server: a serializable transaction, as before.
    /// </summary>
    public static async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken = default) =>
        connection is GatedSqliteConnection gated
            ? await gated.BeginWriteAsync(cancellationToken)
            : await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken);

    /// <summary>
    /// Runs one short write — typically a single autocommit UPDATE — in its turn at the write gate:
    /// on SQLite inside a <see cref="BeginWriteAsync"/> transaction committed at the end, so that it
    /// awaits the lock instead of sleeping on the busy timeout. On SQL Server there is no transaction
    /// (<c>null</c>), so such a statement autocommits exactly as it did. Pass the transaction to every
    /// command of <paramref name="write"/>.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction?, Task<T>> write, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        if (!IsSqlite)
            return await write(connection, null);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        var result = await write(connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>
    /// True when a write failed on a primary key or unique index: the row is already there. Both
    /// dialects' codes, so that a store can turn a lost race into "already exists" rather than a 500.
    /// </summary>
    public static bool IsUniqueViolation(Exception exception) => exception switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode == 19 && sqlite.SqliteExtendedErrorCode is 1555 or 2067, // SQLITE_CONSTRAINT_PRIMARYKEY / _UNIQUE
        SqlException sqlServer => sqlServer.Number is 2627 or 2601,
        _ => false,
    };

    private static string PrepareSqlite(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.DefaultTimeout < 30)
            builder.DefaultTimeout = 30; // busy timeout: writers wait for each other rather than fail
        if (builder.Mode != SqliteOpenMode.Memory && !string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:")
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            if (!string.IsNullOrEmpty(directory))
                Directory.CreateDirectory(directory);
        }
        return builder.ToString();
    }
}
