namespace Loa.CarrierAdapters;

/// <summary>
/// The one seam with many implementations: a way of handing a batch of messages to a carrier.
/// An adapter never throws for an answer the carrier gave; it maps every answer to an outcome so
/// that the send lane decides what to retry, and every failed message keeps the carrier's reason.
/// </summary>
public interface ICarrierAdapter
{
    string CarrierId { get; }

    /// <summary>
    /// Whether the carrier posts receipts to Loa's webhook, so that a batch must carry its address.
    /// A protocol whose receipts come back over its own connection (SMPP) needs none, and its lane
    /// must not wait for Loa's public address to be known.
    /// </summary>
    bool ReceiptsByWebhook => true;

    /// <summary>
    /// Whether the carrier drops a repeat of a batch it already took (the batch id is its idempotency
    /// key), so a batch whose lane died mid-submit may simply be sent again. SMPP has no such key.
    /// </summary>
    bool RecognisesRepeats => true;

    Task<SubmitOutcome> SubmitAsync(CarrierBatch batch, CancellationToken cancellationToken);
}

public enum SmsEncoding
{
    Gsm7,
    Ucs2,
}

public sealed record OutgoingMessage(string Id, string To, string Text, SmsEncoding Encoding, int Parts)
{
    /// <summary>
    /// Push (FCM) only: <see cref="To"/> is a topic name (<c>loa-01-vi</c>), not a device token. Said per
    /// message, never guessed from the text: a token is whatever an app registered, and one shaped like a
    /// topic must not reach a whole topic.
    /// </summary>
    public bool Topic { get; init; }
}

/// <param name="BatchId">Also the idempotency key: a repeat of the same batch must not send twice.</param>
/// <param name="ReceiptUrl">Where the carrier posts receipts; null for an adapter without <see cref="ICarrierAdapter.ReceiptsByWebhook"/>.</param>
public sealed record CarrierBatch(string BatchId, string Sender, IReadOnlyList<OutgoingMessage> Messages, Uri? ReceiptUrl)
{
    /// <summary>The campaign's kind (<c>emergency</c>, <c>warning</c>, <c>awareness</c>, <c>test</c>): a protocol with a priority field sets it from this.</summary>
    public string? Kind { get; init; }

    /// <summary>When the campaign stops sending: a protocol with a validity period asks the carrier to give up then.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Push only: the notification's title (the body is each message's text).</summary>
    public string? Title { get; init; }

    /// <summary>Push only: the public verification page of the alert, sent in the data as <c>url</c>.</summary>
    public Uri? Link { get; init; }

    /// <summary>Push only: one per campaign, so that a phone offline for a while shows the campaign's latest notification once.</summary>
    public string? CollapseKey { get; init; }

    /// <summary>Push only: the campaign id, sent in the data as <c>campaign</c> so that the app can acknowledge it.</summary>
    public string? Campaign { get; init; }
}

/// <summary>What became of one message of a submit, as far as the carrier's answer tells.</summary>
public enum MessageFate
{
    /// <summary>Taken; a receipt will tell the rest.</summary>
    Taken,

    /// <summary>Refused for a reason a retry does not fix; the error is the carrier's.</summary>
    Refused,

    /// <summary>Certainly not taken (never written, or the carrier asked us to slow down): sent again later, no duplicate possible.</summary>
    NotTaken,

    /// <summary>
    /// Written and never answered (a connection dropped mid-window): the carrier may have it. The send
    /// lane resends it only for the kinds where a duplicate is better than a miss.
    /// </summary>
    Unknown,
}

/// <param name="Id">The delivery id Loa gave the message.</param>
public sealed record MessageResult(string Id, bool Accepted, string? CarrierMessageId, string? Error)
{
    /// <summary>Defaults to what <see cref="Accepted"/> says; an adapter that knows less or more sets it.</summary>
    public MessageFate Fate { get; init; } = Accepted ? MessageFate.Taken : MessageFate.Refused;

    /// <summary>Push only: the provider says the device token is dead (uninstalled app, bad token); the device is to be pruned.</summary>
    public bool TokenGone { get; init; }
}

public abstract record SubmitOutcome
{
    /// <summary>The carrier answered for every message (accepted or rejected, each with its reason).</summary>
    public sealed record Completed(IReadOnlyList<MessageResult> Results) : SubmitOutcome
    {
        /// <summary>
        /// The carrier asked us to slow down while taking part of the batch (an SMSC's throttle answer
        /// after some parts were taken): the lane slows as for <see cref="Throttled"/>, though the batch is not retried whole.
        /// </summary>
        public bool SlowDown { get; init; }

        /// <summary>With <see cref="SlowDown"/>: how long the carrier asked us to wait, if it said.</summary>
        public TimeSpan? RetryAfter { get; init; }
    }

    /// <summary>The carrier asked us to slow down; nothing in the batch was taken.</summary>
    public sealed record Throttled(TimeSpan? RetryAfter, string Reason) : SubmitOutcome;

    /// <summary>Timeout, 5xx or connection failure: nothing is known to be taken; try again later.</summary>
    public sealed record Transient(string Reason) : SubmitOutcome;

    /// <summary>The carrier refused the whole batch for a reason a retry will not fix (e.g. 401, 400).</summary>
    public sealed record Rejected(string Reason) : SubmitOutcome;
}
