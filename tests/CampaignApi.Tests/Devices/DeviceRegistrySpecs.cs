using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Loa.CampaignApi.Devices;
using Loa.Dispatcher.Devices;
using Loa.Storage;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Devices;

/// <summary>
/// Apps register their users' phones (role app): one device per token, the token kept only as a hash
/// and a protected copy, the number masked, a province key inside its own province.
/// </summary>
public sealed class DeviceRegistrySpecs
{
    private static string FcmToken(string tag) => $"{tag}{Guid.NewGuid():n}:APA91b{new string('x', 120)}";

    private static object Body(string token, string province = "HN", string? language = null, string? msisdn = null, string platform = "android", string app = "loa") =>
        new { token, platform, app, province, language, msisdn };

    private static async Task<LoaTestHost> StartWithAppKeysAsync(CapturedLogs? logs = null, Action<Dictionary<string, string?>>? adjust = null)
    {
        var loa = await LoaTestHost.StartAsync(adjust, logs: logs);
        var keys = loa.Services.GetRequiredService<ApiKeyStore>();
        await keys.UpsertAsync("test-app", "national app", "national", ["app"]);
        await keys.UpsertAsync("test-hn-app", "hn app", "HN", ["app"]);
        return loa;
    }

    [Fact]
    public async Task A_new_token_is_201_and_the_same_token_again_is_200_updating_the_one_device()
    {
        await using var loa = await StartWithAppKeysAsync();
        using var app = loa.Client("test-app");
        var token = FcmToken("a");

        var created = await app.PostAsJsonAsync("/api/v1/devices", Body(token, msisdn: "0912345678"));
        var again = await app.PostAsJsonAsync("/api/v1/devices", Body(token, province: "TH", language: "en", platform: "IOS"));

        var first = await created.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Null(created.Headers.Location); // the device's address would hold its token
        var view = JsonDocument.Parse(first).RootElement;
        Assert.Equal(DeviceTokens.Hash(token), view.GetProperty("tokenHash").GetString());
        Assert.Equal(("android", "loa", "01", "vi"), (view.GetProperty("platform").GetString(), view.GetProperty("app").GetString(),
            view.GetProperty("province").GetString(), view.GetProperty("language").GetString()));
        Assert.Equal("+8491****678", view.GetProperty("msisdn").GetString());
        Assert.Equal("national", view.GetProperty("tenant").GetString());
        Assert.DoesNotContain(token, first, StringComparison.Ordinal);
        Assert.DoesNotContain("0912345678", first, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var updated = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("ios", "38", "en"), (updated.GetProperty("platform").GetString(), updated.GetProperty("province").GetString(), updated.GetProperty("language").GetString()));
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("msisdn").ValueKind);
        Assert.Equal(view.GetProperty("createdAt").GetString(), updated.GetProperty("createdAt").GetString());

