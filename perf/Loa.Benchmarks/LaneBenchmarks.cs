using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using Loa.Dispatcher.Bus;
using Loa.Dispatcher.Sending;

namespace Loa.Benchmarks;

/// <summary>
/// A send lane's per-batch overhead: the token bucket (LaneRate, public) taken and given back, the
/// bare System.Threading.RateLimiting limiter configured as LaneRate configures it, and the lane gate.
/// The limit is set so high that nothing ever waits: these are costs, not rates.
/// </summary>
[MemoryDiagnoser]
public class LaneBenchmarks
{
    private LaneRate rate = null!;
    private ConcurrencyLimiter limiter = null!;
    private LaneGate gate = null!;

    [GlobalSetup]
    public void Setup()
    {
        rate = new LaneRate(int.MaxValue / 2, new LaneRateSettings(), TimeProvider.System);
        limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = int.MaxValue / 2,
            QueueLimit = int.MaxValue / 2,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        gate = new LaneGate();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        rate.Dispose();
        limiter.Dispose();
    }

    /// <summary>One batch's tokens: wait out a pause, acquire, pace, and start the one-second hold that gives them back.</summary>
    [Benchmark]
    public async Task LaneRateAcquireAndRelease()
    {
        using var spend = await rate.AcquireAsync(500, CancellationToken.None);
        spend.Succeeded();
    }

    /// <summary>The limiter underneath, acquire and release at once (LaneRate holds the release for a second on a timer).</summary>
    [Benchmark]
    public async Task ConcurrencyLimiterAcquireRelease()
    {
        using var lease = await limiter.AcquireAsync(500);
    }

    [Benchmark]
    public async Task LaneGateEnterLeave()
    {
        using var pass = await gate.EnterAsync(PriorityClass.Bulk, CancellationToken.None);
    }
}
