using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.RateLimiting;
using Loa.CampaignApi.Security;
using Loa.Contracts;
using Loa.Storage.Campaigns;
using Loa.Storage.Geography;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Loa.CampaignApi.Verification;

/// <summary>One alert as the public page shows it: what was sent, of what kind, where and when; nothing about who received it.</summary>
public sealed record PublicAlert(string Kind, IReadOnlyList<string> Provinces, DateTimeOffset StartedAt, string Text, string? Code);

/// <summary>
/// The public page where a citizen checks that an alert is genuine: <c>GET /alerts</c> lists the alerts
/// sent in the last <see cref="PublicAlertOptions.Days"/> days (never a test), <c>GET /a/{code}</c>
/// shows the one an SMS's verification code names. Anonymous, plain server-rendered HTML (it must work
/// on any phone, with no script), read from a one-minute cache, and rate-limited per address.
/// </summary>
public static class PublicAlertsApi
{
    public const string RateLimitPolicy = "public-alerts";

    private const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private static readonly TimeSpan Vietnam = TimeSpan.FromHours(7);

    /// <summary>The page's languages, the first the default: a citizen who follows the code in an SMS reads Vietnamese.</summary>
    public static readonly IReadOnlyList<string> Languages = ["vi", "en"];

    private static readonly IReadOnlyDictionary<string, CultureInfo> Cultures = new Dictionary<string, CultureInfo>(StringComparer.Ordinal)
    {
        ["vi"] = CultureInfo.GetCultureInfo("vi-VN"),
        ["en"] = CultureInfo.GetCultureInfo("en-GB"),
    };

