using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Security;

/// <summary>
/// Principals are identified by their key's id (and tenant), never by a key's name: an admin of any
/// tenant can name a key like someone else's.
/// </summary>
public sealed class PrincipalSpecs
{
    private static async Task<(string Id, string Key)> CreateKeyAsync(HttpClient admin, string name, string tenant, params string[] roles)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/keys", new { name, tenant, roles });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {body}");
        return (body.GetProperty("id").GetString()!, body.GetProperty("key").GetString()!);
    }

    private static async Task<string> KeyIdAsync(LoaTestHost loa, string key) =>
        (await loa.Services.GetRequiredService<ApiKeyStore>().FindAsync(key))!.Id;

    [Fact]
    public async Task A_province_key_named_like_a_national_key_does_not_drain_its_rate_limit()
    {
        await using var loa = await LoaTestHost.StartAsync(s =>
        {
            s["Loa:Limits:RequestsPerSecond"] = "1";
            s["Loa:Limits:Burst"] = "5";
        });
        using var admin = loa.Client("dev-admin");
        var (_, key) = await CreateKeyAsync(admin, "dev-operator", "HN", "operator");
        using var impostor = loa.Client(key);
        using var national = loa.Client("dev-operator");

        var refused = false;
        for (var i = 0; i < 20 && !refused; i++)
            refused = (await impostor.GetAsync("/api/v1/me")).StatusCode == HttpStatusCode.TooManyRequests;

        Assert.True(refused, "the province key was never limited");
        Assert.Equal(HttpStatusCode.OK, (await national.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task The_audit_trail_records_a_key_by_its_id_and_tenant_with_its_name_as_a_label()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var admin = loa.Client("dev-admin");
        var (impostorId, key) = await CreateKeyAsync(admin, "dev-operator", "HN", "operator");
        using var impostor = loa.Client(key);
        using var national = loa.Client("dev-operator");
        Assert.Equal(HttpStatusCode.Created, (await impostor.PostAsync("/api/v1/optouts/0912000011", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await national.PostAsync("/api/v1/optouts/0912000012", null)).StatusCode);

        var rows = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=1000")).GetProperty("items").EnumerateArray()
            .Where(r => r.GetProperty("action").GetString() == "POST /api/v1/optouts/{msisdn}")
            .Select(r => (Who: r.GetProperty("who").GetString(), Tenant: r.GetProperty("tenant").GetString(), Name: r.GetProperty("details").GetProperty("name").GetString()))
            .ToList();

        Assert.Equal(
            [("key:" + impostorId, "01", "dev-operator"), ("key:" + await KeyIdAsync(loa, "dev-operator"), "national", "dev-operator")],
            rows);
    }

    [Fact]
    public async Task A_campaign_records_its_author_submitter_and_approver_by_key_id()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3))).GetProperty("id").GetString()!;
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);

        var campaign = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");

        var authorId = "key:" + await KeyIdAsync(loa, "dev-author");
        Assert.Equal(authorId, campaign.GetProperty("createdBy").GetString());
        Assert.Equal(authorId, campaign.GetProperty("submittedBy").GetString());
        Assert.Equal("key:" + await KeyIdAsync(loa, "dev-approver"), campaign.GetProperty("approvedBy").GetString());
        var me = await author.GetFromJsonAsync<JsonElement>("/api/v1/me");
        Assert.Equal((authorId, "dev-author"), (me.GetProperty("id").GetString(), me.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task A_draft_recorded_under_a_key_name_before_the_upgrade_cannot_be_approved_by_that_key()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3))).GetProperty("id").GetString()!;
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list));
        Assert.Equal(HttpStatusCode.OK, (await author.PostAsync($"/api/v1/campaigns/{id}/submit", null)).StatusCode);
        // As rows were written before principals had ids: the approver's own name as author.
        await using (var connection = await loa.Services.GetRequiredService<Loa.Storage.Database>().OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE campaigns SET created_by = 'dev-approver' WHERE id = @id", new { id });

        var refused = await approver.PostAsync($"/api/v1/campaigns/{id}/approve", null);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.EndsWith("/two-person-rule", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
    }
}
