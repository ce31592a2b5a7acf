using System.Globalization;
using Loa.Tests.Shared;
using Xunit.Abstractions;

namespace Loa.EndToEnd.Tests.DeliveryEngine;

/// <summary>The contracted rate, as the carrier counts it, over a run long enough to see drift.</summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class RateFidelitySpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task No_second_at_the_carrier_holds_more_parts_than_the_limit_over_RabbitMq()
    {
        const int limit = 300;
        const int recipients = 3_600; // twelve seconds at the limit
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: true, s =>
        {
            s["Loa:Carriers:viettel:PartsPerSecond"] = limit.ToString(CultureInfo.InvariantCulture);
            s["Loa:Carriers:viettel:BurstParts"] = "60"; // five submits a second, so windows can be crossed mid-second
        }));
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");

        var list = await LoaTestHost.UploadListAsync(author, EngineWorld.ViettelCsv(recipients));
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!, kind: "warning"));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        var progress = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(2));
        Assert.Equal(recipients, progress.GetProperty("delivered").GetInt64());

        var perSecond = loa.Simulators.Stats["viettel"].AcceptedPartsPerSecond;
        output.WriteLine("parts per second at the carrier: " + string.Join(" ", perSecond.Values));
        Assert.Equal(recipients, perSecond.Values.Sum());
        Assert.True(perSecond.Count >= 11, $"the run lasted {perSecond.Count} seconds; it must show at least ten whole ones");
        Assert.All(perSecond, second => Assert.True(second.Value <= limit,
            $"second {second.Key} held {second.Value} parts, above the limit of {limit}"));

        // Figures only: utilisation is a speed, asserted in perf/, never here.
        var whole = perSecond.Values.Skip(1).SkipLast(1).ToList();
        output.WriteLine($"utilisation of the whole seconds: {whole.Average() / limit:P1}");
    }
}
