namespace Loa.CarrierAdapters.Simulators;

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
}

/// <summary>One carrier's figures. Counters only ever grow.</summary>
public sealed class CarrierSimulatorStats
{
    // Message ids are kept as 64-bit hashes: a million-recipient run stays in a few tens of MB,
    // and a false "duplicate" is about as likely as one in ten million runs.
    private readonly HashSet<ulong> _seenMessageIds = [];
    private readonly Dictionary<long, long> _acceptedPerSecond = [];
    private readonly Dictionary<long, long> _acceptedPartsPerSecond = [];
    private readonly Lock _gate = new();
    private long _messagesAccepted;
    private long _batchesReceived;
    private long _idempotentRepeats;
    private long _batchesRefused;
    private long _duplicateMessageIds;
    private long _receiptsPosted;
    private long _receiptsAbandoned;

    internal CarrierSimulatorStats()
    {
    }

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

    /// <summary>Receipts (one per message) that the receipt URL acknowledged with a 2xx.</summary>
    public long ReceiptsPosted => Interlocked.Read(ref _receiptsPosted);

    /// <summary>Receipts given up after every attempt failed, or dropped at shutdown.</summary>
    public long ReceiptsAbandoned => Interlocked.Read(ref _receiptsAbandoned);

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
                new SortedDictionary<long, long>(_acceptedPartsPerSecond));
        }
    }

    internal void RecordBatch(IEnumerable<(string Id, int Parts)> messages, long unixSecond)
    {
        lock (_gate)
        {
            long count = 0, parts = 0, duplicates = 0;
            foreach (var (id, messageParts) in messages)
            {
                count++;
                parts += messageParts;
                if (!_seenMessageIds.Add(Fnv1a64(id)))
                    duplicates++;
            }
            _acceptedPerSecond[unixSecond] = _acceptedPerSecond.GetValueOrDefault(unixSecond) + count;
            _acceptedPartsPerSecond[unixSecond] = _acceptedPartsPerSecond.GetValueOrDefault(unixSecond) + parts;
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

public sealed record CarrierStatsSnapshot(
    long MessagesAccepted,
    long BatchesReceived,
    long IdempotentRepeats,
    long BatchesRefused,
    long DuplicateMessageIds,
    long ReceiptsPosted,
    long ReceiptsAbandoned,
    IReadOnlyDictionary<long, long> AcceptedPerSecond,
    IReadOnlyDictionary<long, long> AcceptedPartsPerSecond);
