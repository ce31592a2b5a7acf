namespace Loa.Storage.Deliveries;

/// <summary>The texts Loa itself writes as a delivery's reason, and the one rule for how long a reason may be.</summary>
public static class DeliveryReason
{
    /// <summary>Longest reason a delivery row keeps (its column); a carrier's longer text is cut here, once.</summary>
    public const int MaxLength = 400;

    /// <summary>The reason a message ends expired when its carrier took it and never said what became of it.</summary>
    public const string NoReceipt = "no delivery receipt from the carrier within Loa:Dispatcher:ReceiptTimeout";

    /// <summary>The reason a number no carrier serves fails when it is planned, instead of waiting forever.</summary>
    public const string Unrouted = "no carrier serves this number's prefix";

    /// <summary>
    /// The reason a message ends failed when the lane sending it died before recording the carrier's
    /// answer, to a carrier that cannot recognise a repeat, for a kind that would rather miss than repeat.
    /// </summary>
    public const string UnknownAfterCrash = "unknown outcome: the dispatcher sending it stopped before the carrier's answer was recorded; not sent again";

    public static string? Truncate(string? text) => text is null || text.Length <= MaxLength ? text : text[..MaxLength];
}
