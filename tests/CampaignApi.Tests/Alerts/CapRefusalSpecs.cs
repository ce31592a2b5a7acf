using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Alerts;

/// <summary>What CAP intake refuses, and how: problem details whose errors name the CAP element.</summary>
[Collection(CapCollection.Name)]
public sealed class CapRefusalSpecs(CapHost cap)
{
    private LoaTestHost Loa => cap.Loa;

    [Theory]
    [InlineData("xxe.xml")]
    [InlineData("external-dtd.xml")]
    public async Task An_external_entity_is_never_read(string sample)
    {
        var marker = "LOA-XXE-MARKER-" + Guid.NewGuid().ToString("n");
        var secret = Path.Combine(Path.GetTempPath(), $"loa-xxe-{Guid.NewGuid():n}.txt");
        await File.WriteAllTextAsync(secret, marker);
        try
        {
            using var author = Loa.Client("dev-author");
            var before = await CapHost.CampaignCountAsync(author);
            var document = CapDocument.Load(sample).With("MARKER_FILE", secret);

            using var response = await CapHost.PostAsync(author, document);
            var body = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.DoesNotContain(marker, body);
            Assert.Contains("DTD", ErrorsOf(body, "alert"));
            Assert.Equal(before, await CapHost.CampaignCountAsync(author));
            var campaigns = await author.GetStringAsync("/api/v1/campaigns?limit=500");
            Assert.DoesNotContain(marker, campaigns);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public void The_xxe_sample_is_a_real_attack_that_an_unguarded_reader_falls_for()
    {
        // The control for the spec above: the same document does leak the file when entities are resolved.
        var marker = "LOA-XXE-MARKER-" + Guid.NewGuid().ToString("n");
        var secret = Path.Combine(Path.GetTempPath(), $"loa-xxe-{Guid.NewGuid():n}.txt");
        File.WriteAllText(secret, marker);
        try
        {
            var document = CapDocument.Load("xxe.xml").With("MARKER_FILE", secret);
            var unguarded = new System.Xml.XmlReaderSettings { DtdProcessing = System.Xml.DtdProcessing.Parse, XmlResolver = new System.Xml.XmlUrlResolver() };
            using var reader = System.Xml.XmlReader.Create(new StringReader(document.Xml), unguarded);
            Assert.Contains(marker, System.Xml.Linq.XDocument.Load(reader).ToString());
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public async Task A_document_with_an_internal_dtd_is_refused()
    {
        using var author = Loa.Client("dev-author");
        using var response = await CapHost.PostAsync(author, CapDocument.Load("internal-dtd.xml"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("DTD", ErrorsOf(body, "alert"));
        Assert.DoesNotContain("Cuc ATTT canh bao", body);
    }

    [Fact]
    public async Task Billion_laughs_is_refused_without_expanding_anything()
    {
        using var author = Loa.Client("dev-author");
        var clock = Stopwatch.StartNew();
        using var response = await CapHost.PostAsync(author, CapDocument.Load("billion-laughs.xml"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("DTD", ErrorsOf(body, "alert"));
        Assert.DoesNotContain("lollol", body);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_answered_413_whether_its_length_is_declared_or_not()
    {
        using var author = Loa.Client("dev-author");
        var padding = new string('x', 300 * 1024);
        var document = CapDocument.Load("actual-extreme.xml").Unique()
            .With("<description>", "<description>" + padding);

        using var declared = await CapHost.PostAsync(author, document);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.EndsWith("/too-large", JsonDocument.Parse(await declared.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString());

        // Chunked: no Content-Length, so the limit must hold while reading.
        using var stream = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(document.Xml)));
        stream.Headers.ContentType = new MediaTypeHeaderValue("application/cap+xml");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/alerts/cap") { Content = stream };
        request.Headers.TransferEncodingChunked = true;
        using var chunked = await author.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
    }

    [Fact]
    public async Task A_document_in_another_namespace_than_cap_1_2_is_refused()
    {
        using var author = Loa.Client("dev-author");
        var problem = await CapHost.PostExpectingAsync(author, CapDocument.Load("cap11-namespace.xml"), HttpStatusCode.BadRequest);
        var message = Assert.Single(problem.GetProperty("errors").GetProperty("alert").EnumerateArray()).GetString();
        Assert.Contains("urn:oasis:names:tc:emergency:cap:1.2", message);
        Assert.Contains("urn:oasis:names:tc:emergency:cap:1.1", message);
    }

    [Fact]
    public async Task A_missing_identifier_is_named()
    {
        using var author = Loa.Client("dev-author");
        var problem = await CapHost.PostExpectingAsync(author, CapDocument.Load("missing-identifier.xml"), HttpStatusCode.BadRequest);
        Assert.EndsWith("/validation", problem.GetProperty("type").GetString());
        var error = Assert.Single(problem.GetProperty("errors").EnumerateObject());
        Assert.Equal("alert.identifier", error.Name);
    }

    [Fact]
    public async Task Each_invalid_element_is_named_with_its_path()
    {
        using var author = Loa.Client("dev-author");
        var problem = await CapHost.PostExpectingAsync(author, CapDocument.Load("invalid-fields.xml"), HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        foreach (var element in new[] { "alert.identifier", "alert.sent", "alert.status", "alert.info[0].urgency", "alert.info[0].expires" })
            Assert.True(errors.TryGetProperty(element, out _), $"no error for {element}: {errors}");
        Assert.Contains("-00:00", errors.GetProperty("alert.sent")[0].GetString());
    }

    [Fact]
    public async Task An_alert_without_info_is_refused()
    {
        using var author = Loa.Client("dev-author");
        var document = CapDocument.Load("cancel.xml").Unique().With("<msgType>Cancel</msgType>", "<msgType>Alert</msgType>");
        var problem = await CapHost.PostExpectingAsync(author, document, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("alert.info", out _), problem.ToString());
    }

    [Fact]
    public async Task An_expired_alert_is_named_by_its_expires_element()
    {
        using var author = Loa.Client("dev-author");
        var document = CapDocument.Load("actual-extreme.xml").Unique()
            .With("<expires>2099-12-31T22:00:00+07:00</expires>", "<expires>2020-01-01T00:00:00+07:00</expires>");
        var problem = await CapHost.PostExpectingAsync(author, document, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("alert.info[0].expires", out _), problem.ToString());
    }

    [Theory]
    [InlineData("System")]
    [InlineData("Draft")]
    public async Task System_and_draft_alerts_are_not_sent(string status)
    {
        using var author = Loa.Client("dev-author");
        var document = CapDocument.Load("actual-extreme.xml").Unique().With("<status>Actual</status>", $"<status>{status}</status>");
        var problem = await CapHost.PostExpectingAsync(author, document, HttpStatusCode.UnprocessableEntity);
        Assert.True(problem.GetProperty("errors").TryGetProperty("alert.status", out _), problem.ToString());
    }

    [Fact]
    public async Task A_restricted_alert_is_not_broadcast()
    {
        using var author = Loa.Client("dev-author");
        var document = CapDocument.Load("actual-extreme.xml").Unique().With("<scope>Public</scope>", "<scope>Restricted</scope>");
        var problem = await CapHost.PostExpectingAsync(author, document, HttpStatusCode.UnprocessableEntity);
        Assert.True(problem.GetProperty("errors").TryGetProperty("alert.scope", out _), problem.ToString());
    }

    [Fact]
    public async Task A_cancel_of_an_alert_never_received_names_its_references()
    {
        using var author = Loa.Client("dev-author");
        var never = CapDocument.Load("actual-extreme.xml").Unique();
        var problem = await CapHost.PostExpectingAsync(author, CapDocument.Load("cancel.xml").Unique().Referencing(never), HttpStatusCode.UnprocessableEntity);
        var message = problem.GetProperty("errors").GetProperty("alert.references")[0].GetString();
        Assert.Contains(never.Identifier, message);
    }

    [Fact]
    public async Task A_province_cannot_cancel_a_national_alert()
    {
        using var author = Loa.Client("dev-author");
        using var hanoi = Loa.Client("dev-hn-author");
        var alert = CapDocument.Load("actual-extreme.xml").Unique();
        var id = (await CapHost.PostExpectingAsync(author, alert, HttpStatusCode.Created)).GetProperty("id").GetString()!;

        await CapHost.PostExpectingAsync(hanoi, CapDocument.Load("cancel.xml").Unique().Referencing(alert), HttpStatusCode.UnprocessableEntity);

        var campaign = JsonDocument.Parse(await author.GetStringAsync($"/api/v1/campaigns/{id}")).RootElement;
        Assert.Equal("draft", campaign.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Other_content_types_and_roles_are_refused()
    {
        using var author = Loa.Client("dev-author");
        using var json = await CapHost.PostAsync(author, CapDocument.Load("actual-extreme.xml").Unique(), "application/json");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);

        using var approver = Loa.Client("dev-approver");
        using var notAuthor = await CapHost.PostAsync(approver, CapDocument.Load("actual-extreme.xml").Unique());
        Assert.Equal(HttpStatusCode.Forbidden, notAuthor.StatusCode);

        using var xml = await CapHost.PostAsync(author, CapDocument.Load("exercise.xml").Unique(), "application/xml");
        Assert.Equal(HttpStatusCode.Created, xml.StatusCode);
    }

    private static string ErrorsOf(string problemJson, string element)
    {
        var problem = JsonDocument.Parse(problemJson).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(element, out var messages), problemJson);
        return string.Join(" ", messages.EnumerateArray().Select(m => m.GetString()));
    }
}
