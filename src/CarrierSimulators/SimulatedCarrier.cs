using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.HttpBatch;

namespace Loa.CarrierSimulators;

/// <summary>
/// One fake carrier's memory: its idempotency store, message id counter, throttling window,
/// behaviour with its random source, and the receipts it holds back.
/// </summary>
internal sealed class SimulatedCarrier
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, byte[]> _answers = new(StringComparer.Ordinal);
    private readonly Queue<string> _answerOrder = new();
    private readonly int _idempotencyKeysKept;
    // Ids carry the run so that a restarted simulator never reuses an id that a persistent Loa
    // database already holds for an earlier delivery.
    private readonly string _idPrefix;
    private long _lastMessageNumber;
    private long _lastSequence;
    private long _windowSecond = long.MinValue;
    private long _windowParts;
    private Draws _current;

    public SimulatedCarrier(string id, string runId, int idempotencyKeysKept, int arrivalsKept, SimulatorBehaviour startup)
    {
        Id = id;
        _idPrefix = $"{id}-{runId}-";
        _idempotencyKeysKept = Math.Max(1, idempotencyKeysKept);
        Stats = new CarrierSimulatorStats(arrivalsKept);
        Startup = startup;
        _current = new Draws(startup);
    }

    public string Id { get; }

    public CarrierSimulatorStats Stats { get; }

    /// <summary>The behaviour the carrier started with (configuration), which <c>PUT</c> starts from.</summary>
    public SimulatorBehaviour Startup { get; }

    public HeldReceipts Held { get; } = new();

    /// <summary>Setting it also restarts the random draws, from the behaviour's seed if it has one.</summary>
    public SimulatorBehaviour Behaviour
    {
        get => Volatile.Read(ref _current).Behaviour;
        set => Volatile.Write(ref _current, new Draws(value));
    }

    /// <summary>The current behaviour with the random source that goes with it, to read once per batch.</summary>
    public Draws Current => Volatile.Read(ref _current);

    public bool TryGetAnswer(string idempotencyKey, out byte[] answer)
    {
        lock (_gate)
            return _answers.TryGetValue(idempotencyKey, out answer!);
    }

    /// <summary>
    /// Takes the batch unless its key was taken meanwhile (then the first answer) or it would take this
    /// second's parts above <paramref name="maxPartsPerSecond"/> (then nothing). One lock covers the key,
    /// the window and the counts, so that racing submits can neither both pass the limit nor both be taken.
    /// </summary>
    public Admission Admit(BatchRequest request, string? idempotencyKey, DateTimeOffset arrived, int maxPartsPerSecond)
    {
        var messages = request.Messages;
        long parts = 0;
        foreach (var message in messages)
            parts += message.Parts;
        var second = arrived.ToUnixTimeSeconds();

        lock (_gate)
        {
            if (idempotencyKey is not null && _answers.TryGetValue(idempotencyKey, out var earlier))
                return new Admission.Repeat(earlier);

            if (second != _windowSecond)
            {
                _windowSecond = second;
                _windowParts = 0;
            }
            if (maxPartsPerSecond > 0 && _windowParts + parts > maxPartsPerSecond)
                return new Admission.Throttled();
            _windowParts += parts;

            var results = new BatchResponseResult[messages.Count];
            var carrierIds = new string[messages.Count];
            for (var i = 0; i < messages.Count; i++)
            {
                carrierIds[i] = _idPrefix + (++_lastMessageNumber).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
                results[i] = new BatchResponseResult(messages[i].Id, "accepted", carrierIds[i], Error: null);
            }
            var answer = JsonSerializer.SerializeToUtf8Bytes(new BatchResponse(results), WireJson.Options);

            if (idempotencyKey is not null)
            {
                _answers[idempotencyKey] = answer;
                _answerOrder.Enqueue(idempotencyKey);
                while (_answerOrder.Count > _idempotencyKeysKept)
                    _answers.Remove(_answerOrder.Dequeue());
            }
            Stats.RecordBatch(request, arrived);
            return new Admission.Accepted(answer, carrierIds, ++_lastSequence);
        }
    }

    /// <summary>A behaviour and the random source its draws come from, swapped together.</summary>
    internal sealed class Draws(SimulatorBehaviour behaviour)
    {
        private readonly Random _random = behaviour.Seed is { } seed ? new Random(seed) : new Random();

        public SimulatorBehaviour Behaviour { get; } = behaviour;

        /// <summary>Random is not thread-safe; a batch's draws are made under its lock, in a fixed order.</summary>
        public T Draw<T>(Func<SimulatorBehaviour, Random, T> draw)
        {
            lock (_random)
                return draw(Behaviour, _random);
        }

        /// <summary>True with probability <paramref name="ratio"/>; draws nothing for 0 or 1.</summary>
        public static bool Chance(Random random, double ratio) =>
            ratio >= 1 || (ratio > 0 && random.NextDouble() < ratio);
    }
}

internal abstract record Admission
{
    public sealed record Accepted(byte[] Answer, string[] CarrierMessageIds, long Sequence) : Admission;

    public sealed record Repeat(byte[] Answer) : Admission;

    public sealed record Throttled : Admission;
}

/// <summary>
/// Out-of-order receipts wait here until the receipts of a later batch of the same carrier have been
/// posted (batches are numbered in the order they were accepted), or until their longest hold passes.
/// </summary>
internal sealed class HeldReceipts
{
    private readonly Lock _gate = new();
    private readonly List<(long Sequence, TaskCompletionSource Release)> _waiting = [];
    private long _postedThrough;

    public async Task WaitForLaterBatchAsync(long sequence, TimeSpan longest, TimeProvider time, CancellationToken ct)
    {
        TaskCompletionSource release;
        lock (_gate)
        {
            // A later batch may have posted before this one got here: that already puts these after it.
            if (_postedThrough > sequence)
                return;
            release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Add((sequence, release));
        }
        try
        {
            using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var timer = Task.Delay(longest, time, giveUp.Token);
            await Task.WhenAny(release.Task, timer).ConfigureAwait(false);
            await giveUp.CancelAsync().ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }
        finally
        {
            lock (_gate)
                _waiting.Remove((sequence, release));
        }
    }

    /// <summary>The receipts of batch <paramref name="sequence"/> are posted: release every earlier batch's.</summary>
    public void Posted(long sequence)
    {
        lock (_gate)
        {
            _postedThrough = Math.Max(_postedThrough, sequence);
            foreach (var (waiting, release) in _waiting)
            {
                if (waiting < sequence)
                    release.TrySetResult();
            }
        }
    }
}
