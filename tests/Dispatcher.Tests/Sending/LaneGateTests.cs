using Loa.Dispatcher.Bus;
using Loa.Dispatcher.Sending;

namespace Loa.Dispatcher.Tests.Sending;

public sealed class LaneGateTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Urgent_work_goes_in_before_bulk_work_that_waited_longer()
    {
        var gate = new LaneGate();
        var bulkInside = await gate.EnterAsync(PriorityClass.Bulk, CancellationToken.None);
        var nextBulk = gate.EnterAsync(PriorityClass.Bulk, CancellationToken.None);
        Assert.False(gate.UrgentWaiting);
        var urgent = gate.EnterAsync(PriorityClass.Urgent, CancellationToken.None);
        Assert.True(gate.UrgentWaiting);

        bulkInside.Dispose();
        var urgentPass = await urgent.WaitAsync(Patience);
        Assert.False(nextBulk.IsCompleted, "bulk went in while urgent work waited");

        urgentPass.Dispose();
        (await nextBulk.WaitAsync(Patience)).Dispose();
    }

    [Fact]
    public async Task One_batch_at_a_time()
    {
        var gate = new LaneGate();
        var first = await gate.EnterAsync(PriorityClass.Urgent, CancellationToken.None);
        var second = gate.EnterAsync(PriorityClass.Urgent, CancellationToken.None);
        await Task.WhenAny(second, Task.Delay(100));
        Assert.False(second.IsCompleted);
        first.Dispose();
        first.Dispose(); // a second dispose must not let a third batch in
        var secondPass = await second.WaitAsync(Patience);
        var third = gate.EnterAsync(PriorityClass.Bulk, CancellationToken.None);
        await Task.WhenAny(third, Task.Delay(100));
        Assert.False(third.IsCompleted);
        secondPass.Dispose();
        (await third.WaitAsync(Patience)).Dispose();
    }

    [Fact]
    public async Task A_waiter_that_gave_up_is_skipped()
    {
        var gate = new LaneGate();
        var inside = await gate.EnterAsync(PriorityClass.Bulk, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var givesUp = gate.EnterAsync(PriorityClass.Urgent, cancel.Token);
        var bulk = gate.EnterAsync(PriorityClass.Bulk, CancellationToken.None);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => givesUp.WaitAsync(Patience));

        inside.Dispose();
        (await bulk.WaitAsync(Patience)).Dispose();
        // The gate is free again.
        (await gate.EnterAsync(PriorityClass.Bulk, CancellationToken.None).WaitAsync(Patience)).Dispose();
    }
}
