
namespace Loa.Storage.Geography;

/// <summary>A provincial-level unit of today (Resolution 202/2025/QH15): its 2-digit code, name, alias and kind.</summary>
public sealed record Province(string Code, string Name, string Alias, string Kind)
{
    public const string ProvinceKind = "province";
    public const string CityKind = "city";
}

/// <summary>An old code (GSO, Loa's abbreviation, ISO 3166-2) and the unit that absorbed its province.</summary>
public sealed record ProvinceRemap(string Code, string Province, string Scheme, string Name);

/// <summary>
/// What a code given to Loa stands for: the unit, and how it was named. <see cref="RemappedFrom"/> is
/// the code as given (upper case) whenever it is not the canonical code, so that a caller can say
/// what it stored instead (an upload's <c>remapped</c>).
/// </summary>
public sealed record ResolvedProvince(Province Province, string Given, string Scheme)
{
    public const string CanonicalScheme = "code";
    public const string AliasScheme = "alias";

    public string Code => Province.Code;
    public string Name => Province.Name;
    public string? RemappedFrom => Scheme == CanonicalScheme ? null : Given;
}

/// <summary>
/// The one place a province code is read: the 34 units of <c>Seed/provinces.csv</c> and the old codes of
/// <c>Seed/province-remap.csv</c> (or the operator's copies, <see cref="ProvinceOptions"/>). Everything
/// that takes a province from outside (keys, tenants, list rows, devices, audiences, CAP geocodes) goes
/// through <see cref="Resolve"/> and keeps the canonical code it answers.
/// </summary>
public sealed class Provinces
{
    private readonly Dictionary<string, Province> byCode;
    private readonly Dictionary<string, Province> byAlias;
    private readonly Dictionary<string, ProvinceRemap> byOldCode;

