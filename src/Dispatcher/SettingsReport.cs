using System.Globalization;
using Loa.CarrierAdapters;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Loa.Dispatcher;

/// <summary>
/// Says at start, once, what this host will do with each carrier and with failures: the rate, batch
/// size, sender and adapter of each carrier, and the retry schedule. Both hosts log the same lines
/// from the same options, so that an operator (and a spec) can see that a standalone dispatcher and
/// the API host agree. Secrets and URLs are never in them.
/// </summary>
public sealed class SettingsReport(IOptionsMonitor<CarrierOptions> carriers, IOptions<DispatcherOptions> dispatcher, ILogger<SettingsReport> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var line in Describe(carriers, dispatcher.Value))
            logger.LogInformation("{Setting}", line);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>One line per carrier, then one for retries; each starts "Loa settings: ".</summary>
    public static IReadOnlyList<string> Describe(IOptionsMonitor<CarrierOptions> carriers, DispatcherOptions dispatcher)
    {
        var lines = CarrierIds.All.Select(id =>
        {
            var c = carriers.Get(id);
            return string.Create(CultureInfo.InvariantCulture,
                $"{Prefix}carrier {id}: adapter {c.Adapter}, {c.PartsPerSecond} parts/s over {c.Lanes} lane(s), batches of at most {c.MaxBatchSize}, sender {c.Sender}, timeout {c.Timeout:c}, {(c.SplitGraphemes ? "keeps characters whole at part boundaries" : "splits parts in 16-bit units")}");
        }).ToList();
        lines.Add(string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}retries after {string.Join(", ", dispatcher.RetrySchedule.Select(s => s.ToString("c", CultureInfo.InvariantCulture)))}, at most {dispatcher.MaxAttempts} attempts; receipts awaited {dispatcher.ReceiptTimeout:c}"));
        return lines;
    }

    public const string Prefix = "Loa settings: ";
}
