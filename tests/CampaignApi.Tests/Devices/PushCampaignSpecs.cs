using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.CarrierAdapters.Push;
using Loa.CarrierSimulators.Push;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Devices;

/// <summary>
/// Campaigns to devices (channel push, <c>audience.devices</c>): bad input is a field error, the
/// preview counts the devices the planner then reaches (per app, province and language, the tenant's
/// province only), and a test reaches only devices linked to a test number, marked as a test.
/// </summary>
public sealed class PushCampaignSpecs
{
    private static Task<LoaTestHost> StartAsync(Action<Dictionary<string, string?>>? more = null, TimeProvider? clock = null) =>
        LoaTestHost.StartAsync(s =>
        {
            foreach (var kv in LoaTestHost.CarrierSecrets())
                s[kv.Key] = kv.Value;
            s["Loa:Push:Apps:loa:Provider"] = "Fcm";
            s["Loa:Push:Apps:bank:Provider"] = "Apns";
            s["Loa:Simulators:Push:Behaviour:AcceptUnknownTokens"] = "true";
            more?.Invoke(s);
        }, clock: clock);

    [Fact]
    public async Task An_author_reads_the_configured_push_apps_by_name_and_nothing_of_their_credentials()
    {
        await using var loa = await StartAsync(s =>
        {
            s["Loa:Push:Apps:loa:ProjectId"] = "secret-project-42";
            s["Loa:Push:Apps:bank:TeamId"] = "SECRETTEAM";
            s["Loa:Push:Apps:bank:KeyId"] = "SECRETKEY1";
        });
        using var author = loa.Client("dev-hn-author");
        var answer = await author.GetAsync("/api/v1/push/apps");
        var body = await answer.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(["bank", "loa"], JsonDocument.Parse(body).RootElement.GetProperty("apps").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["apps"], JsonDocument.Parse(body).RootElement.EnumerateObject().Select(p => p.Name));
        foreach (var secret in new[] { "secret", "SECRET", "Fcm", "Apns" })
            Assert.DoesNotContain(secret, body, StringComparison.OrdinalIgnoreCase);
        using var operatorClient = loa.Client("dev-operator");
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.GetAsync("/api/v1/push/apps")).StatusCode);
    }

    private static object Push(object audience, string kind = "warning") => new
    {
        name = "Thông báo",
        kind,
        channels = new[] { "push" },
        message = new { push = new { title = "Cảnh báo", body = "Không cung cấp mã OTP cho bất kỳ ai." } },
        audience,
    };

    /// <summary>Registers <paramref name="count"/> devices through the API with the national app key.</summary>
    private static async Task<List<string>> RegisterAsync(
        LoaTestHost loa, int count, string app, string province, string language, string? msisdn = null)
    {
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("test-app", "national app", "national", ["app"]);
        using var client = loa.Client("test-app");
        var tokens = new List<string>();
        for (var i = 0; i < count; i++)
        {
            // APNs tokens are 32 bytes in hex; FCM's are longer and of their own shape.
            var ios = app == "bank";
            var token = ios ? Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))
                : $"{app}{province}{language}{Guid.NewGuid():n}{new string('z', 40)}";
            var response = await client.PostAsJsonAsync("/api/v1/devices", new { token, platform = ios ? "ios" : "android", app, province, language, msisdn });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            tokens.Add(token);
        }
        return tokens;
    }

    private static async Task<(JsonElement Preview, JsonElement Run, string Id)> PreviewThenRunAsync(
        LoaTestHost loa, object campaign, string authorKey = "dev-author", string approverKey = "dev-approver")
    {
        using var author = loa.Client(authorKey);
        using var approver = loa.Client(approverKey);
        using var operatorClient = loa.Client("dev-operator");
        var response = await author.PostAsJsonAsync("/api/v1/campaigns", campaign);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, created.ToString());
        var id = created.GetProperty("id").GetString()!;
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        var run = await LoaTestHost.WaitForEndAsync(operatorClient, id, TimeSpan.FromSeconds(60));
        return (created.GetProperty("preview"), run, id);
    }

    [Fact]
    public async Task Each_wrong_push_field_is_a_field_error()
    {
        await using var loa = await StartAsync();
        using var author = loa.Client("dev-author");
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3))).GetProperty("id").GetString();

        async Task<JsonElement> ErrorsAsync(object campaign)
        {
            var response = await author.PostAsJsonAsync("/api/v1/campaigns", campaign);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body.ToString());
            return body.GetProperty("errors");
        }

        var noDevices = await ErrorsAsync(Push(new { devices = false }));
        Assert.True(noDevices.TryGetProperty("audience.devices", out _), noDevices.ToString());
        var noPush = await ErrorsAsync(new
        {
            name = "x", kind = "warning", channels = new[] { "sms" }, message = new { sms = "Canh bao" },
            audience = new { lists = new[] { list }, devices = true },
        });
        Assert.True(noPush.TryGetProperty("audience.devices", out _), noPush.ToString());
        var listsWithoutSms = await ErrorsAsync(Push(new { lists = new[] { list }, devices = true }));
        Assert.True(listsWithoutSms.TryGetProperty("audience.lists", out _), listsWithoutSms.ToString());
        var badMessage = await ErrorsAsync(new
        {
            name = "x", kind = "warning", channels = new[] { "push" },
            message = new { push = new { title = "", body = new string('b', 1001) } },
            audience = new { devices = true },
        });
        Assert.True(badMessage.TryGetProperty("message.push.title", out _) && badMessage.TryGetProperty("message.push.body", out _), badMessage.ToString());
        // With a verification code the body is pushed with the SMS's suffix (30 characters here): the two must fit.
        object Coded(int bodyLength) => new
        {
            name = "x", kind = "warning", channels = new[] { "sms", "push" },
            message = new { sms = "Canh bao", push = new { title = "Cảnh báo", body = new string('b', bodyLength) } },
            audience = new { lists = new[] { list }, devices = true }, options = new { verifyCode = true },
        };
        var tooLong = await ErrorsAsync(Coded(971));
        Assert.Contains("at most 970 characters", tooLong.GetProperty("message.push.body")[0].GetString());
        using (var fits = await author.PostAsJsonAsync("/api/v1/campaigns", Coded(970)))
            Assert.Equal(HttpStatusCode.Created, fits.StatusCode);
        var badFilters = await ErrorsAsync(Push(new { devices = true, apps = new[] { "loa", "nope" }, languages = new[] { "fr" }, provinces = new[] { "XX" } }));
        foreach (var field in new[] { "audience.apps[1]", "audience.languages[0]", "audience.provinces[0]" })
            Assert.True(badFilters.TryGetProperty(field, out _), $"{field} missing: {badFilters}");
    }

    [Fact]
    public async Task The_device_preview_is_what_the_run_does_per_app_province_and_language()
    {
        await using var loa = await StartAsync();
        await RegisterAsync(loa, 5, "loa", "HN", "vi");
        await RegisterAsync(loa, 3, "loa", "HN", "en");
        await RegisterAsync(loa, 4, "loa", "79", "vi");
        await RegisterAsync(loa, 2, "bank", "HN", "vi");

        var (preview, run, _) = await PreviewThenRunAsync(loa, Push(new { devices = true, provinces = new[] { "01" }, languages = new[] { "vi" } }));
        Assert.Equal((7, 5, 2), (preview.GetProperty("recipients").GetInt64(),
            preview.GetProperty("byCarrier").GetProperty("push-loa").GetInt64(), preview.GetProperty("byCarrier").GetProperty("push-bank").GetInt64()));
        Assert.Equal(7, preview.GetProperty("push").GetProperty("byProvince").GetProperty("01").GetInt64());
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(preview.GetProperty("recipients").GetInt64(), run.GetProperty("total").GetInt64());
        Assert.True(run.GetProperty("delivered").GetInt64() == 7, run.ToString());
        Assert.Equal(5, run.GetProperty("byCarrier").GetProperty("push-loa").GetProperty("delivered").GetInt64());
        Assert.Equal(2, run.GetProperty("byCarrier").GetProperty("push-bank").GetProperty("delivered").GetInt64());

        // One app only, every province and language: the APNs app is not touched.
        var (onlyLoa, loaRun, _) = await PreviewThenRunAsync(loa, Push(new { devices = true, apps = new[] { "LOA" } }));
        Assert.Equal(12, onlyLoa.GetProperty("recipients").GetInt64());
        Assert.Equal(12, loaRun.GetProperty("total").GetInt64());
        Assert.False(loaRun.GetProperty("byCarrier").TryGetProperty("push-bank", out _));
        var simulator = loa.Services.GetRequiredService<PushSimulatorHost>();
        Assert.Equal(5 + 12, simulator.Stats(PushProvider.Fcm).Snapshot().Accepted);
        Assert.Equal(2, simulator.Stats(PushProvider.Apns).Snapshot().Accepted);
    }

    [Fact]
    public async Task An_awareness_push_skips_the_devices_whose_owners_refused_it_and_a_warning_reaches_them_all()
    {
        // Noon in Vietnam: inside the awareness sending window.
        await using var loa = await StartAsync(clock: ShiftedClock.AtVietnamTime(new TimeOnly(12, 0)));
        var accepting = await RegisterAsync(loa, 3, "loa", "HN", "vi");
        var refusing = await RegisterAsync(loa, 2, "loa", "HN", "vi");
        var refusingIos = await RegisterAsync(loa, 1, "bank", "79", "en");
        using (var app = loa.Client("test-app"))
        {
            foreach (var (token, appName, province, language, platform) in refusing.Select(t => (t, "loa", "HN", "vi", "android"))
                         .Concat(refusingIos.Select(t => (t, "bank", "79", "en", "ios"))))
            {
                var answer = await app.PostAsJsonAsync("/api/v1/devices", new { token, platform, app = appName, province, language, awareness = false });
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            }
        }

        var (preview, run, id) = await PreviewThenRunAsync(loa, Push(new { devices = true }, kind: "awareness"));
        Assert.Equal(6, preview.GetProperty("recipients").GetInt64());
        Assert.Equal(3, preview.GetProperty("suppressedByReason").GetProperty("opted-out").GetInt64());
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal((6, 3, 3), (run.GetProperty("total").GetInt64(), run.GetProperty("delivered").GetInt64(), run.GetProperty("suppressed").GetInt64()));
        var fcm = loa.Services.GetRequiredService<PushSimulatorHost>().Stats(PushProvider.Fcm);
        Assert.Equal(accepting.Order(StringComparer.Ordinal), fcm.Arrivals.Where(a => a.Campaign == id).Select(a => a.Target).Order(StringComparer.Ordinal));
        Assert.Equal(0, loa.Services.GetRequiredService<PushSimulatorHost>().Stats(PushProvider.Apns).Arrivals.Count(a => a.Campaign == id));

        // A warning is not the owner's to refuse.
        var (warningPreview, warningRun, _) = await PreviewThenRunAsync(loa, Push(new { devices = true }));
        Assert.False(warningPreview.GetProperty("suppressedByReason").TryGetProperty("opted-out", out _) &&
            warningPreview.GetProperty("suppressedByReason").GetProperty("opted-out").GetInt64() > 0, warningPreview.ToString());
        Assert.Equal((6, 6), (warningRun.GetProperty("total").GetInt64(), warningRun.GetProperty("delivered").GetInt64()));
    }

    [Fact]
    public async Task A_province_campaign_reaches_only_its_provinces_devices()
    {
        await using var loa = await StartAsync();
        await RegisterAsync(loa, 3, "loa", "HN", "vi");
        await RegisterAsync(loa, 4, "loa", "79", "vi");

        var (preview, run, _) = await PreviewThenRunAsync(loa, Push(new { devices = true }), "dev-hn-author", "dev-hn-approver");
        Assert.Equal(3, preview.GetProperty("recipients").GetInt64());
        Assert.Equal(3, run.GetProperty("total").GetInt64());
        Assert.Equal(3, run.GetProperty("delivered").GetInt64());

        using var hnAuthor = loa.Client("dev-hn-author");
        var elsewhere = await hnAuthor.PostAsJsonAsync("/api/v1/campaigns", Push(new { devices = true, provinces = new[] { "79" } }));
        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
    }

    [Fact]
    public async Task A_test_push_reaches_only_devices_linked_to_a_test_number_and_its_title_is_marked()
    {
        await using var loa = await StartAsync(s => s["Loa:Safety:TestNumbers:0"] = "0912345678");
        var linked = await RegisterAsync(loa, 1, "loa", "HN", "vi", msisdn: "0912345678");
        await RegisterAsync(loa, 2, "loa", "HN", "vi", msisdn: "0912345679");
        await RegisterAsync(loa, 2, "loa", "HN", "vi");

        var (preview, run, id) = await PreviewThenRunAsync(loa, Push(new { devices = true }, kind: "test"));
        Assert.Equal((5, 4), (preview.GetProperty("recipients").GetInt64(), preview.GetProperty("suppressedByReason").GetProperty("not-test-number").GetInt64()));
        Assert.Equal((5, 1, 4), (run.GetProperty("total").GetInt64(), run.GetProperty("delivered").GetInt64(), run.GetProperty("suppressed").GetInt64()));
        var fcm = loa.Services.GetRequiredService<PushSimulatorHost>().Stats(PushProvider.Fcm);
        var arrival = Assert.Single(fcm.Arrivals, a => a.Campaign == id);
        Assert.Equal(linked[0], arrival.Target);
        Assert.Equal("[TEST] Cảnh báo", arrival.Title);
    }

    [Fact]
    public async Task A_campaign_that_pushed_alone_is_on_the_public_page_with_its_notification()
    {
        await using var loa = await StartAsync();
        await RegisterAsync(loa, 1, "loa", "HN", "vi");
        // A suffix is drawn by Loa, never taken from the author: one written in is dropped.
        await PreviewThenRunAsync(loa, new
        {
            name = "Thông báo", kind = "warning", channels = new[] { "push" },
            message = new { push = new { title = "Cảnh báo", body = "Không cung cấp mã OTP cho bất kỳ ai." } },
            audience = new { devices = true }, pushVerification = " Xac thuc: evil.example/a/AAAAAA",
        });
        await PreviewThenRunAsync(loa, new
        {
            name = "Diễn tập", kind = "test", channels = new[] { "push" },
            message = new { push = new { title = "Diễn tập", body = "Thông báo thử nghiệm số 7." } },
            audience = new { devices = true },
        });

        using var anonymous = new HttpClient { BaseAddress = loa.BaseAddress };
        var page = System.Net.WebUtility.HtmlDecode(await anonymous.GetStringAsync("/alerts"));
        Assert.Contains("Cảnh báo — Không cung cấp mã OTP cho bất kỳ ai.<", page, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.example", page, StringComparison.Ordinal);
        Assert.DoesNotContain("Thông báo thử nghiệm số 7.", page, StringComparison.Ordinal); // a test never
    }
}
