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
        Assert.Equal(0, gate.Waiting(PriorityClass.Warning));
        var urgent = gate.EnterAsync(PriorityClass.Warning, CancellationToken.None);
        Assert.Equal(1, gate.Waiting(PriorityClass.Warning));

        bulkInside.Dispose();
        var urgentPass = await urgent.WaitAsync(Patience);
        Assert.False(nextBulk.IsCompleted, "bulk went in while urgent work waited");

        urgentPass.Dispose();
        (await nextBulk.WaitAsync(Patience)).Dispose();
    }

    [Fact]
    public async Task An_emergency_goes_in_before_warnings_and_bulk_that_waited_longer()
    {
        // A national warning's backlog is at the gate when an emergency arrives: the emergency is next.
        var gate = new LaneGate();
        var inside = await gate.EnterAsync(PriorityClass.Warning, CancellationToken.None);
        var warnings = Enumerable.Range(0, 3).Select(_ => gate.EnterAsync(PriorityClass.Warning, CancellationToken.None)).ToList();
        var bulk = gate.EnterAsync(PriorityClass.Bulk, CancellationToken.None);
        var emergency = gate.EnterAsync(PriorityClass.Emergency, CancellationToken.None);

        inside.Dispose();
        var emergencyPass = await emergency.WaitAsync(Patience);
        Assert.All(warnings, w => Assert.False(w.IsCompleted, "a warning went in while an emergency waited"));

        // Then the warnings in their order, and bulk last.
        emergencyPass.Dispose();
        foreach (var warning in warnings)
        {
            var pass = await warning.WaitAsync(Patience);
            Assert.False(bulk.IsCompleted, "bulk went in while warnings waited");
            pass.Dispose();
        }
        (await bulk.WaitAsync(Patience)).Dispose();
    }

    [Fact]
    public async Task One_batch_at_a_time()
    {
        var gate = new LaneGate();
        var first = await gate.EnterAsync(PriorityClass.Warning, CancellationToken.None);
        var second = gate.EnterAsync(PriorityClass.Warning, CancellationToken.None);
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
        var givesUp = gate.EnterAsync(PriorityClass.Warning, cancel.Token);
        var bulk = gate.EnterAsync(PriorityClass.Bulk, CancellationToken.None);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => givesUp.WaitAsync(Patience));

        inside.Dispose();
        (await bulk.WaitAsync(Patience)).Dispose();
        // The gate is free again.
        (await gate.EnterAsync(PriorityClass.Bulk, CancellationToken.None).WaitAsync(Patience)).Dispose();
    }
}
