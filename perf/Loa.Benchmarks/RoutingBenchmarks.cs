using BenchmarkDotNet.Attributes;
using Loa.CarrierAdapters.Routing;

namespace Loa.Benchmarks;

/// <summary>
/// Number normalisation (every uploaded row) and routing (every uploaded row and every planned
/// recipient). RouteTable (Dispatcher/Planning) only caches a <see cref="CarrierRouter"/> loaded from the
/// database, so the router is measured directly, built from the same seed file Loa seeds the table with.
/// </summary>
[MemoryDiagnoser]
public class RoutingBenchmarks
{
    private CarrierRouter router = null!;
    private string[] e164 = [];
    private string[] raw = [];
    private int next;

    [GlobalSetup]
    public void Setup()
    {
        router = new CarrierRouter(Seed());
        string[] prefixes = ["086", "096", "032", "091", "094", "088", "090", "093", "070", "092", "056", "058", "059"];
        e164 = Enumerable.Range(0, 1024).Select(i => "+84" + prefixes[i % prefixes.Length][1..] + (i * 7919 % 10_000_000).ToString("D7", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        // The forms uploads arrive in: national, +84, 84, 0084, with separators, nine bare digits.
        raw = e164.Select((n, i) => (i % 6) switch
        {
            0 => "0" + n[3..],
            1 => n,
            2 => n[1..],
            3 => "00" + n[1..],
            4 => "0" + n[3..6] + " " + n[6..9] + "-" + n[9..],
            _ => n[3..],
        }).ToArray();
    }

    public static IReadOnlyList<PrefixRoute> Seed()
    {
        var assembly = typeof(Loa.Storage.Database).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith(".Seed.carrier-prefixes.csv", StringComparison.Ordinal));
        using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
        return CarrierRouter.ParseCsv(reader);
    }

    [Benchmark]
    public bool NormalizeWithoutRouter() => Msisdn.TryNormalize(raw[next++ & 1023], out _, out _);

    [Benchmark]
    public bool NormalizeWithRouter() => Msisdn.TryNormalize(raw[next++ & 1023], router, out _, out _);

    [Benchmark]
    public string? Route() => router.Route(e164[next++ & 1023]);

    [Benchmark]
    public string? RoutePorted() => router.Route(e164[next++ & 1023], "viettel");

    [Benchmark]
    public string? NormalizeThenRoute() =>
        Msisdn.TryNormalize(raw[next++ & 1023], router, out var n, out _) ? router.Route(n) : null;

    [Benchmark]
    public CarrierRouter BuildRouterFromSeed() => new(Seed());
}
