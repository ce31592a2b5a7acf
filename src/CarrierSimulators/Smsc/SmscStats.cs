using Loa.CarrierAdapters;

namespace Loa.CarrierSimulators.Smsc;

/// <summary>A message as the SMSC put it back together from its parts.</summary>
/// <param name="Parts">The short messages it came in (1 for a message that was not concatenated).</param>
public sealed record SmscMessage(string Source, string Destination, SmsEncoding Encoding, string Text, int Parts, IReadOnlyList<string> MessageIds);

/// <summary>What the simulated SMSC has seen. Safe to read while it runs.</summary>
public sealed class SmscStats
{
    private readonly Lock _gate = new();
    private readonly List<SmscMessage> _messages = [];
    private readonly List<uint> _nacksReceived = [];
    private long _bindsAccepted;
    private long _bindsRefused;
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
    private long _connectionsDropped;
    private int _inFlight;
    private int _maxInFlight;

    public long BindsAccepted => Interlocked.Read(ref _bindsAccepted);
    public long BindsRefused => Interlocked.Read(ref _bindsRefused);
    public long SubmitsReceived => Interlocked.Read(ref _submitsReceived);
    public long SubmitsAccepted => Interlocked.Read(ref _submitsAccepted);
    public long Throttled => Interlocked.Read(ref _throttled);
    public long QueueFull => Interlocked.Read(ref _queueFull);
    public long Errors => Interlocked.Read(ref _errors);
    public long EnquireLinksReceived => Interlocked.Read(ref _enquireLinksReceived);
    public long EnquireLinkRespsReceived => Interlocked.Read(ref _enquireLinkRespsReceived);
    public long UnbindsReceived => Interlocked.Read(ref _unbindsReceived);
    public long UnbindRespsReceived => Interlocked.Read(ref _unbindRespsReceived);
    public long ReceiptsSent => Interlocked.Read(ref _receiptsSent);
    public long ReceiptsAcknowledged => Interlocked.Read(ref _receiptsAcknowledged);
    public long ConnectionsDropped => Interlocked.Read(ref _connectionsDropped);

    /// <summary>Most submits received and not yet answered at one time, over every connection: the client's window as seen from here.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Messages complete with all their parts, in the order their last part came.</summary>
    public IReadOnlyList<SmscMessage> Messages
    {
        get
        {
            lock (_gate)
                return [.. _messages];
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

    internal void BindAccepted() => Interlocked.Increment(ref _bindsAccepted);
    internal void BindRefused() => Interlocked.Increment(ref _bindsRefused);
    internal long SubmitReceived() => Interlocked.Increment(ref _submitsReceived);
    internal void SubmitAccepted() => Interlocked.Increment(ref _submitsAccepted);
    internal void WasThrottled() => Interlocked.Increment(ref _throttled);
    internal void WasQueueFull() => Interlocked.Increment(ref _queueFull);
    internal void WasError() => Interlocked.Increment(ref _errors);
    internal void EnquireLinkReceived() => Interlocked.Increment(ref _enquireLinksReceived);
    internal void EnquireLinkRespReceived() => Interlocked.Increment(ref _enquireLinkRespsReceived);
    internal void UnbindReceived() => Interlocked.Increment(ref _unbindsReceived);
    internal void UnbindRespReceived() => Interlocked.Increment(ref _unbindRespsReceived);
    internal void ReceiptSent() => Interlocked.Increment(ref _receiptsSent);
    internal void ReceiptAcknowledged() => Interlocked.Increment(ref _receiptsAcknowledged);
    internal void ConnectionDropped() => Interlocked.Increment(ref _connectionsDropped);

    internal void Entered()
    {
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while ((seen = Volatile.Read(ref _maxInFlight)) < now && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }
    }

    internal void Left() => Interlocked.Decrement(ref _inFlight);

    internal void MessageComplete(SmscMessage message)
    {
        lock (_gate)
            _messages.Add(message);
    }

    internal void NackReceived(uint status)
    {
        lock (_gate)
            _nacksReceived.Add(status);
    }
}
