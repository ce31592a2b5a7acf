namespace Loa.CarrierAdapters;

/// <summary>
/// One carrier, as configured under <c>Loa:Carriers:&lt;id&gt;</c>. The defaults live here and in
/// <see cref="Defaults"/>, not in a host's appsettings: the API host and a standalone dispatcher
/// must send at the same rates, with the same sender, whatever files they were deployed with.
/// </summary>
public sealed class CarrierOptions
{
    /// <summary>The protocol (<see cref="ICarrierProtocol.Name"/>): <c>HttpBatch</c> or <c>Smpp</c>.</summary>
    public string Adapter { get; set; } = HttpBatch.HttpBatchProtocol.AdapterName;

    /// <summary>The carrier's base URL; empty means "the built-in simulator" when simulators run.</summary>
    public string? Url { get; set; }

    public string Credential { get; set; } = "";

    public string ReceiptSecret { get; set; } = "";

    /// <summary>Contracted rate in SMS parts per second: no one-second window at the carrier holds more.</summary>
    public int PartsPerSecond { get; set; } = 1000;

    /// <summary>Send lanes for this carrier, each with its own queue and PartsPerSecond / Lanes (1 = one lane).</summary>
    public int Lanes { get; set; } = 1;

    /// <summary>Most parts one submit carries (0 = a quarter of a lane's second; at most a lane's second). Smaller bursts spread a second's parts out and let an urgent batch in sooner.</summary>
    public int BurstParts { get; set; }

    public int MaxBatchSize { get; set; } = 500;

    /// <summary>Brand name shown to subscribers (alphanumeric, at most 11 characters).</summary>
    public string Sender { get; set; } = "CUCATTT";

    /// <summary>
    /// Whether the carrier's gateway keeps a grapheme cluster (an emoji with its variation selector, a
    /// flag, a letter with combining marks) whole at a part boundary, which can bill one part more than
    /// splitting in 16-bit units as 3GPP allows. True unless the carrier is known to split in units:
    /// the preview must never show fewer parts than the carrier bills.
    /// </summary>
    public bool SplitGraphemes { get; set; } = true;

    /// <summary>How long one submit may take before it counts as a timeout.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The SMSC and bind, read when <see cref="Adapter"/> is <c>Smpp</c>.</summary>
    public Smpp.SmppOptions Smpp { get; set; } = new();

    /// <summary>A copy reaching another SMSC (the simulated one, when the carrier names no host).</summary>
    internal CarrierOptions WithSmpp(string host, int port, string systemId, string password)
    {
        var copy = (CarrierOptions)MemberwiseClone();
        copy.Smpp = Smpp.Reaching(host, port, systemId, password);
        return copy;
    }

    /// <summary>
    /// What a carrier gets before its configuration is read: the smaller carriers' contracts are
    /// slower (Vietnamobile 500 parts/s; Gmobile 200 parts/s and batches of at most 200).
    /// </summary>
    public static void Defaults(string carrierId, CarrierOptions options)
    {
        switch (carrierId)
        {
            case CarrierIds.Vietnamobile:
                options.PartsPerSecond = 500;
                break;
            case CarrierIds.Gmobile:
                options.PartsPerSecond = 200;
                options.MaxBatchSize = 200;
                break;
        }
    }
}

public static class CarrierIds
{
    public const string Viettel = "viettel";
    public const string Vinaphone = "vinaphone";
    public const string Mobifone = "mobifone";
    public const string Vietnamobile = "vietnamobile";
    public const string Gmobile = "gmobile";

    public static readonly IReadOnlyList<string> All = [Viettel, Vinaphone, Mobifone, Vietnamobile, Gmobile];
}
