using Dapper;

namespace Loa.Storage.Batches;

/// <summary>
/// The send lane's view of the outbox as one queue per tenant, for its fair share of the carrier
/// (issue 19): which tenants have batches waiting for a carrier, and one tenant's next batch. Both are
/// index seeks on <c>ix_batches_lane_tenant</c> (pending batches only), so a national campaign of a
/// million rows costs a seek like a province's hundred; nothing here counts rows. The claim itself
/// stays <see cref="BatchLedger.ClaimAsync"/>, so a batch found here and taken by another lane meanwhile
/// is simply not claimed.
/// </summary>
public sealed class TenantQueues(Database database, TimeProvider time)
{
    /// <summary>More than Vietnam has tenants (national and 34 provinces): a bound, not a limit that bites.</summary>
    public const int MostTenants = 128;

    // A loose index scan, one seek per tenant: SQL Server has no skip scan and SQLite's needs
    // statistics, so DISTINCT would walk every pending batch of the carrier.
    private const string FirstTenant = "SELECT MIN(tenant) FROM batches WHERE status = 'pending' AND carrier = @carrier";

    private const string TenantAfter = "SELECT MIN(tenant) FROM batches WHERE status = 'pending' AND carrier = @carrier AND tenant > @after";

    // In the order the lane's own queue would hand them out: lower priority first (awareness before
    // test in the bulk class), then oldest. A retry not due yet is skipped, as the sweeper skips it;
    // "id % @lanes" keeps a carrier split in k lanes to its own slice (Bus/BusTopology.LaneOf).
    private static readonly Sql Next = new(
        Sqlite: """
            SELECT id FROM batches
            WHERE status = 'pending' AND carrier = @carrier AND tenant = @tenant AND priority BETWEEN @first AND @last
              AND (next_attempt_at IS NULL OR next_attempt_at <= @now) AND id % @lanes = @lane
            ORDER BY priority, id LIMIT 1
            """,
        SqlServer: """
            SELECT TOP (1) id FROM batches
            WHERE status = 'pending' AND carrier = @carrier AND tenant = @tenant AND priority BETWEEN @first AND @last
              AND (next_attempt_at IS NULL OR next_attempt_at <= @now) AND id % @lanes = @lane
            ORDER BY priority, id
            """);

    /// <summary>The tenants with at least one pending batch for <paramref name="carrier"/>, due or not, of any priority.</summary>
    public async Task<IReadOnlyList<string>> WaitingAsync(string carrier, CancellationToken cancellationToken = default)
    {
        var tenants = new List<string>();
        await using var connection = await database.OpenAsync(cancellationToken);
        var tenant = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(FirstTenant, new { carrier }, cancellationToken: cancellationToken));
        while (tenant is not null && tenants.Count < MostTenants)
        {
            tenants.Add(tenant);
            tenant = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(TenantAfter, new { carrier, after = tenant }, cancellationToken: cancellationToken));
        }
        return tenants;
    }

    /// <summary>
    /// The next due batch of <paramref name="tenant"/> for lane <paramref name="lane"/> of <paramref name="lanes"/>
    /// of <paramref name="carrier"/>, with a priority from <paramref name="first"/> to <paramref name="last"/>; null when it has none.
    /// </summary>
    public async Task<long?> NextAsync(string carrier, string tenant, int first, int last, int lane, int lanes, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(database.Text(Next),
            new { carrier, tenant, first, last, lane, lanes = Math.Max(1, lanes), now = time.Ms() }, cancellationToken: cancellationToken));
    }
}
