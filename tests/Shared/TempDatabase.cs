using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Campaigns;
using Dapper;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.Tests.Shared;

/// <summary>
/// A real database of one test's own: a SQLite file in a temp directory that goes with it, or on SQL
/// Server (<see cref="SqlServerTarget"/>) a database created for the test and dropped after it. A
/// database, not a schema: every statement names its tables unqualified, and those resolve through the
/// login's one default schema, so only a database of its own keeps parallel tests apart. The stores'
/// specs run their SQL against the migrated schema, never a fake.
/// </summary>
public sealed class TempDatabase : IAsyncDisposable
{
    private TempDatabase(string directory, DatabaseOptions options, string? sqlServerName)
    {
        Directory = directory;
        Database = new Database(options);
        this.sqlServerName = sqlServerName;
    }

    private readonly string? sqlServerName;

    /// <summary>A temp directory of the test's own, on either dialect (the SQLite file lives in it).</summary>
    public string Directory { get; }

    public Database Database { get; }

    /// <param name="migrate">False for a spec that builds the schema itself (an upgrade from an older version).</param>
    public static Task<TempDatabase> CreateAsync(bool migrate = true) => CreateAsync(DatabaseProvider.Sqlite, migrate);

    /// <param name="provider">The dialect; SQL Server needs <see cref="SqlServerTarget.Variable"/> (its cases are skipped without it).</param>
    /// <param name="migrate">False for a spec that builds the schema itself (an upgrade from an older version).</param>
    public static async Task<TempDatabase> CreateAsync(DatabaseProvider provider, bool migrate = true)
    {
        var directory = Path.Combine(Path.GetTempPath(), "loa-db-" + Guid.NewGuid().ToString("n"));
        System.IO.Directory.CreateDirectory(directory);
        TempDatabase temp;
        if (provider == DatabaseProvider.Sqlite)
        {
            temp = new TempDatabase(directory, new DatabaseOptions { ConnectionString = $"Data Source={Path.Combine(directory, "loa.db")}" }, null);
        }
        else
        {
            var (name, connectionString) = await CreateSqlServerDatabaseAsync();
            temp = new TempDatabase(directory, new DatabaseOptions { Provider = DatabaseProvider.SqlServer, ConnectionString = connectionString }, name);
        }
        if (migrate)
            await new Migrator(temp.Database, NullLogger<Migrator>.Instance).MigrateAsync();
        return temp;
    }

    /// <summary>A national campaign of <paramref name="kind"/>, approved and running, created at <paramref name="time"/>'s now.</summary>
    public Task InsertRunningCampaignAsync(string id, string kind, TimeProvider time, long partsPerMessage = 1)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return new CampaignStore(Database, time).InsertAsync(new CampaignRow(
            id, "national", id, kind, CampaignStatus.Running, "{}", "Canh bao", "gsm7", partsPerMessage, null, null,
            "author", now, "author", now, "author", "approver", now, null, now, null, now, null, 0, ""));
    }

    /// <summary>
    /// Creates an empty database beside <see cref="SqlServerTarget"/>'s (same server and login, which
    /// must be allowed CREATE DATABASE) and returns its name and a connection string to it.
    /// </summary>
    public static async Task<(string Name, string ConnectionString)> CreateSqlServerDatabaseAsync()
    {
        var target = SqlServerTarget.ConnectionString
            ?? throw new InvalidOperationException(SqlServerTarget.SkipReason);
        var name = "loa_test_" + Guid.NewGuid().ToString("n");
        await using (var connection = new SqlConnection(target))
        {
            await connection.OpenAsync();
            await connection.ExecuteAsync($"CREATE DATABASE [{name}]");
        }
        return (name, new SqlConnectionStringBuilder(target) { InitialCatalog = name }.ConnectionString);
    }

    /// <summary>Drops a database <see cref="CreateSqlServerDatabaseAsync"/> made, closing whatever still holds it.</summary>
    public static async Task DropSqlServerDatabaseAsync(string name)
    {
        SqlConnection.ClearAllPools();
        await using var connection = new SqlConnection(SqlServerTarget.ConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync(
            $"IF DB_ID('{name}') IS NOT NULL BEGIN ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{name}]; END");
    }

    public async ValueTask DisposeAsync()
    {
        if (sqlServerName is not null)
            await DropSqlServerDatabaseAsync(sqlServerName);
        // Every pooled connection to the file must go before its directory can.
        SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>Where the SQL Server specs run: a connection string to an empty database, from the environment.</summary>
/// <remarks>Beside <see cref="TempDatabase"/> because projects that link only that file need it too.</remarks>
public static class SqlServerTarget
{
    public const string Variable = "LOA_SQLSERVER";

    public const string SkipReason = "LOA_SQLSERVER is not set: SQL Server specs need a connection string to an empty database";

    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;
}
