using Loa.Dispatcher.Sending;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Dispatcher.Tests.Sending;

/// <summary>
/// The lane's order between tenants of one class (<see cref="FairShare"/>): shares by weight, no credit
/// for idle time, and a list of who waits that is read again only when stale.
/// </summary>
public sealed class FairShareTests
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-11-23T08:00:00Z"));

    /// <summary>Turns of a saturated lane: each goes to the first tenant in order, who sends <paramref name="parts"/>.</summary>
    private static Dictionary<string, long> Serve(FairShare share, int turns, Func<string, long> parts)
    {
        var sent = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < turns; i++)
        {
            var tenant = share.Order()[0];
            share.Served(tenant, parts(tenant));
            sent[tenant] = sent.GetValueOrDefault(tenant) + parts(tenant);
        }
        return sent;
    }

    [Fact]
    public void Two_tenants_of_equal_weight_alternate_from_the_first_turn()
    {
        var share = new FairShare(_ => 1, time);
        share.Read(["national", "01"]);

        var order = Enumerable.Range(0, 6).Select(_ =>
        {
            var tenant = share.Order()[0];
            share.Served(tenant, 50);
            return tenant;
        }).ToList();

        Assert.Equal(["01", "national", "01", "national", "01", "national"], order);
    }

    [Fact]
    public void Weights_two_to_one_give_two_thirds_of_the_parts_even_with_batches_of_different_sizes()
    {
        var share = new FairShare(t => t == "national" ? 2 : 1, time);
        share.Read(["national", "01"]);

        // The province's batches are a third of the size of the national ones: fairness is by parts, not batches.
        var sent = Serve(share, 4_000, t => t == "national" ? 150 : 50);

        var nationalShare = (double)sent["national"] / (sent["national"] + sent["01"]);
        Assert.InRange(nationalShare, 2.0 / 3 - 0.01, 2.0 / 3 + 0.01);
    }

    [Fact]
    public void A_tenant_that_starts_late_shares_from_then_on_and_gets_no_credit_for_its_idle_time()
    {
        var share = new FairShare(_ => 1, time);
        share.Read(["national"]);
        Serve(share, 1_000, _ => 50); // the national campaign alone on the lane for a while

        share.Read(["national", "79"]);
        var sent = Serve(share, 100, _ => 50);

        // Level from its first turn: half each within a batch, not the next thousand turns to the newcomer.
        Assert.InRange(sent["79"], 49 * 50, 51 * 50);
        Assert.InRange(sent["national"], 49 * 50, 51 * 50);
    }

    [Fact]
    public void A_drained_tenant_is_left_out_until_the_waiting_list_is_read_again()
    {
        var share = new FairShare(_ => 1, time);
        Assert.True(share.Stale);
        share.Read(["national", "01", "01"]);
        Assert.False(share.Stale);
        Assert.Equal(2, share.Waiting);

        share.Drained("01");
        Assert.Equal(["national"], share.Order());

        time.Advance(FairShare.ReadEvery - TimeSpan.FromMilliseconds(1));
        Assert.False(share.Stale);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(share.Stale);
        share.Read(["national", "01"]);
        Assert.Equal(2, share.Order().Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_weight_that_is_not_a_positive_number_counts_as_one(double configured)
    {
        var share = new FairShare(t => t == "01" ? configured : 1, time);

        Assert.Equal(1, share.Weight("01"));
    }
}
