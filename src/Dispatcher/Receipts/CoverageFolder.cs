using Loa.Storage.Coverage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Loa.Dispatcher.Receipts;

/// <summary>
/// Folds the reach the receipt ledger notes (<c>coverage_journal</c>) into the coverage counters every
/// five seconds, in chunks large enough that each page of <c>coverage_people</c> is written once per chunk
/// rather than once per delivered message (at 1M recipients a fold of ~170,000 reaches holds the write
/// lock 1.2–1.7 s, about a quarter of the end-to-end rate; chunks of 50,000 every second cost half). Every dispatcher runs one; two folding at once is harmless
/// (see <see cref="CoverageStore.FoldAsync"/>).
/// </summary>
public sealed class CoverageFolder(CoverageStore coverage, ILogger<CoverageFolder> logger) : BackgroundService
{
    /// <summary>A chunk: a few seconds of receipts at the 1M-recipient run's pace.</summary>
    public const int ChunkRows = 200_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        do
        {
            try
            {
                // Bounded per turn, so a backlog is worked off while receipts keep their turns at the write lock.
                var chunks = 0;
                while (chunks++ < 5 && await coverage.FoldAsync(ChunkRows, stoppingToken) == ChunkRows)
                    logger.LogDebug("Coverage: folded a full chunk of {Rows} reaches, more are waiting", ChunkRows);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The journal keeps what was not folded; the next turn tries again.
                logger.LogError(ex, "Coverage fold failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
