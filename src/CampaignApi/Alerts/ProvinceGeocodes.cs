using System.Text.RegularExpressions;

namespace Loa.CampaignApi.Alerts;

public sealed record ProvinceGeocode(string ValueName, string Value, string Province, string Name);

/// <summary>
/// CAP geocodes to Loa's province codes, from <c>province-geocodes.csv</c> (shipped inside the
/// assembly) or from the file <c>Loa:Cap:GeocodeTable</c> names. Read once; a malformed table stops
/// the first CAP request with its line number rather than mapping anything wrongly.
/// </summary>
public sealed partial class ProvinceGeocodes
{
    private readonly Dictionary<(string ValueName, string Value), ProvinceGeocode> byCode;

    private ProvinceGeocodes(IReadOnlyList<ProvinceGeocode> rows)
    {
        Rows = rows;
        byCode = rows.ToDictionary(r => (r.ValueName.ToUpperInvariant(), r.Value));
    }

    public IReadOnlyList<ProvinceGeocode> Rows { get; }

    public ProvinceGeocode? Find(string valueName, string value) =>
        byCode.GetValueOrDefault((valueName.Trim().ToUpperInvariant(), value.Trim()));

    public static ProvinceGeocodes Load(string? path)
    {
        if (!string.IsNullOrWhiteSpace(path))
        {
            using var file = new StreamReader(path);
            return Parse(file);
        }
        var assembly = typeof(ProvinceGeocodes).Assembly;
        using var stream = assembly.GetManifestResourceStream("Loa.CampaignApi.Alerts.province-geocodes.csv")
            ?? throw new InvalidOperationException("province-geocodes.csv is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    }

    /// <summary>Header <c>valueName,value,province,name</c>; blank lines and lines starting with # are skipped.</summary>
    /// <exception cref="FormatException">A malformed or repeated row; the message gives its line number.</exception>
    public static ProvinceGeocodes Parse(TextReader reader)
    {
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
            if (!ProvinceCode().IsMatch(fields[2]))
                throw new FormatException($"Geocode table line {number}: '{fields[2]}' is not a province code (2-3 capital letters).");
            if (!seen.Add((fields[0].ToUpperInvariant(), fields[1])))
                throw new FormatException($"Geocode table line {number}: {fields[0]} {fields[1]} is listed twice.");
            rows.Add(new ProvinceGeocode(fields[0], fields[1], fields[2], fields[3]));
        }
        if (!header)
            throw new FormatException("Geocode table: no header line.");
        return new ProvinceGeocodes(rows);
    }

    // The same shape list uploads accept for a member's province (ListsApi).
    [GeneratedRegex("^[A-Z]{2,3}$")]
    private static partial Regex ProvinceCode();
}
