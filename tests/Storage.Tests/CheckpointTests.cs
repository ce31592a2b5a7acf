using Dapper;
using Loa.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.Storage.Tests;

/// <summary>
/// Checkpoints run off the write path (issue 7): Loa's connections leave the log to grow far past
/// SQLite's 1,000-page default, and the background checkpointer copies it back into the file.
/// </summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "loa-checkpoint-" + Guid.NewGuid().ToString("n"));
    private readonly Database database;

    public CheckpointTests()
    {
        Directory.CreateDirectory(directory);
        database = new Database(new DatabaseOptions { ConnectionString = $"Data Source={Path.Combine(directory, "loa.db")}" });
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Commits_do_not_checkpoint_a_log_past_the_default_and_the_checkpointer_copies_all_of_it()
    {
        await using (var setup = await database.OpenAsync())
            await setup.ExecuteAsync("PRAGMA journal_mode=WAL; CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL);");
        // Held open, and reading once the file is in WAL mode so that it counts as a connection to the
        // log: when the last one closes (another test class clearing every pool closes idle ones), SQLite
        // checkpoints the whole log itself and this test would find nothing left to copy.
        await using var keeper = await database.OpenAsync();
        Assert.Equal(0L, await keeper.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM rows"));
        await using (var connection = await database.OpenAsync())
        {
            Assert.Equal(SqliteCheckpointer.AutoCheckpointPages, await connection.ExecuteScalarAsync<long>("PRAGMA wal_autocheckpoint"));
            // ~1,500 pages of log in small commits: SQLite's default would have checkpointed at 1,000.
            for (var i = 0; i < 60; i++)
            {
                await using var transaction = await Database.BeginWriteAsync(connection);
                await connection.ExecuteAsync(
                    "INSERT INTO rows (body) SELECT printf('%.100c', 'x') FROM json_each(@ids)",
                    new { ids = "[" + string.Join(',', Enumerable.Range(0, 1000)) + "]" }, transaction);
                await transaction.CommitAsync();
            }
        }

        SqliteConnection.ClearAllPools(); // as a parallel test class may do at any moment
        var checkpointer = new SqliteCheckpointer(database, NullLogger<SqliteCheckpointer>.Instance);
        var result = await checkpointer.CheckpointAsync(CancellationToken.None);

        Assert.NotNull(result);
        Assert.True(result.Value.Log > 1_000, $"log of {result.Value.Log} pages: a commit checkpointed it");
        Assert.Equal(result.Value.Log, result.Value.Checkpointed);
        await using var reader = await database.OpenAsync();
        Assert.Equal(60_000L, await reader.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM rows"));
    }
}
