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
    private static readonly CultureInfo Vi = CultureInfo.GetCultureInfo("vi-VN");

    private static readonly byte[] Style = Load("alerts.css");

    private static readonly Dictionary<string, string> Kinds = new(StringComparer.Ordinal)
    {
        [CampaignKind.Emergency] = "Khẩn cấp",
        [CampaignKind.Warning] = "Cảnh báo",
        [CampaignKind.Awareness] = "Tuyên truyền",
    };

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
        var all = await alerts.GetAsync(ct);
        var body = new StringBuilder();
        body.Append("<h1>Tin cảnh báo chính thức</h1>");
        body.Append(CultureInfo.InvariantCulture, $"<p class=\"lead\">Các tin nhắn cảnh báo cơ quan nhà nước đã gửi qua hệ thống Loa trong {options.Value.Days} ngày qua, đúng nguyên văn. ");
        body.Append("Nếu bạn nhận được tin nhắn tự xưng là cảnh báo của cơ quan nhà nước mà không có ở đây, tin nhắn đó <strong>không phải</strong> của chúng tôi.</p>");
        body.Append("<form method=\"get\" action=\"/alerts\" class=\"lookup\"><label for=\"code\">Mã xác thực trong tin nhắn</label>");
        body.Append("<input id=\"code\" name=\"code\" maxlength=\"6\" autocomplete=\"off\" autocapitalize=\"characters\" spellcheck=\"false\"><button type=\"submit\">Kiểm tra</button></form>");
        if (context.Request.Query["code"].ToString() is { Length: > 0 } asked)
        {
            var code = asked.Trim().ToUpperInvariant();
            return Page(context, "Mã xác thực", Found(all, code) is { } hit ? body.Append(One(hit)).ToString() : body.Append(NotFound(code)).ToString());
        }
        if (all.Count == 0)
            body.Append("<p>Chưa có tin cảnh báo nào trong thời gian này.</p>");
        body.Append("<ol class=\"alerts\">");
        foreach (var alert in all)
            body.Append("<li>").Append(One(alert)).Append("</li>");
        body.Append("</ol>");
        return Page(context, "Tin cảnh báo chính thức", body.ToString());
    }

    public static async Task<IResult> OneAsync(string code, HttpContext context, PublicAlertList alerts, CancellationToken ct)
    {
        var wanted = code.Trim().ToUpperInvariant();
        var hit = VerifyCodes.IsWellFormed(wanted) ? Found(await alerts.GetAsync(ct), wanted) : null;
        var body = hit is null
            ? NotFound(wanted)
            : "<p class=\"genuine\">✓ Tin nhắn này do cơ quan nhà nước gửi qua hệ thống Loa.</p>" + One(hit);
        return Page(context, "Xác thực tin cảnh báo", body + "<p><a href=\"/alerts\">Mọi tin cảnh báo gần đây</a></p>", hit is null ? 404 : 200);
    }

    private static PublicAlert? Found(IReadOnlyList<PublicAlert> all, string code) =>
        all.FirstOrDefault(a => string.Equals(a.Code, code, StringComparison.Ordinal));

    private static string NotFound(string code) =>
        $"<div class=\"unknown\" role=\"alert\"><strong>Không tìm thấy mã {Encode(code)}.</strong> Tin nhắn mang mã này không có trong các tin cảnh báo chính thức " +
        "gần đây. Đừng làm theo tin nhắn đó, đừng bấm vào đường link trong đó, và hãy báo cho cơ quan chức năng.</div>";

    private static string One(PublicAlert alert)
    {
        var kind = Kinds.GetValueOrDefault(alert.Kind, alert.Kind);
        var at = alert.StartedAt.ToOffset(Vietnam).ToString("HH:mm, dd/MM/yyyy", Vi);
        var where = alert.Provinces.Count == 0 ? "Toàn quốc" : string.Join(", ", alert.Provinces);
        var code = alert.Code is null ? "" : $"<span class=\"code\">Mã: <a href=\"/a/{alert.Code}\">{alert.Code}</a></span>";
        return $"<article class=\"alert k-{Encode(alert.Kind)}\"><p class=\"meta\"><span class=\"kind\">{Encode(kind)}</span> <span>{Encode(where)}</span> " +
               $"<time datetime=\"{alert.StartedAt.ToString("O", CultureInfo.InvariantCulture)}\">{at} (giờ Việt Nam)</time> {code}</p>" +
               $"<p class=\"text\" lang=\"vi\">{Encode(alert.Text)}</p></article>";
    }

    private static IResult Page(HttpContext context, string title, string body, int status = 200)
    {
        var headers = context.Response.Headers;
        // Shared caches may keep a page for a minute: what it shows is public, and the list is read once a minute anyway.
        headers.CacheControl = "public, max-age=60";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        var html = $"""
            <!doctype html>
            <html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{Encode(title)} · Loa</title><link rel="stylesheet" href="/alerts/style.css"></head>
            <body><header><a href="/alerts" class="brand">Loa · Tin cảnh báo chính thức</a></header><main>{body}</main></body></html>
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
        return new PublicAlert(
            row.Kind, named.Select(code => provinces.Unit(code)?.Name ?? code).ToList(), DateTimeOffset.FromUnixTimeMilliseconds(row.StartedAt),
            row.SmsText, VerifyCodes.Of(row.SmsText));
    }
}
