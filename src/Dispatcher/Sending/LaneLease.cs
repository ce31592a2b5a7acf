using Loa.Dispatcher.Bus;
using Loa.Storage.Lanes;
using Microsoft.Extensions.Logging;

namespace Loa.Dispatcher.Sending;

/// <summary>
/// This process's hold on a lane among several dispatchers (see <see cref="LaneLeaseStore"/>). Only
/// quorum queues need it: there a lane's three class queues may have their active consumers in
/// different processes, each pacing the lane by its own clock. A batch is sent only while this process
/// holds the lane's lease: taken at each batch (where a process waiting with more urgent work makes
/// this one yield), renewed in the background while held, and given back once the lane has been idle
/// for a moment. Taking a lane that another process held last holds the lane's rate for a second, so
/// the two processes' parts never share a second at the carrier. In memory and on classic priority
/// queues a lane has one consumer anyway: <see cref="Unshared"/> is always held and costs nothing.
/// </summary>
public sealed class LaneLease : IDisposable
{
    /// <summary>What the old holder may have sent in the last second: the new one waits it out (plus the rate's margin).</summary>
    public static readonly TimeSpan Takeover = TimeSpan.FromSeconds(1) + LaneRate.HoldMargin;

    private readonly LaneLeaseStore? store;
    private readonly string lane;
    private readonly string holder;
    private readonly LaneRate? rate;
    private readonly LaneLeaseSettings settings;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    // Takes, renewals and releases one at a time, so that a release decided at idle never lands after a take.
    private readonly SemaphoreSlim turn = new(1, 1);
    private readonly ITimer? heartbeat;
    private readonly ITimer? idle;
    private readonly TimeSpan renewEvery;
    private long generation = -1;
    private long takeovers;
    private long heldUntilMs; // this process's own view, ending before the stored lease does
    private bool inUse;
    private long uses;
    private long idleAfterUse;