    private Provinces(IReadOnlyList<Province> units, IReadOnlyList<ProvinceRemap> remaps)
    {
        Units = units;
        Remaps = remaps;
        byCode = units.ToDictionary(u => u.Code, StringComparer.Ordinal);
        byAlias = units.ToDictionary(u => u.Alias, StringComparer.OrdinalIgnoreCase);
        byOldCode = remaps.ToDictionary(r => r.Code, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<Province> Units { get; }

    public IReadOnlyList<ProvinceRemap> Remaps { get; }

    public Province? Unit(string code) => byCode.GetValueOrDefault(code);

    /// <summary>
    /// The unit <paramref name="code"/> names, or null: the 2-digit code, the unit's alias (<c>HN</c>,
    /// <c>CT</c>), an old GSO code or abbreviation (<c>93</c>, <c>HG</c>: Hậu Giang, now Cần Thơ) or an ISO
    /// 3166-2 code (<c>VN-73</c>); ignoring case and surrounding spaces. Today's code wins over an old
    /// one, which can only name the same unit (codes are never reused; the tables are checked for it).
    /// </summary>
    public ResolvedProvince? Resolve(string? code)
    {
        var given = code?.Trim().ToUpperInvariant() ?? "";
        if (given.Length == 0)
            return null;
        if (byCode.TryGetValue(given, out var unit))
            return new ResolvedProvince(unit, given, ResolvedProvince.CanonicalScheme);
        if (byAlias.TryGetValue(given, out unit))
            return new ResolvedProvince(unit, given, ResolvedProvince.AliasScheme);
        if (byOldCode.TryGetValue(given, out var old))
            return new ResolvedProvince(byCode[old.Province], given, old.Scheme);
        return null;
    }

    /// <summary>
    /// A tenant as stored and compared: <c>national</c>, or the canonical code of a province named any
    /// way <see cref="Resolve"/> reads. A name that is no province is left as it is: it matches nothing.
    /// </summary>
    public string Tenant(string tenant) => Resolve(tenant)?.Code ?? tenant;

    /// <summary>The shipped tables, or the operator's files where <paramref name="options"/> names them.</summary>
    /// <exception cref="FormatException">A malformed or contradictory table, with the file and line.</exception>
    public static Provinces Load(ProvinceOptions? options = null)
    {
        using var units = Open(options?.UnitsFile, "provinces.csv");
        using var remaps = Open(options?.RemapFile, "province-remap.csv");
        return Parse(units, remaps);
    }

    public static Provinces Shipped() => Load();

    public static Provinces Parse(TextReader units, TextReader remaps)
    {
        var unitRows = Rows(units, "provinces.csv", ["code", "name", "alias", "kind"])
            .Select(r => (r.Line, Unit: new Province(r.Fields[0], r.Fields[1], r.Fields[2].ToUpperInvariant(), r.Fields[3].ToLowerInvariant())))
            .ToList();
        var remapRows = Rows(remaps, "province-remap.csv", ["code", "province", "scheme", "name"])
            .Select(r => (r.Line, Remap: new ProvinceRemap(r.Fields[0].ToUpperInvariant(), r.Fields[1], r.Fields[2].ToLowerInvariant(), r.Fields[3])))
            .ToList();

        var codes = new Dictionary<string, Province>(StringComparer.Ordinal);
        var aliases = new Dictionary<string, Province>(StringComparer.OrdinalIgnoreCase);
        foreach (var (line, unit) in unitRows)
        {
            string Where() => $"provinces.csv line {line}";
            if (unit.Code.Length != 2 || !unit.Code.All(char.IsAsciiDigit))
                throw new FormatException($"{Where()}: '{unit.Code}' is not a 2-digit code.");
            if (unit.Alias.Length is < 2 or > 3 || !unit.Alias.All(char.IsAsciiLetterUpper))
                throw new FormatException($"{Where()}: alias '{unit.Alias}' is not 2 or 3 letters.");
            if (unit.Kind is not (Province.ProvinceKind or Province.CityKind))
                throw new FormatException($"{Where()}: kind '{unit.Kind}' is neither {Province.ProvinceKind} nor {Province.CityKind}.");
            if (unit.Name.Length == 0)
                throw new FormatException($"{Where()}: the name is empty.");
            if (!codes.TryAdd(unit.Code, unit))
                throw new FormatException($"{Where()}: code {unit.Code} is listed twice.");
            if (!aliases.TryAdd(unit.Alias, unit))
                throw new FormatException($"{Where()}: alias {unit.Alias} is listed twice.");
        }
        if (codes.Count == 0)
            throw new FormatException("provinces.csv lists no unit.");

        var olds = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (line, remap) in remapRows)
        {
            string Where() => $"province-remap.csv line {line}";
            if (!codes.TryGetValue(remap.Province, out var target))
                throw new FormatException($"{Where()}: {remap.Code} maps to {remap.Province}, which is not a unit of provinces.csv.");
            if (!olds.Add(remap.Code))
                throw new FormatException($"{Where()}: {remap.Code} is listed twice.");
            // An old code that is also a code or alias of today names that unit first (Resolve): mapping it
            // elsewhere would make the table say one thing and Loa do another.
            if ((codes.TryGetValue(remap.Code, out var same) || aliases.TryGetValue(remap.Code, out same)) && same != target)
                throw new FormatException($"{Where()}: {remap.Code} is {same.Name}'s code or alias today, but is mapped to {target.Name}.");
        }
        return new Provinces([.. codes.Values.OrderBy(u => u.Code, StringComparer.Ordinal)], [.. remapRows.Select(r => r.Remap)]);
    }

    private static TextReader Open(string? path, string seed)
    {
        if (!string.IsNullOrWhiteSpace(path))
            return new StreamReader(path);
        var assembly = typeof(Provinces).Assembly;
        var resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith(".Seed." + seed, StringComparison.Ordinal));
        return new StreamReader(assembly.GetManifestResourceStream(resource)!);
    }

    private static IEnumerable<(int Line, string[] Fields)> Rows(TextReader reader, string file, string[] header)
    {
        var seenHeader = false;
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            var content = line.TrimStart('\uFEFF').Trim();
            if (content.Length == 0 || content[0] == '#')
                continue;
            var fields = content.Split(',').Select(f => f.Trim()).ToArray();
            if (!seenHeader)
            {
                if (!fields.SequenceEqual(header, StringComparer.OrdinalIgnoreCase))
                    throw new FormatException($"{file} line {number}: expected the header '{string.Join(',', header)}'.");
                seenHeader = true;
                continue;
            }
            if (fields.Length != header.Length || fields[0].Length == 0 || fields[1].Length == 0)
                throw new FormatException($"{file} line {number}: expected {string.Join(',', header)}.");
            yield return (number, fields);
        }
        if (!seenHeader)
            throw new FormatException($"{file}: no header line.");
    }
}

/// <summary><c>Loa:Provinces</c>: the operator's copies of the tables; the shipped ones when empty.</summary>
public sealed class ProvinceOptions
{
    public const string Section = "Loa:Provinces";

    /// <summary>A CSV in the format of <c>Seed/provinces.csv</c> that replaces it.</summary>
    public string? UnitsFile { get; set; }

    /// <summary>A CSV in the format of <c>Seed/province-remap.csv</c> that replaces it.</summary>
    public string? RemapFile { get; set; }
}
