using System.Text.RegularExpressions;
using Loa.Contracts;

namespace Loa.Storage.Planning;

/// <summary>
/// Which of a list's members an audience reaches, as one predicate that the planner (per member) and
/// the preview (per counter row, keyed by the member's whole segment) both apply, so that the preview
/// is the run's figure and not an estimate. The tenant's own-province rule is not here: the callers
/// apply it first, as before segments existed.
/// </summary>
public sealed partial class AudienceSegment
{
    private readonly HashSet<string>? provinces;
    private readonly HashSet<string>? includeProvinces;
    private readonly HashSet<string>? includeCommunes;
    private readonly HashSet<string>? includeTags;
    private readonly HashSet<string>? carriers;
    private readonly HashSet<string>? includeCarriers;
    private readonly HashSet<string> excludeProvinces;
    private readonly HashSet<string> excludeCommunes;
    private readonly HashSet<string> excludeTags;
    private readonly HashSet<string> excludeCarriers;

    private AudienceSegment(AudienceDefinition? audience)
    {
        provinces = Set(audience?.Provinces);
        carriers = Set(audience?.Carriers);
        includeProvinces = Set(audience?.Include?.Provinces);
        includeCommunes = Set(audience?.Include?.Communes);
        includeTags = Set(audience?.Include?.Tags);
        includeCarriers = Set(audience?.Include?.Carriers);
        excludeProvinces = Set(audience?.Exclude?.Provinces) ?? [];
        excludeCommunes = Set(audience?.Exclude?.Communes) ?? [];
        excludeTags = Set(audience?.Exclude?.Tags) ?? [];
        excludeCarriers = Set(audience?.Exclude?.Carriers) ?? [];
    }

    public static AudienceSegment Of(AudienceDefinition? audience) => new(audience);

    /// <summary>True when <see cref="Member"/> looks at the commune; when false any commune, '' included, answers alike.</summary>
    public bool ReadsCommunes => includeCommunes is not null || excludeCommunes.Count > 0;

    /// <summary>True when <see cref="Member"/> looks at the tags; when false any tag set, '' included, answers alike.</summary>
    public bool ReadsTags => includeTags is not null || excludeTags.Count > 0;

    /// <summary>True when the member's place and tags are inside the audience (its carrier is asked apart: see <see cref="Carried"/>).</summary>
    /// <param name="tags">The member's tag set as stored (<see cref="SegmentTags.Normalize"/>), or null/empty for none.</param>
    public bool Member(string province, string? commune, string? tags)
    {
        commune ??= "";
        if (provinces is not null && !provinces.Contains(province))
            return false;
        // The places included are one area, their union: "these provinces, and those communes" (as a CAP
        // alert draws it). And-ed, a commune beside another province would reach nobody.
        if ((includeProvinces is not null || includeCommunes is not null)
            && !(includeProvinces?.Contains(province) ?? false) && !(includeCommunes?.Contains(commune) ?? false))
            return false;
        if (excludeProvinces.Contains(province) || (commune.Length > 0 && excludeCommunes.Contains(commune)))
            return false;
        if (includeTags is null && excludeTags.Count == 0)
            return true;
        var any = false;
        foreach (var tag in SegmentTags.Split(tags))
        {
            if (excludeTags.Contains(tag))
                return false;
            any |= includeTags?.Contains(tag) ?? false;
        }
        return includeTags is null || any;
    }

    /// <summary>True when the carrier that serves the member now (after porting) is inside the audience.</summary>
    public bool Carried(string carrier) =>
        (carriers is null || carriers.Contains(carrier))
        && (includeCarriers is null || includeCarriers.Contains(carrier))
        && !excludeCarriers.Contains(carrier);

    private static HashSet<string>? Set(IReadOnlyList<string>? values) =>
        values is { Count: > 0 } ? values.OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase) : null;
}

/// <summary>
/// The one spelling of a member's tags: lower-case words of letters, digits and hyphens, at most
/// <see cref="MaxTags"/> of at most <see cref="MaxLength"/> characters, stored sorted and distinct,
/// joined by commas, so that equal tag sets are equal strings and counters can be keyed by them.
/// </summary>
public static partial class SegmentTags
{
    public const int MaxTags = 8;
    public const int MaxLength = 32;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Word();

    [GeneratedRegex("^[0-9]{5}$", RegexOptions.CultureInvariant)]
    private static partial Regex CommuneCode();

    /// <summary>True for a commune code of 5 digits.</summary>
    public static bool IsCommune(string value) => CommuneCode().IsMatch(value);

    /// <summary>The tag's problem, or null when it may be a tag.</summary>
    public static string? Problem(string tag) =>
        tag.Length > MaxLength ? $"tag '{tag[..MaxLength]}…' is longer than {MaxLength} characters"
        : !Word().IsMatch(tag) ? $"tag '{tag}' is not a tag (lower-case letters, digits and '-')"
        : null;

    /// <summary>
    /// The stored form of a tags cell (tags separated by <c>;</c>, <c>|</c>, <c>,</c> or spaces, any case),
    /// or null for none; <paramref name="problem"/> says why a cell is refused.
    /// </summary>
    public static string? Normalize(string? cell, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(cell))
            return null;
        var tags = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var raw in cell.Split([';', '|', ',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var tag = raw.ToLowerInvariant();
            if (Problem(tag) is { } bad)
            {
                problem = bad;
                return null;
            }
            tags.Add(tag);
        }
        if (tags.Count > MaxTags)
        {
            problem = $"at most {MaxTags} tags per member ({tags.Count} given)";
            return null;
        }
        return tags.Count == 0 ? null : string.Join(',', tags);
    }

    public static string[] Split(string? stored) =>
        string.IsNullOrEmpty(stored) ? [] : stored.Split(',');
}
