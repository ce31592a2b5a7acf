using Loa.CarrierAdapters.Routing;
using Microsoft.Extensions.Logging;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>
/// deliver_sm for one carrier: a final receipt goes to the <see cref="ICarrierReceiptSink"/> (the parts of
/// a message this process sent as one, see <see cref="SmppPartReceipts"/>); an intermediate one (ENROUTE,
/// ACCEPTD) is acknowledged and only counted; a subscriber's reply goes to the <see cref="ICarrierReplySink"/>.
/// </summary>
internal sealed class SmppInbound(string carrierId, ICarrierReceiptSink? receipts, ILogger logger, ICarrierReplySink? replies = null, bool packedGsm7 = false,
    SmppPartReceipts? parts = null, TimeProvider? time = null, SmppReceiptIdForm? ids = null) : ISmppInbound
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private long _receipts;
    private long _replies;

    public long Receipts => Interlocked.Read(ref _receipts);

    public long Replies => Interlocked.Read(ref _replies);

    public async ValueTask<uint> DeliverAsync(IReadOnlyList<ShortMessageBody> delivers, CancellationToken cancellationToken)
    {
        var forward = new List<CarrierReceipt>(delivers.Count);
        foreach (var deliver in delivers)
        {
            if (deliver.IsDeliveryReceipt)
            {
                if (Receipt(deliver) is { } receipt)
                    forward.Add(receipt);
                continue;
            }
            Interlocked.Increment(ref _replies);
            var from = "+" + deliver.SourceAddress.TrimStart('+');
            if (replies is null)
            {
                logger.LogInformation("SMPP {Carrier}: a reply from {From} acknowledged with nowhere to keep it", carrierId, Msisdn.Mask(from));
                continue;
            }
            // A reply in parts arrives part by part: each is kept as it came (a keyword is one short part).
            var text = SmppText.Read(deliver, packedGsm7).Text;
            await replies.AcceptAsync(carrierId, new CarrierReply(from, deliver.DestinationAddress, text, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
            logger.LogInformation("SMPP {Carrier}: a reply from {From} to {To} kept ({Length} characters)", carrierId, Msisdn.Mask(from), deliver.DestinationAddress, text.Length);
        }
        if (forward.Count > 0 && receipts is not null)
            await receipts.AcceptAsync(carrierId, forward, cancellationToken).ConfigureAwait(false);
        return SmppStatus.Ok;
    }

    /// <summary>The receipt to keep for this deliver_sm, or null when there is none yet (intermediate, unreadable, a part held for the others).</summary>
    private CarrierReceipt? Receipt(ShortMessageBody deliver)
    {
        var receipt = SmppReceipts.TryRead(deliver);
        if (receipt is null)
        {
            // Unreadable: asking again would bring the same octets back for ever.
            logger.LogWarning("SMPP {Carrier}: a delivery receipt we cannot read was acknowledged and dropped", carrierId);
            return null;
        }
        Interlocked.Increment(ref _receipts);
        if (ids is not null)
            receipt = receipt with { MessageId = ids.ToSubmitted(receipt.MessageId) };
        if (receipt.Verdict is not { } verdict)
            return null;
        if (receipts is null)
        {
            logger.LogDebug("SMPP {Carrier}: receipt for {MessageId} ({State}) has no receipt store to go to", carrierId, receipt.MessageId, receipt.State);
            return null;
        }
        // The receipt's dates are the SMSC's local time with no zone: the arrival time is the one we can trust.
        var forward = new CarrierReceipt(receipt.MessageId, verdict, receipt.Error, At: null);
        if (parts is not null && parts.TryReceive(receipt.MessageId, verdict, receipt.Error, out var whole))
        {
            if (whole is null)
            {
                // Held in memory only: lost on a restart, after which the first part's receipt decides.
                logger.LogDebug("SMPP {Carrier}: receipt for part {MessageId} ({Verdict}) held for the message's other parts", carrierId, receipt.MessageId, verdict);
                return null;
            }
            forward = whole;
        }
        return forward;
    }
}
