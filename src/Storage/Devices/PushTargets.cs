using Dapper;

namespace Loa.Storage.Devices;

/// <summary>
/// The push lane's reads and writes of the device registry: the protected tokens of a batch's devices
/// (one statement per batch, by id), and the pruning of devices whose token the provider says is dead.
/// </summary>
public sealed class PushTargets(Database database, TimeProvider time)
{
    /// <summary>How long a pruned device's number is kept for the fallback of the push that found it dead.</summary>
    public static readonly TimeSpan PrunedNumberKept = TimeSpan.FromDays(7);

    private static readonly Sql Tokens = new(
        Sqlite: "SELECT id AS Id, token AS Token FROM devices WHERE id IN (SELECT value FROM json_each(@ids))",
        SqlServer: "SELECT id AS Id, token AS Token FROM devices WHERE id IN (SELECT CAST(value AS BIGINT) FROM OPENJSON(@ids))");

    // Before the delete: the number of each pruned device that had one, for the fallback sweep (0029_pruned_devices.sql).
    private static readonly Sql KeepNumbers = new(
        Sqlite: """
            INSERT OR REPLACE INTO pruned_devices (id, msisdn, pruned_at)
            SELECT id, msisdn, @now FROM devices WHERE id IN (SELECT value FROM json_each(@ids)) AND msisdn IS NOT NULL
            """,
        SqlServer: """
            DELETE FROM pruned_devices WHERE id IN (SELECT CAST(value AS BIGINT) FROM OPENJSON(@ids));
            INSERT INTO pruned_devices (id, msisdn, pruned_at)
            SELECT id, msisdn, @now FROM devices WHERE id IN (SELECT CAST(value AS BIGINT) FROM OPENJSON(@ids)) AND msisdn IS NOT NULL
            """);

    private static readonly Sql ForgetOldNumbers = Sql.Both("DELETE FROM pruned_devices WHERE pruned_at < @old");

    private static readonly Sql Prune = new(
        Sqlite: "DELETE FROM devices WHERE id IN (SELECT value FROM json_each(@ids))",
        SqlServer: "DELETE FROM devices WHERE id IN (SELECT CAST(value AS BIGINT) FROM OPENJSON(@ids))");

    /// <summary>Each device's protected token, by device id; a device removed since it was planned is absent.</summary>
    public async Task<IReadOnlyDictionary<long, string>> ProtectedTokensAsync(IReadOnlyCollection<long> deviceIds, CancellationToken cancellationToken = default)
    {
        if (deviceIds.Count == 0)
            return new Dictionary<long, string>();
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, string Token)>(new CommandDefinition(
            database.Text(Tokens), new { ids = JsonRows.Of(deviceIds, static (w, id) => w.WriteNumberValue(id)) }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Id, r => r.Token);
    }

    /// <summary>
    /// Deletes devices whose token the provider reported unregistered or invalid: a dead token stays dead,
    /// and every later campaign would pay a request for it. An app that registers the device again gets a new row.
    /// A pruned device's linked number is kept for <see cref="PrunedNumberKept"/> in the same transaction, so
    /// that a fallback still texts the person whose push failed (Fallback/FallbackStore).
    /// </summary>
    /// <returns>The devices deleted.</returns>
    public async Task<int> PruneAsync(IReadOnlyCollection<long> deviceIds, CancellationToken cancellationToken = default)
    {
        if (deviceIds.Count == 0)
            return 0;
        var ids = JsonRows.Of(deviceIds, static (w, id) => w.WriteNumberValue(id));
        var now = time.Ms();
        return await database.WriteAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(new CommandDefinition(database.Text(ForgetOldNumbers),
                new { old = now - (long)PrunedNumberKept.TotalMilliseconds }, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(database.Text(KeepNumbers), new { ids, now }, transaction, cancellationToken: cancellationToken));
            return await connection.ExecuteAsync(new CommandDefinition(database.Text(Prune), new { ids }, transaction, cancellationToken: cancellationToken));
        }, cancellationToken);
    }
}
