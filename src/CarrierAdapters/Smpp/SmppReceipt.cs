using System.Globalization;
using System.Text.RegularExpressions;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>message_state (§5.3.2.35), which the receipt text's <c>stat:</c> abbreviates.</summary>
public enum SmppMessageState : byte
{
    Enroute = 1,
    Delivered = 2,
    Expired = 3,
    Deleted = 4,
    Undeliverable = 5,
    Accepted = 6,
    Unknown = 7,
    Rejected = 8,
}

/// <summary>
/// An SMSC delivery receipt: the id the SMSC gave in submit_sm_resp (as the SMSC writes it here, which
/// may be the decimal form of a hex id, see <see cref="SmppMessageId"/>), the message's state, and the error.
/// </summary>
public sealed record SmppReceipt(
    string MessageId,
    SmppMessageState State,
    string? Error,
    DateTime? SubmitDate = null,
    DateTime? DoneDate = null,
    int? Submitted = null,
    int? Delivered = null)
{
    /// <summary>
    /// The verdict in Loa's receipt words (<c>delivered</c>, <c>failed</c>, <c>expired</c>, <c>rejected</c>),
    /// or null for a state that is not final (ENROUTE, ACCEPTD: an intermediate notification).
    /// </summary>
    public string? Verdict => State switch
    {
        SmppMessageState.Delivered => "delivered",
        SmppMessageState.Expired => "expired",
        SmppMessageState.Rejected => "rejected",
        SmppMessageState.Undeliverable or SmppMessageState.Deleted or SmppMessageState.Unknown => "failed",
        _ => null,
    };
}

public static partial class SmppReceipts
{
    /// <summary>
    /// A receipt from a deliver_sm whose esm_class says it is one: the receipted_message_id and
    /// message_state TLVs when both are there (they are exact), else the de-facto text of SMPP 3.4
    /// Appendix B. Null for a deliver_sm that is not a receipt (a subscriber's reply) or that says nothing we can read.
    /// </summary>
    public static SmppReceipt? TryRead(ShortMessageBody deliver)
    {
        ArgumentNullException.ThrowIfNull(deliver);
        if (!deliver.IsDeliveryReceipt)
            return null;
        var fromText = TryParseText(SafeText(deliver));
        if (deliver.Tlv(SmppTlv.ReceiptedMessageId) is { } id && deliver.Tlv(SmppTlv.MessageState) is { Value.Length: 1 } state
            && Enum.IsDefined((SmppMessageState)state.Value[0]))
        {
            var error = deliver.Tlv(SmppTlv.NetworkErrorCode) is { Value.Length: 3 } network
                ? $"network error type {network.Value[0]} code {(network.Value[1] << 8) | network.Value[2]}"
                : fromText?.Error;
            return (fromText ?? new SmppReceipt("", SmppMessageState.Unknown, null)) with
            {
                MessageId = id.AsCString(),
                State = (SmppMessageState)state.Value[0],
                Error = error,
            };
        }
        return fromText;
    }

    /// <summary>
    /// <c>id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:…</c>,
    /// keys in any case, seconds in the dates allowed, fields other than id and stat optional.
    /// An <c>err</c> of zeros is no error.
    /// </summary>
    public static SmppReceipt? TryParseText(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return null;
        var id = Field(IdField(), text);
        var stat = Field(StatField(), text);
        if (id is null || stat is null || !States.TryGetValue(stat, out var state))
            return null;
        var err = Field(ErrField(), text);
        var error = err is null || err.Trim('0').Length == 0 ? null : $"err:{err}";
        if (error is null && state is not SmppMessageState.Delivered and not SmppMessageState.Accepted and not SmppMessageState.Enroute)
            error = stat.ToUpperInvariant();
        return new SmppReceipt(id, state, error,
            Date(Field(SubmitDateField(), text)), Date(Field(DoneDateField(), text)),
            Number(Field(SubField(), text)), Number(Field(DlvrdField(), text)));
    }

