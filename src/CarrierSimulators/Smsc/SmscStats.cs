using System.Collections.Concurrent;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Routing;
using Loa.CarrierAdapters.Smpp;

namespace Loa.CarrierSimulators.Smsc;

/// <summary>A message as the SMSC put it back together from its parts.</summary>
/// <param name="Parts">The short messages it came in (1 for a message that was not concatenated).</param>
public sealed record SmscMessage(string Source, string Destination, SmsEncoding Encoding, string Text, int Parts, IReadOnlyList<string> MessageIds);

/// <summary>What the simulated SMSC has seen. Safe to read while it runs.</summary>
public sealed class SmscStats
{
    private readonly Lock _gate = new();
    private readonly List<SmscMessage> _messages = [];
    private readonly Dictionary<string, int> _messagesByDestination = new(StringComparer.Ordinal);
    private readonly List<uint> _nacksReceived = [];
    private readonly ConcurrentDictionary<uint, long> _refusedByStatus = new();
    private readonly ConcurrentDictionary<SmppMessageState, long> _receiptsByState = new();
    private readonly ConcurrentDictionary<int, int> _windowByBind = new();
    private readonly ConcurrentDictionary<SmppCommand, long> _deliverSmByBind = new();
    private readonly Lock _rateGate = new();
    private long _bindsAccepted;
    private long _bindsRefused;
    private int _bindsOpen;
    private long _submitsReceived;
    private long _submitsAccepted;
    private long _throttled;
    private long _queueFull;
    private long _errors;
    private long _enquireLinksReceived;
    private long _enquireLinkRespsReceived;
    private long _unbindsReceived;
    private long _unbindRespsReceived;
    private long _receiptsSent;
    private long _receiptsAcknowledged;
    private long _earlyReceiptsSent;
    private long _lateReceiptsSent;
    private long _duplicateReceiptsSent;
    private long _receiptsWithheld;
    private long _receiptsLost;
    private long _connectionsDropped;
    private long _tlsHandshakesFailed;
    private long _connectionsAccepted;
    private long _receiptsRedelivered;
    private int _inFlight;
    private int _maxInFlight;
    private long _rateSecond = long.MinValue;
    private int _rateCount;
    private int _peakPerSecond;

    public long BindsAccepted => Interlocked.Read(ref _bindsAccepted);
    public long BindsRefused => Interlocked.Read(ref _bindsRefused);

    /// <summary>Connections bound now.</summary>
    public int BindsOpen => Volatile.Read(ref _bindsOpen);

    public long SubmitsReceived => Interlocked.Read(ref _submitsReceived);

    /// <summary>Submits answered ESME_ROK: the SMS parts taken.</summary>
    public long SubmitsAccepted => Interlocked.Read(ref _submitsAccepted);
    public long Throttled => Interlocked.Read(ref _throttled);
    public long QueueFull => Interlocked.Read(ref _queueFull);

    /// <summary>Submits answered with a drawn error (<see cref="SmscBehaviour.ErrorRatio"/>).</summary>
    public long Errors => Interlocked.Read(ref _errors);
    public long EnquireLinksReceived => Interlocked.Read(ref _enquireLinksReceived);
    public long EnquireLinkRespsReceived => Interlocked.Read(ref _enquireLinkRespsReceived);
    public long UnbindsReceived => Interlocked.Read(ref _unbindsReceived);
    public long UnbindRespsReceived => Interlocked.Read(ref _unbindRespsReceived);

    /// <summary>Receipts written, early and late ones included, duplicates not: one per receipt the SMSC meant to send.</summary>
    public long ReceiptsSent => Interlocked.Read(ref _receiptsSent);
    public long ReceiptsAcknowledged => Interlocked.Read(ref _receiptsAcknowledged);

    /// <summary>Receipts written before their submit_sm_resp (also in <see cref="ReceiptsSent"/>).</summary>
    public long EarlyReceiptsSent => Interlocked.Read(ref _earlyReceiptsSent);

