using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Push;
using Loa.CarrierSimulators.Push;
using Loa.EndToEnd.Tests.DeliveryEngine;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.EndToEnd.Tests.Push;

/// <summary>
/// Re-sends across channels. By SMS of a campaign that pushed: the numbers linked to the devices whose push ended in the
/// outcomes named get the SMS, each number once, and nobody the campaign reached by SMS is texted again.
/// Through push of a campaign that texted: each device linked to a number the SMS did not reach gets the
/// notification. Previewed exactly before approval; counted where they arrive, at the simulators.
/// </summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class PushResendSpecs
{
    [Fact]
    public async Task The_numbers_of_failed_pushes_get_one_sms_each_and_numbers_already_texted_none()
    {
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Loa:Push:Apps:loa:Provider"] = "Fcm";
            s["Loa:Simulators:Push:Behaviour:AcceptUnknownTokens"] = "false"; // dead tokens are those FCM does not know
        }));
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("test-app", "national app", "national", ["app"]);
        using var app = loa.Client("test-app");
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var simulator = loa.Services.GetRequiredService<PushSimulatorHost>();

        // Dead: 0 (number A), 1 and 2 (both number B), 3 (no number), 5 (number D, which the list texts too).
        // Live: 4 (number C).
        string?[] numbers = ["0869910001", "0869910002", "0869910002", null, "0869910003", "0869910004"];
        var live = new[] { 4 };
        var tokens = numbers.Select((_, i) => $"rs{i}{Guid.NewGuid():n}:APA91b{new string('r', 60)}").ToList();
        for (var i = 0; i < tokens.Count; i++)
        {
            var registered = await app.PostAsJsonAsync("/api/v1/devices", new { token = tokens[i], platform = "android", app = "loa", province = "HN", msisdn = numbers[i] });
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            if (live.Contains(i))
                simulator.Tokens.Register(tokens[i]);
        }
        var list = (await LoaTestHost.UploadListAsync(author, "msisdn\n0869910004\n0869910005\n")).GetProperty("id").GetString()!;
        var original = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = "Cảnh báo qua ứng dụng và SMS",
            kind = "warning",
            channels = new[] { "sms", "push" },
            message = new
            {
                sms = "Cuc ATTT canh bao: khong cung cap ma OTP cho bat ky ai.",
                push = new { title = "Cảnh báo lừa đảo", body = "Không cung cấp mã OTP cho bất kỳ ai." },
            },
            audience = new { lists = new[] { list }, devices = true },
        });
        await LoaTestHost.SubmitAndApproveAsync(author, approver, original);
        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, original, "completed", TimeSpan.FromMinutes(2));
        Assert.Equal((8L, 5L), (done.GetProperty("total").GetInt64(), done.GetProperty("failed").GetInt64()));
        Assert.Equal(2, CarrierIds.All.Sum(c => loa.Simulators.Stats[c].MessagesAccepted));

        // The original had an SMS text: the re-send repeats it, and takes none of its own.
        var ownText = await author.PostAsJsonAsync($"/api/v1/campaigns/{original}/resend", new { statuses = new[] { "failed" }, sms = "Khác" });
        Assert.Equal(HttpStatusCode.BadRequest, ownText.StatusCode);
        Assert.Contains("\"sms\"", await ownText.Content.ReadAsStringAsync());

        var response = await author.PostAsJsonAsync($"/api/v1/campaigns/{original}/resend", new { statuses = new[] { "failed" } });
        var resend = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, resend.ToString());
        var id = resend.GetProperty("id").GetString()!;
        Assert.Equal(["sms"], resend.GetProperty("channels").EnumerateArray().Select(c => c.GetString()));
        var preview = resend.GetProperty("preview");
        Assert.Equal(2, preview.GetProperty("recipients").GetInt64());
        Assert.Equal(2, preview.GetProperty("byCarrier").GetProperty("viettel").GetInt64());
        Assert.Equal(0, preview.GetProperty("byCarrier").TryGetProperty("push-loa", out var pushLane) ? pushLane.GetInt64() : 0);

        (await author.PostAsync($"/api/v1/campaigns/{id}/submit", null)).EnsureSuccessStatusCode();
        (await approver.PostAsync($"/api/v1/campaigns/{id}/approve", null)).EnsureSuccessStatusCode();
        var resent = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(1));

        Assert.Equal((2L, 2L), (resent.GetProperty("total").GetInt64(), resent.GetProperty("delivered").GetInt64()));
        Assert.Equal(4, CarrierIds.All.Sum(c => loa.Simulators.Stats[c].MessagesAccepted));
        Assert.Equal(0, CarrierIds.All.Sum(c => loa.Simulators.Stats[c].DuplicateMessageIds));
        var rows = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/deliveries?unmask=true");
        Assert.Equal(
            ["+84869910001", "+84869910002"],
            rows.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("recipient").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Numbers_the_sms_did_not_reach_get_the_push_on_each_device_linked_to_them()
    {
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Loa:Push:Apps:loa:Provider"] = "Fcm";
            // Every Viettel number fails: the SMS reaches nobody.
            s["Loa:Simulators:Carriers:viettel:DeliveredWeight"] = "0";
            s["Loa:Simulators:Carriers:viettel:FailedWeight"] = "1";
        }));
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("test-app", "national app", "national", ["app"]);
        using var app = loa.Client("test-app");
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var simulator = loa.Services.GetRequiredService<PushSimulatorHost>();

        // Number A has two phones, B one, C none; X's phone is nobody the campaign texted.
        var phones = new[] { ("A1", "0869930001"), ("A2", "0869930001"), ("B", "0869930002"), ("X", "0869930009") }
            .Select(p => (p.Item1, Token: $"rp{p.Item1}{Guid.NewGuid():n}:APA91b{new string('p', 60)}", Msisdn: p.Item2)).ToList();
        foreach (var (_, token, msisdn) in phones)
            Assert.Equal(HttpStatusCode.Created, (await app.PostAsJsonAsync("/api/v1/devices", new { token, platform = "android", app = "loa", province = "HN", msisdn })).StatusCode);
        var list = (await LoaTestHost.UploadListAsync(author, "msisdn\n0869930001\n0869930002\n0869930003\n")).GetProperty("id").GetString()!;
        var original = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, original);
        var done = await LoaTestHost.WaitForEndAsync(operatorClient, original, TimeSpan.FromMinutes(1));
        Assert.Equal(3L, done.GetProperty("failed").GetInt64());

        // An SMS campaign has no notification to repeat: the re-send through push needs one.
        var noPush = await author.PostAsJsonAsync($"/api/v1/campaigns/{original}/resend", new { statuses = new[] { "failed" }, channel = "push" });
        Assert.Equal(HttpStatusCode.BadRequest, noPush.StatusCode);
        Assert.Contains("\"push\"", await noPush.Content.ReadAsStringAsync());

        var response = await author.PostAsJsonAsync($"/api/v1/campaigns/{original}/resend", new
        {
            statuses = new[] { "failed" }, channel = "push",
            push = new { title = "Cảnh báo lừa đảo", body = "Không cung cấp mã OTP cho bất kỳ ai." },
        });
        var resend = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, resend.ToString());
        var id = resend.GetProperty("id").GetString()!;
        var preview = resend.GetProperty("preview");
        Assert.Equal(3, preview.GetProperty("recipients").GetInt64());
        Assert.Equal(3, preview.GetProperty("push").GetProperty("devices").GetInt64());
        Assert.Equal(3, preview.GetProperty("byCarrier").GetProperty("push-loa").GetInt64());
        Assert.Equal("push", resend.GetProperty("audience").GetProperty("resend").GetProperty("channel").GetString());

        (await author.PostAsync($"/api/v1/campaigns/{id}/submit", null)).EnsureSuccessStatusCode();
        (await approver.PostAsync($"/api/v1/campaigns/{id}/approve", null)).EnsureSuccessStatusCode();
        var resent = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(1));

        Assert.Equal((3L, 3L), (resent.GetProperty("total").GetInt64(), resent.GetProperty("delivered").GetInt64()));
        var fcm = simulator.Stats(PushProvider.Fcm);
        Assert.Equal([1, 1, 1, 0], phones.Select(p => fcm.AcceptedFor(p.Token)));
        Assert.Equal(3, CarrierIds.All.Sum(c => loa.Simulators.Stats[c].MessagesAccepted)); // the original's three, none more
    }
}
