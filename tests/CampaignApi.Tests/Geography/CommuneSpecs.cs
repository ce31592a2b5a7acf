using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Geography;

/// <summary>
/// The commune table operators load (issue 19): a national admin replaces it whole from a CSV file, all or
/// nothing; every key reads it; once loaded, a list member's commune must be one of its province's, and the
/// lists uploaded before it that it contradicts are named.
/// </summary>
public sealed class CommuneSpecs : IAsyncLifetime
{
    private const string Table = "code,name,province\n00004,Phường Ba Đình,HN\n00008,Phường Ngọc Hà,01\n14950,Xã Thử,38\n31150,Xã Cần Thơ,93\n";

    private LoaTestHost loa = null!;

    public async Task InitializeAsync() => loa = await LoaTestHost.StartAsync();

    public async Task DisposeAsync() => await loa.DisposeAsync();

    private static StringContent Csv(string text) => new(text, Encoding.UTF8, "text/csv");

    private async Task<HttpResponseMessage> LoadAsync(HttpClient client, string csv) =>
        await client.PutAsync("/api/v1/geography/communes", Csv(csv));

    [Fact]
    public async Task A_file_with_a_bad_row_is_refused_whole_each_cell_named_by_its_line()
    {
        using var admin = loa.Client("dev-admin");
        Assert.Equal(HttpStatusCode.OK, (await LoadAsync(admin, Table)).StatusCode);

        using var response = await LoadAsync(admin,
            "code,name,province\n00004,Phường Ba Đình,HN\n1234,Ngắn,01\n00004,Lặp lại,01\n00010,,XX\n");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["line 3.code", "line 4.code", "line 5.name", "line 5.province"], errors.EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Contains("line 2", errors.GetProperty("line 4.code")[0].GetString());
        // The table is the one loaded before.
        var page = await admin.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes");
        Assert.Equal(4, page.GetProperty("items").GetArrayLength());

        using var noHeader = await LoadAsync(admin, "ma,ten,tinh\n00004,x,01\n");
        Assert.Equal(HttpStatusCode.BadRequest, noHeader.StatusCode);
        using var json = await admin.PutAsJsonAsync("/api/v1/geography/communes", new { code = "00004" });
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
    }

