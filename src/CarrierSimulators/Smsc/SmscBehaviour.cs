using Loa.CarrierAdapters.Smpp;

namespace Loa.CarrierSimulators.Smsc;

public enum SmscReceiptForm
{
    /// <summary>Only the de-facto text in short_message.</summary>
    Text,

    /// <summary>receipted_message_id and message_state TLVs, short_message empty.</summary>
    Tlv,

    /// <summary>The text and the TLVs, as most SMSCs send them.</summary>
    Both,
}

/// <summary>
/// How the simulated SMSC acts: whom it binds, how it answers submit_sm, and what receipts it sends.
/// Read once per submit, so a test can swap it mid-run with <see cref="SmscSimulator.SetBehaviour"/>.
/// The defaults take every submit at once and deliver every message.
/// </summary>
public sealed record SmscBehaviour
{
    public string SystemId { get; init; } = "loa";

    public string Password { get; init; } = "secret";

    /// <summary>Wait before each submit_sm_resp; submits wait side by side, so a window fills up.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Submits taken per wall-clock second; above it, <see cref="SmppStatus.Throttled"/>. Zero is unlimited.</summary>
    public int MaxSubmitsPerSecond { get; init; }

    /// <summary>Share of submits answered ESME_RMSGQFUL.</summary>
    public double QueueFullRatio { get; init; }

    /// <summary>Share of submits answered <see cref="ErrorStatus"/>.</summary>
    public double ErrorRatio { get; init; }

    public uint ErrorStatus { get; init; } = SmppStatus.InvalidDestinationAddress;

    /// <summary>
    /// Submits taken normally before the connection that brings the next one is cut without a word
    /// (answers still waiting on <see cref="Latency"/> are never sent). Zero never drops. One drop per setting.
    /// </summary>
    public int DropAfterSubmits { get; init; }

    /// <summary>Delay of a receipt after the submit_sm_resp; null sends none.</summary>
    public TimeSpan? ReceiptDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    public SmscReceiptForm ReceiptForm { get; init; } = SmscReceiptForm.Both;

    public SmppMessageState ReceiptState { get; init; } = SmppMessageState.Delivered;

    /// <summary>Receipt text gives the id in decimal while submit_sm_resp gave it in hex, as some SMSCs do.</summary>
    public bool ReceiptIdInDecimal { get; init; }

    /// <summary>Reads data_coding 0 as packed septets (the client's <see cref="SmppOptions.PackGsm7"/>).</summary>
    public bool PackedGsm7 { get; init; }
}
