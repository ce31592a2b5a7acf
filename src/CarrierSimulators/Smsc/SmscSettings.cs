using System.Globalization;
using Loa.CarrierAdapters.Smpp;

namespace Loa.CarrierSimulators.Smsc;

/// <summary>
/// A carrier's SMSC settings under <c>Loa:Simulators:Carriers:&lt;id&gt;:Smsc</c>, beside its HTTP
/// settings, so one carrier's faults are configured in one place whichever protocol it is on. A field
/// left out keeps the <see cref="SmscBehaviour"/> default; the names are those of <see cref="SmscBehaviour"/>.
/// Statuses are names (<c>ESME_RSYSERR</c>), decimal, or hex (<c>0x08</c>).
/// </summary>
public sealed class SmscSettings
{
    public string? SystemId { get; set; }

    public string? Password { get; set; }

    public TimeSpan? Latency { get; set; }

    public int? MaxSubmitsPerSecond { get; set; }

    public double? QueueFullRatio { get; set; }

    public double? ErrorRatio { get; set; }

    public string? ErrorStatus { get; set; }

    /// <summary>Status → relative weight, e.g. <c>ErrorStatuses:ESME_RINVDSTADR = 3</c>, <c>ErrorStatuses:ESME_RSYSERR = 1</c>.</summary>
    public Dictionary<string, double>? ErrorStatuses { get; set; }

    public int? DropAfterSubmits { get; set; }

    public TimeSpan? ReceiptDelay { get; set; }

    public SmscReceiptForm? ReceiptForm { get; set; }

    public SmppMessageState? ReceiptState { get; set; }

    public double? DeliveredWeight { get; set; }

    public double? UndeliverableWeight { get; set; }

    public double? ExpiredWeight { get; set; }

    public double? RejectedWeight { get; set; }

    public double? LateReceiptRatio { get; set; }

    public TimeSpan? LateReceiptDelay { get; set; }

    public TimeSpan? LateReceiptDelayMax { get; set; }

    public double? MissingReceiptRatio { get; set; }

    public double? DuplicateReceiptRatio { get; set; }

    public TimeSpan? DuplicateReceiptDelay { get; set; }

    public double? EarlyReceiptRatio { get; set; }

    public bool? ReceiptPerMessage { get; set; }

    public SmppReceiptIds? ReceiptIds { get; set; }

    public bool? Tls { get; set; }

    /// <summary>Left out, the SMSC reads septets packed as the carrier's client sends them (<c>Loa:Carriers:&lt;id&gt;:Smpp:PackGsm7</c>).</summary>
    public bool? PackedGsm7 { get; set; }

    public int? Seed { get; set; }

    /// <exception cref="ArgumentException">A status that is not one; its <see cref="ArgumentException.ParamName"/> is the property.</exception>
    public SmscBehaviour ApplyTo(SmscBehaviour behaviour)
    {
        ArgumentNullException.ThrowIfNull(behaviour);
        return behaviour with
        {
            SystemId = SystemId ?? behaviour.SystemId,
            Password = Password ?? behaviour.Password,
            Latency = Latency ?? behaviour.Latency,
            MaxSubmitsPerSecond = MaxSubmitsPerSecond ?? behaviour.MaxSubmitsPerSecond,
            QueueFullRatio = QueueFullRatio ?? behaviour.QueueFullRatio,
            ErrorRatio = ErrorRatio ?? behaviour.ErrorRatio,
            ErrorStatus = ErrorStatus is null ? behaviour.ErrorStatus : ParseStatus(ErrorStatus, nameof(ErrorStatus)),
            ErrorStatuses = ErrorStatuses is null
                ? behaviour.ErrorStatuses
                : ErrorStatuses.ToDictionary(e => ParseStatus(e.Key, nameof(ErrorStatuses)), e => e.Value),
            DropAfterSubmits = DropAfterSubmits ?? behaviour.DropAfterSubmits,
            ReceiptDelay = ReceiptDelay ?? behaviour.ReceiptDelay,
            ReceiptForm = ReceiptForm ?? behaviour.ReceiptForm,
            ReceiptState = ReceiptState ?? behaviour.ReceiptState,
            DeliveredWeight = DeliveredWeight ?? behaviour.DeliveredWeight,
            UndeliverableWeight = UndeliverableWeight ?? behaviour.UndeliverableWeight,
            ExpiredWeight = ExpiredWeight ?? behaviour.ExpiredWeight,
            RejectedWeight = RejectedWeight ?? behaviour.RejectedWeight,
            LateReceiptRatio = LateReceiptRatio ?? behaviour.LateReceiptRatio,
            LateReceiptDelay = LateReceiptDelay ?? behaviour.LateReceiptDelay,
            LateReceiptDelayMax = LateReceiptDelayMax ?? behaviour.LateReceiptDelayMax,
            MissingReceiptRatio = MissingReceiptRatio ?? behaviour.MissingReceiptRatio,
            DuplicateReceiptRatio = DuplicateReceiptRatio ?? behaviour.DuplicateReceiptRatio,
            DuplicateReceiptDelay = DuplicateReceiptDelay ?? behaviour.DuplicateReceiptDelay,
            EarlyReceiptRatio = EarlyReceiptRatio ?? behaviour.EarlyReceiptRatio,
            ReceiptPerMessage = ReceiptPerMessage ?? behaviour.ReceiptPerMessage,
            ReceiptIds = ReceiptIds ?? behaviour.ReceiptIds,
            Tls = Tls ?? behaviour.Tls,
            PackedGsm7 = PackedGsm7 ?? behaviour.PackedGsm7,
            Seed = Seed ?? behaviour.Seed,
        };
    }

    /// <summary>A command_status by its SMPP name, in decimal, or in hex with <c>0x</c>.</summary>
    public static bool TryParseStatus(string text, out uint status)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return uint.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out status);
        if (uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out status))
            return true;
        // SmppStatus keeps its names private; every named status is below 0x100.
        for (status = 0; status < 0x100; status++)
        {
            if (string.Equals(SmppStatus.Name(status), text, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        status = 0;
        return false;
    }

    private static uint ParseStatus(string text, string property) =>
        TryParseStatus(text, out var status)
            ? status
            : throw new ArgumentException($"'{text}' is not an SMPP command_status: give its name (ESME_RSYSERR), decimal or 0x hex.", property);
}
