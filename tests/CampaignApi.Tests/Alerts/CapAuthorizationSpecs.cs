using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Loa.Storage;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Alerts;

/// <summary>
/// Who may do what through CAP: pre-approval is bound to a key's id, a Cancel or Update only
/// touches alerts of its own sender and tenant, and a Cancel needs someone allowed to cancel.
/// </summary>
[Collection(CapCollection.Name)]
public sealed class CapAuthorizationSpecs(CapHost cap)
{
    private const string HanoiSender = "canhbao@sotttt.hanoi.gov.vn";

    private LoaTestHost Loa => cap.Loa;

    private static CapDocument FromSender(string file, string sender) =>
        CapDocument.Load(file).Unique().With("<sender>canhbao@ais.gov.vn</sender>", $"<sender>{sender}</sender>");

    /// <summary>A key made for one spec (the host is shared), by its secret.</summary>
    private async Task<HttpClient> KeyAsync(string name, string tenant, params string[] roles)
    {
        var secret = $"test-cap-{name}-{Guid.NewGuid():n}";
        await Loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync(secret, $"{name} {Guid.NewGuid():n}"[..40], tenant, roles);
        return Loa.Client(secret);
    }

    private async Task<string> StatusAsync(string campaignId)
    {
        using var operatorClient = Loa.Client("dev-operator");
        return (await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{campaignId}")).GetProperty("status").GetString()!;
    }

    /// <summary>The recorded copies of an alert (by its unique identifier), as (tenant, campaign id).</summary>
    private async Task<List<(string Tenant, string? CampaignId)>> RecordedAsync(CapDocument alert)
    {
        await using var connection = await Loa.Services.GetRequiredService<Database>().OpenAsync();
        return (await connection.QueryAsync<(string, string?)>(
            "SELECT tenant, campaign_id FROM cap_alerts WHERE sender = @Sender AND identifier = @Identifier ORDER BY received_at",
            new { alert.Sender, alert.Identifier })).ToList();
    }

    [Fact]
    public async Task A_province_key_named_like_the_pre_approved_key_gets_an_ordinary_draft()
    {
        // The attack of issue 14: a province admin names a key like the configured one and claims the sender.
        using var admin = Loa.Client("dev-admin");
        var created = await admin.PostAsJsonAsync("/api/v1/keys", new { name = "dev-author", tenant = "HN", roles = new[] { "author" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var impostor = Loa.Client((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!);

        var campaign = await CapHost.PostExpectingAsync(impostor, FromSender("exercise.xml", CapHost.PreApprovedSender), HttpStatusCode.Created);

        Assert.Equal("draft", campaign.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, campaign.GetProperty("approvedBy").ValueKind);
        Assert.Equal(JsonValueKind.Null, campaign.GetProperty("submittedBy").ValueKind);
    }

    [Fact]
    public async Task The_key_list_shows_which_key_is_pre_approved_and_for_which_sender()
    {
        using var admin = Loa.Client("dev-admin");
        var authorId = cap.PreApprovedKeyId;

        var keys = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/keys?limit=500")).GetProperty("items").EnumerateArray().ToList();

        var author = Assert.Single(keys, k => k.GetProperty("id").GetString() == authorId);
        Assert.Equal([CapHost.PreApprovedSender], author.GetProperty("preApprovedSenders").EnumerateArray().Select(s => s.GetString()));
        Assert.All(keys.Where(k => k.GetProperty("id").GetString() != authorId),
            k => Assert.Equal(0, k.GetProperty("preApprovedSenders").GetArrayLength()));
        var one = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/keys/{authorId}");
        Assert.Equal([CapHost.PreApprovedSender], one.GetProperty("preApprovedSenders").EnumerateArray().Select(s => s.GetString()));
    }

    [Theory]
    [InlineData("KeyName", "dev-author", "KeyName is no longer read")]
    [InlineData("Issuer", "https://idp.example", "exactly one principal")]
    public void A_pre_approved_sender_bound_by_key_name_or_to_no_principal_stops_the_host(string setting, string value, string expected)
    {
        var settings = LoaTestHost.BaseSettings(Path.GetTempPath());
        settings["Loa:Cap:PreApprovedSenders:0:Sender"] = CapHost.PreApprovedSender;
        settings[$"Loa:Cap:PreApprovedSenders:0:{setting}"] = value;

        var error = Assert.Throws<InvalidOperationException>(() => LoaApi.Build(
            ["--environment", "Development", "--urls", "http://127.0.0.1:0"],
            builder => Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(builder.Configuration, settings)));

        Assert.Contains("Loa:Cap:PreApprovedSenders:0", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cap_cancel_from_another_sender_is_refused_and_changes_nothing()
    {
        using var author = Loa.Client("dev-author");
        using var canceller = await KeyAsync("canceller", "national", "author", "operator");
        var alert = CapDocument.Load("actual-extreme.xml").Unique();
        var id = (await CapHost.PostExpectingAsync(author, alert, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var cancel = CapDocument.Load("cancel.xml").Unique().Referencing(alert)
            .With("<sender>canhbao@ais.gov.vn</sender>", "<sender>someone-else@example.vn</sender>");

        var refused = await CapHost.PostExpectingAsync(canceller, cancel, HttpStatusCode.Forbidden);

        Assert.EndsWith("/cap-sender", refused.GetProperty("type").GetString());
        Assert.Equal("draft", await StatusAsync(id));
        Assert.Empty(await RecordedAsync(cancel));
        await AssertAuditedAsync(403);
    }

    [Fact]
    public async Task A_cap_cancel_from_an_author_who_may_not_cancel_is_refused_and_changes_nothing()
    {
        using var author = Loa.Client("dev-author");
        var alert = CapDocument.Load("actual-extreme.xml").Unique();
        var id = (await CapHost.PostExpectingAsync(author, alert, HttpStatusCode.Created)).GetProperty("id").GetString()!;

        // Same sender, same tenant, but an author only: not the pre-approved sender's key, neither operator nor approver.
        var refused = await CapHost.PostExpectingAsync(author, CapDocument.Load("cancel.xml").Unique().Referencing(alert), HttpStatusCode.Forbidden);

        Assert.EndsWith("/role", refused.GetProperty("type").GetString());
        Assert.Equal("draft", await StatusAsync(id));
        await AssertAuditedAsync(403);
    }

    [Fact]
    public async Task A_cap_cancel_of_a_province_alert_from_a_national_key_is_refused_and_changes_nothing()
    {
        using var hanoi = Loa.Client("dev-hn-author");
        using var canceller = await KeyAsync("national canceller", "national", "author", "operator");
        var alert = FromSender("actual-extreme.xml", HanoiSender);
        var id = (await CapHost.PostExpectingAsync(hanoi, alert, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var cancel = CapDocument.Load("cancel.xml").Unique().Referencing(alert)
            .With("<sender>canhbao@ais.gov.vn</sender>", $"<sender>{HanoiSender}</sender>");

        var refused = await CapHost.PostExpectingAsync(canceller, cancel, HttpStatusCode.Forbidden);

        Assert.EndsWith("/tenant", refused.GetProperty("type").GetString());
        Assert.Equal("draft", await StatusAsync(id));
    }

    [Fact]
    public async Task A_cap_cancel_from_the_same_sender_by_an_operator_of_the_tenant_cancels()
    {
        using var author = Loa.Client("dev-author");
        using var canceller = await KeyAsync("cap operator", "national", "author", "operator");
        var alert = CapDocument.Load("actual-extreme.xml").Unique();
        var id = (await CapHost.PostExpectingAsync(author, alert, HttpStatusCode.Created)).GetProperty("id").GetString()!;

        var answer = await CapHost.PostExpectingAsync(canceller, CapDocument.Load("cancel.xml").Unique().Referencing(alert), HttpStatusCode.OK);

        Assert.Equal(id, Assert.Single(answer.GetProperty("campaigns").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal("cancelled", await StatusAsync(id));
    }

    [Fact]
    public async Task A_cap_update_from_another_sender_is_refused_and_creates_nothing()
    {
        using var author = Loa.Client("dev-author");
        var alert = CapDocument.Load("actual-extreme.xml").Unique();
        var id = (await CapHost.PostExpectingAsync(author, alert, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var before = await CapHost.CampaignCountAsync(author);
        var update = CapDocument.Load("update.xml").Unique().Referencing(alert)
            .With("<sender>canhbao@ais.gov.vn</sender>", "<sender>someone-else@example.vn</sender>");

        var refused = await CapHost.PostExpectingAsync(author, update, HttpStatusCode.Forbidden);

        Assert.EndsWith("/cap-sender", refused.GetProperty("type").GetString());
        Assert.Equal(before, await CapHost.CampaignCountAsync(author));
        var original = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
        Assert.Equal(JsonValueKind.Null, original.GetProperty("correctedBy").ValueKind);
    }

    [Fact]
    public async Task A_province_author_reposting_a_national_alerts_key_is_answered_as_for_an_unknown_alert()
    {
        using var national = Loa.Client("dev-author");
        using var hanoi = Loa.Client("dev-hn-author");
        var alert = CapDocument.Load("actual-extreme.xml").Unique();
        var nationalId = (await CapHost.PostExpectingAsync(national, alert, HttpStatusCode.Created)).GetProperty("id").GetString()!;

        // The same sender, identifier and sent: no 409, which would tell Hà Nội the national alert exists.
        var own = await CapHost.PostExpectingAsync(hanoi, alert, HttpStatusCode.Created);

        Assert.Equal("01", own.GetProperty("tenant").GetString());
        Assert.NotEqual(nationalId, own.GetProperty("id").GetString());
        Assert.Equal([("national", nationalId), ("01", own.GetProperty("id").GetString())], await RecordedAsync(alert));
        // Posted again, it is Hà Nội's own repeat that answers 409.
        await CapHost.PostExpectingAsync(hanoi, alert, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_province_cancel_naming_a_national_alerts_key_reaches_only_its_own_alert()
    {
        using var national = Loa.Client("dev-author");
        using var hanoi = await KeyAsync("hn cap operator", "HN", "author", "operator");
        var alert = CapDocument.Load("actual-extreme.xml").Unique();
        var nationalId = (await CapHost.PostExpectingAsync(national, alert, HttpStatusCode.Created)).GetProperty("id").GetString()!;

        var unknown = await CapHost.PostExpectingAsync(hanoi, CapDocument.Load("cancel.xml").Unique().Referencing(alert), HttpStatusCode.UnprocessableEntity);

        Assert.EndsWith("/cap-references", unknown.GetProperty("type").GetString());
        Assert.Equal("draft", await StatusAsync(nationalId));
    }

    private async Task AssertAuditedAsync(int outcome)
    {
        using var admin = Loa.Client("dev-admin");
        var rows = new List<JsonElement>();
        string? after = null;
        do
        {
            var page = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?limit=1000&after={after}");
            rows.AddRange(page.GetProperty("items").EnumerateArray());
            after = page.GetProperty("next").GetString();
        }
        while (after is not null);
        var last = rows.Last(r => r.GetProperty("action").GetString() == "POST /api/v1/alerts/cap");
        Assert.Equal(outcome, last.GetProperty("outcome").GetInt32());
    }
}
