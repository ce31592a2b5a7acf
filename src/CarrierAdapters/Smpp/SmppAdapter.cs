using Loa.CarrierAdapters.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.CarrierAdapters.Smpp;

public enum SmppMessageFate
{
    /// <summary>Every part taken; the ids are the SMSC's, one per part.</summary>
    Accepted,

    /// <summary>A part refused for a reason a retry does not fix; the reason is the status name.</summary>
    Rejected,

    /// <summary>Not taken because the SMSC asked us to slow down (ESME_RTHROTTLED, ESME_RMSGQFUL) until the deadline.</summary>
    Throttled,

    /// <summary>
    /// A part was written and never answered, so the SMSC may have it; or some parts were taken and the
    /// rest certainly not. Not resent here: the lane decides by the campaign's kind.
    /// </summary>
    Unknown,

    /// <summary>Never written, or answered with a status the error table retries: certainly not taken.</summary>
    NotSent,
}

public sealed record SmppMessageReport(string Id, SmppMessageFate Fate, IReadOnlyList<string> PartMessageIds, string? Reason);

/// <summary>
/// A batch over an SMPP bind: each message is cut where Loa's preview cut it (<see cref="SmppText"/>)
/// and sent as one submit_sm per part, the brand name as alphanumeric source, a receipt requested.
/// </summary>
/// <remarks>
/// Throttling: while nothing of the batch has been taken, a throttle answer ends the batch as
/// <see cref="SubmitOutcome.Throttled"/> at once (the lane slows down and retries it whole, which
/// resends nothing). Once something has been taken, retrying the batch would send it twice, so
/// the throttled parts are retried here after a pause, until the batch's deadline.
/// A dropped bind: parts written and unanswered are <see cref="SmppMessageFate.Unknown"/> (never
/// resent here: SMPP has no idempotency key); parts never written are sent on a new bind.
/// </remarks>
public sealed class SmppAdapter : ICarrierAdapter, IAsyncDisposable
{
    internal const int MaxBindsPerBatch = 3;
    private static readonly TimeSpan FirstThrottlePause = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestThrottlePause = TimeSpan.FromSeconds(2);

    private readonly CarrierOptions _options;
    private readonly SmppOptions _smpp;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SmppInbound _inbound;
    private readonly SmppPartReceipts _partReceipts;
    private readonly SmppReceiptIdForm _receiptIds;
    private readonly SmppErrors _errors;
    private readonly SmppBinds _binds;
    private int _reference;

    public SmppAdapter(string carrierId, CarrierOptions options, ICarrierReceiptSink? receipts = null, ILogger? logger = null, TimeProvider? time = null,
        ICarrierReplySink? replies = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(carrierId);
        ArgumentNullException.ThrowIfNull(options);
        CarrierId = carrierId;
        _options = options;
        _smpp = options.Smpp;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _partReceipts = new SmppPartReceipts(TimeSpan.FromHours(_smpp.ReceiptHoldHours), _smpp.ReceiptHoldParts, _time);
        _receiptIds = new SmppReceiptIdForm(_smpp.ReceiptIds);
        _inbound = new SmppInbound(carrierId, receipts, _logger, replies, _smpp.PackGsm7, _partReceipts, _time, _receiptIds);
        _errors = SmppErrors.From(carrierId, _smpp.Errors);
        _binds = new SmppBinds(carrierId, _smpp, _inbound, _logger, _time);
    }

    public string CarrierId { get; }

    /// <summary>Receipts come back as deliver_sm on the bind: the lane need not know Loa's public address.</summary>
    public bool ReceiptsByWebhook => false;

    /// <summary>SMPP has no idempotency key: a submit_sm sent twice is two messages.</summary>
    public bool RecognisesRepeats => false;

    /// <summary>The binds open now: for tests and health reporting.</summary>
    public IReadOnlyList<SmppSession> Sessions => _binds.Open;

    /// <summary>The receiver binds open now (<see cref="SmppBindMode.TransmitterReceiver"/>): for tests and health reporting.</summary>
    public IReadOnlyList<SmppSession> Receivers => _binds.Receivers;

