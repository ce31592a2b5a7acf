using System.Net.Http.Json;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.Storage;
using Loa.Tests.Shared;

namespace Loa.EndToEnd.Tests;

/// <summary>
/// One real campaign from an uploaded list to delivered messages: 10,000 recipients across the five
/// carriers, through the simulators over loopback HTTP with signed receipts coming back.
/// </summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class CampaignDeliverySpecs
{
    private const int Recipients = 10_000;

    [Theory, SqliteData, SqlServerData]
    public async Task Ten_thousand_recipients_end_delivered_on_the_embedded_default(DatabaseProvider dialect)
    {
        await using var loa = await LoaTestHost.StartAsync(s =>
        {
            foreach (var kv in LoaTestHost.CarrierSecrets())
                s[kv.Key] = kv.Value;
        }, database: dialect);
        await RunCampaignAsync(loa);
    }

    [Theory, SqliteData, SqlServerData]
    public async Task Ten_thousand_recipients_end_delivered_over_RabbitMq_with_the_dispatcher_in_its_own_host(DatabaseProvider dialect)
    {
        // Queue names of this run's own: a broker shared with other tests or runs never hands this
        // dispatcher their messages (the durable queues outlive a run that crashed).
        var bus = new Dictionary<string, string?>
        {
            ["Loa:Transport"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = DeliveryEngineCollection.RabbitMqAddress(),
            ["Loa:Bus:Prefix"] = $"loa-e2e-{Guid.NewGuid():n}"[..16],
        };

        await using var loa = await LoaTestHost.StartAsync(s =>
        {
            foreach (var kv in LoaTestHost.CarrierSecrets().Concat(bus))
                s[kv.Key] = kv.Value;
            s["Loa:Dispatcher:InProcess"] = "false";
        }, database: dialect);

        // The standalone dispatcher: its own generic host, sharing only the database and the broker,
        // and reaching the carriers (the API host's simulators) by URL like any real carrier.
        var settings = LoaTestHost.BaseSettings(loa.Directory);
        foreach (var kv in LoaTestHost.CarrierSecrets().Concat(bus))
            settings[kv.Key] = kv.Value;
        settings["Loa:Simulators:Enabled"] = "false";
        settings["Loa:Dispatcher:PublicUrl"] = loa.BaseAddress.ToString();
        foreach (var carrier in CarrierIds.All)
            settings[$"Loa:Carriers:{carrier}:Url"] = (await loa.Simulators.GetBaseUrlAsync(carrier, CancellationToken.None)).ToString();
        using var dispatcher = await StandaloneDispatcher.StartAsync(settings);
        try
        {
            await RunCampaignAsync(loa);
        }
        finally
        {
            await dispatcher.StopAsync();
        }
    }

    private static async Task RunCampaignAsync(LoaTestHost loa)
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");

        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(Recipients));
        Assert.Equal(Recipients, list.GetProperty("accepted").GetInt32());
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);

        var progress = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(3));
        Assert.Equal(Recipients, progress.GetProperty("total").GetInt64());
        Assert.Equal(Recipients, progress.GetProperty("delivered").GetInt64());
        Assert.Equal(0, progress.GetProperty("queued").GetInt64());
        Assert.Equal(0, progress.GetProperty("submitted").GetInt64());
        Assert.Equal(0, progress.GetProperty("failed").GetInt64());

        // Every carrier took part, and the per-carrier counts add up to the whole.
        var byCarrier = progress.GetProperty("byCarrier");
        long sum = 0;
        foreach (var carrier in CarrierIds.All)
        {
            var delivered = byCarrier.GetProperty(carrier).GetProperty("delivered").GetInt64();
            Assert.True(delivered > 0, $"{carrier} delivered nothing");
            sum += delivered;
        }
        Assert.Equal(Recipients, sum);

        // The carriers saw each recipient exactly once.
        var accepted = CarrierIds.All.Sum(c => loa.Simulators.Stats[c].MessagesAccepted);
        Assert.Equal(Recipients, accepted);
        Assert.Equal(0, CarrierIds.All.Sum(c => loa.Simulators.Stats[c].DuplicateMessageIds));

        // Progress matches the delivery rows, read back page by page with masked numbers.
        var seen = 0;
        string? after = null;
        for (var page = 0; page < 20; page++)
        {
            var url = $"/api/v1/campaigns/{id}/deliveries?limit=1000" + (after is null ? "" : $"&after={after}");
            var body = await operatorClient.GetFromJsonAsync<JsonElement>(url);
            foreach (var item in body.GetProperty("items").EnumerateArray())
            {
                Assert.Equal("delivered", item.GetProperty("status").GetString());
                Assert.Matches(@"^\+84\d\d\*\*\*\*\d{3}$", item.GetProperty("recipient").GetString());
                seen++;
            }
            if (body.GetProperty("next").ValueKind == JsonValueKind.Null)
                break;
            after = body.GetProperty("next").GetString();
        }
        Assert.Equal(Recipients, seen);
    }
}
