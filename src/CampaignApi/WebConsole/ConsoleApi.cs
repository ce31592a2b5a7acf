using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Loa.CampaignApi.Campaigns;
using Loa.CampaignApi.Security;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Encoding;
using Loa.Contracts;
using Loa.Storage.Audiences;
using Loa.Storage.Campaigns;
using Loa.Storage.Geography;
using Microsoft.Net.Http.Headers;

namespace Loa.CampaignApi.WebConsole;

/// <param name="Text">The SMS, precomposed (NFC), unaccented when asked and with a test's marker.</param>
/// <param name="Encoding"><c>gsm7</c> or <c>ucs2</c>.</param>
/// <param name="Length">GSM-7 septets (an extension character counts two) or UCS-2 code units.</param>
/// <param name="Parts">The most any of the carriers named bills (all five when none are named).</param>
public sealed record SmsMeasureView(string Text, string Encoding, int Length, int Parts, int PerPart, IReadOnlyDictionary<string, int> PartsByCarrier);

/// <param name="Text">As the author typed it.</param>
/// <param name="Carriers">The campaign's <c>audience.carriers</c>; empty or null for all.</param>
/// <param name="VerifyCode">Counts the verification suffix (with a stand-in code of the same length).</param>
public sealed record SmsMeasureRequest(string? Text, string? Kind, bool StripDiacritics = false, IReadOnlyList<string>? Carriers = null, bool VerifyCode = false);

/// <param name="ByProvince">Recipients per province code (<c>unknown</c> for members uploaded without one), inside the campaign's area and carriers.</param>
/// <param name="Exact">False while the numbers the campaign's lists share are not counted yet (see the preview's <c>exact</c>): a number in two of them is then counted in each here, once in the run.</param>
public sealed record ProvinceAudienceView(IReadOnlyDictionary<string, long> ByProvince, IReadOnlyDictionary<string, string> Names, bool Exact);

/// <summary>
/// The console for officials at <c>/console</c>: one static page, its script, style sheet and one
/// string table per language, embedded in the assembly and served from memory as the dashboard's are
/// (same strict Content-Security-Policy), plus <c>POST /api/v1/sms/measure</c>, the campaign rules'
/// own measure of a text, so the author's counter is the server's count and not a copy of its rules.
/// </summary>
public static class ConsoleApi
{
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>The languages the console has strings for; the first is the default.</summary>
    public static readonly IReadOnlyList<string> Languages = ["vi", "en"];