    /// <summary>Receipts and replies seen over this adapter's binds.</summary>
    public (long Receipts, long Replies) Inbound => (_inbound.Receipts, _inbound.Replies);

    public async Task<SubmitOutcome> SubmitAsync(CarrierBatch batch, CancellationToken cancellationToken)
    {
        var (reports, failure, throttled) = await SendBatchAsync(batch, cancellationToken).ConfigureAwait(false);
        return ToOutcome(reports, failure, throttled);
    }

    /// <summary>What became of each message of the batch, in the batch's order, and why the bind failed if it did.</summary>
    public async Task<(IReadOnlyList<SmppMessageReport> Messages, string? BindFailure)> SendAsync(CarrierBatch batch, CancellationToken cancellationToken)
    {
        var (reports, failure, _) = await SendBatchAsync(batch, cancellationToken).ConfigureAwait(false);
        return (reports, failure);
    }

    /// <returns>Also whether the SMSC answered any part with a throttle status on the way.</returns>
    private async Task<(IReadOnlyList<SmppMessageReport> Messages, string? BindFailure, bool Throttled)> SendBatchAsync(CarrierBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var started = _time.GetTimestamp();
        var deadline = _options.Timeout > TimeSpan.Zero ? _options.Timeout : TimeSpan.FromSeconds(30);
        var messages = batch.Messages.Select(m => new MessageState(m, Parts(batch, m), _errors)).ToList();
        var waiting = messages.SelectMany(m => m.Parts).ToList();
        string? bindFailure = null;
        var metThrottle = false;
        var binds = 0;
        var pause = FirstThrottlePause;

        while (waiting.Count > 0)
        {
            var left = deadline - _time.GetElapsedTime(started);
            var (sessions, failure, later) = await _binds.OpenAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            if (sessions.Count == 0)
            {
                bindFailure = failure;
                if (++binds >= MaxBindsPerBatch || _time.GetElapsedTime(started) >= deadline || later)
                    break;
                continue;
            }

            // A message's parts stay on one bind, in order; messages are dealt out across the binds.
            var lanes = sessions.Select(_ => new List<PartState>()).ToList();
            var next = 0;
            foreach (var message in waiting.GroupBy(p => p.Message))
                lanes[next++ % lanes.Count].AddRange(message);
            var gate = new Lock();
            var unanswered = new List<Task<SmppSubmitAnswer>>();
            var throttledNow = false;
            // Answers complete before their window slot is freed, so when a slot comes free the
            // throttle answer that freed it is already visible here: nothing more is written after it,
            // on any bind (the SMSC's limit is usually per account, not per bind).
            bool StillWanted()
            {
                lock (gate)
                {
                    unanswered.RemoveAll(a =>
                    {
                        if (!a.IsCompleted)
                            return false;
                        throttledNow |= a.Result is SmppSubmitAnswer.Answered { Status: var s and not SmppStatus.Ok } && _errors.Action(s) == SmppErrorAction.Throttle;
                        return true;
                    });
                    return !throttledNow;
                }
            }
            async Task<List<(PartState Part, Task<SmppSubmitAnswer> Answer)>> WriteAsync(SmppSession session, List<PartState> parts)
            {
                var written = new List<(PartState, Task<SmppSubmitAnswer>)>(parts.Count);
                foreach (var part in parts)
                {
                    if (part.Message.Settled)
                        continue; // another part of it was refused or lost: the rest would be a fragment
                    var answer = await session.StartSubmitAsync(part.Body, cancellationToken, StillWanted, OnAnswered(part)).ConfigureAwait(false);
                    if (answer.IsCompleted && answer.Result is SmppSubmitAnswer.NotSent notSent)
                    {
                        if (notSent.Reason != SmppSession.Withdrawn)
                            part.Record(notSent);
                        break; // withdrawn after a throttle answer, or the bind is gone: the rest waits
                    }
                    written.Add((part, answer));
                    lock (gate)
                        unanswered.Add(answer);
                }
                return written;
            }
            var inFlight = (await Task.WhenAll(sessions.Select((s, i) => WriteAsync(s, lanes[i]))).ConfigureAwait(false)).SelectMany(w => w).ToList();
            // One by one: answers come mostly in the order written, so by the time the last submit is
            // written all but a window's worth are in, and only those cost a wake-up; Task.WhenAll took a
            // thread-pool turn for every answer of the batch (they complete asynchronously, off the read loop).
            foreach (var (_, answer) in inFlight)
                await answer.ConfigureAwait(false);
            foreach (var (part, answer) in inFlight)
                part.Record(answer.Result);

            waiting = [.. waiting.Where(p => p.StillToSend)];
            if (waiting.Count == 0)
                break;
            var throttled = inFlight.Any(f => f.Part.LastThrottle is not null);
            metThrottle |= throttled;
            if (throttled && !messages.Any(m => m.Taken))
                break; // nothing taken: the lane slows down and retries the whole batch
            if (_time.GetElapsedTime(started) >= deadline)
                break;
            // A part of a message partly taken that the SMSC asked us to retry goes again here, after a
            // pause: resending the whole message later would send its taken parts twice.
            if (throttled || inFlight.Any(f => f.Part.LastRetry is not null && f.Part.StillToSend))
            {
                var remaining = deadline - _time.GetElapsedTime(started);
                await Task.Delay(pause < remaining ? pause : remaining, _time, cancellationToken).ConfigureAwait(false);
                pause = pause * 2 < LongestThrottlePause ? pause * 2 : LongestThrottlePause;
            }
            else if (sessions.All(s => s.IsOpen))
            {
                // Parts left with no throttle and the binds open should not happen; stop rather than spin.
                break;
            }
            else if (++binds >= MaxBindsPerBatch)
            {
                bindFailure = await sessions.First(s => !s.IsOpen).Closed.ConfigureAwait(false);
                break;
            }
        }

        return (messages.Select(m => m.Report(bindFailure)).ToList(), bindFailure, metThrottle);
    }