    /// <summary>A receipt as SMSCs write it, for the simulator and for tests.</summary>
    public static string Format(SmppReceipt receipt, string textExcerpt = "")
    {
        ArgumentNullException.ThrowIfNull(receipt);
        var stat = States.First(s => s.Value == receipt.State).Key;
        var submitted = (receipt.SubmitDate ?? DateTime.UnixEpoch).ToString("yyMMddHHmm", CultureInfo.InvariantCulture);
        var done = (receipt.DoneDate ?? DateTime.UnixEpoch).ToString("yyMMddHHmm", CultureInfo.InvariantCulture);
        var err = receipt.Error is { Length: > 0 } e && e.StartsWith("err:", StringComparison.Ordinal) ? e[4..] : "000";
        return string.Create(CultureInfo.InvariantCulture,
            $"id:{receipt.MessageId} sub:{receipt.Submitted ?? 1:000} dlvrd:{receipt.Delivered ?? (receipt.State == SmppMessageState.Delivered ? 1 : 0):000} submit date:{submitted} done date:{done} stat:{stat} err:{err} text:{textExcerpt}");
    }

    private static readonly Dictionary<string, SmppMessageState> States = new(StringComparer.OrdinalIgnoreCase)
    {
        ["DELIVRD"] = SmppMessageState.Delivered,
        ["EXPIRED"] = SmppMessageState.Expired,
        ["DELETED"] = SmppMessageState.Deleted,
        ["UNDELIV"] = SmppMessageState.Undeliverable,
        ["ACCEPTD"] = SmppMessageState.Accepted,
        ["UNKNOWN"] = SmppMessageState.Unknown,
        ["REJECTD"] = SmppMessageState.Rejected,
        ["ENROUTE"] = SmppMessageState.Enroute,
    };

    private static string SafeText(ShortMessageBody deliver)
    {
        try
        {
            return SmppText.Read(deliver, packedGsm7: false).Text;
        }
        catch (FormatException)
        {
            return "";
        }
    }

    private static string? Field(Regex field, string text) => field.Match(text) is { Success: true } m ? m.Groups[1].Value : null;

    private static int? Number(string? value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static DateTime? Date(string? value) =>
        value is not null && DateTime.TryParseExact(value, value.Length == 12 ? "yyMMddHHmmss" : "yyMMddHHmm",
            CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? at : null;

    [GeneratedRegex(@"(?:^|\s)id:(\S+)", RegexOptions.IgnoreCase)]
    private static partial Regex IdField();

    [GeneratedRegex(@"\bstat:(\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex StatField();

    [GeneratedRegex(@"\berr:(\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex ErrField();

    [GeneratedRegex(@"\bsub:(\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex SubField();

    [GeneratedRegex(@"\bdlvrd:(\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex DlvrdField();

    [GeneratedRegex(@"\bsubmit date:(\d{10}(?:\d{2})?)\b", RegexOptions.IgnoreCase)]
    private static partial Regex SubmitDateField();

    [GeneratedRegex(@"\bdone date:(\d{10}(?:\d{2})?)\b", RegexOptions.IgnoreCase)]
    private static partial Regex DoneDateField();
}

/// <summary>
/// Message ids across submit_sm_resp and receipts. Some SMSCs answer submit_sm with a hex id and write
/// the same id in decimal in the receipt text (and a few the other way round), so a receipt matches a
/// submit when the two are the same text, or the same number read once as hex and once as decimal.
/// </summary>
public static class SmppMessageId
{
    public static bool Matches(string submitted, string receipted)
    {
        ArgumentNullException.ThrowIfNull(submitted);
        ArgumentNullException.ThrowIfNull(receipted);
        if (string.Equals(submitted, receipted, StringComparison.OrdinalIgnoreCase))
            return true;
        return Candidates(submitted).Intersect(Candidates(receipted), StringComparer.OrdinalIgnoreCase).Any();
    }

    /// <summary>
    /// The id as written, and the other radix's reading of it as a decimal number: what a receipt
    /// store can index to match a receipt however the SMSC wrote its id.
    /// </summary>
    public static IReadOnlyList<string> Candidates(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var forms = new List<string> { id };
        if (id.Length is > 0 and <= 16 && ulong.TryParse(id, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
            forms.Add(hex.ToString(CultureInfo.InvariantCulture));
        if (id.Length is > 0 and <= 19 && ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var dec))
            forms.Add(dec.ToString(CultureInfo.InvariantCulture));
        return forms.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }
}
