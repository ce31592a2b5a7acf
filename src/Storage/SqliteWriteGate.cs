using System.Collections.Concurrent;
using System.Data;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Loa.Storage;

/// <summary>
/// The in-process queue for one SQLite file's write lock. SQLite has one writer at a time; without
/// this, a writer that finds the lock taken is retried by Microsoft.Data.Sqlite with a blocking
/// <c>Thread.Sleep</c> on its thread-pool thread (the busy timeout), and on a small machine the
/// sleeping writers starve the pool (issue 7). Writers of this process now <em>await</em> the gate
/// before <c>BEGIN IMMEDIATE</c>, so at most one of them meets SQLite's lock; the busy timeout stays
/// the fallback against other processes on the same file (a standalone dispatcher, a test harness).
/// </summary>
internal static class SqliteWriteGate
{
    // One gate per file for the whole process, so that two Database instances (two hosts in one test
    // process, the perf runner's ceilings beside Loa's host) queue on the same lock too.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates =
        new(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    /// <summary>The gate of the database a connection string names; null for a private in-memory database (nothing to share).</summary>
    public static SemaphoreSlim? For(SqliteConnectionStringBuilder builder)
    {
        var source = builder.DataSource;
        string key;
        if (builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(source) || source == ":memory:")
        {
            // A named, shared-cache in-memory database is one database per process and name.
            if (builder.Mode != SqliteOpenMode.Memory || builder.Cache != SqliteCacheMode.Shared || string.IsNullOrEmpty(source) || source == ":memory:")
                return null;
            key = "memory:" + source;
        }
        else
        {
            key = Path.GetFullPath(source);
        }
        return Gates.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
    }
}

/// <summary>
/// A SQLite connection that knows its file's write gate. The transaction handed out is the driver's
/// own <see cref="SqliteTransaction"/> (SqliteCommand and Dapper accept no other, and its constructor
/// is internal, so it cannot be subclassed); the gate is released where the driver itself ends a
/// transaction: commit, rollback and dispose all clear the connection's <see cref="Transaction"/>,
/// which this class overrides. Closing the connection is the last resort (it rolls back what is open).
/// </summary>
/// <remarks>A private in-memory database has no gate (<paramref name="gate"/> null): nothing else can write to it.</remarks>
internal sealed class GatedSqliteConnection(string connectionString, SemaphoreSlim? gate) : SqliteConnection(connectionString)
{
    // Physical connections (sqlite3 handles, reused by the pool) whose per-connection PRAGMAs are set.
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> Prepared = new();
    private static readonly object Done = new();

    private int held; // 1 while this connection owns the gate

    /// <summary>True while this connection holds its file's write gate (tests).</summary>
    internal bool HoldsGate => Volatile.Read(ref held) == 1;

