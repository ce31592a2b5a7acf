using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Storage;
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

    [Theory, SqliteData, SqlServerData]
    public async Task A_campaign_and_the_campaign_list_name_each_recorded_key_beside_its_id(DatabaseProvider database)
    {
        await using var loa = await LoaTestHost.StartAsync(database: database);
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3))).GetProperty("id").GetString()!;
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list));
        var draft = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list));
        Assert.Equal(HttpStatusCode.OK, (await author.PostAsync($"/api/v1/campaigns/{id}/submit", null)).StatusCode);
        var approved = await approver.PostAsync($"/api/v1/campaigns/{id}/approve", null);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);

        var authorId = "key:" + await KeyIdAsync(loa, "dev-author");
        var approverId = "key:" + await KeyIdAsync(loa, "dev-approver");
        var one = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
        var page = (await author.GetFromJsonAsync<JsonElement>("/api/v1/campaigns?limit=500")).GetProperty("items").EnumerateArray().ToList();

        static (string?, string?, string?, string?, string?, string?) People(JsonElement c) => (
            c.GetProperty("createdBy").GetString(), c.GetProperty("createdByName").GetString(),
            c.GetProperty("submittedBy").GetString(), c.GetProperty("submittedByName").GetString(),
            c.GetProperty("approvedBy").GetString(), c.GetProperty("approvedByName").GetString());
        var expected = (authorId, "dev-author", authorId, "dev-author", approverId, "dev-approver");
        Assert.Equal(expected, People(one));
        Assert.Equal(expected, People(page.Single(c => c.GetProperty("id").GetString() == id)));
        Assert.Equal(expected, People(await approved.Content.ReadFromJsonAsync<JsonElement>()));
        // Nobody submitted or approved the draft yet: no id, no name.
        Assert.Equal((authorId, "dev-author", null, null, null, null), People(page.Single(c => c.GetProperty("id").GetString() == draft)));
    }

    [Fact]
    public async Task A_revoked_key_keeps_its_name_an_unknown_key_has_none_and_an_older_row_shows_the_name_it_holds()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var admin = loa.Client("dev-admin");
        using var approver = loa.Client("dev-approver");
        var (writerId, key) = await CreateKeyAsync(admin, "Phòng ATTT – soạn tin", "national", "author");
        using var writer = loa.Client(key);
        var list = (await LoaTestHost.UploadListAsync(writer, LoaTestHost.NumbersCsv(3))).GetProperty("id").GetString()!;
        var revokedAuthor = await LoaTestHost.CreateCampaignAsync(writer, LoaTestHost.Campaign(list));
        var unknownAuthor = await LoaTestHost.CreateCampaignAsync(writer, LoaTestHost.Campaign(list));
        var olderRow = await LoaTestHost.CreateCampaignAsync(writer, LoaTestHost.Campaign(list));
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/keys/{writerId}")).StatusCode);
        await using (var connection = await loa.Services.GetRequiredService<Loa.Storage.Database>().OpenAsync())
        {
            // A key id no store knows (a key row lost with a restore), and a row written before principals had ids.
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE campaigns SET created_by = 'key:00000000000070008000000000000000' WHERE id = @unknownAuthor", new { unknownAuthor });
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE campaigns SET created_by = 'dev-author' WHERE id = @olderRow", new { olderRow });
        }

        async Task<(string?, string?)> CreatedByAsync(string id)
        {
            var c = await approver.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
            return (c.GetProperty("createdBy").GetString(), c.GetProperty("createdByName").GetString());
        }

        Assert.Equal(("key:" + writerId, "Phòng ATTT – soạn tin"), await CreatedByAsync(revokedAuthor));
        Assert.Equal(("key:00000000000070008000000000000000", null), await CreatedByAsync(unknownAuthor));
        Assert.Equal(("dev-author", "dev-author"), await CreatedByAsync(olderRow));
    }

    [Fact]
    public async Task A_province_reads_the_name_of_the_national_key_that_approved_its_campaign_and_nothing_more_of_that_key()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var hanoi = loa.Client("dev-hn-author");
        using var approver = loa.Client("dev-approver");
        var list = (await LoaTestHost.UploadListAsync(hanoi, LoaTestHost.NumbersCsv(3, "01"))).GetProperty("id").GetString()!;
        var id = await LoaTestHost.CreateCampaignAsync(hanoi, LoaTestHost.Campaign(list));
        await LoaTestHost.SubmitAndApproveAsync(hanoi, approver, id);

        var campaign = await hanoi.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");

        Assert.Equal("01", campaign.GetProperty("tenant").GetString());
        Assert.Equal("dev-hn-author", campaign.GetProperty("createdByName").GetString());
        Assert.Equal("dev-approver", campaign.GetProperty("approvedByName").GetString());
        // Its name only: the key's tenant, roles and state stay with the keys API, where a province sees only its own keys.
        var approvedFields = campaign.EnumerateObject().Select(p => p.Name).Where(n => n.StartsWith("approved", StringComparison.Ordinal));
        Assert.Equal(["approvedBy", "approvedByName", "approvedAt"], approvedFields);
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
