using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Audiences;

/// <summary>
/// <c>GET /api/v1/lists</c>, the console's list picker: newest first, paged by key, a province's own lists
/// only, every tenant's for a national author, with the counts kept at upload. And
/// <c>POST /api/v1/campaigns/preview</c>, the compose screen's live figures: create's answer, nothing stored.
/// </summary>
public sealed class ListPageSpecs
{
    [Fact]
    public async Task Lists_come_newest_first_paged_by_key_and_a_province_sees_only_its_own()
    {
        await using var loa = await LoaTestHost.StartAsync();
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("hn-lists", "hn-lists", "HN", ["author"]);
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("hp-lists", "hp-lists", "HP", ["author"]);
        using var national = loa.Client("dev-author");
        using var hanoi = loa.Client("hn-lists");
        using var haiphong = loa.Client("hp-lists");

        var uploaded = new List<string>();
        for (var i = 0; i < 5; i++)
            uploaded.Add((await LoaTestHost.UploadListAsync(national, LoaTestHost.NumbersCsv(3 + i, offset: 100 * i), $"national {i}")).GetProperty("id").GetString()!);
        var hanoiList = (await LoaTestHost.UploadListAsync(hanoi, LoaTestHost.NumbersCsv(4, offset: 900), "hà nội")).GetProperty("id").GetString()!;
        var haiphongList = (await LoaTestHost.UploadListAsync(haiphong, LoaTestHost.NumbersCsv(2, offset: 950), "hải phòng")).GetProperty("id").GetString()!;

        // National: every tenant's, newest first, two at a time until next is null.
        var seen = new List<JsonElement>();
        string? after = null;
        do
        {
            var page = await national.GetFromJsonAsync<JsonElement>($"/api/v1/lists?limit=2{(after is null ? "" : $"&after={after}")}");
            var items = page.GetProperty("items").EnumerateArray().ToList();
            Assert.True(items.Count <= 2);
            seen.AddRange(items);
            after = page.GetProperty("next").GetString();
            Assert.True(after is null || items.Count == 2);
        }
        while (after is not null);
        Assert.Equal([haiphongList, hanoiList, .. Enumerable.Reverse(uploaded)], seen.Select(l => l.GetProperty("id").GetString()));
        var newest = seen.Single(l => l.GetProperty("id").GetString() == uploaded[^1]);
        Assert.Equal("national 4", newest.GetProperty("name").GetString());
        Assert.Equal("national", newest.GetProperty("tenant").GetString());
        Assert.Equal(7, newest.GetProperty("accepted").GetInt64());
        Assert.Equal(0, newest.GetProperty("rejected").GetInt64());
        Assert.True(newest.GetProperty("createdAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));

        // A province: its own only, on every page.
        var own = await hanoi.GetFromJsonAsync<JsonElement>("/api/v1/lists?limit=1");
        Assert.Equal([hanoiList], own.GetProperty("items").EnumerateArray().Select(l => l.GetProperty("id").GetString()));
        Assert.Equal(hanoiList, own.GetProperty("next").GetString());
        var rest = await hanoi.GetFromJsonAsync<JsonElement>($"/api/v1/lists?limit=1&after={hanoiList}");
        Assert.Empty(rest.GetProperty("items").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("next").ValueKind);
        var theirs = await haiphong.GetFromJsonAsync<JsonElement>("/api/v1/lists");
        Assert.Equal([haiphongList], theirs.GetProperty("items").EnumerateArray().Select(l => l.GetProperty("id").GetString()));

        // Authors only, as GET /api/v1/lists/{id}.
        using var operatorClient = loa.Client("dev-operator");
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.GetAsync("/api/v1/lists")).StatusCode);
    }

    [Fact]
    public async Task The_draft_preview_is_what_create_answers_and_stores_nothing()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var author = loa.Client("dev-author");
        var csv = "msisdn,province,tags\n" + string.Concat(Enumerable.Range(0, 12).Select(n => $"{LoaTestHost.Number(n)},01,{(n % 3 == 0 ? "student" : "elderly")}\n"));
        var list = (await LoaTestHost.UploadListAsync(author, csv)).GetProperty("id").GetString()!;
        var definition = new
        {
            name = "Phân đoạn", kind = "awareness", channels = new[] { "sms" }, message = new { sms = "Canh giac lua dao" },
            audience = new { lists = new[] { list }, include = new { tags = new[] { "student" } } },
        };
        var before = (await author.GetFromJsonAsync<JsonElement>("/api/v1/campaigns?limit=500")).GetProperty("items").GetArrayLength();

        var answer = await author.PostAsJsonAsync("/api/v1/campaigns/preview", definition);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var preview = await answer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(4, preview.GetProperty("preview").GetProperty("recipients").GetInt64());
        Assert.Equal("gsm7", preview.GetProperty("sms").GetProperty("encoding").GetString());
        Assert.Equal(before, (await author.GetFromJsonAsync<JsonElement>("/api/v1/campaigns?limit=500")).GetProperty("items").GetArrayLength());

        var created = await (await author.PostAsJsonAsync("/api/v1/campaigns", definition)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(created.GetProperty("preview").GetRawText(), preview.GetProperty("preview").GetRawText());

        // Refused as create refuses.
        var refused = await author.PostAsJsonAsync("/api/v1/campaigns/preview", definition with { name = "" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True((await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("name", out _));
    }
}