    /// <summary>
    /// Waits (asynchronously, in turn) for the file's gate, then begins <c>BEGIN IMMEDIATE</c>. The
    /// wait is bounded by the busy timeout, as a sleeping writer was, and fails the same way
    /// (SQLITE_BUSY), so that a writer waiting on itself through another connection fails rather than hangs.
    /// </summary>
    public async Task<SqliteTransaction> BeginWriteAsync(CancellationToken cancellationToken)
    {
        if (State != ConnectionState.Open)
            throw new InvalidOperationException("BeginWriteAsync needs an open connection.");
        if (Transaction is not null)
            throw new InvalidOperationException("This connection already has a transaction; SQLite does not nest them.");

        if (gate is null)
            return BeginTransaction(IsolationLevel.Serializable, deferred: false);
        var timeout = DefaultTimeout > 0 ? TimeSpan.FromSeconds(DefaultTimeout) : Timeout.InfiniteTimeSpan;
        if (!await gate.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
            throw new SqliteException($"database is locked: no turn at the write gate within {DefaultTimeout} s", 5); // SQLITE_BUSY
        Volatile.Write(ref held, 1);
        try
        {
            return BeginTransaction(IsolationLevel.Serializable, deferred: false);
        }
        catch
        {
            ReleaseGate();
            throw;
        }
    }

    /// <summary>
    /// Commands that know the gate: Dapper and the stores create theirs here. The driver itself only
    /// ever sets these fields (connection, timeout, current transaction) on a new command.
    /// </summary>
    public override SqliteCommand CreateCommand() =>
        new GatedSqliteCommand(this) { CommandTimeout = DefaultTimeout, Transaction = base.Transaction };

    /// <summary>An autocommit write's turn (see <see cref="GatedSqliteCommand"/>); false when there is no gate.</summary>
    internal async Task<bool> WaitTurnAsync(CancellationToken cancellationToken)
    {
        if (gate is null)
            return false;
        var timeout = DefaultTimeout > 0 ? TimeSpan.FromSeconds(DefaultTimeout) : Timeout.InfiniteTimeSpan;
        if (!await gate.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
            throw new SqliteException($"database is locked: no turn at the write gate within {DefaultTimeout} s", 5); // SQLITE_BUSY
        return true;
    }

    internal void GiveTurnBack() => gate!.Release();

    /// <summary>Set to null by the driver when a transaction ends, however it ends: the gate goes with it.</summary>
    protected override SqliteTransaction? Transaction
    {
        get => base.Transaction;
        set
        {
            base.Transaction = value;
            if (value is null)
                ReleaseGate();
        }
    }

    public override void Close()
    {
        try
        {
            base.Close();
        }
        finally
        {
            ReleaseGate(); // a rollback that threw leaves no transaction behind once the handle is back in the pool
        }
    }

    /// <summary>
    /// Sets the per-connection PRAGMAs once per physical connection: the pool hands back the same
    /// sqlite3 handle, and these settings live as long as it does (the driver resets only functions
    /// and collations on return to the pool). WAL is persistent in the file itself.
    /// </summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var handle = Handle;
        if (handle is null || Prepared.TryGetValue(handle, out _))
            return;
        await using (var pragma = CreateCommand())
        {
            // NORMAL under WAL loses at most the last commits on power loss, never consistency; the
            // bus redelivers and the sweeper republishes. A 16 MiB page cache (the default is 2 MiB)
            // keeps the hot index pages of a large campaign (recent carrier message ids and batches) in
            // memory for receipts and results; per pooled connection, so it stays modest. Checkpoints are SqliteCheckpointer's, off the write path; the
            // log file is cut back to 64 MiB after one.
            pragma.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384; " +
                                 $"PRAGMA wal_autocheckpoint={SqliteCheckpointer.AutoCheckpointPages}; PRAGMA journal_size_limit=67108864;";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        Prepared.AddOrUpdate(handle, Done);
    }

    private void ReleaseGate()
    {
        if (Interlocked.Exchange(ref held, 0) == 1)
            gate!.Release();
    }
}

/// <summary>
/// A command whose autocommit writes (a lone UPDATE, INSERT, DELETE or REPLACE run with
/// <c>ExecuteNonQueryAsync</c>, outside any transaction: Dapper's <c>ExecuteAsync</c>) take their
/// turn at the write gate like <see cref="Database.BeginWriteAsync"/> transactions do. Without it they
/// would meet a lock that gated writers hand to each other back to back, and sleep on the busy timeout
/// until they found a gap — the batch claims and the planner's MarkPublished starved that way.
/// Statements inside a transaction already hold the turn; reads, scalars, readers (including
/// <c>UPDATE … RETURNING</c> through a reader) and statements that start otherwise (<c>WITH …</c>) are
/// not gated and keep the busy timeout.
/// </summary>
internal sealed class GatedSqliteCommand(GatedSqliteConnection connection) : SqliteCommand(null, connection)
{
    public override async Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken)
    {
        if (Transaction is not null || Connection is not GatedSqliteConnection gated || !IsWrite(CommandText))
            return await base.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (!await gated.WaitTurnAsync(cancellationToken).ConfigureAwait(false))
            return await base.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await base.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gated.GiveTurnBack();
        }
    }

    internal static bool IsWrite(string? text)
    {
        var statement = text.AsSpan().TrimStart();
        foreach (var verb in (ReadOnlySpan<string>)["UPDATE", "INSERT", "DELETE", "REPLACE"])
        {
            if (statement.StartsWith(verb, StringComparison.OrdinalIgnoreCase)
                && (statement.Length == verb.Length || char.IsWhiteSpace(statement[verb.Length])))
                return true;
        }
        return false;
    }
}