    /// <summary>Receipts written after a late delay (also in <see cref="ReceiptsSent"/>).</summary>
    public long LateReceiptsSent => Interlocked.Read(ref _lateReceiptsSent);

    /// <summary>Second copies written.</summary>
    public long DuplicateReceiptsSent => Interlocked.Read(ref _duplicateReceiptsSent);

    /// <summary>Receipts asked for and not sent on purpose (<see cref="SmscBehaviour.MissingReceiptRatio"/>).</summary>
    public long ReceiptsWithheld => Interlocked.Read(ref _receiptsWithheld);

    /// <summary>deliver_sm written again because the bind they went to dropped before acknowledging them, or answered with an error.</summary>
    public long ReceiptsRedelivered => Interlocked.Read(ref _receiptsRedelivered);

    /// <summary>Receipts given up because their account had no bind to take them and <see cref="SmscSimulator.MostHeld"/> were held already.</summary>
    public long ReceiptsLost => Interlocked.Read(ref _receiptsLost);

    public long ConnectionsDropped => Interlocked.Read(ref _connectionsDropped);

    /// <summary>
    /// TLS connections whose handshake failed on this side (a client speaking plain SMPP). A client that
    /// does not trust the certificate completes the handshake and then hangs up: .NET checks the
    /// certificate after it, so that shows as a connection accepted and never bound.
    /// </summary>
    public long TlsHandshakesFailed => Interlocked.Read(ref _tlsHandshakesFailed);

    /// <summary>deliver_sm written (receipts, their duplicates and redeliveries), by the bind_* command of the bind they went to.</summary>
    public IReadOnlyDictionary<SmppCommand, long> DeliverSmByBind => new Dictionary<SmppCommand, long>(_deliverSmByBind);

    /// <summary>TCP connections accepted, bound or not: a client's reconnect attempts.</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _connectionsAccepted);

    /// <summary>Most submits received and not yet answered at one time, over every connection: the client's window as seen from here.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Most submits received in one wall-clock second.</summary>
    public int SubmitsPerSecondPeak
    {
        get
        {
            lock (_rateGate)
                return _peakPerSecond;
        }
    }

    /// <summary>Most submits in flight at once on each bind, by bind number (1 for the first connection accepted).</summary>
    public IReadOnlyDictionary<int, int> WindowHighWaterByBind => new SortedDictionary<int, int>(_windowByBind);

    /// <summary>Submits refused, by the status they were answered with (throttling and queue-full included).</summary>
    public IReadOnlyDictionary<uint, long> RefusedByStatus => new SortedDictionary<uint, long>(_refusedByStatus);

    /// <summary>Receipts written (duplicates not counted) by the state they carried.</summary>
    public IReadOnlyDictionary<SmppMessageState, long> ReceiptsByState => new SortedDictionary<SmppMessageState, long>(_receiptsByState);

    /// <summary>Messages complete with all their parts, in the order their last part came.</summary>
    public IReadOnlyList<SmscMessage> Messages
    {
        get
        {
            lock (_gate)
                return [.. _messages];
        }
    }

    /// <summary>
    /// Whole messages reassembled per destination address as it came in submit_sm (Loa sends the
    /// number without its <c>+</c>): a campaign's end-to-end check wants 1 for every recipient and no 2.
    /// </summary>
    public IReadOnlyDictionary<string, int> MessagesByDestination
    {
        get
        {
            lock (_gate)
                return new Dictionary<string, int>(_messagesByDestination, StringComparer.Ordinal);
        }
    }

    /// <summary>The statuses of the generic_nacks clients sent us.</summary>
    public IReadOnlyList<uint> NacksReceived
    {
        get
        {
            lock (_gate)
                return [.. _nacksReceived];
        }
    }

    /// <summary>Whole messages reassembled for a number, given as E.164 (<c>+8491…</c>) or as the SMSC saw it.</summary>
    public int MessagesTo(string number)
    {
        ArgumentNullException.ThrowIfNull(number);
        lock (_gate)
            return _messagesByDestination.GetValueOrDefault(number.TrimStart('+'))
                   + (number.StartsWith('+') ? _messagesByDestination.GetValueOrDefault(number) : 0);
    }

