using System.Collections.Concurrent;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>
/// A message in N parts gets N receipts, one per part id, while Loa knows it by its first part's id.
/// This keeps, in memory, each multi-part message this process submitted (part ids → the message) and
/// turns its receipts into one: failed as soon as a part fails, expires or is rejected; delivered once
/// every part is. Entries are forgotten after <see cref="SmppOptions.ReceiptHoldHours"/> or beyond
/// <see cref="SmppOptions.ReceiptHoldParts"/> part ids, oldest first; a receipt for an id not held here
/// (single part, forgotten, or submitted before a restart) goes on as it came, so after a restart the
/// first part's receipt decides the message.
/// </summary>
internal sealed class SmppPartReceipts(TimeSpan hold, int maxParts, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (Group Group, int Number)> _parts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<(string Key, Group Group, DateTimeOffset At)> _order = new();

    public int Held => _parts.Count;

    public static Group Start(int total) => new(total);

    /// <summary>A part was taken under this id; called as its submit_sm_resp is read, before its receipt can be.</summary>
    public void Taken(Group group, int number, string messageId)
    {
        group.Taken(number, messageId);
        var now = time.GetUtcNow();
        // Indexed under every reading of the id, as a receipt may write a hex id in decimal.
        foreach (var key in SmppMessageId.Candidates(messageId))
        {
            if (_parts.TryAdd(key, (group, number)))
                _order.Enqueue((key, group, now));
        }
        Forget(now);
    }

    /// <returns>False when the id is not a part held here: the receipt goes on as it came.</returns>
    /// <param name="whole">The one receipt to forward for the whole message; null while the other parts are awaited or once it went.</param>
    public bool TryReceive(string messageId, string verdict, string? error, out CarrierReceipt? whole)
    {
        foreach (var key in SmppMessageId.Candidates(messageId))
        {
            if (_parts.TryGetValue(key, out var part))
            {
                whole = part.Group.Receive(part.Number, verdict, error);
                return true;
            }
        }
        whole = null;
        return false;
    }

    private void Forget(DateTimeOffset now)
    {
        while (_order.TryPeek(out var oldest) && (_order.Count > maxParts || now - oldest.At > hold))
        {
            if (_order.TryDequeue(out oldest) && _parts.TryGetValue(oldest.Key, out var held) && ReferenceEquals(held.Group, oldest.Group))
                _parts.TryRemove(oldest.Key, out _);
        }
    }

    internal sealed class Group(int total)
    {
        private readonly Lock _gate = new();
        private readonly string?[] _ids = new string?[total];
        private readonly string?[] _verdicts = new string?[total];
        private (int Number, string Verdict, string? Error)? _failure;
        private bool _forwarded;

        public void Taken(int number, string messageId)
        {
            lock (_gate)
                _ids[number - 1] = messageId;
        }

        public CarrierReceipt? Receive(int number, string verdict, string? error)
        {
            lock (_gate)
            {
                if (_forwarded)
                    return null; // the message's fate went on already; a later part changes nothing
                _verdicts[number - 1] = verdict;
                if (verdict != "delivered")
                    _failure ??= (number, verdict, error);
                if (_ids[0] is not { } first)
                    return null; // the first part's answer is not read yet: its own receipt will settle it
                if (_failure is { } failed)
                {
                    _forwarded = true;
                    return new CarrierReceipt(first, failed.Verdict, $"part {failed.Number}/{_ids.Length}: {failed.Error ?? failed.Verdict}", At: null);
                }
                if (_verdicts.All(v => v == "delivered"))
                {
                    _forwarded = true;
                    return new CarrierReceipt(first, "delivered", null, At: null);
                }
                return null;
            }
        }
    }
}
