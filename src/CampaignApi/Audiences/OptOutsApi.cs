using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text;
using Loa.CampaignApi.Campaigns;
using Loa.CampaignApi.Security;
using Loa.CarrierAdapters.Routing;
using Loa.Dispatcher.Planning;
using Loa.Storage;
using Loa.Storage.Suppression;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Sylvan.Data.Csv;

namespace Loa.CampaignApi.Audiences;

public sealed record OptOutView(string Msisdn, string Tenant, string Source, string CreatedBy, DateTimeOffset CreatedAt);

public sealed record OptOutsImported(int Accepted, int Rejected, int Duplicates, IReadOnlyList<ListError> Errors);

/// <summary>
/// Subscribers who asked for no more awareness messages. Awareness campaigns leave them out (the
/// delivery is <c>suppressed</c>, reason <c>opted-out</c>); emergency and warning still reach them.
/// Numbers in answers are masked: the caller already knows the one they sent.
/// </summary>
public static class OptOutsApi
{
    private const int MaxListedErrors = 100;

    public static RouteGroupBuilder MapOptOutsApiV1(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/optouts").WithTags("Audiences").RequireAuthorization(Policies.OperatorOrAdmin);
        group.MapPost("/", ImportAsync)
            .Accepts<string>("text/csv")
            .WithMetadata(new Microsoft.AspNetCore.Mvc.DisableRequestSizeLimitAttribute());
        group.MapPost("/{msisdn}", AddAsync);
        group.MapGet("/{msisdn}", GetAsync);
        group.MapDelete("/{msisdn}", RemoveAsync);
        return group;
    }

    /// <summary>
    /// 201 with the new record, or 200 with the caller's existing one. A number another tenant already
    /// opted out is answered as if the caller had just recorded it (201, its own tenant and name, now):
    /// the number is suppressed either way, and the other tenant's record, even its existence, is not
    /// the caller's to see (as GET answers 404 for it).
    /// </summary>
    public static async Task<IResult> AddAsync(string msisdn, ClaimsPrincipal user, SuppressionStore store, RouteTable routes, TimeProvider time, CancellationToken ct)
    {
        if (!Msisdn.TryNormalize(msisdn, await routes.GetAsync(ct), out var e164, out var reason))
            return Problems.Validation("msisdn", reason);
        var created = await store.OptOutAsync(e164, user.Tenant(), "api", user.Who(), ct);
        var row = (await store.GetOptOutAsync(e164, ct))!;
        var location = $"/api/v1/optouts/{Uri.EscapeDataString(e164)}";
        if (!user.CanSee(row.Tenant))
            return TypedResults.Created(location, View(new OptOutRow(e164, user.Tenant(), "api", user.Who(), time.Ms())));
        return created ? TypedResults.Created(location, View(row)) : TypedResults.Ok(View(row));
    }

    public static async Task<IResult> GetAsync(string msisdn, ClaimsPrincipal user, SuppressionStore store, RouteTable routes, CancellationToken ct)
    {
        if (!Msisdn.TryNormalize(msisdn, await routes.GetAsync(ct), out var e164, out var reason))
            return Problems.Validation("msisdn", reason);
        var row = await store.GetOptOutAsync(e164, ct);
        return row is null || !user.CanSee(row.Tenant) ? Problems.NotFound("opt-out") : TypedResults.Ok(View(row));
    }

    /// <summary>A province removes only opt-outs it recorded; another's answers 404, as if absent.</summary>
    public static async Task<IResult> RemoveAsync(string msisdn, ClaimsPrincipal user, SuppressionStore store, RouteTable routes, CancellationToken ct)
    {
        if (!Msisdn.TryNormalize(msisdn, await routes.GetAsync(ct), out var e164, out var reason))
            return Problems.Validation("msisdn", reason);
        var row = await store.GetOptOutAsync(e164, ct);
        if (row is null || !user.CanSee(row.Tenant) || !await store.RemoveOptOutAsync(e164, ct))
            return Problems.NotFound("opt-out");
        return TypedResults.NoContent();
    }

    /// <summary>
    /// <c>text/csv</c> with a <c>msisdn</c> column, under the list upload limits (<c>Loa:Lists</c>),
    /// written in one transaction: a refused upload leaves nothing behind. The body is received in
    /// full first (past 1 MiB into a temp file), so the write lock is held for the database's work
    /// only, never while a slow client is still sending.
    /// </summary>
    public static async Task<IResult> ImportAsync(
        HttpRequest request, ClaimsPrincipal user, SuppressionStore store, RouteTable routes, IOptions<ListOptions> options,
        Audit.AuditDetails audit, CancellationToken ct)
    {
        if (!CsvUpload.IsCsv(request))
            return Problems.UnsupportedMediaType("Upload opt-outs as text/csv with a header row naming a 'msisdn' column.");
        var limits = options.Value;
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = limits.MaxBytes;
        request.EnableBuffering(bufferThreshold: 1 << 20);
        await request.Body.DrainAsync(ct);
        request.Body.Position = 0;

        var router = await routes.GetAsync(ct);
        using var text = CsvUpload.Text(request);
        long line = 0; // the last line read whole; the header is line 1
        CsvDataReader csv;
        try
        {
            csv = await CsvUpload.OpenAsync(text, ct);
        }
        catch (Exception e) when (CsvUpload.IsUnreadable(e))
        {
            return CsvUpload.Refusal(e, line + 1);
        }
        await using var reader = csv;
        line = 1;
        var column = ListsApi.Column(csv, "msisdn");
        if (column < 0)
            return Problems.Validation("msisdn", "The header row must name a 'msisdn' column.");

        var errors = new List<ListError>();
        var rejected = 0;
        OptOutImport imported;
        try
        {
            imported = await store.ImportOptOutsAsync(Numbers(ct), user.Tenant(), user.Who(), ct);
        }
        catch (TooManyRowsException)
        {
            return Problems.Unprocessable("list-too-large", "Upload too large", $"An opt-out upload may hold at most {limits.MaxRows} rows.");
        }
        catch (Exception e) when (CsvUpload.IsUnreadable(e))
        {
            // Thrown from inside the store's transaction, which rolled back: nothing was opted out.
            return CsvUpload.Refusal(e, line + 1);
        }
        // Opt-outs are one per number, whoever recorded them: told "duplicate", a province would learn
        // which numbers another tenant opted out. It is told only of repeats within its own file, and a
        // number opted out already counts as accepted (it is opted out, as asked).
        var (accepted, duplicates) = user.IsNational()
            ? (imported.Accepted, imported.Duplicates)
            : (imported.Accepted + imported.Duplicates - imported.RepeatsInUpload, imported.RepeatsInUpload);
        audit.Add("upload", new { accepted, rejected, duplicates });
        return TypedResults.Ok(new OptOutsImported(accepted, rejected, duplicates, errors));

        async IAsyncEnumerable<string> Numbers([EnumeratorCancellation] CancellationToken token)
        {
            while (await csv.ReadAsync(token))
            {
                // Thrown, not a yield break: the store's transaction must roll back, not commit half a file.
                if (line++ > limits.MaxRows)
                    throw new TooManyRowsException();
                if (Msisdn.TryNormalize(csv.GetString(column), router, out var e164, out var reason))
                {
                    yield return e164;
                    continue;
                }
                rejected++;
                if (errors.Count < MaxListedErrors)
                    errors.Add(new ListError(line, reason));
            }
        }
    }

    private sealed class TooManyRowsException : Exception;

    private static OptOutView View(OptOutRow row) =>
        new(Msisdn.Mask(row.Msisdn), row.Tenant, row.Source, row.CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt));
}
