using Loa.Storage.Geography;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loa.CampaignApi.Geography;

/// <summary>A unit of today with every old code Loa maps to it.</summary>
public sealed record ProvinceView(string Code, string Name, string Alias, string Kind, IReadOnlyList<OldCodeView> OldCodes);

public sealed record OldCodeView(string Code, string Scheme, string Name);

public sealed record ProvincePage(IReadOnlyList<ProvinceView> Items);

/// <summary>What a code given to Loa stands for; <c>RemappedFrom</c> is the code as given when it is not the canonical one.</summary>
public sealed record ResolvedProvinceView(string Code, string Name, string Alias, string Kind, string Scheme, string? RemappedFrom);

/// <summary>
/// The provinces Loa knows (Seed/provinces.csv, Seed/province-remap.csv), for clients to show names and
/// check a code before they upload. Open to every key: it is public geography, nothing of a tenant's.
/// </summary>
public static class ProvincesApi
{
    public static RouteGroupBuilder MapProvincesApiV1(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/provinces").WithTags("Provinces").RequireAuthorization();
        group.MapGet("/", List);
        group.MapGet("/{code}", Resolve);
        return group;
    }

    public static Ok<ProvincePage> List(Provinces provinces)
    {
        var old = provinces.Remaps.ToLookup(r => r.Province);
        return TypedResults.Ok(new ProvincePage(provinces.Units
            .Select(u => new ProvinceView(u.Code, u.Name, u.Alias, u.Kind,
                old[u.Code].Where(r => r.Code != u.Code && r.Code != u.Alias).Select(r => new OldCodeView(r.Code, r.Scheme, r.Name)).ToList()))
            .ToList()));
    }

    public static IResult Resolve(string code, Provinces provinces) =>
        provinces.Resolve(code) is { } p
            ? TypedResults.Ok(new ResolvedProvinceView(p.Code, p.Name, p.Province.Alias, p.Province.Kind, p.Scheme, p.RemappedFrom))
            : Problems.NotFound("province");
}
