using System.Globalization;
using Loa.Tests.Shared;
using Xunit.Abstractions;

namespace Loa.EndToEnd.Tests.DeliveryEngine;

/// <summary>
/// Two tenants' bulk campaigns at one saturated carrier lane share it by their weights (issue 19): a
/// province's campaign launched after a much larger national one is not stuck behind it. Counted where
/// it matters, at the carrier: the simulator's arrival log, per campaign, over 30 s.
/// </summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class FairShareSpecs(ITestOutputHelper output)
{
    private const int Limit = 200; // parts a second at viettel: 50-message batches, four a second
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    // Equal weights on the embedded bus, 2:1 on RabbitMQ: each bus and each kind of weighting once. The
    // four combinations took 40 s each of a suite that must stay well under 15 minutes, and the weighting
    // is the same code (Storage/Batches/TenantQueues) whichever bus delivers the batches.
    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public async Task Two_tenants_at_a_saturated_lane_each_get_their_weighted_share_within_ten_percent(bool rabbitMq, int nationalWeight)
    {
        // Noon in Hanoi, so both awareness campaigns are inside their sending window whenever CI runs.
        var clock = ShiftedClock.AtVietnamTime(new TimeOnly(12, 0));
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq, s =>
        {
            s["Loa:Carriers:viettel:PartsPerSecond"] = Limit.ToString(CultureInfo.InvariantCulture);
            s["Loa:Dispatcher:TenantWeights:national"] = nationalWeight.ToString(CultureInfo.InvariantCulture);
        }), clock: clock);
        using var nationalAuthor = loa.Client("dev-author");
        using var nationalApprover = loa.Client("dev-approver");
        using var hanoiAuthor = loa.Client("dev-hn-author");
        using var hanoiApprover = loa.Client("dev-hn-approver");
        using var operatorClient = loa.Client("dev-operator");
        var viettel = loa.Simulators.Stats["viettel"];

        // The national campaign alone could fill the lane for two minutes; the province's for almost one.
        var national = await LaunchAsync(nationalAuthor, nationalApprover, EngineWorld.ViettelCsv(24_000));
        await EngineWorld.WaitUntilAsync(() => viettel.MessagesAccepted >= 400, "the national campaign reaches the carrier", TimeSpan.FromSeconds(30));
        var hanoi = await LaunchAsync(hanoiAuthor, hanoiApprover, ViettelCsvIn("01", 10_000, offset: 500_000));
        await EngineWorld.WaitUntilAsync(() => viettel.Arrivals.Any(a => a.BatchId.StartsWith(hanoi, StringComparison.Ordinal)),
            "the province's campaign reaches the carrier", TimeSpan.FromSeconds(20));

        // The window opens with the province's first batch at the carrier, and is read once it has closed.
        var opens = viettel.Arrivals.First(a => a.BatchId.StartsWith(hanoi, StringComparison.Ordinal)).ArrivedUnixMs;
        var closes = opens + (long)Window.TotalMilliseconds;
        // The simulator stamps arrivals with the host's clock, which is shifted to noon in Hanoi.
        await EngineWorld.WaitUntilAsync(() => clock.GetUtcNow().ToUnixTimeMilliseconds() > closes + 500, "the window closes", Window + TimeSpan.FromSeconds(5));
        var inWindow = viettel.Arrivals.Where(a => a.ArrivedUnixMs >= opens && a.ArrivedUnixMs < closes).ToList();
        long Sent(string campaign) => inWindow.Where(a => a.BatchId.StartsWith(campaign, StringComparison.Ordinal)).Sum(a => a.Parts);
        var (fromNational, fromHanoi) = (Sent(national), Sent(hanoi));

        // Nothing more to learn from the rest: both end here, so that the test stays short.
        foreach (var id in new[] { national, hanoi })
            (await operatorClient.PostAsync($"/api/v1/campaigns/{id}/cancel", null)).EnsureSuccessStatusCode();

        var total = fromNational + fromHanoi;
        var expected = nationalWeight / (nationalWeight + 1.0);
        var nationalShare = (double)fromNational / total;
        output.WriteLine($"{(rabbitMq ? "RabbitMQ" : "in memory")}, weights {nationalWeight}:1 — over {Window.TotalSeconds:0} s the carrier took " +
                         $"{fromNational} parts of the national campaign and {fromHanoi} of the province's ({nationalShare:P1} national, {expected:P1} expected)");
        // The lane was saturated the whole window: both had work left, and the rate was the lane's.
        Assert.True(total >= Limit * Window.TotalSeconds * 0.8, $"only {total} parts in {Window.TotalSeconds:0} s: the lane was not saturated");
        Assert.InRange(nationalShare, expected * 0.9, expected * 1.1);
        Assert.InRange(1 - nationalShare, (1 - expected) * 0.9, (1 - expected) * 1.1);
        Assert.Equal(0, viettel.DuplicateMessageIds);
    }

    private static async Task<string> LaunchAsync(HttpClient author, HttpClient approver, string csv)
    {
        var list = await LoaTestHost.UploadListAsync(author, csv);
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!, kind: "awareness"));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        return id;
    }

    /// <summary>Numbers that all route to Viettel (086), members of <paramref name="province"/>'s list.</summary>
    private static string ViettelCsvIn(string province, int count, int offset) =>
        LoaTestHost.NumbersCsv(count, province, offset, prefixes: ["086"]);
}
