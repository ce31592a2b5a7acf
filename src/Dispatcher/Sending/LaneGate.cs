using Loa.Dispatcher.Bus;

namespace Loa.Dispatcher.Sending;

/// <summary>
/// Lets one batch at a time through a lane, by class: emergency, then warning, then bulk. A batch
/// already inside finishes; the next one in is the most urgent waiting, so an emergency is never
/// behind more than the one batch in its lane, whatever backlog of warnings or bulk there is.
/// </summary>
public sealed class LaneGate
{
    private readonly Lock sync = new();
    // Indexed by PriorityClass, most urgent first.
    private readonly Queue<TaskCompletionSource<IDisposable>>[] waiting =
        Enum.GetValues<PriorityClass>().Select(_ => new Queue<TaskCompletionSource<IDisposable>>()).ToArray();
    private bool busy;

    /// <summary>Batches of <paramref name="priorityClass"/> waiting at the gate (for tests and metrics).</summary>
    public int Waiting(PriorityClass priorityClass)
    {
        lock (sync)
            return waiting[(int)priorityClass].Count;
    }

    public async Task<IDisposable> EnterAsync(PriorityClass priorityClass, CancellationToken cancellationToken)
    {
        TaskCompletionSource<IDisposable> waiter;
        lock (sync)
        {
            if (!busy)
            {
                busy = true;
                return new Pass(this);
            }
            waiter = new TaskCompletionSource<IDisposable>(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting[(int)priorityClass].Enqueue(waiter);
        }
        // A cancelled waiter stays queued and Leave skips it; one handed the pass in the same
        // instant gets it and gives it back when its caller unwinds.
        await using var registration = cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken));
        return await waiter.Task.ConfigureAwait(false);
    }

    private void Leave()
    {
        lock (sync)
        {
            foreach (var queue in waiting)
            {
                while (queue.TryDequeue(out var next))
                {
                    if (next.TrySetResult(new Pass(this)))
                        return;
                }
            }
            busy = false;
        }
    }

    private sealed class Pass(LaneGate gate) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
                gate.Leave();
        }
    }
}
