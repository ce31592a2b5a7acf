using System.Data.Common;
using System.Diagnostics;
using Loa.Storage;
using Microsoft.Data.Sqlite;

namespace Loa.Storage.Tests;

/// <summary>
/// The SQLite write gate (issue 7) on real files: writers of one process take turns asynchronously
/// instead of sleeping on the busy timeout, and every way a transaction ends gives the turn back.
/// "Held" is observed from outside: another writer's short, cancellable wait for its turn.
/// </summary>
public sealed class WriteGateTests : IDisposable
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    private readonly string directory = Path.Combine(Path.GetTempPath(), "loa-gate-" + Guid.NewGuid().ToString("n"));
    private readonly Database database;

    public WriteGateTests()
    {
        Directory.CreateDirectory(directory);
        database = Open(Path.Combine(directory, "loa.db"));
        using var connection = new SqliteConnection(database.ConnectionString);
        connection.Open();
        using var create = connection.CreateCommand();
        create.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE rows (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);";
        create.ExecuteNonQuery();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Fifty_concurrent_write_transactions_all_commit_in_turn_without_starving_the_thread_pool()
    {
        const int writers = 50;
        var inside = 0;
        var mostInside = 0;
        var probeWorst = TimeSpan.Zero;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // A probe of the pool's responsiveness while the writers queue: with sleeping writers, a
        // work item waits for a thread to be injected; with awaiting writers, it runs at once.
        var probing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.StartNew();
                await Task.Run(() => { });
                if (started.Elapsed > probeWorst)
                    probeWorst = started.Elapsed;
                await Task.Delay(20);
            }
        });

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(i => Task.Run(async () =>
        {
            await using var connection = await database.OpenAsync(stop.Token);
            await using var transaction = await Database.BeginWriteAsync(connection, stop.Token);
            var now = Interlocked.Increment(ref inside);
            InterlockedMax(ref mostInside, now);
            await using (var command = Command(connection, transaction, "INSERT INTO rows (n) SELECT COUNT(*) FROM rows"))
                await command.ExecuteNonQueryAsync(stop.Token);
            await Task.Delay(10, stop.Token); // holds the lock across an await, as a store does between statements
            Interlocked.Decrement(ref inside);
            await transaction.CommitAsync(stop.Token);
        }, stop.Token)));
        clock.Stop();
        await stop.CancelAsync();
        await probing;

        Assert.Equal(1, mostInside); // one writer at a time, all of them from this process
        Assert.Equal(writers, await CountAsync());
        // Each writer saw all the earlier commits: n runs 0..49 with no gap or repeat.
        Assert.Equal(Enumerable.Range(0, writers).Select(i => (long)i), await ColumnAsync("SELECT n FROM rows ORDER BY n"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"50 writers took {clock.Elapsed}");
        Assert.True(probeWorst < TimeSpan.FromSeconds(2), $"a thread-pool work item waited {probeWorst} for a thread");
    }

    [Fact]
    public async Task Writers_waiting_for_their_turn_hold_no_thread()
    {
        await using var holder = await database.OpenAsync();
        await using var held = await Database.BeginWriteAsync(holder);
        var threadsBefore = ThreadPool.ThreadCount;

        var waiters = new List<(DbConnection Connection, Task<DbTransaction> Turn)>();
        for (var i = 0; i < 40; i++)
        {
            var connection = await database.OpenAsync();
            waiters.Add((connection, Database.BeginWriteAsync(connection)));
        }
        await Task.Delay(Short);
        Assert.All(waiters, w => Assert.False(w.Turn.IsCompleted)); // queued, not failed, not run
        // Forty blocked threads would have made the pool grow by tens; awaiting writers need none.
        Assert.True(ThreadPool.ThreadCount < threadsBefore + 20, $"pool grew from {threadsBefore} to {ThreadPool.ThreadCount} threads");

        await held.CommitAsync();
        foreach (var (connection, turn) in waiters)
        {
            await using var transaction = await turn.WaitAsync(Generous);
            await transaction.CommitAsync();
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task Commit_gives_the_turn_back()
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await Database.BeginWriteAsync(connection);
        await AssertHeldAsync();
        await transaction.CommitAsync();
        await AssertFreeAsync();
    }

    [Fact]
    public async Task Rollback_gives_the_turn_back()
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await Database.BeginWriteAsync(connection);
        await using (var command = Command(connection, transaction, "INSERT INTO rows (n) VALUES (1)"))
            await command.ExecuteNonQueryAsync();
        await transaction.RollbackAsync();
        await AssertFreeAsync();
        Assert.Equal(0, await CountAsync());
    }

    [Fact]
    public async Task Disposing_a_transaction_that_was_not_committed_gives_the_turn_back()
    {
        await using (var connection = await database.OpenAsync())
        {
            await using (var transaction = await Database.BeginWriteAsync(connection))
            {
                await using var command = Command(connection, transaction, "INSERT INTO rows (n) VALUES (1)");
                await command.ExecuteNonQueryAsync();
            }
            await AssertFreeAsync(); // the connection is still open: the transaction alone gave it back
        }
        Assert.Equal(0, await CountAsync());
    }

    [Fact]
    public async Task Closing_the_connection_of_a_transaction_left_open_gives_the_turn_back()
    {
        var connection = await database.OpenAsync();
        var transaction = await Database.BeginWriteAsync(connection);
        await AssertHeldAsync();
        await connection.DisposeAsync();
        await AssertFreeAsync();
        GC.KeepAlive(transaction);
    }

    [Fact]
    public async Task An_exception_inside_the_transaction_gives_the_turn_back()
    {
        await Assert.ThrowsAsync<SqliteException>(async () =>
        {
            await using var connection = await database.OpenAsync();
            await using var transaction = await Database.BeginWriteAsync(connection);
            await using var command = Command(connection, transaction, "INSERT INTO no_such_table VALUES (1)");
            await command.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        });
        await AssertFreeAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var connection = await database.OpenAsync();
            await using var transaction = await Database.BeginWriteAsync(connection);
            throw new InvalidOperationException("the store's own code failed mid-transaction");
        });
        await AssertFreeAsync();
    }

    [Fact]
    public async Task A_cancelled_wait_does_not_keep_the_turn()
    {
        await using (var connection = await database.OpenAsync())
        await using (var transaction = await Database.BeginWriteAsync(connection))
        {
            // Cancelled while waiting behind the holder.
            await using var waiter = await database.OpenAsync();
            using var cancel = new CancellationTokenSource(Short);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Database.BeginWriteAsync(waiter, cancel.Token));

            // Cancelled before it even asked.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Database.BeginWriteAsync(waiter, new CancellationToken(true)));
            await transaction.CommitAsync();
        }
        await AssertFreeAsync();
        // And the turn is not given twice: one holder again excludes the next.
        await using var again = await database.OpenAsync();
        await using var second = await Database.BeginWriteAsync(again);
        await AssertHeldAsync();
    }

    [Fact]
    public async Task A_commit_cancelled_before_it_runs_still_gives_the_turn_back_on_dispose()
    {
        await using (var connection = await database.OpenAsync())
        await using (var transaction = await Database.BeginWriteAsync(connection))
        {
            await using (var command = Command(connection, transaction, "INSERT INTO rows (n) VALUES (1)"))
                await command.ExecuteNonQueryAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => transaction.CommitAsync(new CancellationToken(true)));
        }
        await AssertFreeAsync();
        Assert.Equal(0, await CountAsync());
    }

    [Fact]
    public async Task Two_Database_instances_on_one_file_share_the_gate()
    {
        // Another spelling of the same path: the gate is keyed by the full path.
        Directory.CreateDirectory(Path.Combine(directory, "sub"));
        var other = Open(Path.Combine(directory, "sub", "..", "loa.db"));
        await using var connection = await other.OpenAsync();
        await using var transaction = await Database.BeginWriteAsync(connection);
        await AssertHeldAsync(); // through the first instance
        await transaction.CommitAsync();
        await AssertFreeAsync();
    }

    [Fact]
    public async Task A_writer_outside_the_gate_another_process_say_is_still_waited_for_on_the_busy_timeout()
    {
        await using var outsider = new SqliteConnection(database.ConnectionString); // not from Database: no gate
        await outsider.OpenAsync();
        var outside = outsider.BeginTransaction(System.Data.IsolationLevel.Serializable, deferred: false);
        var release = Task.Run(async () =>
        {
            await Task.Delay(300);
            outside.Commit();
        });

        await using var connection = await database.OpenAsync();
        await using var transaction = await Database.BeginWriteAsync(connection).WaitAsync(Generous);
        await transaction.CommitAsync();
        await release;
        outside.Dispose();
    }

    [Fact]
    public async Task An_autocommit_write_waits_for_its_turn_and_a_read_does_not()
    {
        await using (var connection = await database.OpenAsync())
        await using (var transaction = await Database.BeginWriteAsync(connection))
        {
            await using var other = await database.OpenAsync();
            await using (var read = Command(other, null, "SELECT COUNT(*) FROM rows"))
                Assert.Equal(0L, await read.ExecuteScalarAsync().WaitAsync(Generous)); // WAL: readers never wait

            // The lone UPDATE queues on the gate (cancellable), not in the driver's busy sleep.
            await using var write = Command(other, null, "\n  update rows SET n = n + 1");
            using var cancel = new CancellationTokenSource(Short);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write.ExecuteNonQueryAsync(cancel.Token));
            await transaction.CommitAsync();
        }
        await using (var connection = await database.OpenAsync())
        await using (var insert = Command(connection, null, "INSERT INTO rows (n) VALUES (3)"))
            Assert.Equal(1, await insert.ExecuteNonQueryAsync().WaitAsync(Generous));
        await AssertFreeAsync(); // and gave its turn back
        Assert.Equal(1, await CountAsync());
    }

    [Fact]
    public async Task WriteAsync_runs_a_single_statement_in_its_turn_and_commits_it()
    {
        var written = await database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction, "INSERT INTO rows (n) VALUES (7)");
            return await command.ExecuteNonQueryAsync();
        });
        Assert.Equal(1, written);
        Assert.Equal(1, await CountAsync());
        await AssertFreeAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => database.WriteAsync<int>((_, _) => throw new InvalidOperationException()));
        await AssertFreeAsync();
    }

    [Fact]
    public async Task Every_pooled_open_has_the_connection_settings_set_once_per_physical_connection()
    {
        for (var open = 0; open < 3; open++)
        {
            if (open == 2)
                SqliteConnection.ClearAllPools(); // a new physical connection gets them too
            await using var connection = await database.OpenAsync();
            Assert.Equal([1L], await ColumnAsync("PRAGMA synchronous", connection)); // NORMAL
            Assert.Equal([1L], await ColumnAsync("PRAGMA foreign_keys", connection));
            Assert.Equal([2L], await ColumnAsync("PRAGMA temp_store", connection)); // MEMORY
        }
    }

    [Fact]
    public async Task A_second_transaction_on_the_same_connection_fails_at_once_rather_than_waiting_on_itself()
    {
        await using var connection = await database.OpenAsync();
        await using var transaction = await Database.BeginWriteAsync(connection);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Database.BeginWriteAsync(connection).WaitAsync(Generous));
        await transaction.CommitAsync();
        await AssertFreeAsync();
    }

    private static Database Open(string path) =>
        new(new DatabaseOptions { ConnectionString = $"Data Source={path}" });

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string text)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = text;
        return command;
    }

    /// <summary>Another writer of this process cannot get its turn within a short wait.</summary>
    private async Task AssertHeldAsync()
    {
        await using var connection = await database.OpenAsync();
        using var cancel = new CancellationTokenSource(Short);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Database.BeginWriteAsync(connection, cancel.Token));
    }

    /// <summary>Another writer of this process gets its turn (and gives it back).</summary>
    private async Task AssertFreeAsync()
    {
        await using var connection = await database.OpenAsync();
        using var cancel = new CancellationTokenSource(Generous);
        await using var transaction = await Database.BeginWriteAsync(connection, cancel.Token);
        await transaction.CommitAsync();
    }

    private async Task<long> CountAsync() => (await ColumnAsync("SELECT COUNT(*) FROM rows")).Single();

    private async Task<List<long>> ColumnAsync(string sql, DbConnection? on = null)
    {
        var connection = on ?? await database.OpenAsync();
        try
        {
            await using var command = Command(connection, null, sql);
            await using var reader = await command.ExecuteReaderAsync();
            var values = new List<long>();
            while (await reader.ReadAsync())
                values.Add(reader.GetInt64(0));
            return values;
        }
        finally
        {
            if (on is null)
                await connection.DisposeAsync();
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
