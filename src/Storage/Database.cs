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
    }

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    public bool IsSqlite => Provider == DatabaseProvider.Sqlite;

    public string Text(Sql sql) => IsSqlite ? sql.Sqlite : sql.SqlServer;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        DbConnection connection = IsSqlite ? new SqliteConnection(ConnectionString) : new SqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        if (IsSqlite)
        {
            // Per-connection settings: WAL itself is persistent (set by the first migration), but
            // synchronous and foreign keys are not. NORMAL under WAL loses at most the last commits on
            // power loss, never consistency; the bus redelivers and the sweeper republishes.
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
        }
        return connection;
    }

    /// <summary>
    /// Begins a write transaction. On SQLite this is BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default
    /// for Serializable), so two writers queue on the busy timeout instead of failing on upgrade.
    /// </summary>
    public static async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken = default) =>
        await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken);

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