    private static readonly IReadOnlyDictionary<string, EmbeddedAsset> Assets = new Dictionary<string, EmbeddedAsset>(StringComparer.Ordinal)
    {
        ["index.html"] = EmbeddedAsset.Load("WebConsole", "index.html", "text/html; charset=utf-8"),
        ["console.js"] = EmbeddedAsset.Load("WebConsole", "console.js", "text/javascript; charset=utf-8"),
        ["console.css"] = EmbeddedAsset.Load("WebConsole", "console.css", "text/css; charset=utf-8"),
        ["vi.json"] = EmbeddedAsset.Load("WebConsole", "vi.json", "application/json; charset=utf-8"),
        ["en.json"] = EmbeddedAsset.Load("WebConsole", "en.json", "application/json; charset=utf-8"),
    };

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/console", (HttpContext context) => Assets["index.html"].Serve(context, ContentSecurityPolicy))
            .AllowAnonymous().ExcludeFromDescription();
        routes.MapGet("/console/{file}", (string file, HttpContext context) =>
                Assets.TryGetValue(file, out var asset) && file != "index.html" ? asset.Serve(context, ContentSecurityPolicy) : Problems.NotFound("console file"))
            .AllowAnonymous().ExcludeFromDescription();
        routes.MapPost("/api/v1/sms/measure", Measure).WithTags("Campaigns").RequireAuthorization(Roles.Author);
        routes.MapGet("/api/v1/campaigns/{id}/provinces", ByProvinceAsync).WithTags("Campaigns").RequireAuthorization();
        return routes;
    }

    /// <summary>What a campaign with this text, kind and unaccent option would send, and what it costs: the create's own rules, nothing stored.</summary>
    public static IResult Measure(SmsMeasureRequest request, CampaignRules rules, Microsoft.Extensions.Options.IOptionsMonitor<CarrierOptions> carriers)
    {
        // Required (empty is fine): a body without it is a mistake, not a question about the empty text.
        if (request.Text is not { } written)
            return Problems.Validation("text", "Give the text to measure (it may be empty).");
        if (written.Length > CampaignRules.MaxSmsCharacters)
            return Problems.Validation("text", $"The SMS text may be at most {CampaignRules.MaxSmsCharacters} characters.");
        if (SmsText.Unsendable(written) is { } unsendable)
            return Problems.Validation("text", $"The SMS text has {unsendable.Reason} at position {unsendable.Index} (UTF-16 units from 0).");
        if (request.Kind is not null && !CampaignKind.All.Contains(request.Kind))
            return Problems.Validation("kind", "kind must be one of: emergency, warning, awareness, test.");
        var targets = request.Carriers is { Count: > 0 } named ? named.Where(CarrierIds.All.Contains).ToList() : [.. CarrierIds.All];
        if (targets.Count == 0)
            targets = [.. CarrierIds.All];
        var text = rules.TextAsSent(SmsText.Precomposed(written), request.Kind, new OptionsDefinition(request.StripDiacritics, VerifyCode: request.VerifyCode));
        var measure = rules.Billed(text, targets);
        var byCarrier = CarrierIds.All.ToDictionary(id => id, id => SmsText.Measure(text, carriers.Get(id).SplitGraphemes).Parts);
        var gsm = measure.Encoding == SmsEncoding.Gsm7;
        var perPart = measure.Parts <= 1 ? (gsm ? SmsText.Gsm7SingleSeptets : SmsText.Ucs2SingleUnits) : (gsm ? SmsText.Gsm7PartSeptets : SmsText.Ucs2PartUnits);
        return TypedResults.Ok(new SmsMeasureView(text, gsm ? "gsm7" : "ucs2", measure.Length, measure.Parts, perPart, byCarrier));
    }

    /// <summary>
    /// Who the campaign reaches, per province, for the approver's review, as the planner writes it: the counts
    /// kept at upload (a few grouped rows, whatever the lists' size) inside the planner's area and carriers,
    /// moved for ported numbers, and with the numbers the lists share counted once, in the province of the first
    /// list (in the campaign's order) whose row is inside the area: walked now or kept, as the preview does.
    /// </summary>
    public static async Task<IResult> ByProvinceAsync(
        string id, ClaimsPrincipal user, CampaignStore campaigns, ListStore lists, Provinces units, Loa.Dispatcher.Planning.RouteTable routes,
        SharedNumbers shared, CancellationToken ct)
    {
        var row = await campaigns.GetAsync(id, ct);
        if (row is null || !user.CanSee(row.Tenant))
            return Problems.NotFound("campaign");
        var audience = JsonSerializer.Deserialize<CampaignDefinition>(row.Definition, LoaJson.Options)?.Audience;
        var listIds = (audience?.Lists ?? []).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        // The planner's filters, as the preview applies them: the tenant's own province, then the segment
        // (provinces and carriers named, include and exclude by tags, provinces, communes and carriers); each
        // counter row carries its members' whole segment, so a segment is applied exactly here too.
        var segment = Loa.Storage.Planning.AudienceSegment.Of(audience);
        bool InArea(string province, string? commune, string? tags) =>
            (row.Tenant == Roles.National || string.Equals(province, row.Tenant, StringComparison.OrdinalIgnoreCase)) && segment.Member(province, commune, tags);
        var byProvince = new SortedDictionary<string, long>(StringComparer.Ordinal);
        // Members uploaded without a province, named as the list's own counts name them.
        void Add(string province, long n)
        {
            var key = province is { Length: > 0 } code ? code : "unknown";
            byProvince[key] = byProvince.GetValueOrDefault(key) + n;
        }
        foreach (var count in await lists.CountsAsync(listIds, ct))
        {
            if (InArea(count.Province, count.Commune, count.Tags) && segment.Carried(count.Carrier))
                Add(count.Province, count.Recipients);
        }

        // Upload counted a ported number under its prefix's carrier; with carriers named, where it went decides.
        var router = await routes.GetAsync(ct);
        var portedRows = new Dictionary<string, (string To, List<SharedRow> Rows)>(StringComparer.Ordinal);
        foreach (var list in listIds)
        {
            foreach (var (msisdn, province, to, commune, tags) in await lists.PortedMembersAsync(list, ct))
            {
                if (!portedRows.TryGetValue(msisdn, out var ported))
                    portedRows[msisdn] = ported = (to, []);
                ported.Rows.Add(new SharedRow(list, province, commune, tags));
                var (counted, routed) = (segment.Carried(router.Route(msisdn) ?? Unrouted.Carrier), segment.Carried(router.Route(msisdn, to) ?? Unrouted.Carrier));
                if (counted != routed && InArea(province, commune, tags))
                    Add(province, routed ? 1 : -1);
            }
        }

        var exact = listIds.Count < 2;
        if (!exact)
        {
            var groups = await shared.ForPreviewAsync(listIds, router, ct);
            if (groups is not null)
            {
                var order = listIds.Select((list, i) => (list, i)).ToDictionary(x => x.list, x => x.i, StringComparer.Ordinal);
                SharedNumbers.ApplyByProvince(groups, order, InArea, segment.Carried, Add);
                // The groups took a ported number's repeats off by its prefix's carrier; where it went decides.
                foreach (var (counted, routed, repeats) in SharedNumbers.PortedRepeats(portedRows, router, order, InArea))
                {
                    var (countedCarried, routedCarried) = (segment.Carried(counted), segment.Carried(routed));
                    if (countedCarried == routedCarried)
                        continue;
                    foreach (var repeat in repeats)
                        Add(repeat.Province, countedCarried ? 1 : -1);
                }
                exact = true;
            }
        }
        foreach (var empty in byProvince.Where(p => p.Value == 0).Select(p => p.Key).ToList())
            byProvince.Remove(empty);
        var names = byProvince.Keys.Select(code => (code, name: units.Unit(code)?.Name)).Where(x => x.name is not null).ToDictionary(x => x.code, x => x.name!);
        return TypedResults.Ok(new ProvinceAudienceView(byProvince, names, exact));
    }

    /// <summary>The embedded file's bytes; tests read the string tables through it too.</summary>
    public static byte[] Embedded(string name) => Assets[name].Content;
}
