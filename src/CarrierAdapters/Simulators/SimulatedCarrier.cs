using System.Collections.Concurrent;
using System.Text.Json;
using Loa.CarrierAdapters.HttpBatch;

namespace Loa.CarrierAdapters.Simulators;

/// <summary>One fake carrier's memory: its idempotency store, its message id counter, its behaviour.</summary>
internal sealed class SimulatedCarrier(string id, string runId, int idempotencyKeysKept, SimulatorBehaviour behaviour)
{
    private readonly ConcurrentDictionary<string, Task<byte[]>> _answers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _answerOrder = new();
    // Ids carry the run so that a restarted simulator never reuses an id that a persistent Loa
    // database already holds for an earlier delivery.
    private readonly string _idPrefix = $"{id}-{runId}-";
    private long _lastMessageNumber;
    private SimulatorBehaviour _behaviour = behaviour;

    public string Id { get; } = id;

    public CarrierSimulatorStats Stats { get; } = new();

    public SimulatorBehaviour Behaviour
    {
        get => Volatile.Read(ref _behaviour);
        set => Volatile.Write(ref _behaviour, value);
    }

    public bool TryGetAnswer(string idempotencyKey, out Task<byte[]> answer) =>
        _answers.TryGetValue(idempotencyKey, out answer!);

    /// <summary>
    /// Claims the key for <paramref name="mine"/>; if a concurrent submit got there first, returns its answer instead,
    /// so two racing repeats still make one batch.
    /// </summary>
    public Task<byte[]>? Claim(string idempotencyKey, Task<byte[]> mine)
    {
        var winner = _answers.GetOrAdd(idempotencyKey, mine);
        if (winner != mine)
            return winner;
        _answerOrder.Enqueue(idempotencyKey);
        while (_answerOrder.Count > idempotencyKeysKept && _answerOrder.TryDequeue(out var oldest))
            _answers.TryRemove(oldest, out _);
        return null;
    }

    public void Forget(string idempotencyKey) => _answers.TryRemove(idempotencyKey, out _);

    /// <summary>Accepts every message: assigns carrier message ids, counts, and renders the 200 answer.</summary>
    public (byte[] Answer, string[] CarrierMessageIds) Accept(BatchRequest request, long unixSecond)
    {
        var messages = request.Messages;
        var results = new BatchResponseResult[messages.Count];
        var carrierIds = new string[messages.Count];
        var first = Interlocked.Add(ref _lastMessageNumber, messages.Count) - messages.Count + 1;
        for (var i = 0; i < messages.Count; i++)
        {
            carrierIds[i] = _idPrefix + (first + i).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
            results[i] = new BatchResponseResult(messages[i].Id, "accepted", carrierIds[i], Error: null);
        }
        Stats.RecordBatch(messages.Select(m => (m.Id, m.Parts)), unixSecond);
        return (JsonSerializer.SerializeToUtf8Bytes(new BatchResponse(results), WireJson.Options), carrierIds);
    }
}
