using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loa.CarrierAdapters;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Alerts;

[CollectionDefinition(Name)]
public sealed class CapCollection : ICollectionFixture<CapHost>
{
    public const string Name = "CAP intake";
}

/// <summary>
/// One real host for the CAP specs, configured as an operator would: audience lists uploaded first
/// (a national list with 26 HN and 13 TH numbers, and Hà Nội's own list of 13), then Loa restarted on
/// the same database with <c>Loa:Cap:Lists</c> naming them, and an aggregator's own
/// SMS text parameter (<c>SMS</c>) after the CMAM ones. Carriers are slowed to 4 parts a second
/// so that a launched alert is still running when a Cancel arrives.
/// </summary>
public sealed class CapHost : IAsyncLifetime
{
    public const string PreApprovedSender = "he-thong-canh-bao@ais.gov.vn";
    public const int NationalHanoi = 26;
    public const int NationalThanhHoa = 13;
    public const int HanoiOwn = 13;

    public LoaTestHost Loa { get; private set; } = null!;

    public string NationalList { get; private set; } = "";

    public string HanoiList { get; private set; } = "";

    /// <summary>The id of dev-author's key, the one key configured for <see cref="PreApprovedSender"/>.</summary>
    public string PreApprovedKeyId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var first = await LoaTestHost.StartAsync();
        using (var author = first.Client("dev-author"))
        {
            var thanhHoa = LoaTestHost.NumbersCsv(NationalThanhHoa, "TH", offset: NationalHanoi);
            var csv = LoaTestHost.NumbersCsv(NationalHanoi, "HN") + thanhHoa[(thanhHoa.IndexOf('\n') + 1)..];
            NationalList = (await LoaTestHost.UploadListAsync(author, csv, "CAP national")).GetProperty("id").GetString()!;
        }
        using (var hanoi = first.Client("dev-hn-author"))
            HanoiList = (await LoaTestHost.UploadListAsync(hanoi, LoaTestHost.NumbersCsv(HanoiOwn, "HN", offset: 100), "CAP Hà Nội")).GetProperty("id").GetString()!;
        // Pre-approval is bound to the key's id, which only the database knows.
        PreApprovedKeyId = (await first.Services.GetRequiredService<ApiKeyStore>().FindAsync("dev-author"))!.Id;
        var directory = first.Directory;
        await first.StopKeepingDataAsync();

        Loa = await LoaTestHost.StartAsync(settings =>
        {
            settings["Loa:Cap:Lists:0"] = NationalList;
            settings["Loa:Cap:Lists:1"] = HanoiList;
            settings["Loa:Cap:PreApprovedSenders:0:Sender"] = PreApprovedSender;
            settings["Loa:Cap:PreApprovedSenders:0:KeyId"] = PreApprovedKeyId;
            settings["Loa:Cap:SmsTextParameters:0"] = "CMAMtext";
            settings["Loa:Cap:SmsTextParameters:1"] = "CMAMlongtext";
            settings["Loa:Cap:SmsTextParameters:2"] = "SMS";
            foreach (var carrier in CarrierIds.All)
                settings[$"Loa:Carriers:{carrier}:PartsPerSecond"] = "4";
        }, directory);
    }

    public async Task DisposeAsync() => await Loa.DisposeAsync();

    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, CapDocument document, string contentType = "application/cap+xml")
    {
        using var content = new StringContent(document.Xml, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType) { CharSet = "utf-8" };
        return await client.PostAsync("/api/v1/alerts/cap", content);
    }

    /// <summary>Posts and expects <paramref name="status"/>; the body is returned for further checks.</summary>
    public static async Task<JsonElement> PostExpectingAsync(HttpClient client, CapDocument document, System.Net.HttpStatusCode status)
    {
        using var response = await PostAsync(client, document);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<int> CampaignCountAsync(HttpClient client)
    {
        var count = 0;
        string? after = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns?limit=500{(after is null ? "" : "&after=" + after)}");
            count += page.GetProperty("items").GetArrayLength();
            after = page.GetProperty("next").GetString();
        }
        while (after is not null);
        return count;
    }
}

/// <summary>A sample CAP document from Alerts/Samples, with the small edits a spec needs.</summary>
public sealed partial class CapDocument(string xml)
{
    public string Xml { get; } = xml;

    public static CapDocument Load(string name) =>
        new(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Alerts", "Samples", name)));

    public string Identifier => Element("identifier");

    public string Sender => Element("sender");

    public string Sent => Element("sent");

    /// <summary>This alert as another alert's <c>references</c> names it.</summary>
    public string Reference => $"{Sender},{Identifier},{Sent}";

    /// <summary>The same document under an identifier no other spec uses, so that specs sharing a host stay independent.</summary>
    public CapDocument Unique() => With($"<identifier>{Identifier}</identifier>", $"<identifier>{Identifier}-{Guid.NewGuid():n}</identifier>");

    public CapDocument Referencing(params CapDocument[] alerts) =>
        new(References().Replace(Xml, $"<references>{string.Join(' ', alerts.Select(a => a.Reference))}</references>"));

    public CapDocument With(string text, string replacement)
    {
        Assert.Contains(text, Xml);
        return new(Xml.Replace(text, replacement, StringComparison.Ordinal));
    }

    private string Element(string name) => Regex.Match(Xml, $"<{name}>(.*?)</{name}>").Groups[1].Value;

    [GeneratedRegex("<references>.*?</references>")]
    private static partial Regex References();
}