        // One row, and what it keeps of the token is the hash and a payload only the key ring opens.
        await using var connection = await loa.Services.GetRequiredService<Database>().OpenAsync();
        var rows = (await connection.QueryAsync<(string Hash, string Token)>("SELECT token_hash, token FROM devices")).ToList();
        var row = Assert.Single(rows);
        Assert.Equal(DeviceTokens.Hash(token), row.Hash);
        Assert.DoesNotContain(token, row.Token, StringComparison.Ordinal);
        Assert.Equal(token, loa.Services.GetRequiredService<DeviceTokens>().Unprotect(row.Token));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(loa.Directory, "keys"), "key-*.xml")); // the key ring sits beside the database
    }

    [Fact]
    public async Task A_device_says_at_each_registration_whether_its_owner_accepts_awareness_notifications()
    {
        await using var loa = await StartWithAppKeysAsync();
        using var app = loa.Client("test-app");
        var token = FcmToken("w");

        async Task<bool> RegisterAsync(bool? awareness)
        {
            var answer = await app.PostAsJsonAsync("/api/v1/devices", new { token, platform = "android", app = "loa", province = "HN", awareness });
            Assert.True(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync());
            return (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("awareness").GetBoolean();
        }

        async Task<(long Flag, long Counted)> StoredAsync()
        {
            await using var connection = await loa.Services.GetRequiredService<Database>().OpenAsync();
            return (await connection.ExecuteScalarAsync<long>("SELECT awareness_opt_out FROM devices"),
                await connection.ExecuteScalarAsync<long>("SELECT opted_out FROM device_counts WHERE app = 'loa' AND province = '01' AND language = 'vi'"));
        }

        Assert.True(await RegisterAsync(null));
        Assert.Equal((0L, 0L), await StoredAsync());
        Assert.False(await RegisterAsync(false));
        Assert.Equal((1L, 1L), await StoredAsync());
        // The app sends the owner's choice every time: a registration without it is the default, accepted.
        Assert.True(await RegisterAsync(null));
        Assert.Equal((0L, 0L), await StoredAsync());
        Assert.False(await RegisterAsync(false));
        Assert.True(await RegisterAsync(true));
        Assert.Equal((0L, 0L), await StoredAsync());

        using var wrong = await app.PostAsync("/api/v1/devices", new StringContent(
            $$"""{"token":"{{token}}","platform":"android","app":"loa","province":"HN","awareness":"no"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("awareness", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_wrong_field_is_a_validation_error_under_its_own_name_and_nothing_is_written()
    {
        await using var loa = await StartWithAppKeysAsync();
        using var app = loa.Client("test-app");

        var answer = await app.PostAsJsonAsync("/api/v1/devices",
            new { token = "has a space", platform = "windows", app = "loa app!", province = "Hanoi", language = "fr", msisdn = "12345" });
        var tooLong = await app.PostAsJsonAsync("/api/v1/devices", Body(new string('t', DevicesApi.MaxTokenLength + 1)));
        var missing = await app.PostAsJsonAsync("/api/v1/devices", new { token = "", app = "" });
        var longest = await app.PostAsJsonAsync("/api/v1/devices", Body(new string('t', DevicesApi.MaxTokenLength), app: new string('a', 64)));

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        var problem = await answer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://loa.gov.vn/problems/validation", problem.GetProperty("type").GetString());
        var fields = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order().ToList();
        Assert.Equal(["app", "language", "msisdn", "platform", "province", "token"], fields);
        Assert.DoesNotContain("12345", problem.GetProperty("errors").GetProperty("msisdn")[0].GetString()!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.True((await tooLong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("token", out _));
        var required = (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["app", "platform", "province", "token"], required.EnumerateObject().Select(p => p.Name).Order().ToList());
        Assert.Equal(HttpStatusCode.Created, longest.StatusCode); // 4096 characters and a 64-character app are allowed

        await using var connection = await loa.Services.GetRequiredService<Database>().OpenAsync();
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM devices"));
    }

    [Fact]
    public async Task A_province_key_registers_only_in_its_own_province_and_removes_only_its_own_devices()
    {
        await using var loa = await StartWithAppKeysAsync();
        using var national = loa.Client("test-app");
        using var hanoi = loa.Client("test-hn-app");
        var nationalToken = FcmToken("n");
        var hanoiToken = FcmToken("h");
        Assert.Equal(HttpStatusCode.Created, (await national.PostAsJsonAsync("/api/v1/devices", Body(nationalToken, province: "TH"))).StatusCode);

        var elsewhere = await hanoi.PostAsJsonAsync("/api/v1/devices", Body(hanoiToken, province: "TH"));
        var own = await hanoi.PostAsJsonAsync("/api/v1/devices", Body(hanoiToken, province: "hn"));

        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
        Assert.Equal("https://loa.gov.vn/problems/tenant", (await elsewhere.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        Assert.Equal("01", (await own.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tenant").GetString());

        // Another tenant's device and a token nobody registered are answered alike.
        var others = await hanoi.DeleteAsync("/api/v1/devices/" + Uri.EscapeDataString(nationalToken));
        var unknown = await hanoi.DeleteAsync("/api/v1/devices/" + Uri.EscapeDataString(FcmToken("u")));
        Assert.Equal(HttpStatusCode.NotFound, others.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(await unknown.Content.ReadFromJsonAsync<JsonElement>() is var u ? u.GetProperty("detail").GetString() : null,
            (await others.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await hanoi.DeleteAsync("/api/v1/devices/" + Uri.EscapeDataString(hanoiToken))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await hanoi.DeleteAsync("/api/v1/devices/" + Uri.EscapeDataString(hanoiToken))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await national.DeleteAsync("/api/v1/devices/" + Uri.EscapeDataString(nationalToken))).StatusCode);
    }

    [Fact]
    public async Task A_province_presenting_a_token_another_tenant_registered_is_answered_as_for_a_new_one()
    {
        await using var loa = await StartWithAppKeysAsync();
        var nationalKey = (await loa.Services.GetRequiredService<ApiKeyStore>().FindAsync("test-app"))!.Id;
        using var national = loa.Client("test-app");
        using var hanoi = loa.Client("test-hn-app");
        var token = FcmToken("m");
        Assert.Equal(HttpStatusCode.Created, (await national.PostAsJsonAsync("/api/v1/devices", Body(token, msisdn: "0912345678"))).StatusCode);

        var answer = await hanoi.PostAsJsonAsync("/api/v1/devices", Body(token));

        var text = await answer.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        Assert.Equal("01", JsonDocument.Parse(text).RootElement.GetProperty("tenant").GetString());
        Assert.DoesNotContain("national", text, StringComparison.Ordinal);
        Assert.DoesNotContain(nationalKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain("+8491", text, StringComparison.Ordinal); // the earlier holder's number went with it
        Assert.Equal(HttpStatusCode.NoContent, (await hanoi.DeleteAsync("/api/v1/devices/" + Uri.EscapeDataString(token))).StatusCode);
    }

    [Fact]
    public async Task Only_an_app_key_registers_or_removes_devices()
    {
        await using var loa = await StartWithAppKeysAsync();
        using var author = loa.Client("dev-author");
        using var admin = loa.Client("dev-admin");

        Assert.Equal(HttpStatusCode.Forbidden, (await author.PostAsJsonAsync("/api/v1/devices", Body(FcmToken("r")))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.DeleteAsync("/api/v1/devices/abc")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await loa.Client("no-such-key").PostAsJsonAsync("/api/v1/devices", Body(FcmToken("r")))).StatusCode);
    }

    [Fact]
    public async Task Registering_and_removing_a_device_puts_no_whole_token_or_number_in_the_logs_or_the_audit_trail()
    {
        var logs = new CapturedLogs();
        await using var loa = await StartWithAppKeysAsync(logs, s => s["Logging:LogLevel:Default"] = "Trace");
        using var app = loa.Client("test-app");
        using var admin = loa.Client("dev-admin");
        var token = FcmToken("z");
        var hash = DeviceTokens.Hash(token);

        Assert.Equal(HttpStatusCode.Created, (await app.PostAsJsonAsync("/api/v1/devices", Body(token, msisdn: "0912345678"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.PostAsJsonAsync("/api/v1/devices", Body(token, msisdn: "0912345678"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await app.DeleteAsync("/api/v1/devices/" + Uri.EscapeDataString(token))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.DeleteAsync("/api/v1/devices/" + Uri.EscapeDataString(token))).StatusCode);
        // Refused before the endpoint runs (no app role): its audit row hides the token too.
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.DeleteAsync("/api/v1/devices/" + Uri.EscapeDataString(token))).StatusCode);
        // Refused by routing (an ack whose body is not JSON): no endpoint, so its row names the path as sent, the token by its length only.
        using var plain = new StringContent("received", System.Text.Encoding.UTF8, "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await app.PostAsync("/api/v1/devices/" + Uri.EscapeDataString(token) + "/acks", plain)).StatusCode);

        // At the levels Loa ships (Information; Microsoft.AspNetCore and the key handler's challenge/forbid lines at Warning: appsettings.Loa.json). Below
        // them every line written during a request carries the request's path in its scope, and a removal's
        // path holds the token (docs/api.md, Devices): Debug is not for production.
        var shipped = logs.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal) || l.StartsWith("Error", StringComparison.Ordinal)
            || l.StartsWith("Critical", StringComparison.Ordinal)
            || (l.StartsWith("Information", StringComparison.Ordinal) && !l.StartsWith("Information Microsoft.AspNetCore.", StringComparison.Ordinal)
                && !l.StartsWith("Information Loa.CampaignApi.Security.ApiKeyAuthenticationHandler", StringComparison.Ordinal))).ToList();
        Assert.Contains(shipped, l => l.Contains("sha256 " + hash[..12], StringComparison.Ordinal) && l.Contains(token[..6] + "…", StringComparison.Ordinal));
        Assert.True(!shipped.Any(l => l.Contains(token[6..20], StringComparison.Ordinal)), string.Join("\n", shipped.Where(l => l.Contains(token[6..20], StringComparison.Ordinal))));
        Assert.DoesNotContain(shipped, l => l.Contains("912345678", StringComparison.Ordinal));

        var audit = await admin.GetStringAsync("/api/v1/audit?limit=1000");
        Assert.DoesNotContain(token[6..20], audit, StringComparison.Ordinal);
        Assert.DoesNotContain("912345678", audit, StringComparison.Ordinal);
        var rows = JsonDocument.Parse(audit).RootElement.GetProperty("items").EnumerateArray()
            .Where(r => r.GetProperty("action").GetString()!.Contains("/api/v1/devices", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, rows.Count);
        Assert.All(rows.Take(2), r => Assert.Equal(hash[..12], r.GetProperty("details").GetProperty("device").GetString()));
        Assert.All(rows.Skip(2).Take(3), r => Assert.Equal("sha256:" + hash[..12], r.GetProperty("target").GetString()));
        Assert.Equal($"POST /api/v1/devices/[{token.Length} characters]/acks", rows[5].GetProperty("action").GetString());
    }
}
