namespace Loa.CarrierAdapters;

/// <param name="CarrierMessageId">The id as the carrier wrote it in the receipt (for SMPP, see <see cref="Smpp.SmppMessageId"/> on hex and decimal forms).</param>
/// <param name="Status">The carrier's verdict in Loa's words: <c>delivered</c>, <c>failed</c>, <c>expired</c> or <c>rejected</c>.</param>
public sealed record CarrierReceipt(string CarrierMessageId, string Status, string? Error, DateTimeOffset? At);

/// <summary>
/// Where receipts that arrive over a carrier's own connection (SMPP deliver_sm; not the HTTP webhook,
/// which has its route) are kept. Proposed for Storage to implement over its ReceiptLedger, so that
/// both paths apply receipts the same way (parked when early, forward-only, duplicates harmless).
/// An implementation returns only once the receipts are durable: the SMSC is told "taken" after it.
/// </summary>
public interface ICarrierReceiptSink
{
    Task AcceptAsync(string carrierId, IReadOnlyList<CarrierReceipt> receipts, CancellationToken cancellationToken);
}
