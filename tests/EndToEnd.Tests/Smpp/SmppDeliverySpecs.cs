using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Smpp;
using Loa.CarrierSimulators.Smsc;
using Loa.EndToEnd.Tests.DeliveryEngine;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Loa.EndToEnd.Tests.Smpp;

/// <summary>
/// Campaigns over SMPP end to end: every carrier switched to <c>Adapter = Smpp</c> by configuration
/// alone, binding to the simulated SMSCs over loopback TCP, receipts coming back as deliver_sm and
/// landing through the same ledger as the HTTP webhook's.
/// </summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class SmppDeliverySpecs
{
    private const int Recipients = 10_000;

    private static void AllOnSmpp(Dictionary<string, string?> s)
    {
        foreach (var carrier in CarrierIds.All)
            s[$"Loa:Carriers:{carrier}:Adapter"] = "Smpp";
    }

    [Fact]
    public async Task Ten_thousand_recipients_over_all_five_carriers_on_SMPP_end_delivered_once_each_on_the_embedded_default()
    {
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, AllOnSmpp));
        await RunAsync(loa);
    }

    [Fact]
    public async Task Ten_thousand_recipients_on_SMPP_end_delivered_over_RabbitMq_with_the_dispatcher_in_its_own_host()
    {
        var prefix = $"loa-smpp-{Guid.NewGuid():n}"[..16];
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: true, s =>
        {
            AllOnSmpp(s);
            s["Loa:Bus:Prefix"] = prefix;
            s["Loa:Dispatcher:InProcess"] = "false";
        }));

        // The standalone dispatcher binds to the SMSCs by host and port, as to a carrier's. It is given
        // no public URL: receipts come back over the binds, and its lanes must not wait for one.
        var settings = LoaTestHost.BaseSettings(loa.Directory);
        EngineWorld.Settings(rabbitMq: true, AllOnSmpp)(settings);
        settings["Loa:Bus:Prefix"] = prefix;
        settings["Loa:Simulators:Enabled"] = "false";
        foreach (var carrier in CarrierIds.All)
        {
            var smsc = loa.Simulators.Smsc(carrier);
            settings[$"Loa:Carriers:{carrier}:Smpp:Host"] = smsc.Host;
            settings[$"Loa:Carriers:{carrier}:Smpp:Port"] = smsc.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings[$"Loa:Carriers:{carrier}:Smpp:SystemId"] = smsc.Behaviour.SystemId;
            settings[$"Loa:Carriers:{carrier}:Smpp:Password"] = smsc.Behaviour.Password;
        }
        using var dispatcher = await StandaloneDispatcher.StartAsync(settings);
        try
        {
            await RunAsync(loa);
        }
        finally
        {
            await dispatcher.StopAsync();
        }
    }

    [Fact]
    public async Task A_long_Vietnamese_warning_goes_in_the_parts_the_preview_counted_and_is_reassembled_whole()
    {
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s => s["Loa:Carriers:viettel:Adapter"] = "Smpp"));
        // UCS-2 (Vietnamese letters), 150 characters: three parts of at most 67.
        var text = "Cục An toàn thông tin cảnh báo: không cung cấp mã OTP, mật khẩu cho bất kỳ ai qua điện thoại. Gọi 156 để báo lừa đảo. Đây là tin cảnh báo chính thức.";
        using var author = loa.Client("dev-author");
        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(50), list => LoaTestHost.Campaign(list, sms: text));
        using var operatorClient = loa.Client("dev-operator");
        var progress = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(1));
        Assert.Equal(50, EngineWorld.Count(progress, "delivered"));

        var campaign = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
        var counted = campaign.GetProperty("sms").GetProperty("parts").GetInt32();
        Assert.Equal(3, counted);
        var messages = loa.Simulators.Smsc("viettel").Stats.Messages;
        Assert.Equal(50, messages.Count);
        Assert.All(messages, m => Assert.Equal((text, counted, SmsEncoding.Ucs2, "CUCATTT"), (m.Text, m.Parts, m.Encoding, m.Source)));
        Assert.Equal(50, messages.Select(m => m.Destination).Distinct().Count());
    }

    [Fact]
    public async Task An_SMSC_that_throttles_slows_the_lane_and_loses_and_doubles_nothing()
    {
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s => s["Loa:Carriers:viettel:Adapter"] = "Smpp"));
        // The contract says 1000 parts/s; the SMSC takes 150 a second and answers ESME_RTHROTTLED above it.
        var smsc = loa.Simulators.Smsc("viettel");
        smsc.SetBehaviour(smsc.Behaviour with { MaxSubmitsPerSecond = 150 });
        const int count = 600;
        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(count));
        using var operatorClient = loa.Client("dev-operator");
        var progress = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(2));

        Assert.Equal(count, EngineWorld.Count(progress, "delivered"));
        Assert.True(smsc.Stats.Throttled > 0, "the SMSC never throttled: nothing was tested");
        Assert.Equal(count, smsc.Stats.Messages.Count);
        Assert.Equal(count, smsc.Stats.MessagesByDestination.Count);
    }

    [Fact]
    public async Task A_subscribers_reply_over_the_bind_is_kept_and_an_opt_out_keyword_opts_the_number_out()
    {
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s => s["Loa:Carriers:viettel:Adapter"] = "Smpp"));
        // A small campaign opens the bind; the SMSC then brings two replies from subscribers.
        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(3));
        using var operatorClient = loa.Client("dev-operator");
        await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(1));
        var smsc = loa.Simulators.Smsc("viettel");
        foreach (var (from, text) in new[] { ("84860000001", "Tin này có thật không?"), ("84860000002", "Từ chối") })
        {
            await smsc.SendToClientsAsync(SmppPdu.Request(SmppCommand.DeliverSm, new ShortMessageBody
            {
                SourceTon = 1, SourceNpi = 1, SourceAddress = from, DestinationAddress = "CUCATTT",
                DataCoding = ShortMessageBody.CodingUcs2, ShortMessage = System.Text.Encoding.BigEndianUnicode.GetBytes(text),
            }));
        }

        await EngineWorld.WaitUntilAsync(async () => (await operatorClient.GetAsync("/api/v1/optouts/0860000002")).IsSuccessStatusCode,
            "the keyword reply became an opt-out", TimeSpan.FromSeconds(20));
        var optOut = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/optouts/0860000002");
        Assert.Equal(("sms", "carrier:viettel"), (optOut.GetProperty("source").GetString(), optOut.GetProperty("createdBy").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await operatorClient.GetAsync("/api/v1/optouts/0860000001")).StatusCode);
        var replies = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/replies");
        Assert.Equal([("Từ chối", true), ("Tin này có thật không?", false)],
            replies.GetProperty("items").EnumerateArray().Select(r => (r.GetProperty("text").GetString(), r.GetProperty("optedOut").GetBoolean())));
    }

    [Theory]
    [InlineData("emergency")]
    [InlineData("warning")]
    public async Task A_bind_dropped_mid_window_resends_an_emergency_and_ends_a_warning_unknown(string kind)
    {
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s => s["Loa:Carriers:viettel:Adapter"] = "Smpp"));
        // Slow answers keep the window full; the connection is cut after 40 submits, so up to a
        // window's worth were written and never answered.
        var smsc = loa.Simulators.Smsc("viettel");
        smsc.SetBehaviour(smsc.Behaviour with { Latency = TimeSpan.FromMilliseconds(100), DropAfterSubmits = 40 });
        const int count = 200;
        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(count), list => LoaTestHost.Campaign(list, kind: kind));
        using var operatorClient = loa.Client("dev-operator");
        var progress = await LoaTestHost.WaitForEndAsync(operatorClient, id, TimeSpan.FromMinutes(2));
        EngineWorld.AssertCountsAddUp(progress);
        Assert.Equal(1, smsc.Stats.ConnectionsDropped);
        var destinations = smsc.Stats.Messages.Select(m => m.Destination).ToList();

        var failed = await EngineWorld.DeliveriesAsync(operatorClient, id, "failed");
        if (kind == "emergency")
        {
            // A duplicate is better than a miss: every unknown one went again, and all ended delivered.
            Assert.Equal(count, EngineWorld.Count(progress, "delivered"));
            Assert.Empty(failed);
            Assert.Equal(count, destinations.Distinct().Count()); // nobody missed
        }
        else
        {
            // A warning is never sent twice: the unknown ones end failed, saying so.
            Assert.InRange(failed.Count, 1, 10);
            Assert.All(failed, d => Assert.StartsWith("unknown outcome", d.GetProperty("error").GetString()));
            Assert.Equal(count, EngineWorld.Count(progress, "delivered") + failed.Count);
            Assert.Equal(destinations.Count, destinations.Distinct().Count()); // nobody twice
            Assert.InRange(destinations.Count, count - failed.Count, count);
        }
    }

    private static async Task RunAsync(LoaTestHost loa)
    {
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(Recipients));
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);

        var progress = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(4));
        Assert.Equal(Recipients, EngineWorld.Count(progress, "delivered"));
        EngineWorld.AssertCountsAddUp(progress);
        var byCarrier = progress.GetProperty("byCarrier");
        foreach (var carrier in CarrierIds.All)
        {
            var stats = loa.Simulators.Smsc(carrier).Stats;
            var delivered = byCarrier.GetProperty(carrier).GetProperty("delivered").GetInt64();
            Assert.True(delivered > 0, $"{carrier} delivered nothing");
            // The SMSC reassembled each of the carrier's recipients exactly once, and none came by HTTP.
            Assert.Equal(delivered, stats.Messages.Count);
            Assert.Equal(delivered, stats.Messages.Select(m => m.Destination).Distinct().Count());
            Assert.Equal(0, loa.Simulators.Stats[carrier].MessagesAccepted);
        }
    }
}
