using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.CarrierAdapters.Push;
using Loa.CarrierSimulators.Push;
using Loa.EndToEnd.Tests.DeliveryEngine;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.EndToEnd.Tests.Push;

/// <summary>
/// An app on topics beside an app sent device by device, in one campaign, end to end on the embedded
/// default: the topic app gets exactly one notification per (province, language) topic of the audience
/// that has devices, recorded as one delivery each; the other app one per device. Counted where they
/// arrive, at the simulated FCM (<c>AcceptedPerTopic</c>, <c>AcceptedFor</c>), and the simulated phones'
/// acknowledgements (and the test's own repeats) move received and opened once per device.
/// </summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class PushTopicSpecs
{
    [Fact]
    public async Task A_topic_app_is_sent_one_notification_per_topic_and_its_phones_acks_count_once_per_device_beside_a_per_device_app()
    {
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Loa:Push:Apps:loa:Provider"] = "Fcm";
            s["Loa:Push:Apps:loa:UseTopics"] = "true";
            s["Loa:Push:Apps:bank:Provider"] = "Fcm";
        }));
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("test-app", "national app", "national", ["app"]);
        using var app = loa.Client("test-app");
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var simulator = loa.Services.GetRequiredService<PushSimulatorHost>();
        // The phones acknowledge what reaches them (a topic send reaches every phone subscribed to it) through Loa's API.
        simulator.Acknowledge(loa.BaseAddress, "test-app", receivedRatio: 1, openedRatio: 0);
        simulator.Behave(PushProvider.Fcm, b => b with { ReceivedDelay = TimeSpan.Zero });

        // App loa (topics): 01/vi x3, 01/en x2, 79/vi x2 in the audience, 48/vi outside it; app bank: 01/vi x2, 79/en x2.
        (string App, string Province, string Language)[] devices =
        [
            ("loa", "01", "vi"), ("loa", "01", "vi"), ("loa", "01", "vi"), ("loa", "01", "en"), ("loa", "01", "en"),
            ("loa", "79", "vi"), ("loa", "79", "vi"), ("loa", "48", "vi"),
            ("bank", "01", "vi"), ("bank", "01", "vi"), ("bank", "79", "en"), ("bank", "79", "en"),
        ];
        var tokens = devices.Select((d, i) => $"tp{i:D2}{Guid.NewGuid():n}:APA91b{new string('t', 60)}").ToList();
        for (var i = 0; i < devices.Length; i++)
        {
            var (name, province, language) = devices[i];
            var registered = await app.PostAsJsonAsync("/api/v1/devices", new { token = tokens[i], platform = "android", app = name, province, language });
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            // The app subscribes the phone to its topic as it registers it (FCM's subscription API, done here at the simulator).
            simulator.Tokens.Register(tokens[i], name == "loa" ? [$"loa-{province}-{language}"] : null);
        }
        var loaInAudience = devices.Count(d => d.App == "loa" && d.Province != "48");
        var bankDevices = devices.Count(d => d.App == "bank");

        var created = await author.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Cảnh báo lừa đảo theo chủ đề",
            kind = "warning",
            channels = new[] { "push" },
            message = new { push = new { title = "Cảnh báo lừa đảo", body = "Không cung cấp mã OTP cho bất kỳ ai." } },
            audience = new { devices = true, provinces = new[] { "HN", "79" } },
        });
        var campaign = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(created.IsSuccessStatusCode, campaign.ToString());
        var id = campaign.GetProperty("id").GetString()!;

        // The preview says what the run writes: three topic sends for loa, four device sends for bank, and the devices behind them.
        var preview = campaign.GetProperty("preview");
        Assert.Equal(3 + bankDevices, preview.GetProperty("recipients").GetInt64());
        Assert.Equal(3, preview.GetProperty("byCarrier").GetProperty("push-loa").GetInt64());
        Assert.Equal(bankDevices, preview.GetProperty("byCarrier").GetProperty("push-bank").GetInt64());
        var push = preview.GetProperty("push");
        Assert.Equal(loaInAudience + bankDevices, push.GetProperty("devices").GetInt64());
        Assert.Equal(3, push.GetProperty("topics").GetInt64());
        Assert.Equal(3, push.GetProperty("topicsByApp").GetProperty("loa").GetInt64());
        Assert.False(push.GetProperty("topicsByApp").TryGetProperty("bank", out _));

        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(2));

        // One delivery per topic, one per bank device, all accepted.
        Assert.Equal(3 + bankDevices, done.GetProperty("total").GetInt64());
        Assert.Equal(3 + bankDevices, done.GetProperty("delivered").GetInt64());
        Assert.Equal(3, done.GetProperty("byCarrier").GetProperty("push-loa").GetProperty("total").GetInt64());
        Assert.Equal(bankDevices, done.GetProperty("byCarrier").GetProperty("push-bank").GetProperty("total").GetInt64());
        var rows = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/deliveries?limit=100");
        var loaRecipients = rows.GetProperty("items").EnumerateArray()
            .Where(i => i.GetProperty("carrier").GetString() == "push-loa").Select(i => i.GetProperty("recipient").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(["loa-01-en", "loa-01-vi", "loa-79-vi"], loaRecipients);

        // Counted at FCM: exactly one notification per topic (none for 48, outside the audience), one per bank device.
        var fcm = simulator.Stats(PushProvider.Fcm);
        var stats = fcm.Snapshot();
        Assert.Equal(new Dictionary<string, int> { ["loa-01-vi"] = 1, ["loa-01-en"] = 1, ["loa-79-vi"] = 1 },
            stats.AcceptedPerTopic.Where(t => t.Key.StartsWith("loa-", StringComparison.Ordinal)).ToDictionary(t => t.Key, t => t.Value));
        Assert.Equal(3 + bankDevices, stats.Accepted);
        Assert.Equal(0, stats.Duplicates);
        for (var i = 0; i < devices.Length; i++)
            Assert.Equal(devices[i].App == "bank" ? 1 : 0, fcm.AcceptedFor(tokens[i]));

        // Every phone reached said so: the loa phones through their topics, each once, the bank phones for their own delivery.
        var acked = await WaitAsync(operatorClient, id, p => p.GetProperty("push").GetProperty("received").GetInt64() >= loaInAudience + bankDevices);
        Assert.Equal(3 + bankDevices, acked.GetProperty("push").GetProperty("accepted").GetInt64());

        // Repeats count nothing more; opened counts once per device; a phone whose topic was not sent is not found.
        var firstLoa = tokens[0];
        var firstBank = tokens[devices.Length - bankDevices];
        foreach (var (token, ackEvent) in new[] { (firstLoa, "received"), (firstLoa, "opened"), (firstLoa, "opened"), (firstBank, "opened"), (firstBank, "received") })
            Assert.Equal(HttpStatusCode.NoContent, (await AckAsync(app, token, id, ackEvent)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await AckAsync(app, tokens[7], id, "received")).StatusCode); // loa 48/vi

        var after = await WaitAsync(operatorClient, id, p => p.GetProperty("push").GetProperty("opened").GetInt64() == 2);
        Assert.Equal((long)(loaInAudience + bankDevices), after.GetProperty("push").GetProperty("received").GetInt64());
        // Progress says which part went through topics, so that a share of acks is taken of device sends only.
        var topics = after.GetProperty("push").GetProperty("topics");
        Assert.Equal((3L, 3L, (long)loaInAudience, 1L), (topics.GetProperty("sends").GetInt64(), topics.GetProperty("accepted").GetInt64(),
            topics.GetProperty("received").GetInt64(), topics.GetProperty("opened").GetInt64()));
        Assert.Equal(["loa"], topics.GetProperty("apps").EnumerateArray().Select(a => a.GetString()));
        var report = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/reports/deliveries?from=2000-01-01&to=2100-01-01&groupBy=carrier");
        var byCarrier = report.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("carrier").GetString()!);
        Assert.Equal((3L, (long)loaInAudience, 1L), Figures(byCarrier["push-loa"]));
        Assert.Equal(((long)bankDevices, (long)bankDevices, 1L), Figures(byCarrier["push-bank"]));
    }

    [Fact]
    public async Task A_fallback_is_refused_when_every_app_reached_is_on_topics()
    {
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Loa:Push:Apps:loa:Provider"] = "Fcm";
            s["Loa:Push:Apps:loa:UseTopics"] = "true";
            s["Loa:Push:Apps:bank:Provider"] = "Fcm";
        }));
        using var author = loa.Client("dev-author");
        object Body(string[]? apps) => new
        {
            name = "Dự phòng SMS", kind = "warning", channels = new[] { "push" },
            message = new { sms = "Cuc ATTT canh bao: khong cung cap ma OTP.", push = new { title = "Cảnh báo", body = "Không cung cấp mã OTP." } },
            audience = new { devices = true, apps },
            options = new { fallback = new { channel = "sms", after = "PT5M" } },
        };

        var refused = await author.PostAsJsonAsync("/api/v1/campaigns/preview", Body(["loa"]));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("topics", problem.GetProperty("errors").GetProperty("options.fallback")[0].GetString());

        // With an app sent device by device beside it, the fallback stands (for that app's pushes only).
        Assert.Equal(HttpStatusCode.OK, (await author.PostAsJsonAsync("/api/v1/campaigns/preview", Body(null))).StatusCode);
    }

    /// <summary>total, received, opened.</summary>
    private static (long, long, long) Figures(JsonElement item) =>
        (item.GetProperty("total").GetInt64(), item.GetProperty("received").GetInt64(), item.GetProperty("opened").GetInt64());

    private static Task<HttpResponseMessage> AckAsync(HttpClient client, string token, string campaign, string ackEvent) =>
        client.PostAsJsonAsync($"/api/v1/devices/{Uri.EscapeDataString(token)}/acks", new { campaign, @event = ackEvent });

    private static async Task<JsonElement> WaitAsync(HttpClient client, string id, Func<JsonElement, bool> until)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        JsonElement progress = default;
        while (DateTime.UtcNow < deadline)
        {
            progress = await client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/progress");
            if (progress.TryGetProperty("push", out var push) && push.ValueKind == JsonValueKind.Object && until(progress))
                return progress;
            await Task.Delay(200);
        }
        throw new TimeoutException($"Campaign {id} did not get there within a minute: {progress}");
    }
}
