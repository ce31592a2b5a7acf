using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Loa.CampaignApi;

/// <summary>
/// A file of Loa's own pages (the dashboard, the console), embedded in the assembly and served with
/// the page's strict headers: no CDN, no framing, revalidated by ETag so a new release shows at once.
/// </summary>
public sealed record EmbeddedAsset(byte[] Content, string ContentType, string ETag)
{
    /// <param name="folder">The embedding folder, e.g. <c>Dashboard</c> for <c>Loa.CampaignApi.Dashboard.app.js</c>.</param>
    public static EmbeddedAsset Load(string folder, string name, string contentType)
    {
        var resource = $"Loa.CampaignApi.{folder}.{name}";
        using var stream = typeof(EmbeddedAsset).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The file {resource} is not embedded in the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var content = copy.ToArray();
        return new EmbeddedAsset(content, contentType, $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"");
    }

    public IResult Serve(HttpContext context, string contentSecurityPolicy)
    {
        var headers = context.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.ETag = ETag;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = contentSecurityPolicy;
        var ifNoneMatch = context.Request.Headers.IfNoneMatch;
        if (ifNoneMatch.Count > 0 && EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags)
            && tags.Any(t => t.Compare(EntityTagHeaderValue.Parse(ETag), useStrongComparison: false) || t.Equals(EntityTagHeaderValue.Any)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        return TypedResults.Bytes(Content, ContentType);
    }
}
