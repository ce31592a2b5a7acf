using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Loa.Storage;

/// <summary>
/// Copies SQLite's write-ahead log into the database file once a second, off the write path. Left to
/// itself SQLite checkpoints inside whichever commit takes the log past 1,000 pages, so a batch
/// result or a receipt post, holding the one write lock, now and then paid for copying megabytes and
/// a sync while every other writer queued behind it (issue 7). A PASSIVE checkpoint needs no write
/// lock and waits for nobody: it copies what no reader still needs, and the log restarts from the
/// top once it has all been copied. Connections keep a backstop (<see cref="AutoCheckpointPages"/>)
/// for a process that runs without this service.
/// </summary>
public sealed class SqliteCheckpointer(Database database, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    /// <summary>The log size (4 KiB pages) at which a commit checkpoints anyway: ~40 MB, far above what one second of writes makes.</summary>
    public const int AutoCheckpointPages = 10_000;

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!database.IsSqlite)
            return;
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
                await CheckpointAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <returns>Pages in the log and pages copied, or null when the checkpoint could not run.</returns>
    public async Task<(long Log, long Checkpointed)?> CheckpointAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            var (busy, log, checkpointed) = await connection.QuerySingleAsync<(long Busy, long Log, long Checkpointed)>(
                new CommandDefinition("PRAGMA wal_checkpoint(PASSIVE)", cancellationToken: cancellationToken)).ConfigureAwait(false);
            return busy == 0 ? (log, checkpointed) : null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The next tick tries again; meanwhile the connections' own backstop bounds the log.
            logger.LogWarning(ex, "SQLite checkpoint failed");
            return null;
        }
    }
}
