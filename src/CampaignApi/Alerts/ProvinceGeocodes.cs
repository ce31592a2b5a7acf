using Loa.Storage.Geography;
using Loa.Storage.Planning;

namespace Loa.CampaignApi.Alerts;

/// <summary>
/// A geocode Loa places: <c>Province</c> the canonical code of today's unit and <c>Name</c> its name;
/// <c>RemappedFrom</c> the province the geocode named when that was an old one (GSO 93: Hậu Giang → 92).
/// </summary>
public sealed record ProvinceGeocode(string ValueName, string Value, string Province, string Name, string? RemappedFrom = null);

/// <summary>
/// CAP geocodes to today's provinces. Two schemes are read through <see cref="Provinces"/>, the one place
/// Loa reads a province code: <c>GSO</c> (2-digit codes, today's and the 63 old ones) and
/// <c>ISO3166-2</c> (<c>VN-HN</c>, <c>VN-73</c>). Any other scheme an operator needs is a row of
/// <c>province-geocodes.csv</c> (shipped inside the assembly) or of the file <c>Loa:Cap:GeocodeTable</c>
/// names, whose province column may hold any code Provinces reads. A malformed table stops the first
/// CAP request with its line number rather than mapping anything wrongly.
/// </summary>
public sealed class ProvinceGeocodes
{
    public const string Gso = "GSO";
    public const string Iso = "ISO3166-2";

    // Senders spell the ISO scheme several ways; all mean ISO 3166-2 subdivision codes.
    private static readonly HashSet<string> IsoNames = new(["ISO3166-2", "ISO 3166-2", "ISO3166", "ISO-3166-2"], StringComparer.OrdinalIgnoreCase);

    private readonly Provinces provinces;
    private readonly Dictionary<(string ValueName, string Value), ProvinceGeocode> byCode;

    private ProvinceGeocodes(IReadOnlyList<ProvinceGeocode> rows, Provinces provinces)
    {
        Rows = rows;
        this.provinces = provinces;
        byCode = rows.ToDictionary(r => (r.ValueName.ToUpperInvariant(), r.Value));
    }

    /// <summary>The table's own rows (schemes other than the built-in GSO and ISO 3166-2, or overrides of them).</summary>
    public IReadOnlyList<ProvinceGeocode> Rows { get; }

    /// <summary>The valueNames Loa places, for error messages.</summary>
    public IReadOnlyList<string> ValueNames =>
        [Gso, Iso, .. Rows.Select(r => r.ValueName).Where(n => !IsBuiltIn(n)).Distinct(StringComparer.OrdinalIgnoreCase)];

    /// <summary>
    /// The table's row first (an operator's override), then the built-in schemes. Values are compared as
    /// written, trimmed: <c>01</c>, not <c>1</c>. A 5-digit (commune) code is not a province: see <see cref="FindCommune"/>.
    /// </summary>
    public ProvinceGeocode? Find(string valueName, string value)
    {
        var name = valueName.Trim();
        var code = value.Trim();
        if (byCode.GetValueOrDefault((name.ToUpperInvariant(), code)) is { } row)
            return row;
        ResolvedProvince? resolved = null;
        if (string.Equals(name, Gso, StringComparison.OrdinalIgnoreCase) && code.Length == 2 && code.All(char.IsAsciiDigit))
            resolved = provinces.Resolve(code);
        else if (IsoNames.Contains(name) && code.StartsWith("VN-", StringComparison.OrdinalIgnoreCase))
            resolved = provinces.Resolve(code);
        return resolved is null ? null : new ProvinceGeocode(name, code, resolved.Code, resolved.Name, resolved.RemappedFrom);
    }

    /// <summary>
    /// A GSO geocode of 5 digits that the commune table operators loaded holds, placed in its province; null
    /// otherwise, and always while no table is loaded: a commune code carries no province prefix, and
    /// guessing its province could widen an alert (docs/domain-geography.md, Communes).
    /// </summary>
    public Commune? FindCommune(string valueName, string value, CommuneTable? communes)
    {
        if (communes is null || communes.IsEmpty || !string.Equals(valueName.Trim(), Gso, StringComparison.OrdinalIgnoreCase))
            return null;
        var code = value.Trim();
        return SegmentTags.IsCommune(code) && communes.Find(code) is { } commune && provinces.Unit(commune.Province) is not null ? commune : null;
    }

    public static ProvinceGeocodes Load(string? path, Provinces? provinces = null)
    {
        if (!string.IsNullOrWhiteSpace(path))
        {
            using var file = new StreamReader(path);
            return Parse(file, provinces);
        }
        var assembly = typeof(ProvinceGeocodes).Assembly;
        using var stream = assembly.GetManifestResourceStream("Loa.CampaignApi.Alerts.province-geocodes.csv")
            ?? throw new InvalidOperationException("province-geocodes.csv is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return Parse(reader, provinces);
    }

    /// <summary>Header <c>valueName,value,province,name</c>; blank lines and lines starting with # are skipped.</summary>
    /// <exception cref="FormatException">A malformed or repeated row, or a province Loa does not know; the message gives its line number.</exception>
    public static ProvinceGeocodes Parse(TextReader reader, Provinces? provinces = null)
    {
        provinces ??= Provinces.Shipped();
        var rows = new List<ProvinceGeocode>();
        var seen = new HashSet<(string, string)>();
        var header = false;
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            var content = line.TrimStart('\uFEFF').Trim();
            if (content.Length == 0 || content[0] == '#')
                continue;
            var fields = content.Split(',').Select(f => f.Trim()).ToArray();
            if (!header)
            {
                if (fields.Length != 4 || !fields.SequenceEqual(["valueName", "value", "province", "name"], StringComparer.OrdinalIgnoreCase))
                    throw new FormatException($"Geocode table line {number}: expected the header 'valueName,value,province,name'.");
                header = true;
                continue;
            }
            if (fields.Length != 4 || fields[0].Length == 0 || fields[1].Length == 0)
                throw new FormatException($"Geocode table line {number}: expected valueName,value,province,name.");
            // A table written before 2025 names provinces by Loa's old abbreviations (HG): each is read as its unit.
            if (provinces.Resolve(fields[2]) is not { } province)
                throw new FormatException($"Geocode table line {number}: '{fields[2]}' is not a province Loa knows (provinces.csv, province-remap.csv).");
            if (!seen.Add((fields[0].ToUpperInvariant(), fields[1])))
                throw new FormatException($"Geocode table line {number}: {fields[0]} {fields[1]} is listed twice.");
            rows.Add(new ProvinceGeocode(fields[0], fields[1], province.Code, province.Name, province.RemappedFrom));
        }
        if (!header)
            throw new FormatException("Geocode table: no header line.");
        return new ProvinceGeocodes(rows, provinces);
    }

    private static bool IsBuiltIn(string valueName) =>
        string.Equals(valueName, Gso, StringComparison.OrdinalIgnoreCase) || IsoNames.Contains(valueName);
}
