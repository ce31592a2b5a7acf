using Loa.CarrierAdapters;
using Loa.CarrierAdapters.HttpBatch;

namespace Loa.CarrierSimulators;

/// <summary>What the simulated carriers have seen, per carrier. Safe to read while they run.</summary>
public sealed class SimulatorStats
{
    private readonly Dictionary<string, CarrierSimulatorStats> _carriers;

    internal SimulatorStats(IEnumerable<(string CarrierId, CarrierSimulatorStats Stats)> carriers) =>
        _carriers = carriers.ToDictionary(c => c.CarrierId, c => c.Stats, StringComparer.Ordinal);

    public IReadOnlyCollection<string> CarrierIds => _carriers.Keys;

    public CarrierSimulatorStats this[string carrierId] =>
        _carriers.TryGetValue(carrierId, out var stats)
            ? stats
            : throw new KeyNotFoundException($"No simulated carrier '{carrierId}'.");

    /// <summary>A consistent copy per carrier, as served at <c>GET /admin/stats</c>.</summary>
    public SimulatorStatsSnapshot Snapshot() =>
        new(_carriers.ToDictionary(pair => pair.Key, pair => pair.Value.Snapshot(), StringComparer.Ordinal));

    /// <summary>Every carrier's figures back to zero, as <c>POST /admin/reset</c> does.</summary>
    public void Reset()
    {
        foreach (var stats in _carriers.Values)
            stats.Reset();
    }
}

/// <summary>One carrier's figures. Counters only grow, until <see cref="Reset"/>.</summary>
public sealed class CarrierSimulatorStats
{
    // Message ids are kept as 64-bit hashes: a million-recipient run stays in a few tens of MB,
    // and a false "duplicate" is about as likely as one in ten million runs.
    private readonly HashSet<ulong> _seenMessageIds = [];
    private readonly Dictionary<long, long> _acceptedPerSecond = [];
    private readonly Dictionary<long, long> _acceptedPartsPerSecond = [];
    private readonly Queue<BatchArrival> _arrivals = new();
    private readonly int _arrivalsKept;
    private readonly Lock _gate = new();
    private long _messagesAccepted;
    private long _batchesReceived;
    private long _idempotentRepeats;
    private long _batchesRefused;
    private long _duplicateMessageIds;
    private long _receiptsPosted;
    private long _receiptsAbandoned;
    private long _throttledSubmits;
    private long _serverErrors;
    private long _timeoutsHeld;
    private long _earlyReceiptsPosted;
    private long _outOfOrderReceiptsPosted;
    private long _duplicateReceiptsPosted;

    /// <param name="arrivalsKept">Entries of the arrival log kept, newest first; 0 keeps none.</param>
    internal CarrierSimulatorStats(int arrivalsKept = 100_000) => _arrivalsKept = Math.Max(0, arrivalsKept);

    /// <summary>Messages answered <c>accepted</c> (an idempotent repeat adds none).</summary>
    public long MessagesAccepted => Interlocked.Read(ref _messagesAccepted);

    /// <summary>Batches taken and answered 200, not counting idempotent repeats.</summary>
    public long BatchesReceived => Interlocked.Read(ref _batchesReceived);

    /// <summary>Submits answered from the idempotency store: the same key again.</summary>
    public long IdempotentRepeats => Interlocked.Read(ref _idempotentRepeats);

    /// <summary>Submits refused as a whole (401, 400).</summary>
    public long BatchesRefused => Interlocked.Read(ref _batchesRefused);

    /// <summary>
    /// Message ids that arrived again in a different batch (or twice in one): each is a subscriber
    /// who would get the same SMS twice from a real carrier.
    /// </summary>
    public long DuplicateMessageIds => Interlocked.Read(ref _duplicateMessageIds);

    /// <summary>
    /// Receipts (one per message) that the receipt URL acknowledged with a 2xx, early and out-of-order
    /// ones included, duplicates not: with <see cref="ReceiptsAbandoned"/> it adds up to the messages accepted.
    /// </summary>
    public long ReceiptsPosted => Interlocked.Read(ref _receiptsPosted);

