using Loa.CampaignApi.Campaigns;

namespace Loa.CampaignApi.Alerts;

/// <summary>Configuration of CAP intake, section <c>Loa:Cap</c> (documented in Alerts/README.md).</summary>
public sealed class CapOptions
{
    public const string Section = "Loa:Cap";

    /// <summary>
    /// The audience lists a CAP alert reaches (ids of uploaded lists). Each caller uses those its tenant
    /// can see: a national key all of them, a province key its own province's lists.
    /// </summary>
    public List<string> Lists { get; set; } = [];

    /// <summary>Send CAP alerts without Vietnamese diacritics (GSM-7: fewer parts, lower cost).</summary>
    public bool StripDiacritics { get; set; }

    /// <summary>Most SMS parts a CAP alert's text may take; a longer text is refused (422), never cut.</summary>
    public int MaxSmsParts { get; set; } = CampaignRules.DefaultMaxSmsParts;

    /// <summary>Largest accepted body in bytes; a larger one is answered 413 without being read.</summary>
    public int MaxBytes { get; set; } = 256 * 1024;

    /// <summary>A CSV in the format of the shipped province-geocodes.csv that replaces it; the shipped table when empty.</summary>
    public string? GeocodeTable { get; set; }

    /// <summary>
    /// Senders whose alerts skip the human approval: each names a CAP sender and the API key (by its
    /// name) that must present it, so that no other key can claim a pre-approved sender.
    /// </summary>
    public List<PreApprovedSender> PreApprovedSenders { get; set; } = [];

    public bool IsPreApproved(string capSender, string keyName) =>
        PreApprovedSenders.Any(p =>
            string.Equals(p.Sender, capSender, StringComparison.Ordinal)
            && !string.IsNullOrEmpty(p.KeyName)
            && string.Equals(p.KeyName, keyName, StringComparison.Ordinal));
}

public sealed class PreApprovedSender
{
    /// <summary>The CAP <c>sender</c>, exactly as the alert writes it.</summary>
    public string Sender { get; set; } = "";

    /// <summary>The name of the API key that sends for it (the name shown as createdBy).</summary>
    public string KeyName { get; set; } = "";
}