    /// <summary>What to note as a part's answer is read, before any receipt after it: its id's form, and a multi-part message's part id.</summary>
    private Action<SmppSubmitAnswer.Answered>? OnAnswered(PartState part)
    {
        var group = part.Message.Receipts;
        if (group is null && !_receiptIds.Learns)
            return null;
        return a =>
        {
            if (a.Status != SmppStatus.Ok)
                return;
            _receiptIds.Submitted(a.MessageId);
            if (group is not null)
                _partReceipts.Taken(group, part.Number, a.MessageId);
        };
    }

    /// <param name="throttled">The SMSC answered some part with a throttle status: a completed batch then asks the lane to slow down too.</param>
    internal static SubmitOutcome ToOutcome(IReadOnlyList<SmppMessageReport> reports, string? bindFailure, bool throttled = false)
    {
        if (reports.Count > 0 && reports.All(r => r.Fate is SmppMessageFate.Throttled or SmppMessageFate.NotSent))
        {
            if (reports.Any(r => r.Fate == SmppMessageFate.Throttled))
                return new SubmitOutcome.Throttled(null, reports.First(r => r.Fate == SmppMessageFate.Throttled).Reason ?? SmppStatus.Name(SmppStatus.Throttled));
            return new SubmitOutcome.Transient(bindFailure ?? reports[0].Reason ?? "not sent");
        }
        // The throttled parts were retried here (a resend of the batch would repeat its taken parts), but
        // the SMSC's limit is the lane's business: without this the lane kept its rate and the next
        // batches met the same throttle, retried in the adapter, for as long as the campaign ran.
        return new SubmitOutcome.Completed(reports.Select(Result).ToList()) { SlowDown = throttled };
    }

    private static MessageResult Result(SmppMessageReport report) => report.Fate switch
    {
        SmppMessageFate.Accepted => new MessageResult(report.Id, Accepted: true, report.PartMessageIds.FirstOrDefault(), Error: null) { Fate = MessageFate.Taken },
        SmppMessageFate.Rejected => new MessageResult(report.Id, Accepted: false, null, report.Reason) { Fate = MessageFate.Refused },
        SmppMessageFate.Unknown => new MessageResult(report.Id, Accepted: false, null, report.Reason) { Fate = MessageFate.Unknown },
        SmppMessageFate.Throttled => new MessageResult(report.Id, Accepted: false, null, $"not sent: {report.Reason} until the submit deadline") { Fate = MessageFate.NotTaken },
        _ => new MessageResult(report.Id, Accepted: false, null, report.Reason) { Fate = MessageFate.NotTaken },
    };

