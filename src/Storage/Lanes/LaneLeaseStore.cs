using System.Collections.Concurrent;
using Dapper;

namespace Loa.Storage.Lanes;

/// <summary>
/// Which dispatcher process sends on a lane (issue 18). On quorum queues a lane's three class queues
/// each have their own single active consumer, and those can land in different processes; each
/// process paces the lane by its own clock, so two of them would together send up to twice the
/// lane's rate. The process that sends holds the lane's lease: it renews it while it works and gives
/// it back when idle; another process takes it only once it is given back or has lapsed (the holder
/// died), and a process waiting with more urgent work than the holder's makes the holder yield at
/// its next batch. A row per lane, made on first use; every change is one guarded UPDATE.
/// </summary>
public sealed class LaneLeaseStore(Database database, TimeProvider time)
{
    // Lanes whose row this process has seen made: a take at every batch then costs one statement.
    private readonly ConcurrentDictionary<string, bool> made = new(StringComparer.Ordinal);

    private static readonly Sql EnsureRow = new(
        Sqlite: """
            INSERT INTO lane_leases (lane, holder, until_at, generation, wanted, wanted_by, wanted_until)
            VALUES (@lane, '', 0, 0, NULL, NULL, 0) ON CONFLICT (lane) DO NOTHING
            """,
        SqlServer: """
            IF NOT EXISTS (SELECT 1 FROM lane_leases WHERE lane = @lane)
                INSERT INTO lane_leases (lane, holder, until_at, generation, wanted, wanted_by, wanted_until)
                VALUES (@lane, '', 0, 0, NULL, NULL, 0)
            """);

    // Taken when it is ours (held or given back by us) or free (given back or lapsed), unless another
    // process waits with more urgent work than ours. The generation moves only when the holder changes:
    // that is when the new holder's rate must assume the old one spent the last second.
    private const string TakeSet = """
        SET generation = CASE WHEN holder = @holder THEN generation ELSE generation + 1 END,
            holder = @holder,
            until_at = @until,
            wanted = CASE WHEN wanted_by = @holder THEN NULL ELSE wanted END,
            wanted_by = CASE WHEN wanted_by = @holder THEN NULL ELSE wanted_by END
        """;

    private const string NoUrgentWish = "(wanted_by IS NULL OR wanted_by = @holder OR wanted_until < @now OR wanted >= @class)";

    private const string TakeWhere = $"""
        WHERE lane = @lane
          AND (holder = @holder OR until_at < @now)
          AND {NoUrgentWish}
        """;

    private static readonly Sql Take = new(
        Sqlite: $"UPDATE lane_leases {TakeSet} {TakeWhere} RETURNING generation",
        SqlServer: $"UPDATE lane_leases {TakeSet} OUTPUT inserted.generation {TakeWhere}");

    // Not taken: a holder that was asked to yield gives the lease back, and the waiter's wish is
    // recorded unless a live, more urgent one of another process is already there.
    private const string WishFits = "(wanted_by IS NULL OR wanted_by = @holder OR wanted_until < @now OR @class < wanted)";

    private static readonly string Wait = $"""
        UPDATE lane_leases SET
            until_at = CASE WHEN holder = @holder THEN 0 ELSE until_at END,
            wanted = CASE WHEN {WishFits} THEN @class ELSE wanted END,
            wanted_by = CASE WHEN {WishFits} THEN @holder ELSE wanted_by END,
            wanted_until = CASE WHEN {WishFits} THEN @wishUntil ELSE wanted_until END
        WHERE lane = @lane
        """;

    /// <summary>
    /// Takes or keeps <paramref name="lane"/> for <paramref name="holder"/>, which has work of class
    /// <paramref name="priorityClass"/> (0 most urgent) to send, for <paramref name="leaseFor"/>.
    /// Returns the lease's generation, or null when another process holds it or waits with more
    /// urgent work; then the wish is on record for <paramref name="wishFor"/>, and a holder that had
    /// to yield has given the lease back.
    /// </summary>
    public async Task<long?> TakeAsync(string lane, string holder, int priorityClass, TimeSpan leaseFor, TimeSpan wishFor, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        var args = new
        {
            lane, holder, @class = priorityClass, now,
            until = now + (long)leaseFor.TotalMilliseconds,
            wishUntil = now + (long)wishFor.TotalMilliseconds,
        };
        var taken = await database.WriteAsync(async (connection, transaction) =>
        {
            if (!made.ContainsKey(lane))
            {
                try
                {
                    await connection.ExecuteAsync(database.Text(EnsureRow), args, transaction);
                }
                catch (Exception e) when (Database.IsUniqueViolation(e))
                {
                    // Another process made the row between our look and our insert (SQL Server): it is there.
                }
            }
            var generation = await connection.QuerySingleOrDefaultAsync<long?>(database.Text(Take), args, transaction);
            if (generation is null)
                await connection.ExecuteAsync(Wait, args, transaction);
            return generation;
        }, cancellationToken);
        made[lane] = true; // only once committed: a rolled-back insert must be tried again
        return taken;
    }

    /// <summary>
    /// True when <paramref name="holder"/> holds the lease now and no other process waits with work more
    /// urgent than <paramref name="priorityClass"/>: the holder's next batch may go without a write (the
    /// heartbeat renews the lease). A read only, so the holder of a busy lane does not queue for the
    /// database's write lock once per batch; any other answer sends the caller to <see cref="TakeAsync"/>.
    /// </summary>
    public async Task<bool> StillHeldAsync(string lane, string holder, int priorityClass, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            $"SELECT 1 FROM lane_leases WHERE lane = @lane AND holder = @holder AND until_at >= @now AND {NoUrgentWish}",
            new { lane, holder, @class = priorityClass, now = time.Ms() }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Keeps a held lease for another <paramref name="leaseFor"/>; false when it is no longer this holder's.</summary>
    public async Task<bool> RenewAsync(string lane, string holder, TimeSpan leaseFor, CancellationToken cancellationToken = default)
    {
        var until = time.Ms() + (long)leaseFor.TotalMilliseconds;
        return await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(
            "UPDATE lane_leases SET until_at = @until WHERE lane = @lane AND holder = @holder AND until_at > 0",
            new { lane, holder, until }, transaction), cancellationToken) == 1;
    }

    /// <summary>Gives the lease back at once; the holder stays on record, so taking it again moves no generation if no one took it meanwhile.</summary>
    public async Task ReleaseAsync(string lane, string holder, CancellationToken cancellationToken = default) =>
        await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(
            "UPDATE lane_leases SET until_at = 0 WHERE lane = @lane AND holder = @holder",
            new { lane, holder }, transaction), cancellationToken);
}
