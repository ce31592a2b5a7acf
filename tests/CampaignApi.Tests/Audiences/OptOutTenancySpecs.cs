using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Audiences;

/// <summary>Another tenant's opt-out is as absent to a province as a number nobody opted out.</summary>
public sealed class OptOutTenancySpecs
{
    [Fact]
    public async Task A_province_operator_posting_a_number_the_national_tenant_opted_out_learns_nothing_of_that_record()
    {
        await using var loa = await LoaTestHost.StartAsync();
        var keys = loa.Services.GetRequiredService<ApiKeyStore>();
        await keys.UpsertAsync("test-hn-operator", "hn operator", "HN", ["operator"]);
        var hanoiId = (await keys.FindAsync("test-hn-operator"))!.Id;
        var nationalId = (await keys.FindAsync("dev-operator"))!.Id;
        using var national = loa.Client("dev-operator");
        using var hanoi = loa.Client("test-hn-operator");
        Assert.Equal(HttpStatusCode.Created, (await national.PostAsync("/api/v1/optouts/0912000021", null)).StatusCode);
        var nationalRecord = await national.GetStringAsync("/api/v1/optouts/0912000021");

        var answer = await hanoi.PostAsync("/api/v1/optouts/0912000021", null);

        var text = await answer.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        var view = JsonDocument.Parse(text).RootElement;
        Assert.Equal("01", view.GetProperty("tenant").GetString());
        Assert.Equal("key:" + hanoiId, view.GetProperty("createdBy").GetString());
        Assert.DoesNotContain("national", text, StringComparison.Ordinal);
        Assert.DoesNotContain(nationalId, text, StringComparison.Ordinal);
        // The national record is as it was, and the province still sees none of it.
        Assert.Equal(nationalRecord, await national.GetStringAsync("/api/v1/optouts/0912000021"));
        Assert.Equal(HttpStatusCode.NotFound, (await hanoi.GetAsync("/api/v1/optouts/0912000021")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await hanoi.DeleteAsync("/api/v1/optouts/0912000021")).StatusCode);
    }

    [Fact]
    public async Task A_province_uploading_numbers_the_national_tenant_opted_out_is_answered_as_for_numbers_nobody_opted_out()
    {
        await using var loa = await LoaTestHost.StartAsync();
        var keys = loa.Services.GetRequiredService<ApiKeyStore>();
        await keys.UpsertAsync("test-hn-operator", "hn operator", "HN", ["operator"]);
        using var national = loa.Client("dev-operator");
        using var hanoi = loa.Client("test-hn-operator");
        Assert.Equal(HttpStatusCode.Created, (await national.PostAsync("/api/v1/optouts/0912000031", null)).StatusCode);

        // One number the national tenant opted out, one nobody did, and a repeat within the file.
        using var body = new StringContent("msisdn\n0912000031\n0912000032\n0912000032\n", System.Text.Encoding.UTF8, "text/csv");
        var answer = await hanoi.PostAsync("/api/v1/optouts", body);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var counts = await answer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, counts.GetProperty("accepted").GetInt32());
        Assert.Equal(1, counts.GetProperty("duplicates").GetInt32()); // the repeat in its own file, nothing more
        // The national tenant, which sees every record, is still told the truth.
        using var again = new StringContent("msisdn\n0912000031\n", System.Text.Encoding.UTF8, "text/csv");
        var nationalCounts = await (await national.PostAsync("/api/v1/optouts", again)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, nationalCounts.GetProperty("accepted").GetInt32());
        Assert.Equal(1, nationalCounts.GetProperty("duplicates").GetInt32());
    }
}
