using System.Globalization;
using Loa.Storage;
using Loa.Tests.Shared;
using Xunit.Abstractions;

namespace Loa.EndToEnd.Tests.DeliveryEngine;

/// <summary>A retry is a row, not a timer: a host that stops mid-retry leaves nothing for the next one to forget.</summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class RestartSpecs(ITestOutputHelper output)
{
    private const int Recipients = 600; // three batches, all tried in the lane's first second

    [Theory, SqliteData, SqlServerData]
    public async Task Retries_survive_a_restart_and_every_recipient_is_accepted_once(DatabaseProvider dialect)
    {
        string directory, id;
        await using (var failing = await StartAsync(dialect, directory: null, serverErrorRatio: 1, retryStep: "00:00:02"))
        {
            directory = failing.Directory;
            id = await EngineWorld.LaunchAsync(failing, EngineWorld.ViettelCsv(Recipients));
            var stats = failing.Simulators.Stats["viettel"];
            await EngineWorld.WaitUntilAsync(() => stats.ServerErrors >= 3, "every batch answered 5xx once", TimeSpan.FromSeconds(20));
            await failing.StopKeepingDataAsync();
            Assert.Equal(0, stats.MessagesAccepted);
        }

        await using var healthy = await StartAsync(dialect, directory, serverErrorRatio: 0, retryStep: "00:00:02");
        using var operatorClient = healthy.Client("dev-operator");
        var progress = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(30));

        Assert.Equal(Recipients, EngineWorld.Count(progress, "delivered"));
        EngineWorld.AssertCountsAddUp(progress);
        var viettel = healthy.Simulators.Stats["viettel"];
        Assert.Equal(Recipients, viettel.MessagesAccepted);
        Assert.Equal(0, viettel.DuplicateMessageIds);
        // The 5xx before the restart still counts: the attempt number lives in the batch row.
        var delivered = await EngineWorld.DeliveriesAsync(operatorClient, id, "delivered");
        Assert.All(delivered, d => Assert.True(d.GetProperty("attempts").GetInt64() >= 2, $"attempts {d.GetProperty("attempts")}: the restart forgot a try"));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task The_attempt_limit_counts_the_submits_made_before_a_restart(DatabaseProvider dialect)
    {
        const int maxAttempts = 3;
        string directory, id;
        long before;
        await using (var first = await StartAsync(dialect, directory: null, serverErrorRatio: 1, retryStep: "00:00:02", maxAttempts))
        {
            directory = first.Directory;
            id = await EngineWorld.LaunchAsync(first, EngineWorld.ViettelCsv(Recipients));
            var stats = first.Simulators.Stats["viettel"];
            await EngineWorld.WaitUntilAsync(() => stats.ServerErrors >= 3, "every batch answered 5xx once", TimeSpan.FromSeconds(20));
            await first.StopKeepingDataAsync();
            before = stats.ServerErrors;
        }

        await using var second = await StartAsync(dialect, directory, serverErrorRatio: 1, retryStep: "00:00:00.200", maxAttempts);
        using var operatorClient = second.Client("dev-operator");
        // Every message gives up: the campaign reached nobody and ends failed.
        var progress = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "failed", TimeSpan.FromSeconds(30));

        var after = second.Simulators.Stats["viettel"].ServerErrors;
        output.WriteLine($"5xx before the restart {before}, after {after}");
        Assert.Equal(Recipients, EngineWorld.Count(progress, "failed"));
        // A restart that forgot the count would allow three more submits per batch.
        Assert.True(before + after <= 3 * maxAttempts, $"{before} + {after} submits for three batches of at most {maxAttempts} attempts each");
        var failed = await EngineWorld.DeliveriesAsync(operatorClient, id, "failed");
        Assert.All(failed, d =>
        {
            Assert.StartsWith($"gave up after {maxAttempts} attempts: HTTP 503", d.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(maxAttempts, d.GetProperty("attempts").GetInt64());
        });
    }

    /// <param name="directory">The stopped host's directory, to start on its database; a new one when null.</param>
    private static Task<LoaTestHost> StartAsync(DatabaseProvider dialect, string? directory, double serverErrorRatio, string retryStep, int maxAttempts = 8) =>
        LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Loa:Carriers:viettel:PartsPerSecond"] = "600";
            s["Loa:Carriers:viettel:MaxBatchSize"] = "200";
            s["Loa:Carriers:viettel:BurstParts"] = "600"; // batches of MaxBatchSize: the counts below are per batch
            s["Loa:Simulators:Carriers:viettel:ServerErrorRatio"] = serverErrorRatio.ToString(CultureInfo.InvariantCulture);
            s["Loa:Dispatcher:RetrySchedule:0"] = retryStep;
            s["Loa:Dispatcher:MaxAttempts"] = maxAttempts.ToString(CultureInfo.InvariantCulture);
        }), directory, database: dialect);
}
