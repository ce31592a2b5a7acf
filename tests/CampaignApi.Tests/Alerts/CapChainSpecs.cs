using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Alerts;

/// <summary>
/// An alert and its Updates are one chain: an approved Update supersedes the campaign it updates, and
/// a Cancel stops every campaign of the chain, whichever alert of it the Cancel names.
/// </summary>
[Collection(CapCollection.Name)]
public sealed class CapChainSpecs(CapHost cap)
{
    private LoaTestHost Loa => cap.Loa;

    private async Task<HttpClient> GatewayAsync()
    {
        // A Cancel needs someone allowed to cancel: a CAP gateway's key that is also an operator.
        await Loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("test-cap-chain-gateway", "cap chain gateway", "national", ["author", "operator"]);
        return Loa.Client("test-cap-chain-gateway");
    }

    private static async Task<string> StatusAsync(HttpClient client, string id) =>
        (await client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}")).GetProperty("status").GetString()!;

    [Fact]
    public async Task An_approved_update_supersedes_the_campaign_it_updates_which_can_no_longer_be_approved()
    {
        using var author = Loa.Client("dev-author");
        using var approver = Loa.Client("dev-approver");
        var alert = CapDocument.Load("actual-extreme.xml").Unique();
        var first = (await CapHost.PostExpectingAsync(author, alert, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await author.PostAsync($"/api/v1/campaigns/{first}/submit", null)).StatusCode);
        var update = (await CapHost.PostExpectingAsync(author, CapDocument.Load("update.xml").Unique().Referencing(alert), HttpStatusCode.Created))
            .GetProperty("id").GetString()!;

        // Both wait for approval; the Update is approved first.
        Assert.Equal("pending_approval", await StatusAsync(author, first));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, update);

        var original = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{first}");
        Assert.Equal("cancelled", original.GetProperty("status").GetString());
        Assert.Equal(update, original.GetProperty("supersededBy").GetString());
        var refused = await approver.PostAsync($"/api/v1/campaigns/{first}/approve", null);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(refused.StatusCode == HttpStatusCode.Conflict, $"{(int)refused.StatusCode} {problem}");
        Assert.Contains($"superseded by {update}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(update, problem.GetProperty("supersededBy").GetString());
    }

    [Fact]
    public async Task A_cancel_of_an_alert_also_cancels_its_updates_and_the_updates_of_those()
    {
        using var author = Loa.Client("dev-author");
        using var gateway = await GatewayAsync();
        var alert = CapDocument.Load("actual-extreme.xml").Unique();
        var first = (await CapHost.PostExpectingAsync(author, alert, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var update = CapDocument.Load("update.xml").Unique().Referencing(alert);
        var second = (await CapHost.PostExpectingAsync(author, update, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var third = (await CapHost.PostExpectingAsync(author, CapDocument.Load("update.xml").Unique().Referencing(update), HttpStatusCode.Created))
            .GetProperty("id").GetString()!;
        Assert.Equal(second, (await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{third}")).GetProperty("corrects").GetString());

        // The Cancel names the first alert only.
        var answer = await CapHost.PostExpectingAsync(gateway, CapDocument.Load("cancel.xml").Unique().Referencing(alert), HttpStatusCode.OK);

        Assert.Equal(
            new[] { first, second, third }.Order(StringComparer.Ordinal),
            answer.GetProperty("campaigns").EnumerateArray().Select(c => c.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(answer.GetProperty("campaigns").EnumerateArray(), c => Assert.Equal("cancelled", c.GetProperty("status").GetString()));
        foreach (var id in new[] { first, second, third })
            Assert.Equal("cancelled", await StatusAsync(author, id));
    }

    [Fact]
    public async Task An_update_naming_only_the_first_alert_joins_the_end_of_its_chain_so_two_updates_never_go_out_side_by_side()
    {
        using var author = Loa.Client("dev-author");
        using var approver = Loa.Client("dev-approver");
        var alert = CapDocument.Load("actual-extreme.xml").Unique();
        var first = (await CapHost.PostExpectingAsync(author, alert, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        await LoaTestHost.SubmitAndApproveAsync(author, approver, first);
        var second = (await CapHost.PostExpectingAsync(author, CapDocument.Load("update.xml").Unique().Referencing(alert), HttpStatusCode.Created))
            .GetProperty("id").GetString()!;

        // A later Update that, like many senders' do, names the first alert only.
        var third = (await CapHost.PostExpectingAsync(author, CapDocument.Load("update.xml").Unique().Referencing(alert), HttpStatusCode.Created))
            .GetProperty("id").GetString()!;

        Assert.Equal(second, (await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{third}")).GetProperty("corrects").GetString());
        // Both Updates approved, the older one first: only the newest is left to go out.
        await LoaTestHost.SubmitAndApproveAsync(author, approver, second);
        await LoaTestHost.SubmitAndApproveAsync(author, approver, third);
        foreach (var (id, by) in new[] { (first, second), (second, third) })
        {
            var campaign = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}");
            Assert.Equal(by, campaign.GetProperty("supersededBy").GetString());
        }
        Assert.Equal(JsonValueKind.Null, (await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{third}")).GetProperty("supersededBy").ValueKind);
    }
}
