using System.Security.Claims;
using Loa.CampaignApi.Campaigns;
using Loa.CampaignApi.Security;

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

    /// <summary>The <c>parameter</c> names (CMAM: the US Wireless Emergency Alerts texts) whose value is an alert's own SMS text, when <see cref="SmsTextParameters"/> is not set.</summary>
    public static readonly IReadOnlyList<string> DefaultSmsTextParameters = ["CMAMtext", "CMAMlongtext"];

    /// <summary>
    /// The <c>parameter</c> valueNames whose value is the alert's own short text for SMS, most preferred
    /// first; <see cref="DefaultSmsTextParameters"/> when not set. A list the binder fills, not a default
    /// it would append to: configuring <c>SMS</c> alone means <c>SMS</c> alone.
    /// </summary>
    public List<string>? SmsTextParameters { get; set; }

    public IReadOnlyList<string> TextParameters() =>
        SmsTextParameters?.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()).ToList() is { Count: > 0 } names ? names : DefaultSmsTextParameters;

    /// <summary>Largest accepted body in bytes; a larger one is answered 413 without being read.</summary>
    public int MaxBytes { get; set; } = 256 * 1024;

    /// <summary>A CSV in the format of the shipped province-geocodes.csv that replaces it; the shipped table when empty.</summary>
    public string? GeocodeTable { get; set; }

    /// <summary>
    /// Senders whose alerts skip the human approval: each names a CAP sender and the one principal
    /// that must present it (an API key by its id, or a JWT by issuer and subject), so that no other
    /// key can claim a pre-approved sender. Never a key's name: names are labels, and any admin can
    /// give a key any name.
    /// </summary>
    public List<PreApprovedSender> PreApprovedSenders { get; set; } = [];

    public bool IsPreApproved(string capSender, ClaimsPrincipal user) =>
        PreApprovedSenders.Any(p => string.Equals(p.Sender, capSender, StringComparison.Ordinal) && p.Binds(user));

    /// <summary>The CAP senders pre-approved for this API key, for the key API.</summary>
    public IReadOnlyList<string> SendersFor(string keyId) =>
        PreApprovedSenders.Where(p => !string.IsNullOrEmpty(p.KeyId) && string.Equals(p.KeyId, keyId, StringComparison.Ordinal))
            .Select(p => p.Sender).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// What is wrong with <c>Loa:Cap:PreApprovedSenders</c>, naming each setting. The host refuses to
    /// start on any of these in every environment: a binding that silently matched no one would hold
    /// an emergency as a draft, and one by name (the old KeyName) would let any same-named key skip approval.
    /// </summary>
    public static IReadOnlyList<string> Problems(IConfiguration configuration)
    {
        var problems = new List<string>();
        foreach (var entry in configuration.GetSection(Section + ":PreApprovedSenders").GetChildren())
        {
            var path = entry.Path;
            if (!string.IsNullOrEmpty(entry["KeyName"]))
                problems.Add($"{path}:KeyName is no longer read: bind the sender to the key's id with {path}:KeyId (GET /api/v1/keys shows it), or to a JWT with {path}:Subject and {path}:Issuer.");
            var sender = entry["Sender"];
            var keyId = entry["KeyId"];
            var subject = entry["Subject"];
            if (string.IsNullOrWhiteSpace(sender))
                problems.Add($"{path}:Sender is empty.");
            if (string.IsNullOrWhiteSpace(keyId) == string.IsNullOrWhiteSpace(subject))
                problems.Add($"{path} must name exactly one principal: {path}:KeyId or {path}:Subject.");
            if (!string.IsNullOrWhiteSpace(subject) && string.IsNullOrWhiteSpace(entry["Issuer"]))
                problems.Add($"{path}:Issuer is required with {path}:Subject: a subject is unique only within its issuer.");
        }
        return problems;
    }
}

public sealed class PreApprovedSender
{
    /// <summary>The CAP <c>sender</c>, exactly as the alert writes it.</summary>
    public string Sender { get; set; } = "";

    /// <summary>The id of the API key that sends for it (as <c>GET /api/v1/keys</c> lists it).</summary>
    public string? KeyId { get; set; }

    /// <summary>Or: the JWT <c>sub</c> of the principal that sends for it, with <see cref="Issuer"/>.</summary>
    public string? Subject { get; set; }

    /// <summary>The JWT <c>iss</c> that goes with <see cref="Subject"/>.</summary>
    public string? Issuer { get; set; }

    public bool Binds(ClaimsPrincipal user)
    {
        if (!string.IsNullOrEmpty(KeyId))
            return string.Equals(user.KeyId(), KeyId, StringComparison.Ordinal);
        return !string.IsNullOrEmpty(Subject) && !string.IsNullOrEmpty(Issuer)
            && string.Equals(user.Who(), Roles.JwtPrincipal(Issuer, Subject), StringComparison.Ordinal);
    }
}