    /// <summary>Receipts given up after every attempt failed, or dropped at shutdown (duplicates not counted).</summary>
    public long ReceiptsAbandoned => Interlocked.Read(ref _receiptsAbandoned);

    /// <summary>Submits answered 429 because they would have taken the second's parts above the limit.</summary>
    public long ThrottledSubmits => Interlocked.Read(ref _throttledSubmits);

    /// <summary>Submits answered with a simulated 5xx; none of them took anything.</summary>
    public long ServerErrors => Interlocked.Read(ref _serverErrors);

    /// <summary>Accepted batches whose answer was held back so that the client would time out.</summary>
    public long TimeoutsHeld => Interlocked.Read(ref _timeoutsHeld);

    /// <summary>Receipts acknowledged before their submit's answer was written (also in <see cref="ReceiptsPosted"/>).</summary>
    public long EarlyReceiptsPosted => Interlocked.Read(ref _earlyReceiptsPosted);

    /// <summary>Receipts held back until a later batch's receipts were posted (also in <see cref="ReceiptsPosted"/>).</summary>
    public long OutOfOrderReceiptsPosted => Interlocked.Read(ref _outOfOrderReceiptsPosted);

    /// <summary>Second copies of receipts that the receipt URL acknowledged.</summary>
    public long DuplicateReceiptsPosted => Interlocked.Read(ref _duplicateReceiptsPosted);

    /// <summary>
    /// Accepted batches (not repeats) in arrival order, the most recent ones only
    /// (<c>Loa:Simulators:ArrivalsKept</c>): when each came, under which batch id, how big.
    /// </summary>
    public IReadOnlyList<BatchArrival> Arrivals
    {
        get
        {
            lock (_gate)
                return _arrivals.ToArray();
        }
    }

    /// <summary>Accepted messages per wall-clock second (unix seconds), for checking a carrier's rate.</summary>
    public IReadOnlyDictionary<long, long> AcceptedPerSecond
    {
        get
        {
            lock (_gate)
                return new SortedDictionary<long, long>(_acceptedPerSecond);
        }
    }

    /// <summary>Accepted SMS parts per wall-clock second: the unit contracted rates are counted in.</summary>
    public IReadOnlyDictionary<long, long> AcceptedPartsPerSecond
    {
        get
        {
            lock (_gate)
                return new SortedDictionary<long, long>(_acceptedPartsPerSecond);
        }
    }