    private static readonly IReadOnlyDictionary<string, string> DateFormats = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["vi"] = "HH:mm, dd/MM/yyyy",
        ["en"] = "HH:mm, d MMMM yyyy",
    };

    private static readonly byte[] Style = Load("alerts.css");

    private static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Tables =
        Languages.ToDictionary(l => l, l => (IReadOnlyDictionary<string, string>)JsonSerializer.Deserialize<Dictionary<string, string>>(Load($"alerts-{l}.json"))!);

    /// <summary>The string table of a language, as embedded (<c>Verification/alerts-&lt;lang&gt;.json</c>; not <c>alerts.vi.json</c>, which MSBuild would take for a satellite resource of culture vi); tests read it too.</summary>
    public static IReadOnlyDictionary<string, string> Strings(string language) => Tables[language];

    /// <summary>The string for key, {name} placeholders filled; a missing one shows as ⟦key⟧ so a spec catches it.</summary>
    private static string T(string language, string key, params (string Name, string Value)[] values)
    {
        if (!Tables[language].TryGetValue(key, out var text))
            return $"⟦{key}⟧";
        foreach (var (name, value) in values)
            text = text.Replace("{" + name + "}", value, StringComparison.Ordinal);
        return text;
    }

    /// <summary>What the page is read in: <c>?lang=en</c>, else Vietnamese.</summary>
    private static string LanguageOf(HttpContext context) =>
        context.Request.Query["lang"].ToString() is { } asked && Languages.Contains(asked) ? asked : Languages[0];

    /// <summary>A link within the page, keeping the reader's language (Vietnamese, the default, needs no parameter).</summary>
    private static string Href(string path, string language) => language == Languages[0] ? path : $"{path}?lang={language}";

    public static IServiceCollection AddPublicAlerts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PublicAlertOptions>().Bind(configuration.GetSection(PublicAlertOptions.Section));
        services.TryAddSingleton<PublicAlertReads>();
        services.TryAddSingleton<PublicAlertList>();
        var perMinute = configuration.GetSection(PublicAlertOptions.Section).Get<PublicAlertOptions>()?.RequestsPerMinute ?? new PublicAlertOptions().RequestsPerMinute;
        services.Configure<RateLimiterOptions>(o => o.AddPolicy(RateLimitPolicy, context =>
            RateLimitPartition.GetFixedWindowLimiter("public:" + context.Connection.RemoteIpAddress, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = Math.Max(1, perMinute), Window = TimeSpan.FromMinutes(1), QueueLimit = 0,
            })));
        return services;
    }

    public static IEndpointRouteBuilder MapPublicAlerts(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/alerts", ListAsync).AllowAnonymous().RequireRateLimiting(RateLimitPolicy).WithTags("Public");
        routes.MapGet("/a/{code}", OneAsync).AllowAnonymous().RequireRateLimiting(RateLimitPolicy).WithTags("Public");
        routes.MapGet("/alerts/style.css", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "public, max-age=3600";
            return TypedResults.Bytes(Style, "text/css; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    public static async Task<IResult> ListAsync(HttpContext context, PublicAlertList alerts, IOptions<PublicAlertOptions> options, CancellationToken ct)
    {
        var language = LanguageOf(context);
        var all = await alerts.GetAsync(ct);
        var body = new StringBuilder();
        body.Append("<h1>").Append(Encode(T(language, "title.list"))).Append("</h1>");
        // lead.notOurs carries its own emphasis (<strong>): the tables are Loa's own, embedded, never user text.
        body.Append("<p class=\"lead\">").Append(Encode(T(language, "lead", ("days", options.Value.Days.ToString(CultureInfo.InvariantCulture)))))
            .Append(T(language, "lead.notOurs")).Append("</p>");
        body.Append("<form method=\"get\" action=\"/alerts\" class=\"lookup\"><label for=\"code\">").Append(Encode(T(language, "lookup.label"))).Append("</label>");
        if (language != Languages[0])
            body.Append(CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"lang\" value=\"{language}\">");
        body.Append("<input id=\"code\" name=\"code\" maxlength=\"6\" autocomplete=\"off\" autocapitalize=\"characters\" spellcheck=\"false\"><button type=\"submit\">")
            .Append(Encode(T(language, "lookup.button"))).Append("</button></form>");
        body.Append("<p class=\"note\">").Append(Encode(T(language, "textNote"))).Append("</p>");
        if (context.Request.Query["code"].ToString() is { Length: > 0 } asked)
        {
            var code = asked.Trim().ToUpperInvariant();
            return Page(context, language, T(language, "title.code"),
                Found(all, code) is { } hit ? body.Append(One(hit, language)).ToString() : body.Append(NotFound(code, language)).ToString());
        }
        if (all.Count == 0)
            body.Append("<p>").Append(Encode(T(language, "none"))).Append("</p>");
        body.Append("<ol class=\"alerts\">");
        foreach (var alert in all)
            body.Append("<li>").Append(One(alert, language)).Append("</li>");
        body.Append("</ol>");
        return Page(context, language, T(language, "title.list"), body.ToString());
    }

    public static async Task<IResult> OneAsync(string code, HttpContext context, PublicAlertList alerts, CancellationToken ct)
    {
        var language = LanguageOf(context);
        var wanted = code.Trim().ToUpperInvariant();
        var hit = VerifyCodes.IsWellFormed(wanted) ? Found(await alerts.GetAsync(ct), wanted) : null;
        var body = hit is null
            ? NotFound(wanted, language)
            : $"<p class=\"genuine\">{Encode(T(language, "genuine"))}</p>" + One(hit, language);
        return Page(context, language, T(language, "title.verify"),
            body + $"<p><a href=\"{Href("/alerts", language)}\">{Encode(T(language, "all"))}</a></p>", hit is null ? 404 : 200);
    }

    private static PublicAlert? Found(IReadOnlyList<PublicAlert> all, string code) =>
        all.FirstOrDefault(a => string.Equals(a.Code, code, StringComparison.Ordinal));

    private static string NotFound(string code, string language) =>
        $"<div class=\"unknown\" role=\"alert\"><strong>{Encode(T(language, "notFound.title", ("code", code)))}</strong> {Encode(T(language, "notFound.text"))}</div>";

    private static string One(PublicAlert alert, string language)
    {
        var kind = Tables[language].ContainsKey($"kind.{alert.Kind}") ? T(language, $"kind.{alert.Kind}") : alert.Kind;
        var at = T(language, "time", ("at", alert.StartedAt.ToOffset(Vietnam).ToString(DateFormats[language], Cultures[language])));
        // Province names are proper names: the same in both languages.
        var where = alert.Provinces.Count == 0 ? T(language, "nationwide") : string.Join(", ", alert.Provinces);
        var code = alert.Code is null ? "" : $"<span class=\"code\">{Encode(T(language, "code"))} <a href=\"{Href($"/a/{alert.Code}", language)}\">{alert.Code}</a></span>";
        return $"<article class=\"alert k-{Encode(alert.Kind)}\"><p class=\"meta\"><span class=\"kind\">{Encode(kind)}</span> <span lang=\"vi\">{Encode(where)}</span> " +
               $"<time datetime=\"{alert.StartedAt.ToString("O", CultureInfo.InvariantCulture)}\">{Encode(at)}</time> {code}</p>" +
               $"<p class=\"text\" lang=\"vi\">{Encode(alert.Text)}</p></article>";
    }

    private static IResult Page(HttpContext context, string language, string title, string body, int status = 200)
    {
        var headers = context.Response.Headers;
        // Shared caches may keep a page for a minute: what it shows is public, and the list is read once a minute anyway.
        // The language is in the query string, so a cache keeps each language apart without Vary.
        headers.CacheControl = "public, max-age=60";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        var path = context.Request.Path.Value ?? "/alerts";
        var code = context.Request.Query["code"].ToString();
        string Switch(string to, string name)
        {
            var query = new List<string>();
            if (code.Length > 0)
                query.Add("code=" + Uri.EscapeDataString(code));
            if (to != Languages[0])
                query.Add("lang=" + to);
            var href = query.Count == 0 ? path : path + "?" + string.Join("&", query);
            var current = to == language ? " aria-current=\"true\"" : "";
            return $"<a href=\"{Encode(href)}\" lang=\"{to}\" hreflang=\"{to}\"{current}>{name}</a>";
        }
        var html = $"""
            <!doctype html>
            <html lang="{language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{Encode(title)} · Loa</title><link rel="stylesheet" href="/alerts/style.css"></head>
            <body><header><a href="{Href("/alerts", language)}" class="brand">{Encode(T(language, "brand"))}</a>
            <nav class="lang" aria-label="{Encode(T(language, "lang.label"))}">{Switch("vi", "Tiếng Việt")} {Switch("en", "English")}</nav></header>
            <main>{body}</main></body></html>
            """;
        return TypedResults.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static byte[] Load(string name)
    {
        using var stream = typeof(PublicAlertsApi).Assembly.GetManifestResourceStream($"Loa.CampaignApi.Verification.{name}")
            ?? throw new InvalidOperationException($"Verification/{name} is not embedded in the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

/// <summary>The alerts of the last days, read at most once per <see cref="PublicAlertOptions.CacheFor"/> however many citizens ask.</summary>
public sealed class PublicAlertList(PublicAlertReads reads, Provinces provinces, IOptions<PublicAlertOptions> options, TimeProvider time)
{
    private readonly SemaphoreSlim reading = new(1, 1);
    private (DateTimeOffset At, IReadOnlyList<PublicAlert> Alerts)? cached;

    public async Task<IReadOnlyList<PublicAlert>> GetAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (cached is { } fresh && now - fresh.At < options.Value.CacheFor)
            return fresh.Alerts;
        await reading.WaitAsync(ct);
        try
        {
            if (cached is { } again && now - again.At < options.Value.CacheFor)
                return again.Alerts;
            var since = (now - TimeSpan.FromDays(options.Value.Days)).ToUnixTimeMilliseconds();
            var rows = await reads.StartedSinceAsync(since, ct);
            var alerts = rows.Select(Public).ToList();
            cached = (now, alerts);
            return alerts;
        }
        finally
        {
            reading.Release();
        }
    }

    private PublicAlert Public(PublicAlertRow row)
    {
        var definition = JsonSerializer.Deserialize<CampaignDefinition>(row.Definition, LoaJson.Options);
        var named = definition?.Audience?.Provinces is { Count: > 0 } p ? p : row.Tenant == Roles.National ? [] : [row.Tenant];
        // A campaign that pushed alone has no SMS: the page shows its notification as phones did, title then
        // body, the body ending with the campaign's own verification suffix when it has one.
        var text = row.SmsText ?? $"{definition?.Message?.Push?.Title} — {definition?.Message?.Push?.Body}{definition?.PushVerification}";
        return new PublicAlert(
            row.Kind, named.Select(code => provinces.Unit(code)?.Name ?? code).ToList(), DateTimeOffset.FromUnixTimeMilliseconds(row.StartedAt),
            text, VerifyCodes.Of(text));
    }
}
