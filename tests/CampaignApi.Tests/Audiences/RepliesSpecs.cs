using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Storage.Replies;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Audiences;

/// <summary>Subscribers' replies as an operator reads them: newest first, masked, by number, page by page.</summary>
public sealed class RepliesSpecs
{
    [Fact]
    public async Task The_national_operator_reads_replies_newest_first_masked_and_filtered_by_number_and_a_province_cannot()
    {
        await using var loa = await LoaTestHost.StartAsync();
        var store = loa.Services.GetRequiredService<ReplyStore>();
        var at = DateTimeOffset.UtcNow;
        await store.RecordAsync("viettel", "+84961234567", "CUCATTT", "Ai gửi tin này?", optOut: false, at);
        await store.RecordAsync("mobifone", "+84901234567", "CUCATTT", "Cảm ơn", optOut: false, at.AddSeconds(1));
        await store.RecordAsync("viettel", "+84961234567", "CUCATTT", "TU CHOI", optOut: true, at.AddSeconds(2));

        using var operatorClient = loa.Client("dev-operator");
        var all = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/replies");
        Assert.Equal(["TU CHOI", "Cảm ơn", "Ai gửi tin này?"], all.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("text").GetString()));
        var newest = all.GetProperty("items")[0];
        Assert.Equal(("viettel", "+8496****567", true), (newest.GetProperty("carrier").GetString(), newest.GetProperty("msisdn").GetString(), newest.GetProperty("optedOut").GetBoolean()));
        Assert.DoesNotContain("1234567", all.ToString(), StringComparison.Ordinal);

        var one = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/replies?msisdn=0961234567&limit=1");
        Assert.Equal("TU CHOI", Assert.Single(one.GetProperty("items").EnumerateArray()).GetProperty("text").GetString());
        var next = one.GetProperty("next").GetString();
        var older = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/replies?msisdn=0961234567&before={next}");
        Assert.Equal("Ai gửi tin này?", Assert.Single(older.GetProperty("items").EnumerateArray()).GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.Null, older.GetProperty("next").ValueKind);

        Assert.Equal(HttpStatusCode.BadRequest, (await operatorClient.GetAsync("/api/v1/replies?before=abc")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await operatorClient.GetAsync("/api/v1/replies?msisdn=123")).StatusCode);
        using var author = loa.Client("dev-author");
        Assert.Equal(HttpStatusCode.Forbidden, (await author.GetAsync("/api/v1/replies")).StatusCode);
    }
}