    [Fact]
    public async Task Only_a_national_admin_loads_the_table_and_every_key_reads_it_by_province_a_page_at_a_time()
    {
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("hn-admin", "hn-admin", "HN", ["admin"]);
        using var provinceAdmin = loa.Client("hn-admin");
        using var author = loa.Client("dev-author");
        using var admin = loa.Client("dev-admin");

        Assert.Equal(HttpStatusCode.Forbidden, (await LoadAsync(provinceAdmin, Table)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await LoadAsync(author, Table)).StatusCode);
        Assert.Empty((await author.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes")).GetProperty("items").EnumerateArray());

        using var loaded = await LoadAsync(admin, Table);
        Assert.Equal(HttpStatusCode.OK, loaded.StatusCode);
        Assert.Equal(4, (await loaded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());

        // Provinces are stored canonical, whatever form the file used (HN, 93 → 92).
        var all = await provinceAdmin.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes");
        Assert.Equal(
            ["00004 01", "00008 01", "14950 38", "31150 92"],
            all.GetProperty("items").EnumerateArray().Select(c => $"{c.GetProperty("code").GetString()} {c.GetProperty("province").GetString()}"));
        var first = await author.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes?province=HN&limit=1");
        Assert.Equal("00004", Assert.Single(first.GetProperty("items").EnumerateArray()).GetProperty("code").GetString());
        var next = first.GetProperty("next").GetString();
        var second = await author.GetFromJsonAsync<JsonElement>($"/api/v1/geography/communes?province=01&limit=1&after={next}");
        Assert.Equal("Phường Ngọc Hà", Assert.Single(second.GetProperty("items").EnumerateArray()).GetProperty("name").GetString());
        using var unknown = await author.GetAsync("/api/v1/geography/communes?province=XX");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);

        // The load and both refusals are on the audit trail.
        var audit = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=1000")).GetProperty("items").EnumerateArray()
            .Where(r => r.GetProperty("action").GetString()!.StartsWith("PUT /api/v1/geography/communes", StringComparison.Ordinal)).ToList();
        Assert.Equal([200, 403, 403], audit.Select(r => r.GetProperty("outcome").GetInt32()).Order().ToList());
        var load = Assert.Single(audit, r => r.GetProperty("outcome").GetInt32() == 200);
        Assert.Equal(4, load.GetProperty("details").GetProperty("communes").GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task With_the_table_loaded_a_members_commune_must_be_of_its_province_and_places_a_member_without_one()
    {
        using var author = loa.Client("dev-author");
        using var admin = loa.Client("dev-admin");
        using var hanoi = loa.Client("dev-hn-author");
        var csv = "msisdn,province,commune\n"
            + $"{LoaTestHost.Number(1)},HN,00004\n"   // 2: Hà Nội's own
            + $"{LoaTestHost.Number(2)},38,00004\n"   // 3: a Hà Nội commune filed under Thanh Hóa
            + $"{LoaTestHost.Number(3)},,14950\n"     // 4: no province: Thanh Hóa's, from its commune
            + $"{LoaTestHost.Number(4)},01,99999\n"   // 5: a commune the table does not hold
            + $"{LoaTestHost.Number(5)},93,31150\n";  // 6: an old code of the commune's unit

        // Empty table: the form is all that is checked, as before.
        var before = await LoaTestHost.UploadListAsync(author, csv, "before the table");
        Assert.Equal(5, before.GetProperty("accepted").GetInt32());

        var hanoiBefore = await LoaTestHost.UploadListAsync(hanoi, $"msisdn,commune\n{LoaTestHost.Number(8)},99998\n{LoaTestHost.Number(9)},00004\n", "Hà Nội, trước bảng");
        Assert.Equal(2, hanoiBefore.GetProperty("accepted").GetInt32());
        var none = await hanoi.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes/review");
        Assert.Equal((false, 0), (none.GetProperty("loaded").GetBoolean(), none.GetProperty("lists").GetInt32()));

        // Loading the table names the lists it contradicts, from their counters: the members stay as they are.
        using var loaded = await LoadAsync(admin, Table);
        Assert.Equal(HttpStatusCode.OK, loaded.StatusCode);
        var review = (await loaded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("review");
        Assert.Equal((true, 2, 3L), (review.GetProperty("loaded").GetBoolean(), review.GetProperty("lists").GetInt32(), review.GetProperty("members").GetInt64()));
        Assert.Equal(
            [$"{before.GetProperty("id").GetString()} national 1 1", $"{hanoiBefore.GetProperty("id").GetString()} 01 1 0"],
            review.GetProperty("items").EnumerateArray().Select(l =>
                $"{l.GetProperty("listId").GetString()} {l.GetProperty("tenant").GetString()} {l.GetProperty("unknownCommune").GetInt64()} {l.GetProperty("otherProvince").GetInt64()}"));
        // A province reads its own lists only; a national key every tenant's.
        var hanoiReview = await hanoi.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes/review");
        Assert.Equal("Hà Nội, trước bảng", Assert.Single(hanoiReview.GetProperty("items").EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(2, (await author.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes/review")).GetProperty("lists").GetInt32());

        var list = await LoaTestHost.UploadListAsync(author, csv, "with the table");

        Assert.Equal((3, 2), (list.GetProperty("accepted").GetInt32(), list.GetProperty("rejected").GetInt32()));
        Assert.Equal(
            ["3: commune '00004' is not a commune of Thanh Hóa (38)", "5: commune '99999' is not a known commune"],
            list.GetProperty("errors").EnumerateArray().Select(e => $"{e.GetProperty("line").GetInt64()}: {e.GetProperty("reason").GetString()}"));
        var details = await author.GetFromJsonAsync<JsonElement>($"/api/v1/lists/{list.GetProperty("id").GetString()}");
        Assert.Equal(
            new Dictionary<string, long> { ["01"] = 1, ["38"] = 1, ["92"] = 1 },
            details.GetProperty("byProvince").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()));

        // A province's upload is its own province: a commune of another is refused.
        var own = await LoaTestHost.UploadListAsync(hanoi, $"msisdn,commune\n{LoaTestHost.Number(6)},00008\n{LoaTestHost.Number(7)},14950\n", "Hà Nội");
        Assert.Equal((1, 1), (own.GetProperty("accepted").GetInt32(), own.GetProperty("rejected").GetInt32()));
        Assert.Contains("not a commune of Hà Nội (01)", own.GetProperty("errors")[0].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_national_admin_clears_the_table_and_communes_are_checked_for_their_form_only_again()
    {
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("hn-admin-clear", "hn-admin-clear", "HN", ["admin"]);
        using var provinceAdmin = loa.Client("hn-admin-clear");
        using var author = loa.Client("dev-author");
        using var admin = loa.Client("dev-admin");
        Assert.Equal(HttpStatusCode.OK, (await LoadAsync(admin, Table)).StatusCode);
        var unknown = $"msisdn,province,commune\n{LoaTestHost.Number(11)},01,99999\n";
        Assert.Equal(0, (await LoaTestHost.UploadListAsync(author, unknown, "unknown commune, table loaded")).GetProperty("accepted").GetInt32());

        using (var refused = await provinceAdmin.DeleteAsync("/api/v1/geography/communes?confirm=4"))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using (var byAuthor = await author.DeleteAsync("/api/v1/geography/communes?confirm=4"))
            Assert.Equal(HttpStatusCode.Forbidden, byAuthor.StatusCode);
        // The caller says what it removes: nothing said, or a table that changed since it was read, removes nothing.
        using (var unsaid = await admin.DeleteAsync("/api/v1/geography/communes"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unsaid.StatusCode);
            Assert.Contains("\"confirm\"", await unsaid.Content.ReadAsStringAsync());
        }
        var loaded = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes")).GetProperty("loaded").GetInt32();
        Assert.Equal(4, loaded);
        using (var stale = await admin.DeleteAsync("/api/v1/geography/communes?confirm=3"))
            Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal(4, (await admin.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes")).GetProperty("items").GetArrayLength());

        using (var cleared = await admin.DeleteAsync($"/api/v1/geography/communes?confirm={loaded}"))
        {
            Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
            Assert.Equal(4, (await cleared.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("removed").GetInt32());
        }

        Assert.Equal(0, (await admin.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes")).GetProperty("loaded").GetInt32());
        Assert.False((await author.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes/review")).GetProperty("loaded").GetBoolean());
        Assert.Equal(1, (await LoaTestHost.UploadListAsync(author, unknown, "unknown commune, no table")).GetProperty("accepted").GetInt32());
        var audit = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=50");
        var entry = audit.GetProperty("items").EnumerateArray().First(e => e.GetProperty("action").GetString() == "DELETE /api/v1/geography/communes" && e.GetProperty("outcome").GetInt32() == 200);
        Assert.Equal(4, entry.GetProperty("details").GetProperty("communes").GetProperty("removed").GetInt32());
    }
}
