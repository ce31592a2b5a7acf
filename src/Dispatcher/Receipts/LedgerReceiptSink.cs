using Loa.CarrierAdapters;
using Loa.Storage.Receipts;

namespace Loa.Dispatcher.Receipts;

/// <summary>
/// Receipts that come over a carrier's own connection (SMPP deliver_sm) go through the same ledger
/// as the HTTP webhook's: one verdict mapping, parked when they overtake their submit result,
/// forward-only, duplicates harmless. Returns once committed, so the SMSC is acknowledged after.
/// </summary>
public sealed class LedgerReceiptSink(ReceiptLedger ledger) : ICarrierReceiptSink
{
    public async Task AcceptAsync(string carrierId, IReadOnlyList<CarrierReceipt> receipts, CancellationToken cancellationToken)
    {
        if (receipts.Count == 0)
            return;
        await ledger.ApplyAsync(carrierId,
            receipts.Select(r => new ReceiptInput(r.CarrierMessageId, r.Status, r.Error, r.At)).ToList(), cancellationToken);
    }
}