    public CarrierStatsSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new CarrierStatsSnapshot(
                MessagesAccepted, BatchesReceived, IdempotentRepeats, BatchesRefused, DuplicateMessageIds,
                ReceiptsPosted, ReceiptsAbandoned,
                new SortedDictionary<long, long>(_acceptedPerSecond),
                new SortedDictionary<long, long>(_acceptedPartsPerSecond),
                ThrottledSubmits, ServerErrors, TimeoutsHeld,
                EarlyReceiptsPosted, OutOfOrderReceiptsPosted, DuplicateReceiptsPosted,
                _arrivals.Count);
        }
    }

    /// <summary>Every counter, per-second count, remembered message id and arrival forgotten.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _seenMessageIds.Clear();
            _acceptedPerSecond.Clear();
            _acceptedPartsPerSecond.Clear();
            _arrivals.Clear();
            Interlocked.Exchange(ref _messagesAccepted, 0);
            Interlocked.Exchange(ref _batchesReceived, 0);
            Interlocked.Exchange(ref _idempotentRepeats, 0);
            Interlocked.Exchange(ref _batchesRefused, 0);
            Interlocked.Exchange(ref _duplicateMessageIds, 0);
            Interlocked.Exchange(ref _receiptsPosted, 0);
            Interlocked.Exchange(ref _receiptsAbandoned, 0);
            Interlocked.Exchange(ref _throttledSubmits, 0);
            Interlocked.Exchange(ref _serverErrors, 0);
            Interlocked.Exchange(ref _timeoutsHeld, 0);
            Interlocked.Exchange(ref _earlyReceiptsPosted, 0);
            Interlocked.Exchange(ref _outOfOrderReceiptsPosted, 0);
            Interlocked.Exchange(ref _duplicateReceiptsPosted, 0);
        }
    }

    internal void RecordBatch(BatchRequest request, DateTimeOffset arrived)
    {
        var unixSecond = arrived.ToUnixTimeSeconds();
        lock (_gate)
        {
            long count = 0, parts = 0, duplicates = 0;
            foreach (var message in request.Messages)
            {
                count++;
                parts += message.Parts;
                if (!_seenMessageIds.Add(Fnv1a64(message.Id)))
                    duplicates++;
            }
            _acceptedPerSecond[unixSecond] = _acceptedPerSecond.GetValueOrDefault(unixSecond) + count;
            _acceptedPartsPerSecond[unixSecond] = _acceptedPartsPerSecond.GetValueOrDefault(unixSecond) + parts;
            if (_arrivalsKept > 0)
            {
                if (_arrivals.Count >= _arrivalsKept)
                    _arrivals.Dequeue();
                _arrivals.Enqueue(new BatchArrival(arrived.ToUnixTimeMilliseconds(), request.BatchId, (int)count, parts));
            }
            // Counters move inside the lock too, so that a snapshot never shows a batch half counted.
            Interlocked.Add(ref _messagesAccepted, count);
            Interlocked.Add(ref _duplicateMessageIds, duplicates);
            Interlocked.Increment(ref _batchesReceived);
        }
    }

    internal void RecordRepeat() => Interlocked.Increment(ref _idempotentRepeats);

    internal void RecordRefused() => Interlocked.Increment(ref _batchesRefused);

    internal void RecordReceiptsPosted(int count) => Interlocked.Add(ref _receiptsPosted, count);

    internal void RecordReceiptsAbandoned(int count) => Interlocked.Add(ref _receiptsAbandoned, count);

    internal void RecordThrottled() => Interlocked.Increment(ref _throttledSubmits);

    internal void RecordServerError() => Interlocked.Increment(ref _serverErrors);

    internal void RecordTimeoutHeld() => Interlocked.Increment(ref _timeoutsHeld);

    internal void RecordEarlyReceiptsPosted(int count) => Interlocked.Add(ref _earlyReceiptsPosted, count);

    internal void RecordOutOfOrderReceiptsPosted(int count) => Interlocked.Add(ref _outOfOrderReceiptsPosted, count);

    internal void RecordDuplicateReceiptsPosted(int count) => Interlocked.Add(ref _duplicateReceiptsPosted, count);

    // string.GetHashCode is randomised per process and only 32 bits; this one is stable and wide enough.
    private static ulong Fnv1a64(string value)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in value)
        {
            hash = (hash ^ (byte)c) * 1099511628211UL;
            hash = (hash ^ (byte)(c >> 8)) * 1099511628211UL;
        }
        return hash;
    }
}

public sealed record SimulatorStatsSnapshot(IReadOnlyDictionary<string, CarrierStatsSnapshot> Carriers);

/// <param name="ArrivalsLogged">Entries in the arrival log now; the log itself is served at <c>GET /admin/carriers/{id}/arrivals</c>.</param>
public sealed record CarrierStatsSnapshot(
    long MessagesAccepted,
    long BatchesReceived,
    long IdempotentRepeats,
    long BatchesRefused,
    long DuplicateMessageIds,
    long ReceiptsPosted,
    long ReceiptsAbandoned,
    IReadOnlyDictionary<long, long> AcceptedPerSecond,
    IReadOnlyDictionary<long, long> AcceptedPartsPerSecond,
    long ThrottledSubmits,
    long ServerErrors,
    long TimeoutsHeld,
    long EarlyReceiptsPosted,
    long OutOfOrderReceiptsPosted,
    long DuplicateReceiptsPosted,
    int ArrivalsLogged);

/// <summary>One accepted batch in a carrier's arrival log.</summary>
/// <param name="ArrivedUnixMs">When the submit arrived, unix milliseconds.</param>
/// <param name="BatchId">The request's <c>batchId</c> (Loa sends <c>&lt;campaignId&gt;-&lt;batchId&gt;</c>).</param>
/// <param name="Messages">Messages in the batch.</param>
/// <param name="Parts">SMS parts of all its messages.</param>
public sealed record BatchArrival(long ArrivedUnixMs, string BatchId, int Messages, long Parts);
