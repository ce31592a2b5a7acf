using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Alerts;

/// <summary>
/// An alert that takes effect later starts then: its <c>effective</c> (else its <c>onset</c>) in the
/// future is the campaign's start, so approval schedules it instead of sending it at once; <c>expires</c>
/// stays the expiry (Alerts/README.md, "Time").
/// </summary>
[Collection(CapCollection.Name)]
public sealed class CapTimeSpecs(CapHost cap)
{
    private static readonly DateTimeOffset Effective = new(2098, 11, 23, 7, 30, 0, TimeSpan.FromHours(7));
    private static readonly DateTimeOffset Onset = new(2098, 11, 23, 8, 30, 0, TimeSpan.FromHours(7));
    private static readonly DateTimeOffset Expires = new(2098, 11, 23, 17, 0, 0, TimeSpan.FromHours(7));

    private LoaTestHost Loa => cap.Loa;

    [Fact]
    public async Task An_alert_effective_later_starts_then_and_is_scheduled_on_approval()
    {
        using var author = Loa.Client("dev-author");
        using var approver = Loa.Client("dev-approver");

        var draft = await CapHost.PostExpectingAsync(author, CapDocument.Load("national-drill-notice.xml").Unique(), HttpStatusCode.Created);
        var id = draft.GetProperty("id").GetString()!;

        Assert.Equal(Effective, draft.GetProperty("schedule").GetProperty("startAt").GetDateTimeOffset());
        Assert.Equal(Expires, draft.GetProperty("schedule").GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal("effective", draft.GetProperty("cap").GetProperty("startSource").GetString());
        (await author.PostAsync($"/api/v1/campaigns/{id}/submit", null)).EnsureSuccessStatusCode();
        using var approved = await approver.PostAsync($"/api/v1/campaigns/{id}/approve", null);
        approved.EnsureSuccessStatusCode();
        Assert.Equal("scheduled", (await approved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Without_effective_an_onset_in_the_future_is_the_start()
    {
        using var author = Loa.Client("dev-author");
        var document = CapDocument.Load("national-drill-notice.xml").Unique()
            .With("<effective>2098-11-23T07:30:00+07:00</effective>", "");

        var draft = await CapHost.PostExpectingAsync(author, document, HttpStatusCode.Created);

        Assert.Equal(Onset, draft.GetProperty("schedule").GetProperty("startAt").GetDateTimeOffset());
        Assert.Equal("onset", draft.GetProperty("cap").GetProperty("startSource").GetString());
    }

    [Fact]
    public async Task A_pre_approved_alert_effective_later_is_scheduled_not_sent()
    {
        using var author = Loa.Client("dev-author");
        var document = CapDocument.Load("national-drill-notice.xml").Unique()
            .With("<sender>canhbao@ais.gov.vn</sender>", $"<sender>{CapHost.PreApprovedSender}</sender>");

        var campaign = await CapHost.PostExpectingAsync(author, document, HttpStatusCode.Created);

        Assert.Equal("scheduled", campaign.GetProperty("status").GetString());
        Assert.Equal(Effective, campaign.GetProperty("schedule").GetProperty("startAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task An_alert_already_effective_starts_on_approval_even_if_its_onset_is_later()
    {
        using var author = Loa.Client("dev-author");
        var document = CapDocument.Load("national-drill-notice.xml").Unique()
            .With("<effective>2098-11-23T07:30:00+07:00</effective>", "<effective>2026-11-23T07:30:00+07:00</effective>");

        var draft = await CapHost.PostExpectingAsync(author, document, HttpStatusCode.Created);

        Assert.Equal(JsonValueKind.Null, draft.GetProperty("schedule").GetProperty("startAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, draft.GetProperty("cap").GetProperty("startSource").ValueKind);
    }

    [Theory]
    [InlineData("<effective>2098-11-23T07:30:00+07:00</effective>", "<effective>2098-11-23T07:30:00Z</effective>", "alert.info[0].effective")]
    [InlineData("<effective>2098-11-23T07:30:00+07:00</effective>", "<effective>23/11/2098 07:30</effective>", "alert.info[0].effective")]
    [InlineData("<onset>2098-11-23T08:30:00+07:00</onset>", "<onset>2098-11-23 08:30</onset>", "alert.info[0].onset")]
    public async Task A_malformed_effective_or_onset_is_named_by_its_element(string original, string malformed, string element)
    {
        using var author = Loa.Client("dev-author");
        var document = CapDocument.Load("national-drill-notice.xml").Unique().With(original, malformed);

        var problem = await CapHost.PostExpectingAsync(author, document, HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(element, out _), problem.ToString());
    }

    [Fact]
    public async Task An_alert_that_expires_before_it_takes_effect_is_refused_at_its_expires()
    {
        using var author = Loa.Client("dev-author");
        var document = CapDocument.Load("national-drill-notice.xml").Unique()
            .With("<expires>2098-11-23T17:00:00+07:00</expires>", "<expires>2098-11-23T07:00:00+07:00</expires>");

        var problem = await CapHost.PostExpectingAsync(author, document, HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("alert.info[0].expires", out _), problem.ToString());
    }
}
