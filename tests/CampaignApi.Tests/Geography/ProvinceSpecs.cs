using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.CampaignApi.Tests.Alerts;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Geography;

/// <summary>
/// Provinces as they are from 1 July 2025 (issue 19): a code is read the same way everywhere, old codes
/// are mapped to the unit that absorbed them and said so, and a province still reaches only its own.
/// </summary>
public sealed class ProvinceSpecs : IAsyncLifetime
{
    private LoaTestHost loa = null!;

    public async Task InitializeAsync() => loa = await LoaTestHost.StartAsync();

    public async Task DisposeAsync() => await loa.DisposeAsync();

    [Fact]
    public async Task An_upload_maps_old_codes_to_todays_units_reports_each_and_refuses_a_code_that_maps_to_nothing()
    {
        using var author = loa.Client("dev-author");
        var csv = "msisdn,province\n"
            + $"{LoaTestHost.Number(1)},HN\n{LoaTestHost.Number(2)},HG\n{LoaTestHost.Number(3)},93\n{LoaTestHost.Number(4)},vn-73\n"
            + $"{LoaTestHost.Number(5)},92\n{LoaTestHost.Number(6)},HG\n{LoaTestHost.Number(7)},XX\n{LoaTestHost.Number(8)},\n";

        var list = await LoaTestHost.UploadListAsync(author, csv, "old codes");

        Assert.Equal((7, 1), (list.GetProperty("accepted").GetInt32(), list.GetProperty("rejected").GetInt32()));
        var error = Assert.Single(list.GetProperty("errors").EnumerateArray());
        Assert.Equal(8, error.GetProperty("line").GetInt64());
        Assert.Contains("'XX' is not a province", error.GetProperty("reason").GetString());
        var remapped = list.GetProperty("remapped").EnumerateObject()
            .ToDictionary(p => p.Name, p => (p.Value.GetProperty("to").GetString(), p.Value.GetProperty("scheme").GetString(), p.Value.GetProperty("rows").GetInt32()));
        Assert.Equal(
            new Dictionary<string, (string?, string?, int)>
            {
                ["HN"] = ("01", "alias", 1), ["HG"] = ("92", "loa", 2), ["93"] = ("92", "gso", 1), ["VN-73"] = ("92", "iso3166-2", 1),
            },
            remapped);
        Assert.Equal("Cần Thơ", list.GetProperty("remapped").GetProperty("HG").GetProperty("name").GetString());

        var details = await author.GetFromJsonAsync<JsonElement>($"/api/v1/lists/{list.GetProperty("id").GetString()}");
        Assert.Equal(
            new Dictionary<string, long> { ["01"] = 1, ["92"] = 5, ["unknown"] = 1 },
            details.GetProperty("byProvince").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()));
        Assert.Equal("Cần Thơ", details.GetProperty("provinceNames").GetProperty("92").GetString());
    }

    [Fact]
    public async Task A_key_created_with_an_alias_or_an_old_code_belongs_to_the_canonical_unit()
    {
        using var admin = loa.Client("dev-admin");
        var byAlias = await CreateKeyAsync(admin, "ct author", "ct");
        Assert.Equal(("92", "Cần Thơ", "CT"), Tenant(byAlias));
        var byOldCode = await CreateKeyAsync(admin, "hg author", "HG");
        Assert.Equal(("92", "Cần Thơ", "HG"), Tenant(byOldCode));
        var canonical = await CreateKeyAsync(admin, "hn author", "01");
        Assert.Equal(("01", "Hà Nội", null), Tenant(canonical));

        var unknown = await admin.PostAsJsonAsync("/api/v1/keys", new { name = "nowhere", tenant = "XX", roles = new[] { "author" } });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("tenant", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateObject().Select(e => e.Name));

        // A Cần Thơ admin manages the keys of Cần Thơ, whichever old name a request uses for it.
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("test-ct-admin", "ct admin", "92", ["admin"]);
        using var ctAdmin = loa.Client("test-ct-admin");
        Assert.Equal(HttpStatusCode.Created, (await ctAdmin.PostAsJsonAsync("/api/v1/keys", new { name = "st operator", tenant = "ST", roles = new[] { "operator" } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ctAdmin.PostAsJsonAsync("/api/v1/keys", new { name = "hn", tenant = "HN", roles = new[] { "operator" } })).StatusCode);

        static (string?, string?, string?) Tenant(JsonElement key) =>
            (key.GetProperty("tenant").GetString(), key.GetProperty("tenantName").GetString(), key.GetProperty("tenantRemappedFrom").GetString());
    }

    [Fact]
    public async Task A_Hau_Giang_key_is_Can_Tho_now_and_sees_Can_Tho_not_Ha_Noi()
    {
        // Keys as they were before the merger: Hậu Giang's still works, as Cần Thơ.
        var keys = loa.Services.GetRequiredService<ApiKeyStore>();
        await keys.UpsertAsync("test-hg-author", "hg author", "HG", ["author", "operator"]);
        await keys.UpsertAsync("test-ct-author", "ct author", "CT", ["author"]);
        using var hauGiang = loa.Client("test-hg-author");
        using var canTho = loa.Client("test-ct-author");
        using var hanoi = loa.Client("dev-hn-author");

        Assert.Equal("92", (await hauGiang.GetFromJsonAsync<JsonElement>("/api/v1/me")).GetProperty("tenant").GetString());
        var canThoList = (await LoaTestHost.UploadListAsync(canTho, LoaTestHost.NumbersCsv(3, "ST"))).GetProperty("id").GetString()!;
        var hanoiList = (await LoaTestHost.UploadListAsync(hanoi, LoaTestHost.NumbersCsv(3, "HN", offset: 10))).GetProperty("id").GetString()!;
        var canThoCampaign = await LoaTestHost.CreateCampaignAsync(canTho, LoaTestHost.Campaign(canThoList));
        var hanoiCampaign = await LoaTestHost.CreateCampaignAsync(hanoi, LoaTestHost.Campaign(hanoiList));

        var seen = (await hauGiang.GetFromJsonAsync<JsonElement>("/api/v1/campaigns")).GetProperty("items").EnumerateArray()
            .Select(c => c.GetProperty("id").GetString()).ToList();
        Assert.Contains(canThoCampaign, seen);
        Assert.DoesNotContain(hanoiCampaign, seen);
        Assert.Equal(HttpStatusCode.NotFound, (await hauGiang.GetAsync($"/api/v1/campaigns/{hanoiCampaign}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await hauGiang.GetAsync($"/api/v1/lists/{canThoList}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await hauGiang.GetAsync($"/api/v1/lists/{hanoiList}")).StatusCode);

        // Its audience may name its unit by any of its names, never another unit.
        var sameUnit = new
        {
            name = "Cần Thơ", kind = "warning", channels = new[] { "sms" }, message = new { sms = "Canh bao" },
            audience = new { lists = new[] { canThoList }, provinces = new[] { "HG", "CT", "92" } },
        };
        var created = await hauGiang.PostAsJsonAsync("/api/v1/campaigns", sameUnit);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(["92"], (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("audience").GetProperty("provinces").EnumerateArray().Select(p => p.GetString()));
        var other = await hauGiang.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Hà Nội", kind = "warning", channels = new[] { "sms" }, message = new { sms = "Canh bao" },
            audience = new { lists = new[] { canThoList }, provinces = new[] { "HN" } },
        });
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);

        // And its uploads: a row of another unit is refused; an old code of its own is taken as its own.
        var rows = await LoaTestHost.UploadListAsync(hauGiang, $"msisdn,province\n{LoaTestHost.Number(40)},HN\n{LoaTestHost.Number(41)},ST\n");
        Assert.Equal((1, 1), (rows.GetProperty("accepted").GetInt32(), rows.GetProperty("rejected").GetInt32()));
    }

    [Fact]
    public async Task An_audience_naming_a_code_that_maps_to_nothing_is_refused()
    {
        using var author = loa.Client("dev-author");
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(2, "HN"))).GetProperty("id").GetString()!;
        var response = await author.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "x", kind = "warning", channels = new[] { "sms" }, message = new { sms = "Canh bao" },
            audience = new { lists = new[] { list }, provinces = new[] { "HN", "QN" } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("audience.provinces[1]", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task A_device_registered_with_an_old_code_is_in_its_unit()
    {
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("test-app", "app", "national", ["app"]);
        using var app = loa.Client("test-app");
        var response = await app.PostAsJsonAsync("/api/v1/devices", new { token = "device-hg", platform = "android", app = "loa", province = "HG" });
        var device = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(("92", "Cần Thơ"), (device.GetProperty("province").GetString(), device.GetProperty("provinceName").GetString()));
        var unknown = await app.PostAsJsonAsync("/api/v1/devices", new { token = "device-xx", platform = "android", app = "loa", province = "XX" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task The_34_units_and_what_any_code_stands_for_are_readable_by_every_key()
    {
        using var author = loa.Client("dev-hn-author");
        var page = await author.GetFromJsonAsync<JsonElement>("/api/v1/provinces");
        var units = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(34, units.Count);
        var canTho = units.Single(u => u.GetProperty("code").GetString() == "92");
        Assert.Equal(("Cần Thơ", "CT", "city"), (canTho.GetProperty("name").GetString(), canTho.GetProperty("alias").GetString(), canTho.GetProperty("kind").GetString()));
        Assert.Contains("HG", canTho.GetProperty("oldCodes").EnumerateArray().Select(o => o.GetProperty("code").GetString()));

        var resolved = await author.GetFromJsonAsync<JsonElement>("/api/v1/provinces/vn-73");
        Assert.Equal(("92", "iso3166-2", "VN-73"), (resolved.GetProperty("code").GetString(), resolved.GetProperty("scheme").GetString(), resolved.GetProperty("remappedFrom").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await author.GetAsync("/api/v1/provinces/XX")).StatusCode);
    }

    private static async Task<JsonElement> CreateKeyAsync(HttpClient admin, string name, string tenant)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/keys", new { name, tenant, roles = new[] { "author" } });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body.ToString());
        return body;
    }
}

/// <summary>CAP geocodes in the schemes other systems still send: GSO codes of before 2025 and ISO 3166-2.</summary>
[Collection(CapCollection.Name)]
public sealed class CapOldGeocodeSpecs(CapHost cap)
{
    [Fact]
    public async Task An_alert_naming_old_GSO_and_ISO_codes_targets_the_units_that_absorbed_them()
    {
        using var author = cap.Loa.Client("dev-author");
        var document = CapDocument.Load("mixed-geocodes.xml").Unique()
            .With("<valueName>GSO</valueName>\n        <value>38</value>", "<valueName>GSO</valueName>\n        <value>93</value>")
            .With("<valueName>FIPS</valueName>\n        <value>VM89</value>", "<valueName>ISO3166-2</valueName>\n        <value>VN-03</value>");

        var campaign = await CapHost.PostExpectingAsync(author, document, HttpStatusCode.Created);

        // Hà Nội (GSO 01, VN-HN), Hậu Giang (GSO 93) in Cần Thơ, Hà Giang (VN-03) in Tuyên Quang.
        Assert.Equal(["01", "92", "08"], campaign.GetProperty("audience").GetProperty("provinces").EnumerateArray().Select(p => p.GetString()));
        Assert.Empty(campaign.GetProperty("cap").GetProperty("unplacedAreas").EnumerateArray());
    }
}