    public ValueTask DisposeAsync() => _binds.DisposeAsync();

    private IReadOnlyList<ShortMessageBody> Parts(CarrierBatch batch, OutgoingMessage message)
    {
        var reference = (ushort)Interlocked.Increment(ref _reference);
        var parts = SmppText.Parts(message.Text, reference, _smpp.PackGsm7, _smpp.Concatenation);
        if (parts.Count != message.Parts && _smpp.Concatenation != SmppConcatenation.Payload)
            _logger.LogWarning("SMPP {Carrier}: message {Id} goes as {Parts} parts where {Counted} were counted", CarrierId, message.Id, parts.Count, message.Parts);
        // Loa keeps E.164; SMSCs take international numbers without the '+' (TON 1).
        var destination = message.To.StartsWith('+') ? message.To[1..] : message.To;
        return parts.Select(p => new ShortMessageBody
        {
            SourceTon = _smpp.SourceTon,
            SourceNpi = _smpp.SourceNpi,
            SourceAddress = batch.Sender,
            DestTon = _smpp.DestTon,
            DestNpi = _smpp.DestNpi,
            DestinationAddress = destination,
            EsmClass = p.EsmClass,
            PriorityFlag = Priority(batch.Kind),
            ValidityPeriod = ValidityPeriod(batch.ExpiresAt),
            RegisteredDelivery = ShortMessageBody.ReceiptOnFinalOutcome,
            DataCoding = p.DataCoding,
            ShortMessage = p.ShortMessage,
            Tlvs = p.Tlvs,
        }).ToList();
    }

    /// <summary>
    /// priority_flag (§5.2.14; GSM: 0 non-priority, 1–3 priority): an emergency goes first at the SMSC,
    /// a warning next; everything else is normal traffic. Many SMSCs treat every non-zero value alike.
    /// </summary>
    internal static byte Priority(string? kind) => kind?.ToLowerInvariant() switch
    {
        "emergency" => 3,
        "warning" => 2,
        _ => 0,
    };

