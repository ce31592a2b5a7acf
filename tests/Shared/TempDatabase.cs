using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Campaigns;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.Tests.Shared;

/// <summary>
/// A real SQLite file of one test's own, in a temp directory that goes with it: the stores' specs
/// run their SQL against the migrated schema, never a fake.
/// </summary>
public sealed class TempDatabase : IAsyncDisposable
{
    private TempDatabase(string directory)
    {
        Directory = directory;
        Database = new Database(new DatabaseOptions { ConnectionString = $"Data Source={Path.Combine(directory, "loa.db")}" });
    }

    public string Directory { get; }

    public Database Database { get; }

    /// <param name="migrate">False for a spec that builds the schema itself (an upgrade from an older version).</param>
    public static async Task<TempDatabase> CreateAsync(bool migrate = true)
    {
        var directory = Path.Combine(Path.GetTempPath(), "loa-db-" + Guid.NewGuid().ToString("n"));
        System.IO.Directory.CreateDirectory(directory);
        var temp = new TempDatabase(directory);
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

    public ValueTask DisposeAsync()
    {
        // Every pooled connection to the file must go before its directory can.
        SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}
