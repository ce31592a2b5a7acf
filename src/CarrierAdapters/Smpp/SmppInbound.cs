using Loa.CarrierAdapters.Routing;
using Microsoft.Extensions.Logging;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>
/// deliver_sm for one carrier: a final receipt goes to the <see cref="ICarrierReceiptSink"/>; an
/// intermediate one (ENROUTE, ACCEPTD) and a subscriber's reply are acknowledged and only counted
/// until replies and opt-outs have their home (issue 16, not built yet).
/// </summary>
internal sealed class SmppInbound(string carrierId, ICarrierReceiptSink? receipts, ILogger logger, ICarrierReplySink? replies = null, bool packedGsm7 = false) : ISmppInbound
{
    private long _receipts;
    private long _replies;

    public long Receipts => Interlocked.Read(ref _receipts);

    public long Replies => Interlocked.Read(ref _replies);

    public async ValueTask<uint> DeliverAsync(ShortMessageBody deliver, CancellationToken cancellationToken)
    {
        if (!deliver.IsDeliveryReceipt)
        {
            Interlocked.Increment(ref _replies);
            var from = "+" + deliver.SourceAddress.TrimStart('+');
            if (replies is null)
            {
                logger.LogInformation("SMPP {Carrier}: a reply from {From} acknowledged with nowhere to keep it", carrierId, Msisdn.Mask(from));
                return SmppStatus.Ok;
            }
            // A reply in parts arrives part by part: each is kept as it came (a keyword is one short part).
            var text = SmppText.Read(deliver, packedGsm7).Text;
            await replies.AcceptAsync(carrierId, new CarrierReply(from, deliver.DestinationAddress, text, DateTimeOffset.UtcNow), cancellationToken).ConfigureAwait(false);
            return SmppStatus.Ok;
        }
        var receipt = SmppReceipts.TryRead(deliver);
        if (receipt is null)
        {
            // Unreadable: asking again would bring the same octets back for ever.
            logger.LogWarning("SMPP {Carrier}: a delivery receipt we cannot read was acknowledged and dropped", carrierId);
            return SmppStatus.Ok;
        }
        Interlocked.Increment(ref _receipts);
        if (receipt.Verdict is not { } verdict)
            return SmppStatus.Ok;
        if (receipts is null)
        {
            logger.LogDebug("SMPP {Carrier}: receipt for {MessageId} ({State}) has no receipt store to go to", carrierId, receipt.MessageId, receipt.State);
            return SmppStatus.Ok;
        }
        // The receipt's dates are the SMSC's local time with no zone: the arrival time is the one we can trust.
        await receipts.AcceptAsync(carrierId, [new CarrierReceipt(receipt.MessageId, verdict, receipt.Error, At: null)], cancellationToken).ConfigureAwait(false);
        return SmppStatus.Ok;
    }
}
