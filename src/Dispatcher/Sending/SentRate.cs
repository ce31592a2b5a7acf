namespace Loa.Dispatcher.Sending;

/// <summary>
/// Parts a lane actually handed to its carrier per second, averaged over the last complete
/// seconds: what the lane achieves, beside <see cref="LaneRate.Current"/>, what it allows itself.
/// </summary>
public sealed class SentRate(TimeProvider time, int seconds = 10)
{
    // One slot more than the window: the second still filling never overwrites one being read.
    private readonly int window = Math.Max(1, seconds);
    private readonly long[] counts = new long[Math.Max(1, seconds) + 1];
    private readonly long[] stamps = new long[Math.Max(1, seconds) + 1];
    private readonly Lock sync = new();

    public void Add(long parts)
    {
        var second = Second();
        lock (sync)
        {
            var i = (int)(second % counts.Length);
            if (stamps[i] != second)
                (stamps[i], counts[i]) = (second, 0);
            counts[i] += parts;
        }
    }

    /// <summary>The current second is left out: it is still filling.</summary>
    public double PerSecond
    {
        get
        {
            var second = Second();
            long sum = 0;
            lock (sync)
            {
                for (var i = 0; i < counts.Length; i++)
                {
                    var age = second - stamps[i];
                    if (age >= 1 && age <= window)
                        sum += counts[i];
                }
            }
            return (double)sum / window;
        }
    }

    private long Second() => time.GetUtcNow().ToUnixTimeSeconds();
}
