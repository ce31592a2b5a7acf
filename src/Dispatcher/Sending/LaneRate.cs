using System.Threading.RateLimiting;
using Loa.CarrierAdapters;

namespace Loa.Dispatcher.Sending;

/// <summary>
/// A lane's rate in SMS parts per second, held at the carrier's side. The lane has
/// <see cref="Limit"/> tokens; a submit takes one per part and gets them back one second after its
/// answer came (the carrier saw the parts somewhere between the call and the answer), so the parts of
/// any one-second window at the carrier never add up to more than the limit, whatever the network
/// does. Submits are also paced (the next one starts no sooner than parts / rate after the last), so
/// a second's parts are spread over the second instead of leaving in one burst, and an urgent batch
/// finds room within a fraction of a second. When the carrier throttles, tokens are held longer (the rate falls multiplicatively, and the
/// lane waits out <c>Retry-After</c>); each batch that goes through shortens the hold again
/// (the rate climbs additively back to the limit).
/// </summary>
public sealed class LaneRate : IDisposable
{
    private readonly ConcurrencyLimiter tokens;
    private readonly LaneRateSettings settings;
    private readonly TimeProvider time;
    private readonly Lock sync = new();
    private double rate;
    private DateTimeOffset pausedUntil;
    private DateTimeOffset nextStart;

    /// <param name="startsCold">
    /// Hold the whole allowance for the first second. A lane is built when its first batch arrives,
    /// which on a standby dispatcher means it just took the lane over from one that may have sent a
    /// second's worth a moment ago.
    /// </param>
    public LaneRate(int limit, LaneRateSettings settings, TimeProvider time, bool startsCold = false)
    {
        Limit = Math.Max(1, limit);
        this.settings = settings;
        this.time = time;
        rate = Limit;
        tokens = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = Limit,
            QueueLimit = Limit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        if (startsCold)
            GiveBackLater(tokens.AttemptAcquire(Limit));
    }

    /// <summary>The lane's ceiling: its share of the carrier's contracted parts per second.</summary>
    public int Limit { get; }

    /// <summary>The rate the lane allows itself now (below <see cref="Limit"/> after throttling).</summary>
    public double Current
    {
        get
        {
            lock (sync)
                return rate;
        }
    }

    /// <summary>Waits out any <c>Retry-After</c>, then until the last second's submits leave room for <paramref name="parts"/>.</summary>
    public async Task<Spend> AcquireAsync(int parts, CancellationToken cancellationToken)
    {
        await WaitOutPauseAsync(cancellationToken).ConfigureAwait(false);
        var lease = await tokens.AcquireAsync(Math.Clamp(parts, 1, Limit), cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw new InvalidOperationException("The lane's token queue refused a request; one batch at a time should never fill it.");
        }
        try
        {
            // A throttle answered while we queued for tokens pauses this submit too.
            await WaitOutPauseAsync(cancellationToken).ConfigureAwait(false);
            await PaceAsync(Math.Clamp(parts, 1, Limit), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
        return new Spend(this, lease);
    }

    /// <summary>
    /// Lets no submit start for <paramref name="hold"/> from now: the lane was just taken from another
    /// dispatcher, whose parts of the last second this process's tokens know nothing of.
    /// </summary>
    public void HoldFor(TimeSpan hold)
    {
        lock (sync)
        {
            var until = time.GetUtcNow() + hold;
            if (until > pausedUntil)
                pausedUntil = until;
        }
    }

    private async Task WaitOutPauseAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < 100; i++) // each round waits a Retry-After that was set meanwhile
        {
            TimeSpan wait;
            lock (sync)
                wait = pausedUntil - time.GetUtcNow();
            if (wait <= TimeSpan.Zero)
                return;
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PaceAsync(int parts, CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (sync)
        {
            var now = time.GetUtcNow();
            var start = nextStart > now ? nextStart : now;
            wait = start - now;
            nextStart = start + TimeSpan.FromSeconds(parts / rate);
        }
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
    }

    private void Succeeded()
    {
        lock (sync)
            rate = Math.Min(Limit, rate + Limit * settings.RecoveryStep);
    }

    private void Throttled(TimeSpan? retryAfter)
    {
        lock (sync)
        {
            rate = Math.Max(Limit * settings.Floor, rate * settings.Decrease);
            var until = time.GetUtcNow() + (retryAfter ?? TimeSpan.FromSeconds(1));
            if (until > pausedUntil)
                pausedUntil = until;
        }
    }

    /// <summary>
    /// Added to every hold. Timers fire to the millisecond at best and clocks are read to the
    /// millisecond, so a batch let through exactly one second after an answer could land 999 ms after
    /// it at the carrier, in the same one-second window: the perf rate run saw 625 parts in a sliding
    /// second at a 500 limit with quarter-second batches. Costs about 1 % of a saturated lane.
    /// </summary>
    public static readonly TimeSpan HoldMargin = TimeSpan.FromMilliseconds(10);

    private void GiveBackLater(RateLimitLease lease)
    {
        TimeSpan hold;
        lock (sync)
            hold = TimeSpan.FromSeconds(Limit / rate) + HoldMargin;
        _ = Task.Delay(hold, time).ContinueWith(
            static (_, state) => ((RateLimitLease)state!).Dispose(),
            lease, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public void Dispose() => tokens.Dispose();

    /// <summary>Tokens taken for one submit; disposing starts the hold that gives them back.</summary>
    public sealed class Spend(LaneRate owner, RateLimitLease lease) : IDisposable
    {
        private int done;

        /// <summary>The carrier took the submit: the rate climbs back toward the limit.</summary>
        public void Succeeded() => owner.Succeeded();

        /// <summary>The carrier said 429: slow down and wait <paramref name="retryAfter"/> (1 s if it said nothing).</summary>
        public void Throttled(TimeSpan? retryAfter) => owner.Throttled(retryAfter);

        /// <summary>
        /// The rate's share of a submit's outcome: a throttle slows the lane, and so does a completed submit
        /// during which the carrier asked to slow down (it took part and throttled the rest, which the adapter
        /// retried itself); any other completed submit lets the rate climb back.
        /// </summary>
        public void Answered(SubmitOutcome outcome)
        {
            switch (outcome)
            {
                case SubmitOutcome.Completed { SlowDown: true } slowed:
                    Throttled(slowed.RetryAfter);
                    break;
                case SubmitOutcome.Completed:
                    Succeeded();
                    break;
                case SubmitOutcome.Throttled throttled:
                    Throttled(throttled.RetryAfter);
                    break;
            }
        }

        // Called once the answer (or the failure) is in: the parts may have reached the carrier
        // at any moment until now, so the hold starts now, whatever happened.
        public void Dispose()
        {
            if (Interlocked.Exchange(ref done, 1) == 0)
                owner.GiveBackLater(lease);
        }
    }
}

/// <summary>How a lane reacts to throttling (<c>Loa:Dispatcher:Rate</c>).</summary>
public sealed class LaneRateSettings
{
    /// <summary>A 429 multiplies the lane's rate by this.</summary>
    public double Decrease { get; set; } = 0.5;

    /// <summary>Each accepted batch adds this share of the limit back to the rate.</summary>
    public double RecoveryStep { get; set; } = 0.05;

    /// <summary>The rate never falls below this share of the limit.</summary>
    public double Floor { get; set; } = 0.05;
}