    public LaneLease(LaneLeaseStore store, string lane, string holder, LaneRate rate, LaneLeaseSettings settings, TimeProvider time, ILogger logger)
    {
        this.store = store;
        this.lane = lane;
        this.holder = holder;
        this.rate = rate;
        this.settings = settings;
        this.time = time;
        this.logger = logger;
        renewEvery = settings.Lease / 3;
        heartbeat = time.CreateTimer(_ => _ = RenewAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        idle = time.CreateTimer(_ => _ = ReleaseIfIdleAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private LaneLease()
    {
        lane = holder = "";
        settings = new LaneLeaseSettings();
        time = TimeProvider.System;
        logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>The hold of a lane that no other process reads: always held.</summary>
    public static LaneLease Unshared() => new();

    /// <summary>Times this process took the lane from another holder (for <c>loa_lane_takeovers_total</c>).</summary>
    public long Takeovers => Interlocked.Read(ref takeovers);

    /// <summary>True while this process may send on the lane (always, for an unshared lane).</summary>
    public bool Held => store is null || time.GetUtcNow().ToUnixTimeMilliseconds() < Volatile.Read(ref heldUntilMs);

    /// <summary>
    /// Waits until this process holds the lane for a batch of <paramref name="priorityClass"/>, asking
    /// again every <see cref="LaneLeaseSettings.Poll"/>; disposing the answer ends the batch's use.
    /// </summary>
    public async Task<IDisposable> HoldAsync(PriorityClass priorityClass, CancellationToken cancellationToken)
    {
        if (store is null)
            return NoUse.Instance;
        var wish = settings.Poll * 10 > TimeSpan.FromSeconds(1) ? settings.Poll * 10 : TimeSpan.FromSeconds(1);
        while (true)
        {
            await turn.WaitAsync(cancellationToken);
            try
            {
                inUse = true;
                uses++;
                // Held and nobody more urgent waits: go on without a write (the heartbeat keeps the lease).
                if (Held && await store.StillHeldAsync(lane, holder, (int)priorityClass, cancellationToken))
                    return new Use(this);
                var started = time.GetUtcNow();
                var taken = await store.TakeAsync(lane, holder, (int)priorityClass, settings.Lease, wish, cancellationToken);
                if (taken is { } g)
                {
                    HeldFrom(started);
                    if (g != generation)
                    {
                        // Another process may have sent on this lane in the last second (or this is the first take).
                        rate!.HoldFor(Takeover);
                        if (generation >= 0 || g > 1)
                        {
                            // Someone held it before (another dispatcher, or this one's previous run).
                            Interlocked.Increment(ref takeovers);
                            logger.LogInformation("Lane {Lane} taken over from another dispatcher for {Class} work; its rate waits out the last second", lane, priorityClass);
                        }
                        generation = g;
                    }
                    heartbeat!.Change(renewEvery, renewEvery);
                    return new Use(this);
                }
                inUse = false;
                Drop();
            }
            catch
            {
                // The database failed or the batch was cancelled: this batch does not use the lane, and a lease
                // still held must be given back when idle, or a process waiting for it would wait for good.
                Done();
                throw;
            }
            finally
            {
                turn.Release();
            }
            await Task.Delay(settings.Poll, time, cancellationToken);
        }
    }

    private void Done()
    {
        // Given back only after a moment of idleness: the next batch of a busy lane is usually on its way.
        inUse = false;
        Interlocked.Exchange(ref idleAfterUse, Interlocked.Read(ref uses));
        idle!.Change(settings.IdleGrace, Timeout.InfiniteTimeSpan);
    }

    // The stored lease runs Lease from a moment no earlier than started; this process stops Margin before it does.
    private void HeldFrom(DateTimeOffset started) =>
        Volatile.Write(ref heldUntilMs, (started + settings.Lease - settings.Margin).ToUnixTimeMilliseconds());

    private void Drop()
    {
        Volatile.Write(ref heldUntilMs, 0);
        heartbeat!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private async Task ReleaseIfIdleAsync()
    {
        await turn.WaitAsync();
        try
        {
            if (inUse || uses != Interlocked.Read(ref idleAfterUse) || Volatile.Read(ref heldUntilMs) == 0)
                return;
            Drop();
            await store!.ReleaseAsync(lane, holder);
        }
        catch (Exception e)
        {
            // It lapses by itself within the lease; another process waits that long at most.
            logger.LogWarning(e, "Lane {Lane}: giving its lease back failed", lane);
        }
        finally
        {
            turn.Release();
        }
    }

    private async Task RenewAsync()
    {
        // A take under way renews it anyway; a release under way ends it.
        if (!await turn.WaitAsync(0))
            return;
        try
        {
            if (Volatile.Read(ref heldUntilMs) == 0)
                return;
            var started = time.GetUtcNow();
            if (await store!.RenewAsync(lane, holder, settings.Lease))
                HeldFrom(started);
            else
            {
                Drop();
                logger.LogWarning("Lane {Lane}: its lease was taken by another dispatcher while held here; sending stops until it is taken back", lane);
            }
        }
        catch (Exception e)
        {
            // Not renewed: this process's view runs out before the stored lease does, so nothing is sent past it.
            logger.LogWarning(e, "Lane {Lane}: renewing its lease failed", lane);
        }
        finally
        {
            turn.Release();
        }
    }

    /// <summary>Stops renewing and gives the lease back, so a standby takes the lane at once rather than after the lease.</summary>
    public void Dispose()
    {
        if (store is null)
            return;
        heartbeat!.Dispose();
        idle!.Dispose();
        if (Volatile.Read(ref heldUntilMs) == 0)
            return;
        Drop();
        try
        {
            store.ReleaseAsync(lane, holder).Wait(TimeSpan.FromSeconds(5));
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Lane {Lane}: giving its lease back at shutdown failed; it lapses by itself", lane);
        }
    }

    private sealed class Use(LaneLease lease) : IDisposable
    {
        private int done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref done, 1) == 0)
                lease.Done();
        }
    }

    private sealed class NoUse : IDisposable
    {
        public static readonly NoUse Instance = new();

        public void Dispose()
        {
        }
    }
}

/// <summary>How a lane's lease among several dispatchers behaves (<c>Loa:Dispatcher:LaneLease</c>).</summary>
public sealed class LaneLeaseSettings
{
    /// <summary>A holder that stops renewing (it died) loses the lane after this; renewed every third of it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a process waiting for the lane asks again.</summary>
    public TimeSpan Poll { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>An idle lane is given back after this, so the next batch of a busy lane finds it still held.</summary>
    public TimeSpan IdleGrace { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>This process stops sending this long before its stored lease lapses (clocks of two hosts differ a little).</summary>
    public TimeSpan Margin { get; set; } = TimeSpan.FromSeconds(1);
}
