namespace Loa.CarrierAdapters;

/// <param name="CarrierMessageId">The id as the carrier wrote it in the receipt (for SMPP, see <see cref="Smpp.SmppMessageId"/> on hex and decimal forms).</param>
/// <param name="Status">The carrier's verdict in Loa's words: <c>delivered</c>, <c>failed</c>, <c>expired</c> or <c>rejected</c>.</param>
public sealed record CarrierReceipt(string CarrierMessageId, string Status, string? Error, DateTimeOffset? At);

/// <summary>
/// Where receipts that arrive over a carrier's own connection (SMPP deliver_sm; not the HTTP webhook,
/// which has its route) are kept: the dispatcher's implementation applies them through the same
/// ledger as the webhook (parked when early, forward-only, duplicates harmless).
/// An implementation returns only once the receipts are durable: the SMSC is told "taken" after it.
/// </summary>
public interface ICarrierReceiptSink
{
    Task AcceptAsync(string carrierId, IReadOnlyList<CarrierReceipt> receipts, CancellationToken cancellationToken);
}

/// <param name="From">The subscriber's number in E.164 (+84…): masked wherever it is logged.</param>
public sealed record CarrierReply(string From, string To, string Text, DateTimeOffset ReceivedAt);

/// <summary>
/// Where a subscriber's reply that arrives over a carrier's connection goes (an SMPP deliver_sm that is
/// not a receipt): kept as an inbound message, and an opt-out keyword becomes an opt-out. Returns once
/// durable: the carrier is told "taken" after it.
/// </summary>
public interface ICarrierReplySink
{
    Task AcceptAsync(string carrierId, CarrierReply reply, CancellationToken cancellationToken);
}
