using Dapper;
using Loa.Storage;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Loa.EndToEnd.Tests.DeliveryEngine;

/// <summary>
/// An emergency started while an awareness or a warning campaign fills a carrier's lane goes next,
/// not last: on RabbitMQ by the lane queue's priorities, in memory by the lane's gate.
/// </summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class PrioritySpecs(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false, "awareness")]
    [InlineData(true, "awareness")]
    [InlineData(false, "warning")]
    [InlineData(true, "warning")]
    public async Task An_emergency_is_behind_at_most_one_batch_of_a_less_urgent_campaign_of_its_carrier(bool rabbitMq, string backgroundKind)
    {
        // Noon in Hanoi, so an awareness campaign is inside its sending window whenever CI runs.
        var clock = ShiftedClock.AtVietnamTime(new TimeOnly(12, 0));
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq, s =>
        {
            s["Loa:Carriers:viettel:PartsPerSecond"] = "300";
            s["Loa:Carriers:viettel:BurstParts"] = "60"; // five bulk batches a second: plenty to jump
        }), clock: clock);
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var viettel = loa.Simulators.Stats["viettel"];

        var bulkList = await LoaTestHost.UploadListAsync(author, EngineWorld.ViettelCsv(3_000));
        var urgentList = await LoaTestHost.UploadListAsync(author, EngineWorld.ViettelCsv(120, offset: 100_000));
        var background = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(bulkList.GetProperty("id").GetString()!, kind: backgroundKind));
        var emergency = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(urgentList.GetProperty("id").GetString()!, kind: "emergency"));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, background);

        // The lane is saturated: every bulk batch waits for the tokens of the one before it.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (viettel.MessagesAccepted < 600 && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.True(viettel.MessagesAccepted >= 600, "the background campaign never got going");

        (await author.PostAsync($"/api/v1/campaigns/{emergency}/submit", null)).EnsureSuccessStatusCode();
        (await approver.PostAsync($"/api/v1/campaigns/{emergency}/approve", null)).EnsureSuccessStatusCode();
        var urgentDone = await LoaTestHost.WaitForStatusAsync(operatorClient, emergency, "completed", TimeSpan.FromSeconds(60));
        Assert.Equal(120, urgentDone.GetProperty("delivered").GetInt64());

        // Let the background campaign finish, then read what the carrier saw, in order.
        var bulkDone = await LoaTestHost.WaitForStatusAsync(operatorClient, background, "completed", TimeSpan.FromSeconds(60));
        Assert.Equal(3_000, bulkDone.GetProperty("delivered").GetInt64());
        Assert.Equal(0, viettel.DuplicateMessageIds);

        // When did the emergency's first batch reach the lanes, and what did the carrier see after that?
        var database = loa.Services.GetRequiredService<Database>();
        await using var connection = await database.OpenAsync();
        var published = await connection.ExecuteScalarAsync<long>(
            "SELECT MIN(published_at) FROM batches WHERE campaign_id = @emergency", new { emergency });
        var arrivals = viettel.Arrivals;
        var firstUrgent = arrivals.First(a => a.BatchId.StartsWith(emergency, StringComparison.Ordinal));
        var bulkInBetween = arrivals.Count(a => a.BatchId.StartsWith(background, StringComparison.Ordinal)
                                                && a.ArrivedUnixMs >= published && a.ArrivedUnixMs <= firstUrgent.ArrivedUnixMs);
        var bulkAfterUrgent = arrivals.Count(a => a.BatchId.StartsWith(background, StringComparison.Ordinal) && a.ArrivedUnixMs > firstUrgent.ArrivedUnixMs);
        output.WriteLine($"emergency published at {published}, first at the carrier {firstUrgent.ArrivedUnixMs - published} ms later; " +
                         $"bulk batches in between: {bulkInBetween}; bulk batches still to go: {bulkAfterUrgent}");
        output.WriteLine(string.Join(" ", arrivals.Select(a => $"{(a.BatchId.StartsWith(emergency, StringComparison.Ordinal) ? "E" : "a")}{a.ArrivedUnixMs - published}")));
        Assert.True(bulkInBetween <= 1, $"{bulkInBetween} bulk batches went to the carrier between the emergency's publish and its first batch");
        Assert.True(bulkAfterUrgent > 0, "the background campaign had finished: nothing was there to overtake");

        // Every emergency batch went before the background campaign's next ones, not interleaved behind them.
        var urgentArrivals = arrivals.Where(a => a.BatchId.StartsWith(emergency, StringComparison.Ordinal)).ToList();
        var lastUrgent = urgentArrivals[^1];
        var bulkDuringUrgent = arrivals.Count(a => a.BatchId.StartsWith(background, StringComparison.Ordinal)
                                                   && a.ArrivedUnixMs > firstUrgent.ArrivedUnixMs && a.ArrivedUnixMs < lastUrgent.ArrivedUnixMs);
        Assert.Equal(0, bulkDuringUrgent);

    }
}
