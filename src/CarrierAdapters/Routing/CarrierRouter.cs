namespace Loa.CarrierAdapters.Routing;

/// <param name="Prefix">National form with the leading 0, as carriers and operators write it: <c>086</c>, <c>032</c>.</param>
/// <param name="Carrier">One of <see cref="CarrierRouter.Carriers"/>.</param>
public sealed record PrefixRoute(string Prefix, string Carrier);

/// <summary>
/// Picks the carrier that delivers to a number. The prefix is only a default since number
/// portability, so a carrier from the ported-numbers table always wins over it.
/// </summary>
public sealed class CarrierRouter
{
    /// <summary>The carrier ids the prefix table may name. MVNOs are routed to their host network.</summary>
    public static IReadOnlyList<string> Carriers { get; } = ["viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile"];

    private const string E164Prefix = "+" + Msisdn.CountryCode;

    // A digit trie over national numbers without the trunk 0, flattened into arrays so that routing
    // ten million recipients walks a few array slots per number and allocates nothing.
    // Node 0 is the root; a child index of 0 means "no child", since the root is nobody's child.
    private readonly int[] children;
    private readonly string?[] carrierAt;

    /// <summary>
    /// A hash of the prefix table (SHA-256 hex of its routes in prefix order): what was computed under one
    /// table, such as a set of lists' shared numbers by carrier, is known stale under another.
    /// </summary>
    public string Fingerprint { get; }

    public CarrierRouter(IEnumerable<PrefixRoute> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        routes = routes.ToList();
        Fingerprint = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            string.Join('\n', routes.Select(r => $"{r?.Prefix}={r?.Carrier}").Order(StringComparer.Ordinal)))));

        var childList = new List<int>(new int[10]);
        var carrierList = new List<string?> { null };
        foreach (var route in routes)
        {
            ArgumentNullException.ThrowIfNull(route, nameof(routes));
            if (string.IsNullOrEmpty(route.Carrier))
            {
                throw new ArgumentException($"Prefix {route.Prefix} has no carrier.", nameof(routes));
            }

            if (!IsNationalPrefix(route.Prefix))
            {
                throw new ArgumentException($"Prefix '{route.Prefix}' must be 0 followed by digits.", nameof(routes));
            }

            var node = 0;
            foreach (var digit in route.Prefix.AsSpan(1))
            {
                var slot = node * 10 + (digit - '0');
                if (childList[slot] == 0)
                {
                    childList[slot] = carrierList.Count;
                    carrierList.Add(null);
                    childList.AddRange(new int[10]);
                }

                node = childList[slot];
            }

            var existing = carrierList[node];
            if (existing is not null && existing != route.Carrier)
            {
                throw new ArgumentException($"Prefix {route.Prefix} is routed to both {existing} and {route.Carrier}.", nameof(routes));
            }

            carrierList[node] = route.Carrier;
        }

        children = [.. childList];
        carrierAt = [.. carrierList];
    }

    /// <param name="e164">A number as <see cref="Msisdn.TryNormalize"/> returns it.</param>
    /// <param name="portedCarrier">The carrier from the ported-numbers table, when the number is in it; null or empty when it is not.</param>
    /// <returns>The carrier of the longest matching prefix, or null when no prefix matches.</returns>
    public string? Route(string e164, string? portedCarrier = null)
    {
        if (!string.IsNullOrEmpty(portedCarrier))
        {
            return portedCarrier;
        }

        if (e164 is null || !e164.StartsWith(E164Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        string? best = null;
        var node = 0;
        for (var i = E164Prefix.Length; i < e164.Length; i++)
        {
            var digit = e164[i] - '0';
            if ((uint)digit > 9)
            {
                break;
            }

            node = children[node * 10 + digit];
            if (node == 0)
            {
                break;
            }

            best = carrierAt[node] ?? best;
        }

        return best;
    }

    /// <summary>
    /// Reads the seed format (<c>src/Storage/Seed/carrier-prefixes.csv</c>): a <c>prefix,carrier</c> header,
    /// then one route per line. Blank lines and lines starting with <c>#</c> are skipped. Carrier names are
    /// case-insensitive and come back as in <see cref="Carriers"/>.
    /// </summary>
    /// <exception cref="FormatException">A line is malformed, names an unknown carrier, or repeats a prefix; the message gives its line number.</exception>
    public static IReadOnlyList<PrefixRoute> ParseCsv(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);

        var routes = new List<PrefixRoute>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var headerRead = false;
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var content = line.AsSpan().TrimStart('\uFEFF').Trim();
            if (content.IsEmpty || content[0] == '#')
            {
                continue;
            }

            var comma = content.IndexOf(',');
            var first = comma < 0 ? content : content[..comma].Trim();
            var rest = comma < 0 ? ReadOnlySpan<char>.Empty : content[(comma + 1)..].Trim();
            if (comma < 0 || rest.Contains(','))
            {
                throw Bad(lineNumber, $"expected two fields, prefix and carrier, but found '{line}'");
            }

            if (!headerRead)
            {
                if (!first.Equals("prefix", StringComparison.OrdinalIgnoreCase) || !rest.Equals("carrier", StringComparison.OrdinalIgnoreCase))
                {
                    throw Bad(lineNumber, $"expected the header 'prefix,carrier' but found '{line}'");
                }

                headerRead = true;
                continue;
            }

            var prefix = first.ToString();
            if (!IsNationalPrefix(prefix))
            {
                throw Bad(lineNumber, $"prefix '{prefix}' must be 0 followed by digits, e.g. 086");
            }

            var carrier = KnownCarrier(rest)
                ?? throw Bad(lineNumber, $"unknown carrier '{rest}'; expected one of {string.Join(", ", Carriers)}");

            if (seen.TryGetValue(prefix, out var earlier))
            {
                throw Bad(lineNumber, $"prefix {prefix} is already listed on line {earlier}");
            }

            seen.Add(prefix, lineNumber);
            routes.Add(new PrefixRoute(prefix, carrier));
        }

        if (!headerRead)
        {
            throw Bad(Math.Max(lineNumber, 1), "missing the header 'prefix,carrier'");
        }

        return routes;
    }

    private static string? KnownCarrier(ReadOnlySpan<char> name)
    {
        foreach (var carrier in Carriers)
        {
            if (name.Equals(carrier, StringComparison.OrdinalIgnoreCase))
            {
                return carrier;
            }
        }

        return null;
    }

    // A national number has nine digits after the 0, so a longer prefix could never match.
    private static bool IsNationalPrefix(string? prefix) =>
        prefix is { Length: >= 2 and <= 10 } && prefix[0] == '0' && !prefix.AsSpan(1).ContainsAnyExceptInRange('0', '9');

    private static FormatException Bad(int lineNumber, string problem) => new($"Carrier prefixes, line {lineNumber}: {problem}.");
}
