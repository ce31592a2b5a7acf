using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Push;
using Loa.CarrierSimulators.Push;
using Loa.EndToEnd.Tests.DeliveryEngine;
using Dapper;
using Loa.Storage;
using Loa.Storage.Keys;
using Loa.Storage.Suppression;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.EndToEnd.Tests.Push;

/// <summary>
/// Acknowledgements and the SMS fallback, end to end on the embedded default: phones acknowledge
/// through the API (once per delivery, however often, and only the caller's own devices), the campaign
/// stays running while a fallback is due, and once <c>after</c> has passed (the host's clock is moved,
/// so the spec does not wait minutes) only the silent devices with a linked number get the SMS, each
/// number once. Counted where the SMS arrive, at the simulated carriers.
/// </summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class PushFallbackSpecs
{
    [Fact]
    public async Task Silent_devices_with_a_number_get_the_sms_once_and_acknowledged_or_unlinked_ones_do_not()
    {
        var clock = new ShiftedClock(TimeSpan.Zero);
        await using var loa = await StartAsync(clock);
        var keys = loa.Services.GetRequiredService<ApiKeyStore>();
        await keys.UpsertAsync("test-hn-app", "Hà Nội app", "HN", ["app"]);
        using var app = loa.Client("test-app");
        using var hanoiApp = loa.Client("test-hn-app");
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");

        // 0 acks received, 1 acks opened only, 2 and 5 are silent and share one number, 3 is silent without
        // a number, 4 acks without a number (twice).
        string?[] numbers = ["0869900001", "0869900002", "0869900003", null, null, "0869900003"];
        var tokens = numbers.Select((_, i) => $"fb{i}{Guid.NewGuid():n}:APA91b{new string('f', 60)}").ToList();
        for (var i = 0; i < tokens.Count; i++)
        {
            var registered = await app.PostAsJsonAsync("/api/v1/devices", new { token = tokens[i], platform = "android", app = "loa", province = "HN", msisdn = numbers[i] });
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        }

        var sms = "Cuc ATTT canh bao: khong cung cap ma OTP cho bat ky ai.";
        var refused = await author.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Thiếu SMS", kind = "warning", channels = new[] { "push" },
            message = new { push = new { title = "Cảnh báo", body = "Không cung cấp mã OTP." } },
            audience = new { devices = true },
            options = new { fallback = new { channel = "sms", after = "PT5M" } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("message.sms", await refused.Content.ReadAsStringAsync());

        var id = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = "Cảnh báo lừa đảo, SMS cho ai chưa nhận",
            kind = "warning",
            channels = new[] { "push" },
            message = new { sms, push = new { title = "Cảnh báo lừa đảo", body = "Không cung cấp mã OTP cho bất kỳ ai." } },
            audience = new { devices = true },
            options = new { fallback = new { channel = "sms", after = "PT5M" } },
        });
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);

        // Every push accepted by FCM, and the campaign still running: the fallback is due in five minutes.
        var progress = await WaitAsync(operatorClient, id, p => p.GetProperty("push").GetProperty("accepted").GetInt64() == tokens.Count);
        Assert.Equal("running", progress.GetProperty("status").GetString());

        async Task<HttpResponseMessage> AckAsync(HttpClient client, int device, string ackEvent, string? campaign = null) =>
            await client.PostAsJsonAsync($"/api/v1/devices/{Uri.EscapeDataString(tokens[device])}/acks", new { campaign = campaign ?? id, @event = ackEvent });

        Assert.Equal(HttpStatusCode.NoContent, (await AckAsync(app, 0, "received")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await AckAsync(app, 0, "received")).StatusCode); // a repeat: counted once
        Assert.Equal(HttpStatusCode.NoContent, (await AckAsync(app, 1, "opened")).StatusCode);  // opened implies received
        Assert.Equal(HttpStatusCode.NoContent, (await AckAsync(app, 1, "opened")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await AckAsync(app, 4, "received")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await AckAsync(app, 4, "received")).StatusCode);
        // Another tenant's device, an unknown token and a campaign that sent the device nothing: 404 alike; bad input: 400 by field.
        Assert.Equal(HttpStatusCode.NotFound, (await AckAsync(hanoiApp, 2, "received")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.PostAsJsonAsync("/api/v1/devices/no-such-token/acks", new { campaign = id, @event = "received" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await AckAsync(app, 2, "received", campaign: "01NOSUCHCAMPAIGN")).StatusCode);
        var bad = await AckAsync(app, 2, "read");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("\"event\"", await bad.Content.ReadAsStringAsync());

        progress = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/progress");
        var push = progress.GetProperty("push");
        Assert.Equal((6L, 3L, 1L), (push.GetProperty("accepted").GetInt64(), push.GetProperty("received").GetInt64(), push.GetProperty("opened").GetInt64()));
        Assert.Equal((0L, 0L), (progress.GetProperty("fallback").GetProperty("sent").GetInt64(), progress.GetProperty("fallback").GetProperty("saved").GetInt64()));
        Assert.Equal("running", progress.GetProperty("status").GetString());
        Assert.Equal(0, CarrierIds.All.Sum(c => loa.Simulators.Stats[c].MessagesAccepted));

        // Five minutes later (the clock moves; the sweeper runs every second): one SMS for the silent number.
        clock.Offset = TimeSpan.FromMinutes(6);
        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(1));
        var fallback = done.GetProperty("fallback");
        Assert.Equal((1L, 2L), (fallback.GetProperty("sent").GetInt64(), fallback.GetProperty("saved").GetInt64()));
        Assert.Equal(tokens.Count + 1, done.GetProperty("total").GetInt64());
        Assert.Equal(tokens.Count + 1, done.GetProperty("delivered").GetInt64());
        Assert.Equal(1, done.GetProperty("byCarrier").GetProperty("viettel").GetProperty("delivered").GetInt64());
        Assert.Equal(1, CarrierIds.All.Sum(c => loa.Simulators.Stats[c].MessagesAccepted));
        Assert.Equal(0, CarrierIds.All.Sum(c => loa.Simulators.Stats[c].DuplicateMessageIds));
        var smsRows = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/deliveries?unmask=true");
        var texted = smsRows.GetProperty("items").EnumerateArray().Where(d => d.GetProperty("carrier").GetString() == "viettel").ToList();
        Assert.Equal("+84869900003", Assert.Single(texted).GetProperty("recipient").GetString());

        // An ack after the end still counts once and changes nothing else.
        Assert.Equal(HttpStatusCode.NoContent, (await AckAsync(app, 3, "opened")).StatusCode);
        var after = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/progress");
        Assert.Equal((4L, 2L), (after.GetProperty("push").GetProperty("received").GetInt64(), after.GetProperty("push").GetProperty("opened").GetInt64()));
        Assert.Equal(1L, after.GetProperty("fallback").GetProperty("sent").GetInt64());
    }

    [Fact]
    public async Task An_awareness_fallback_leaves_out_opted_out_numbers_and_those_at_the_frequency_cap_with_the_reason()
    {
        // Noon in Vietnam: awareness goes out only inside its sending window.
        var clock = ShiftedClock.AtVietnamTime(new TimeOnly(12, 0));
        await using var loa = await StartAsync(clock, ("Loa:Safety:AwarenessPerDay", "2"));
        using var app = loa.Client("test-app");
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");

        // Three silent devices: a free number, one that opted out, one that had the day's two awareness messages.
        string[] numbers = ["0869900011", "0869900012", "0869900013"];
        foreach (var (number, i) in numbers.Select((n, i) => (n, i)))
        {
            var token = $"fc{i}{Guid.NewGuid():n}:APA91b{new string('c', 60)}";
            Assert.Equal(HttpStatusCode.Created, (await app.PostAsJsonAsync("/api/v1/devices", new { token, platform = "android", app = "loa", province = "HN", msisdn = number })).StatusCode);
        }
        await loa.Services.GetRequiredService<SuppressionStore>().OptOutAsync("+84869900012", "national", "test", "spec");
        await using (var connection = await loa.Services.GetRequiredService<Database>().OpenAsync())
        {
            foreach (var earlier in new[] { "01EARLIERA", "01EARLIERB" })
            {
                await connection.ExecuteAsync("INSERT INTO awareness_contacts (msisdn, at, campaign_id) VALUES ('+84869900013', @at, @earlier)",
                    new { at = clock.GetUtcNow().AddHours(-2).ToUnixTimeMilliseconds(), earlier });
            }
        }

        var id = await LaunchWithFallbackAsync(author, approver, "awareness", "Tuần lễ an toàn thông tin", "Cuc ATTT: cap nhat phan mem de an toan.", "An toàn thông tin", "Cập nhật phần mềm để an toàn.");
        await WaitAsync(operatorClient, id, p => p.GetProperty("push").GetProperty("accepted").GetInt64() == numbers.Length);

        clock.Offset += TimeSpan.FromMinutes(6);
        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(1));
        Assert.Equal(1L, done.GetProperty("fallback").GetProperty("sent").GetInt64());
        Assert.Equal(2L, done.GetProperty("suppressed").GetInt64());
        var reasons = done.GetProperty("suppressedByReason");
        Assert.Equal((1L, 1L), (reasons.GetProperty("opted-out").GetInt64(), reasons.GetProperty("frequency-cap").GetInt64()));
        Assert.Equal(1, CarrierIds.All.Sum(c => loa.Simulators.Stats[c].MessagesAccepted));
        var rows = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/deliveries?unmask=true");
        var sms = rows.GetProperty("items").EnumerateArray().Where(d => !d.GetProperty("carrier").GetString()!.StartsWith("push-", StringComparison.Ordinal))
            .ToDictionary(d => d.GetProperty("recipient").GetString()!, d => (d.GetProperty("status").GetString(), d.GetProperty("error").GetString()));
        Assert.Equal(("delivered", null), sms["+84869900011"]);
        Assert.Equal(("suppressed", "opted-out"), sms["+84869900012"]);
        Assert.Equal(("suppressed", "frequency-cap"), sms["+84869900013"]);
    }

    [Fact]
    public async Task A_push_that_failed_on_a_dead_token_texts_the_linked_number_at_once_though_its_device_was_pruned()
    {
        var clock = new ShiftedClock(TimeSpan.Zero);
        await using var loa = await StartAsync(clock);
        using var app = loa.Client("test-app");
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var simulator = loa.Services.GetRequiredService<PushSimulatorHost>();
        simulator.Behave(PushProvider.Fcm, b => b with { AcceptUnknownTokens = false });

        // 0: uninstalled (FCM says UNREGISTERED), with a number; 1: uninstalled, no number; 2: live and silent, with a
        // number; 3: live, acknowledges, with a number. Registered in this order: the sweep walks delivery ids.
        string?[] numbers = ["0869900021", null, "0869900023", "0869900024"];
        var tokens = numbers.Select((_, i) => $"fd{i}{Guid.NewGuid():n}:APA91b{new string('d', 60)}").ToList();
        for (var i = 0; i < tokens.Count; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await app.PostAsJsonAsync("/api/v1/devices",
                new { token = tokens[i], platform = "android", app = "loa", province = "HN", msisdn = numbers[i] })).StatusCode);
            if (i >= 2)
                simulator.Tokens.Register(tokens[i]);
        }

        var id = await LaunchWithFallbackAsync(author, approver, "warning", "Cảnh báo, SMS cho máy đã gỡ ứng dụng", "Cuc ATTT canh bao: khong bam vao duong link la.", "Cảnh báo", "Không bấm vào đường link lạ.");
        await WaitAsync(operatorClient, id, p => p.GetProperty("push").GetProperty("accepted").GetInt64() == 2
            && p.GetProperty("byCarrier").GetProperty("push-loa").GetProperty("failed").GetInt64() == 2);
        Assert.Equal(HttpStatusCode.NoContent, (await app.PostAsJsonAsync($"/api/v1/devices/{Uri.EscapeDataString(tokens[3])}/acks",
            new { campaign = id, @event = "received" })).StatusCode);

        // Without the clock moving: the dead token's number is texted now, not `after` later; nobody else yet.
        var early = await WaitAsync(operatorClient, id, p => p.GetProperty("fallback").GetProperty("sent").GetInt64() == 1
            && p.GetProperty("byCarrier").TryGetProperty("viettel", out var v) && v.GetProperty("delivered").GetInt64() == 1);
        Assert.Equal("running", early.GetProperty("status").GetString());
        Assert.Equal(1, CarrierIds.All.Sum(c => loa.Simulators.Stats[c].MessagesAccepted));

        clock.Offset = TimeSpan.FromMinutes(6);
        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(1));
        Assert.Equal((2L, 1L), (done.GetProperty("fallback").GetProperty("sent").GetInt64(), done.GetProperty("fallback").GetProperty("saved").GetInt64()));
        Assert.False(done.GetProperty("push").TryGetProperty("topics", out var topics) && topics.ValueKind != JsonValueKind.Null); // device sends only
        Assert.Equal(2, CarrierIds.All.Sum(c => loa.Simulators.Stats[c].MessagesAccepted));
        Assert.Equal(0, CarrierIds.All.Sum(c => loa.Simulators.Stats[c].DuplicateMessageIds));
        var rows = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/deliveries?unmask=true");
        var items = rows.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["+84869900021", "+84869900023"], items.Where(d => d.GetProperty("carrier").GetString() == "viettel")
            .Select(d => d.GetProperty("recipient").GetString()).Order(StringComparer.Ordinal));
        // The failed pushes keep the provider's reason, and the dead devices are gone from the registry.
        Assert.All(items.Where(d => d.GetProperty("status").GetString() == "failed"), d => Assert.Contains("UNREGISTERED", d.GetProperty("error").GetString()));
        await using var connection = await loa.Services.GetRequiredService<Database>().OpenAsync();
        Assert.Equal(2L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM devices WHERE app = 'loa'"));
    }

    /// <summary>The embedded default with app <c>loa</c> on the simulated FCM, and an <c>app</c> key for it (<c>test-app</c>).</summary>
    private static async Task<LoaTestHost> StartAsync(ShiftedClock clock, params (string Key, string Value)[] settings)
    {
        var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Loa:Push:Apps:loa:Provider"] = "Fcm";
            foreach (var (key, value) in settings)
                s[key] = value;
        }), clock: clock);
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("test-app", "national app", "national", ["app"]);
        return loa;
    }

    /// <summary>A push to every device whose silent ones get <paramref name="sms"/> five minutes on, submitted and approved.</summary>
    private static async Task<string> LaunchWithFallbackAsync(
        HttpClient author, HttpClient approver, string kind, string name, string sms, string title, string body)
    {
        var id = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name,
            kind,
            channels = new[] { "push" },
            message = new { sms, push = new { title, body } },
            audience = new { devices = true },
            options = new { fallback = new { channel = "sms", after = "PT5M" } },
        });
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        return id;
    }

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
