using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Loa.CampaignApi.Security;

/// <summary><c>Loa:Limits</c>: how much one caller may ask of Loa.</summary>
public sealed class RequestLimitOptions
{
    public const string Section = "Loa:Limits";

    /// <summary>Requests per second one key (or one carrier's receipt webhook) may make, on average.</summary>
    public int RequestsPerSecond { get; set; } = 50;

    /// <summary>Requests one key may make at once above the average before it gets 429.</summary>
    public int Burst { get; set; } = 100;

    /// <summary>Receipt posts per second one carrier may make: machine traffic that grows with the send rate.</summary>
    public int ReceiptPostsPerSecond { get; set; } = 500;

    /// <summary>Largest request body, except list and opt-out uploads, which stream and have their own limit.</summary>
    public long MaxBodyBytes { get; set; } = 1 << 20;
}

/// <summary>
/// Per-caller token buckets: one per API key (or JWT subject), one per carrier for receipts, one per
/// address for anonymous calls. An exhausted bucket answers 429 with <c>Retry-After</c> and a problem.
/// </summary>
public static class RequestLimits
{
    public static IServiceCollection AddLoaRequestLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(RequestLimitOptions.Section).Get<RequestLimitOptions>() ?? new RequestLimitOptions();
        services.AddOptions<RequestLimitOptions>().Bind(configuration.GetSection(RequestLimitOptions.Section));
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(k => k.Limits.MaxRequestBodySize = options.MaxBodyBytes);
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var caller = Caller(context);
                var perSecond = caller.StartsWith("carrier:", StringComparison.Ordinal) ? options.ReceiptPostsPerSecond : options.RequestsPerSecond;
                return RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Math.Max(1, Math.Max(options.Burst, perSecond)),
                    TokensPerPeriod = Math.Max(1, perSecond),
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = async (rejected, ct) =>
            {
                var http = rejected.HttpContext;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await Problems.TooManyRequests("This caller has used its requests for now; wait Retry-After seconds and try again.")
                    .ExecuteAsync(http);
            };
        });
        return services;
    }

    // After authentication. By the key's id (or the token's issuer and subject) and tenant, never by
    // name: any admin can name a key like another tenant's, and would then share (and drain) its bucket.
    private static string Caller(HttpContext context)
    {
        if (context.User.Identity is { IsAuthenticated: true } && context.User.Who() is { Length: > 0 } who)
            return $"principal:{context.User.Tenant()}:{who}";
        if (context.Request.RouteValues.TryGetValue("carrierId", out var carrier) && carrier is string id)
            return "carrier:" + id;
        return "address:" + context.Connection.RemoteIpAddress;
    }
}