    /// <summary>
    /// validity_period (§7.1.1) as an absolute time in UTC, <c>YYMMDDhhmmss000+</c>: the campaign's end is
    /// an instant, and an absolute time keeps meaning it however long the message sat in our queue (a
    /// relative one would restart at the SMSC). None when the campaign has no end: the SMSC's default.
    /// </summary>
    internal static string ValidityPeriod(DateTimeOffset? expiresAt) =>
        expiresAt is { } at
            ? at.UtcDateTime.ToString("yyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "000+"
            : "";

    private sealed class MessageState
    {
        public MessageState(OutgoingMessage message, IReadOnlyList<ShortMessageBody> bodies, SmppErrors errors)
        {
            Message = message;
            Parts = bodies.Select((b, i) => new PartState(this, i + 1, bodies.Count, b, errors)).ToList();
            Receipts = bodies.Count > 1 ? SmppPartReceipts.Start(bodies.Count) : null;
        }

        /// <summary>Where this message's part receipts become one; none for a single part.</summary>
        public SmppPartReceipts.Group? Receipts { get; }

        public OutgoingMessage Message { get; }

        public IReadOnlyList<PartState> Parts { get; }

        /// <summary>
        /// A part was refused or its outcome is unknown, or the SMSC asked for a retry while nothing of the
        /// message is taken: its fate is decided, its other parts stay unsent.
        /// </summary>
        public bool Settled => Parts.Any(p => p.Fate is SmppMessageFate.Rejected or SmppMessageFate.Unknown)
            || (Parts.Any(p => p.LastRetry is not null) && !Taken);

        /// <summary>Something of it may be at the SMSC.</summary>
        public bool Taken => Parts.Any(p => p.Fate is SmppMessageFate.Accepted or SmppMessageFate.Unknown);

        public SmppMessageReport Report(string? bindFailure)
        {
            var ids = Parts.Select(p => p.MessageId ?? "").ToList();
            var where = Parts.Count > 1 ? (Func<PartState, string>)(p => $"part {p.Number}/{p.Total}: ") : _ => "";
            if (Parts.FirstOrDefault(p => p.Fate == SmppMessageFate.Rejected) is { } rejected)
                return new(Message.Id, SmppMessageFate.Rejected, ids, where(rejected) + rejected.Reason);
            if (Parts.FirstOrDefault(p => p.Fate == SmppMessageFate.Unknown) is { } unknown)
                return new(Message.Id, SmppMessageFate.Unknown, ids, $"unknown outcome: {where(unknown)}{unknown.Reason}");
            if (Parts.All(p => p.Fate == SmppMessageFate.Accepted))
                return new(Message.Id, SmppMessageFate.Accepted, ids, null);
            if (Taken)
            {
                // Some parts taken, the rest certainly not (throttled or retried until the deadline): a
                // resend would repeat the taken parts, a miss would lose the rest. That is the same
                // choice as an unknown outcome, and the lane makes it per kind.
                var missing = Parts.First(p => p.Fate != SmppMessageFate.Accepted);
                return new(Message.Id, SmppMessageFate.Unknown, ids,
                    $"unknown outcome: {where(missing)}not taken ({missing.LastThrottle ?? missing.LastRetry ?? missing.Reason ?? "not sent"}) while other parts were");
            }
            if (Parts.FirstOrDefault(p => p.LastRetry is not null) is { } retry)
                return new(Message.Id, SmppMessageFate.NotSent, ids, $"{where(retry)}{retry.LastRetry}");
            if (Parts.FirstOrDefault(p => p.LastThrottle is not null && p.Fate != SmppMessageFate.Accepted) is { } throttled)
                return new(Message.Id, SmppMessageFate.Throttled, ids, $"{where(throttled)}{throttled.LastThrottle}");
            return new(Message.Id, SmppMessageFate.NotSent, ids, $"not sent: {bindFailure ?? Parts.FirstOrDefault(p => p.Reason is not null)?.Reason ?? "the bind was lost"}");
        }
    }

    private sealed class PartState(MessageState message, int number, int total, ShortMessageBody body, SmppErrors errors)
    {
        public MessageState Message { get; } = message;
        public int Number { get; } = number;
        public int Total { get; } = total;
        public ShortMessageBody Body { get; } = body;
        public SmppMessageFate Fate { get; private set; } = SmppMessageFate.NotSent;
        public string? MessageId { get; private set; }
        public string? Reason { get; private set; }
        public string? LastThrottle { get; private set; }
        public string? LastRetry { get; private set; }

        public bool StillToSend => Fate == SmppMessageFate.NotSent && !Message.Settled;

        public void Record(SmppSubmitAnswer answer)
        {
            switch (answer)
            {
                case SmppSubmitAnswer.Answered { Status: SmppStatus.Ok } ok:
                    Fate = SmppMessageFate.Accepted;
                    MessageId = ok.MessageId;
                    break;
                case SmppSubmitAnswer.Answered a when errors.Action(a.Status) == SmppErrorAction.Throttle:
                    LastThrottle = SmppStatus.Name(a.Status); // still NotSent: sent again after a pause
                    break;
                case SmppSubmitAnswer.Answered a when errors.Action(a.Status) == SmppErrorAction.Retry:
                    LastRetry = SmppStatus.Name(a.Status); // still NotSent: certainly not taken
                    break;
                case SmppSubmitAnswer.Answered a:
                    Fate = SmppMessageFate.Rejected;
                    Reason = SmppStatus.Name(a.Status);
                    break;
                case SmppSubmitAnswer.Unknown u:
                    Fate = SmppMessageFate.Unknown;
                    Reason = u.Reason;
                    break;
                case SmppSubmitAnswer.NotSent n:
                    Reason = n.Reason;
                    break;
            }
        }
    }
}
