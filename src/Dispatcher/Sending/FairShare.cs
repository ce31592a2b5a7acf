namespace Loa.Dispatcher.Sending;

/// <summary>
/// Whose batch a lane sends next within one priority class, when several tenants wait (issue 19):
/// start-time fair queuing over tenants. Each tenant's tag advances by the parts it was sent divided by
/// its weight; the waiting tenant with the earliest start (its tag, or the lane's virtual time if it
/// was idle) goes first. So a province's 100k warning is interleaved with a national 10M campaign
/// launched before it, in proportion to their weights, instead of waiting behind it; and a tenant that
/// was idle starts level with the others, with no credit saved up for the time it sent nothing.
/// The tenants waiting are read from the outbox at most every <see cref="ReadEvery"/>; between reads a
/// tenant found to have nothing due in this class is left out.
/// </summary>
/// <remarks>
/// Kept in the lane's process only. A lane has one active consumer, so nothing is to be shared; after
/// a failover the new process starts every tenant level, which costs at most one round of fairness.
/// </remarks>
public sealed class FairShare(Func<string, double> weightOf, TimeProvider time)
{
    /// <summary>
    /// How stale the list of waiting tenants may be: a tenant that starts sending is served within this
    /// time, and a lane reads the outbox for it (one seek per tenant) no more often, however fast it sends.
    /// </summary>
    public static readonly TimeSpan ReadEvery = TimeSpan.FromMilliseconds(500);

    private readonly Lock sync = new();
    private readonly Dictionary<string, double> tags = new(StringComparer.Ordinal);
    private List<string> waiting = [];
    private long readAt;
    private bool read;
    private double virtualTime;

    /// <summary>True when the tenants waiting should be read again from the outbox.</summary>
    public bool Stale
    {
        get
        {
            lock (sync)
                return !read || time.GetElapsedTime(readAt) >= ReadEvery;
        }
    }

    /// <summary>Tenants believed to be waiting in this class (for tests and the fast path of a lane with one).</summary>
    public int Waiting
    {
        get
        {
            lock (sync)
                return waiting.Count;
        }
    }

    /// <summary>What the outbox says is waiting now.</summary>
    public void Read(IEnumerable<string> tenants)
    {
        lock (sync)
        {
            waiting = tenants.Distinct(StringComparer.Ordinal).ToList();
            readAt = time.GetTimestamp();
            read = true;
        }
    }

    /// <summary>The waiting tenants in the order to try them: earliest virtual start first, ties by name so that the order is stable.</summary>
    public IReadOnlyList<string> Order()
    {
        lock (sync)
            return waiting.OrderBy(Start).ThenBy(t => t, StringComparer.Ordinal).ToList();
    }

    /// <summary>The tenant has nothing due in this class: not asked again until the next read.</summary>
    public void Drained(string tenant)
    {
        lock (sync)
            waiting.Remove(tenant);
    }

    /// <summary>A batch of <paramref name="tenant"/> went to the carrier with <paramref name="parts"/> parts.</summary>
    public void Served(string tenant, long parts)
    {
        lock (sync)
        {
            var start = Start(tenant);
            tags[tenant] = start + Math.Max(0, parts) / Weight(tenant);
            virtualTime = start;
        }
    }

    /// <summary>The tenant's weight: a configured positive number, else 1.</summary>
    public double Weight(string tenant) => weightOf(tenant) is > 0 and var w && double.IsFinite(w) ? w : 1;

    private double Start(string tenant) => Math.Max(tags.GetValueOrDefault(tenant), virtualTime);
}
