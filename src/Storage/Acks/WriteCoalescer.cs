namespace Loa.Storage.Acks;

/// <summary>
/// Group commit: items handed in while a write turn is running wait for the next one, which takes them
/// all (up to <c>maxPerTurn</c>) in the order they came. Each caller is answered when the turn holding its
/// item has committed, so an answer still means "written". One turn at a time per instance.
/// </summary>
internal sealed class WriteCoalescer<TItem, TResult>(Func<IReadOnlyList<TItem>, Task<TResult[]>> writeTurn, int maxPerTurn)
{
    private readonly Lock _lock = new();
    private List<Pending> _queue = [];
    private bool _writing;

    /// <summary>
    /// Writes <paramref name="item"/> in the next turn. Cancelling stops the wait, not the write: the item
    /// may share a turn with others' and is written all the same.
    /// </summary>
    public Task<TResult> WriteAsync(TItem item, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(item);
        bool start;
        lock (_lock)
        {
            _queue.Add(pending);
            start = !_writing;
            _writing = true;
        }
        if (start)
            _ = Task.Run(DrainAsync, CancellationToken.None);
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            List<Pending> turn;
            lock (_lock)
            {
                if (_queue.Count == 0)
                {
                    _writing = false;
                    return;
                }
                if (_queue.Count <= maxPerTurn)
                {
                    turn = _queue;
                    _queue = [];
                }
                else
                {
                    turn = _queue.GetRange(0, maxPerTurn);
                    _queue.RemoveRange(0, maxPerTurn);
                }
            }
            await WriteAsync(turn);
        }
    }

    private async Task WriteAsync(List<Pending> turn)
    {
        try
        {
            var results = await writeTurn(turn.ConvertAll(p => p.Item));
            for (var i = 0; i < turn.Count; i++)
                turn[i].Done.TrySetResult(results[i]);
            return;
        }
        catch (Exception ex) when (turn.Count == 1)
        {
            turn[0].Done.TrySetException(ex);
            return;
        }
        catch (Exception)
        {
            // One bad item must not fail the others that happened to share its turn: each is written alone,
            // and a failure reaches the callers whose own write fails.
        }
        foreach (var pending in turn)
            await WriteAsync([pending]);
    }

    private sealed class Pending(TItem item)
    {
        public TItem Item { get; } = item;

        // Answered off the writer's loop, so a caller's continuation never holds up the next turn.
        public TaskCompletionSource<TResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
