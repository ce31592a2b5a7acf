namespace Loa.CarrierAdapters.Tests.Routing;

/// <summary>
/// The prefix table of docs/domain.md, written out here so the seed file and the code are both
/// checked against it rather than against themselves.
/// </summary>
internal static class CarrierPrefixes
{
    public static readonly (string Prefix, string Carrier)[] FromDomain =
    [
        ("086", "viettel"), ("096", "viettel"), ("097", "viettel"), ("098", "viettel"),
        ("032", "viettel"), ("033", "viettel"), ("034", "viettel"), ("035", "viettel"),
        ("036", "viettel"), ("037", "viettel"), ("038", "viettel"), ("039", "viettel"),
        ("088", "vinaphone"), ("091", "vinaphone"), ("094", "vinaphone"),
        ("081", "vinaphone"), ("082", "vinaphone"), ("083", "vinaphone"), ("084", "vinaphone"), ("085", "vinaphone"),
        ("087", "vinaphone"), // iTel, an MVNO on VinaPhone
        ("089", "mobifone"), ("090", "mobifone"), ("093", "mobifone"), ("070", "mobifone"),
        ("076", "mobifone"), ("077", "mobifone"), ("078", "mobifone"), ("079", "mobifone"),
        ("055", "mobifone"), // Reddi, an MVNO on MobiFone
        ("092", "vietnamobile"), ("056", "vietnamobile"), ("058", "vietnamobile"),
        ("099", "gmobile"), ("059", "gmobile"),
    ];

    /// <summary>
    /// A subscriber part that libphonenumber accepts after every prefix above: it knows only
    /// 0896–0899 of 089, only 0559 of 055, and not 0992, so the digit after the prefix is a 9.
    /// </summary>
    public const string Subscriber = "9876543";

    public static TheoryData<string, string> All()
    {
        var data = new TheoryData<string, string>();
        foreach (var (prefix, carrier) in FromDomain)
        {
            data.Add(prefix, carrier);
        }

        return data;
    }

    public static TheoryData<string> Prefixes() => new(FromDomain.Select(r => r.Prefix));

    public static string SeedPath => Path.Combine(AppContext.BaseDirectory, "Seed", "carrier-prefixes.csv");
}
