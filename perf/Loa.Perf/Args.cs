using System.Globalization;

namespace Loa.Perf;

/// <summary>The command line: a scenario name, then <c>--name value</c> pairs (and bare <c>--flags</c>).</summary>
public sealed class Args
{
    private readonly Dictionary<string, string> values = new(StringComparer.OrdinalIgnoreCase);

    public Args(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                Scenario ??= a.ToLowerInvariant();
                continue;
            }
            var key = a[2..];
            var eq = key.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
                values[key[..eq]] = key[(eq + 1)..];
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                values[key] = args[++i];
            else
                values[key] = "true";
        }
    }

    public string? Scenario { get; }

    public bool Has(string name) => values.ContainsKey(name);

    public string Get(string name, string fallback) => values.TryGetValue(name, out var v) ? v : fallback;

    public long Long(string name, long fallback) =>
        values.TryGetValue(name, out var v) ? (long)double.Parse(v.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) : fallback;

    public int Int(string name, int fallback) => (int)Long(name, fallback);

    public double Double(string name, double fallback) =>
        values.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    /// <summary>Options that every scenario of <c>all</c> shares, with that scenario's quick default where not given.</summary>
    public Args WithDefaults(params (string Name, string Value)[] defaults)
    {
        var copy = new Args([]);
        foreach (var (k, v) in values)
            copy.values[k] = v;
        foreach (var (k, v) in defaults)
            copy.values.TryAdd(k, v);
        return copy;
    }
}