    /// <summary>The counters as the admin endpoint serves them.</summary>
    public SmscStatsSnapshot Snapshot()
    {
        int destinations, twice;
        long messages;
        lock (_gate)
        {
            messages = _messages.Count;
            destinations = _messagesByDestination.Count;
            twice = _messagesByDestination.Values.Count(n => n > 1);
        }
        return new SmscStatsSnapshot(
            BindsAccepted, BindsRefused, BindsOpen, SubmitsReceived, SubmitsAccepted, messages, destinations, twice,
            Throttled, QueueFull, Errors,
            RefusedByStatus.ToDictionary(e => SmppStatus.Name(e.Key), e => e.Value),
            ReceiptsSent, ReceiptsAcknowledged, EarlyReceiptsSent, LateReceiptsSent, DuplicateReceiptsSent, ReceiptsWithheld, ReceiptsLost,
            ReceiptsByState.ToDictionary(e => e.Key.ToString(), e => e.Value),
            ConnectionsDropped, SubmitsPerSecondPeak, MaxInFlight,
            WindowHighWaterByBind.ToDictionary(e => e.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), e => e.Value),
            TlsHandshakesFailed, ConnectionsAccepted, ReceiptsRedelivered);
    }

    internal void BindAccepted()
    {
        Interlocked.Increment(ref _bindsAccepted);
        Interlocked.Increment(ref _bindsOpen);
    }

    internal void BindClosed() => Interlocked.Decrement(ref _bindsOpen);
    internal void BindRefused() => Interlocked.Increment(ref _bindsRefused);

    internal void SubmitReceived(long unixSecond)
    {
        Interlocked.Increment(ref _submitsReceived);
        lock (_rateGate)
        {
            if (unixSecond != _rateSecond)
            {
                _rateSecond = unixSecond;
                _rateCount = 0;
            }
            _peakPerSecond = Math.Max(_peakPerSecond, ++_rateCount);
        }
    }

    internal void SubmitAccepted() => Interlocked.Increment(ref _submitsAccepted);

    internal void Refused(uint status)
    {
        _refusedByStatus.AddOrUpdate(status, 1, (_, n) => n + 1);
        switch (status)
        {
            case SmppStatus.Throttled:
                Interlocked.Increment(ref _throttled);
                break;
            case SmppStatus.MessageQueueFull:
                Interlocked.Increment(ref _queueFull);
                break;
            case SmppStatus.IncorrectBindStatus:
                break;
            default:
                Interlocked.Increment(ref _errors);
                break;
        }
    }

    internal void EnquireLinkReceived() => Interlocked.Increment(ref _enquireLinksReceived);
    internal void EnquireLinkRespReceived() => Interlocked.Increment(ref _enquireLinkRespsReceived);
    internal void UnbindReceived() => Interlocked.Increment(ref _unbindsReceived);
    internal void UnbindRespReceived() => Interlocked.Increment(ref _unbindRespsReceived);

    internal void ReceiptSent(SmppMessageState state, SmscReceiptTiming timing)
    {
        Interlocked.Increment(ref _receiptsSent);
        _receiptsByState.AddOrUpdate(state, 1, (_, n) => n + 1);
        if (timing == SmscReceiptTiming.Early)
            Interlocked.Increment(ref _earlyReceiptsSent);
        else if (timing == SmscReceiptTiming.Late)
            Interlocked.Increment(ref _lateReceiptsSent);
    }

    internal void DuplicateReceiptSent() => Interlocked.Increment(ref _duplicateReceiptsSent);
    internal void ReceiptWithheld() => Interlocked.Increment(ref _receiptsWithheld);
    internal void ReceiptLost() => Interlocked.Increment(ref _receiptsLost);
    internal void ReceiptAcknowledged() => Interlocked.Increment(ref _receiptsAcknowledged);
    internal void ConnectionDropped() => Interlocked.Increment(ref _connectionsDropped);
    internal void TlsHandshakeFailed() => Interlocked.Increment(ref _tlsHandshakesFailed);
    internal void ConnectionAccepted() => Interlocked.Increment(ref _connectionsAccepted);
    internal void ReceiptRedelivered() => Interlocked.Increment(ref _receiptsRedelivered);
    internal void DeliverSmWritten(SmppCommand boundAs) => _deliverSmByBind.AddOrUpdate(boundAs, 1, (_, n) => n + 1);

    internal void Entered(int bind, int bindInFlight)
    {
        Raise(ref _maxInFlight, Interlocked.Increment(ref _inFlight));
        _windowByBind.AddOrUpdate(bind, bindInFlight, (_, seen) => Math.Max(seen, bindInFlight));
    }

    internal void Left() => Interlocked.Decrement(ref _inFlight);

    internal void MessageComplete(SmscMessage message)
    {
        lock (_gate)
        {
            _messages.Add(message);
            _messagesByDestination[message.Destination] = _messagesByDestination.GetValueOrDefault(message.Destination) + 1;
        }
    }

    internal void NackReceived(uint status)
    {
        lock (_gate)
            _nacksReceived.Add(status);
    }

    private static void Raise(ref int high, int now)
    {
        int seen;
        while ((seen = Volatile.Read(ref high)) < now && Interlocked.CompareExchange(ref high, now, seen) != seen)
        {
        }
    }
}

