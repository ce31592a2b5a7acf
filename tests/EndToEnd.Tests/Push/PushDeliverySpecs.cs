using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Push;
using Loa.CarrierSimulators.Push;
using Loa.Dispatcher.Devices;
using Loa.EndToEnd.Tests.DeliveryEngine;
using Loa.Storage.Devices;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Loa.EndToEnd.Tests.Push;

/// <summary>
/// Push beside SMS in one campaign, end to end: devices registered through the API, a list and every
/// device in one approved campaign, counted at the simulated carriers and the simulated FCM. A device
/// whose token FCM no longer knows is pruned and its delivery fails with FCM's reason; nothing logged
/// holds a token or a full number.
/// </summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed partial class PushDeliverySpecs
{
    private const int Numbers = 60;
    private const int Devices = 40;
    private const int Dead = 2;

    [Fact]
    public async Task Sms_and_push_in_one_campaign_reach_each_number_and_device_once_on_the_embedded_default()
    {
        var logs = new CapturedLogs();
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Loa:Push:Apps:loa:Provider"] = "Fcm";
            s["Loa:Simulators:Push:Behaviour:AcceptUnknownTokens"] = "false"; // the embedded default accepts any token; this spec has dead ones
            s["Logging:LogLevel:Default"] = "Trace";
        }), logs: logs);
        await RunAsync(loa, logs);
    }

    [Fact]
    public async Task With_the_app_on_two_lanes_each_device_is_still_reached_once()
    {
        var logs = new CapturedLogs();
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Loa:Push:Apps:loa:Provider"] = "Fcm";
            s["Loa:Push:Apps:loa:Lanes"] = "2";
            s["Loa:Simulators:Push:Behaviour:AcceptUnknownTokens"] = "false"; // the embedded default accepts any token; this spec has dead ones
            s["Logging:LogLevel:Default"] = "Trace";
        }), logs: logs);
        await RunAsync(loa, logs);
        var lanes = loa.Services.GetRequiredService<Loa.Dispatcher.Sending.CarrierLanes>().Built.Select(l => l.Lane.Name).Where(n => n.StartsWith("push-", StringComparison.Ordinal));
        Assert.Equal(["push-loa-1", "push-loa-2"], lanes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_campaign_with_a_verification_code_pushes_the_same_code_and_its_page_to_the_app()
    {
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s => s["Loa:Push:Apps:loa:Provider"] = "Fcm"));
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("test-app", "national app", "national", ["app"]);
        using var app = loa.Client("test-app");
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var token = $"vc{Guid.NewGuid():n}:APA91b{new string('v', 60)}";
        Assert.Equal(System.Net.HttpStatusCode.Created, (await app.PostAsJsonAsync("/api/v1/devices", new { token, platform = "android", app = "loa", province = "HN" })).StatusCode);

        var list = await LoaTestHost.UploadListAsync(author, EngineWorld.ViettelCsv(1));
        var created = await author.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Cảnh báo có mã xác thực", kind = "warning", channels = new[] { "sms", "push" },
            message = new { sms = "Cuc ATTT canh bao: khong cung cap ma OTP.", push = new { title = "Cảnh báo lừa đảo", body = "Không cung cấp mã OTP cho bất kỳ ai." } },
            audience = new { lists = new[] { list.GetProperty("id").GetString() }, devices = true }, options = new { verifyCode = true },
        });
        var campaign = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(created.IsSuccessStatusCode, campaign.ToString());
        var id = campaign.GetProperty("id").GetString()!;
        var suffix = Loa.Contracts.VerificationSuffix.Find(campaign.GetProperty("sms").GetProperty("text").GetString())!.Value;
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(1));

        var fcm = loa.Services.GetRequiredService<PushSimulatorHost>().Stats(PushProvider.Fcm);
        var arrival = Assert.Single(fcm.Arrivals, a => a.Campaign == id);
        Assert.Equal("Không cung cấp mã OTP cho bất kỳ ai." + suffix.Suffix, arrival.Body);
        Assert.Equal($"https://loa.gov.vn/a/{suffix.Code}", arrival.Url);

        // Pushing alone, with no SMS text to carry it, the campaign draws a code of its own: pushed the same way,
        // and the public page finds the alert by it, its notification as sent.
        var alone = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = "Chỉ thông báo", kind = "warning", channels = new[] { "push" },
            message = new { push = new { title = "Cảnh báo", body = "Không bấm vào đường link lạ." } },
            audience = new { devices = true }, options = new { verifyCode = true },
        });
        await LoaTestHost.SubmitAndApproveAsync(author, approver, alone);
        await LoaTestHost.WaitForStatusAsync(operatorClient, alone, "completed", TimeSpan.FromMinutes(1));
        var pushed = Assert.Single(fcm.Arrivals, a => a.Campaign == alone);
        var own = Loa.Contracts.VerificationSuffix.Find(pushed.Body)!.Value;
        Assert.Equal("Không bấm vào đường link lạ." + own.Suffix, pushed.Body);
        Assert.Equal($"https://loa.gov.vn/a/{own.Code}", pushed.Url);
        Assert.NotEqual(suffix.Code, own.Code);
        using var citizen = new HttpClient { BaseAddress = loa.BaseAddress };
        var page = System.Net.WebUtility.HtmlDecode(await citizen.GetStringAsync($"/a/{own.Code}"));
        Assert.Contains("Cảnh báo — Không bấm vào đường link lạ." + own.Suffix, page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sms_and_push_in_one_campaign_reach_each_number_and_device_once_over_RabbitMq_with_the_dispatcher_apart()
    {
        var logs = new CapturedLogs();
        var prefix = "loa-push-" + Guid.NewGuid().ToString("n")[..8];
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: true, s =>
        {
            s["Loa:Bus:Prefix"] = prefix;
            s["Loa:Dispatcher:InProcess"] = "false";
            s["Loa:Push:Apps:loa:Provider"] = "Fcm";
            s["Loa:Simulators:Push:Behaviour:AcceptUnknownTokens"] = "false"; // the embedded default accepts any token; this spec has dead ones
            s["Logging:LogLevel:Default"] = "Trace";
        }), logs: logs);

        // The standalone dispatcher reaches the API host's simulators by address, as it would reach FCM,
        // and shares the database (and the key ring beside it) and the broker.
        var settings = LoaTestHost.BaseSettings(loa.Directory);
        foreach (var kv in LoaTestHost.CarrierSecrets())
            settings[kv.Key] = kv.Value;
        settings["Loa:Transport"] = "RabbitMq";
        settings["ConnectionStrings:RabbitMq"] = DeliveryEngineCollection.RabbitMqAddress();
        settings["Loa:Bus:Prefix"] = prefix;
        settings["Loa:Simulators:Enabled"] = "false";
        settings["Loa:Dispatcher:PublicUrl"] = loa.BaseAddress.ToString();
        foreach (var carrier in CarrierIds.All)
            settings[$"Loa:Carriers:{carrier}:Url"] = (await loa.Simulators.GetBaseUrlAsync(carrier, CancellationToken.None)).ToString();
        var endpoints = await loa.Services.GetRequiredService<PushSimulatorHost>().StartOnceAsync();
        foreach (var kv in endpoints.Settings("loa", PushProvider.Fcm))
            settings[kv.Key] = kv.Value;
        using var dispatcher = await StandaloneDispatcher.StartAsync(settings);
        try
        {
            await RunAsync(loa, logs);
        }
        finally
        {
            await dispatcher.StopAsync();
        }
    }

    private static async Task RunAsync(LoaTestHost loa, CapturedLogs logs)
    {
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("test-app", "national app", "national", ["app"]);
        using var app = loa.Client("test-app");
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var simulator = loa.Services.GetRequiredService<PushSimulatorHost>();

        // Devices in two provinces and both languages; FCM knows all but the dead ones (uninstalled).
        var tokens = Enumerable.Range(0, Devices).Select(i => $"e2e{i:D3}{Guid.NewGuid():n}:APA91b{new string('q', 100)}").ToList();
        for (var i = 0; i < Devices; i++)
        {
            var registered = await app.PostAsJsonAsync("/api/v1/devices", new
            {
                token = tokens[i], platform = i % 3 == 0 ? "ios" : "android", app = "loa",
                province = i % 2 == 0 ? "HN" : "79", language = i % 4 == 0 ? "en" : "vi",
                msisdn = i < 5 ? $"08699{i:D5}" : null,
            });
            Assert.Equal(System.Net.HttpStatusCode.Created, registered.StatusCode);
            if (i >= Dead)
                simulator.Tokens.Register(tokens[i]);
        }

        var list = await LoaTestHost.UploadListAsync(author, EngineWorld.ViettelCsv(Numbers));
        var created = await author.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Cảnh báo lừa đảo qua ứng dụng",
            kind = "warning",
            channels = new[] { "sms", "push" },
            message = new
            {
                sms = "Cuc ATTT canh bao: khong cung cap ma OTP cho bat ky ai.",
                push = new { title = "Cảnh báo lừa đảo", body = "Không cung cấp mã OTP cho bất kỳ ai, kể cả người xưng là ngân hàng." },
            },
            audience = new { lists = new[] { list.GetProperty("id").GetString() }, devices = true },
        });
        var campaign = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(created.IsSuccessStatusCode, campaign.ToString());
        var id = campaign.GetProperty("id").GetString()!;
        var preview = campaign.GetProperty("preview");
        Assert.Equal(Numbers + Devices, preview.GetProperty("recipients").GetInt64());
        Assert.Equal(Devices, preview.GetProperty("byCarrier").GetProperty("push-loa").GetInt64());
        Assert.Equal(Devices, preview.GetProperty("push").GetProperty("devices").GetInt64());
        Assert.Equal(Devices / 2, preview.GetProperty("push").GetProperty("byProvince").GetProperty("01").GetInt64());

        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(2));

        // Progress: every number delivered, every live device's notification delivered (to FCM), the dead ones failed.
        Assert.Equal(Numbers + Devices, done.GetProperty("total").GetInt64());
        Assert.Equal(Numbers + Devices - Dead, done.GetProperty("delivered").GetInt64());
        Assert.Equal(Dead, done.GetProperty("failed").GetInt64());
        var push = done.GetProperty("byCarrier").GetProperty("push-loa");
        Assert.Equal((Devices, Devices - Dead, Dead), (push.GetProperty("total").GetInt64(), push.GetProperty("delivered").GetInt64(), push.GetProperty("failed").GetInt64()));

        // Counted where they arrive: each number once at the carriers, each live device once at FCM, the dead never.
        Assert.Equal(Numbers, CarrierIds.All.Sum(c => loa.Simulators.Stats[c].MessagesAccepted));
        Assert.Equal(0, CarrierIds.All.Sum(c => loa.Simulators.Stats[c].DuplicateMessageIds));
        var fcm = simulator.Stats(PushProvider.Fcm);
        var stats = fcm.Snapshot();
        Assert.Equal(Devices - Dead, stats.Accepted);
        Assert.Equal(0, stats.Duplicates);
        Assert.Equal(Dead, stats.Unregistered);
        for (var i = 0; i < Devices; i++)
            Assert.Equal(i < Dead ? 0 : 1, fcm.AcceptedFor(tokens[i]));
        var arrival = fcm.Arrivals.First(a => a.Campaign == id);
        Assert.Equal(("Cảnh báo lừa đảo", "high", id), (arrival.Title, arrival.Priority, arrival.CollapseKey));

        // The dead devices are gone from the registry, their deliveries failed with FCM's reason.
        var registry = loa.Services.GetRequiredService<DeviceStore>();
        for (var i = 0; i < Devices; i++)
            Assert.Equal(i >= Dead, await registry.FindAsync(DeviceTokens.Hash(tokens[i])) is not null);
        var failures = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/failures");
        var failure = Assert.Single(failures.GetProperty("items").EnumerateArray());
        Assert.Equal("push-loa", failure.GetProperty("carrier").GetString());
        Assert.StartsWith("UNREGISTERED", failure.GetProperty("reason").GetString());
        Assert.Equal(Dead, failure.GetProperty("count").GetInt64());
        var failed = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/deliveries?status=failed");
        Assert.Equal(Dead, failed.GetProperty("items").GetArrayLength());
        foreach (var item in failed.GetProperty("items").EnumerateArray())
            Assert.Matches("^[0-9]+$", item.GetProperty("recipient").GetString()); // the device id, never its token

        // Coverage counts the numbers reached by SMS, each once; the devices reached by push are not people counted against the base.
        var month = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        var coverage = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/reports/coverage?from={month}&to={month}&groupBy=carrier");
        Assert.Equal(Numbers, coverage.GetProperty("total").GetProperty("reached").GetInt64());
        Assert.DoesNotContain(coverage.GetProperty("items").EnumerateArray(), i => i.GetProperty("carrier").GetString()!.StartsWith("push-", StringComparison.Ordinal));

        // Nothing logged (at Trace) holds a token (beyond the 6 characters a mask shows) or a full number.
        Assert.True(logs.Lines.Count > 50, $"only {logs.Lines.Count} log lines: the capture is not seeing the host");
        var secrets = tokens.Select(t => t[6..30]).ToList();
        var leaks = logs.Lines.Where(line => secrets.Any(s => line.Contains(s, StringComparison.Ordinal)) || FullNumber().IsMatch(line)).Take(5).ToList();
        Assert.True(leaks.Count == 0, "tokens or numbers in the log:\n" + string.Join("\n", leaks));
    }

    // The list's numbers (086…) and the devices' linked ones in any form Loa handles.
    [GeneratedRegex(@"(?<!\d)(\+?84|0)86\d{7}(?!\d)")]
    private static partial Regex FullNumber();
}
