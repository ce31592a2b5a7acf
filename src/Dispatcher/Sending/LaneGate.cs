using Loa.Dispatcher.Bus;

namespace Loa.Dispatcher.Sending;

/// <summary>
/// Lets one batch at a time through a lane, urgent before bulk. A bulk batch already inside
/// finishes; the next one in is urgent whenever urgent work waits, so an emergency is never behind
/// more than one bulk batch of its lane.
/// </summary>
public sealed class LaneGate
{
    private readonly Lock sync = new();
    private readonly Queue<TaskCompletionSource<IDisposable>> urgent = new();
    private readonly Queue<TaskCompletionSource<IDisposable>> bulk = new();
    private bool busy;

    /// <summary>Urgent batches waiting at the gate: a bulk sender can look before starting its next step.</summary>
    public bool UrgentWaiting
    {
        get
        {
            lock (sync)
                return urgent.Count > 0;
        }
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
            (priorityClass == PriorityClass.Urgent ? urgent : bulk).Enqueue(waiter);
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
            while (urgent.TryDequeue(out var next) || bulk.TryDequeue(out next))
            {
                if (next.TrySetResult(new Pass(this)))
                    return;
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