internal enum SmscReceiptTiming
{
    Usual,
    Early,
    Late,
}

/// <summary>
/// The SMSC's counters as <c>GET /admin/carriers/{id}/smsc/stats</c> serves them (camelCase JSON);
/// each field is the <see cref="SmscStats"/> property of the same name.
/// </summary>
/// <param name="MessagesReassembled">Whole messages put back together from their parts.</param>
/// <param name="Destinations">Distinct destinations that got at least one whole message.</param>
/// <param name="DestinationsWithMoreThanOne">Destinations that got two or more: 0 in a campaign that sends each recipient one text.</param>
/// <param name="RefusedByStatus">Refused submits by status name (<c>ESME_RTHROTTLED</c>, …).</param>
/// <param name="ReceiptsByState">Receipts written by message_state name (<c>Delivered</c>, …).</param>
/// <param name="WindowHighWaterByBind">Most submits in flight at once per bind number.</param>
public sealed record SmscStatsSnapshot(
    long BindsAccepted,
    long BindsRefused,
    int BindsOpen,
    long SubmitsReceived,
    long SubmitsAccepted,
    long MessagesReassembled,
    int Destinations,
    int DestinationsWithMoreThanOne,
    long Throttled,
    long QueueFull,
    long Errors,
    IReadOnlyDictionary<string, long> RefusedByStatus,
    long ReceiptsSent,
    long ReceiptsAcknowledged,
    long EarlyReceiptsSent,
    long LateReceiptsSent,
    long DuplicateReceiptsSent,
    long ReceiptsWithheld,
    long ReceiptsLost,
    IReadOnlyDictionary<string, long> ReceiptsByState,
    long ConnectionsDropped,
    int SubmitsPerSecondPeak,
    int MaxInFlight,
    IReadOnlyDictionary<string, int> WindowHighWaterByBind,
    long TlsHandshakesFailed,
    long ConnectionsAccepted,
    long ReceiptsRedelivered);

/// <summary>A reassembled message as the admin endpoint lists it: the destination masked, as everywhere a number leaves Loa's hands.</summary>
public sealed record SmscArrival(string Destination, string Source, string Encoding, string Text, int Parts, IReadOnlyList<string> MessageIds)
{
    public static SmscArrival From(SmscMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var e164 = message.Destination.StartsWith('+') ? message.Destination : "+" + message.Destination;
        return new SmscArrival(Msisdn.Mask(e164), message.Source, message.Encoding.ToString(), message.Text, message.Parts, message.MessageIds);
    }
}
