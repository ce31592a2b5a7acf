using Dapper;

namespace Loa.Storage.Devices;

/// <summary>
/// The push lane's reads and writes of the device registry: the protected tokens of a batch's devices
/// (one statement per batch, by id), and the pruning of devices whose token the provider says is dead.
/// </summary>
public sealed class PushTargets(Database database)
{
    private static readonly Sql Tokens = new(
        Sqlite: "SELECT id AS Id, token AS Token FROM devices WHERE id IN (SELECT value FROM json_each(@ids))",
        SqlServer: "SELECT id AS Id, token AS Token FROM devices WHERE id IN (SELECT CAST(value AS BIGINT) FROM OPENJSON(@ids))");

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
    /// </summary>
    /// <returns>The devices deleted.</returns>
    public async Task<int> PruneAsync(IReadOnlyCollection<long> deviceIds, CancellationToken cancellationToken = default)
    {
        if (deviceIds.Count == 0)
            return 0;
        var ids = JsonRows.Of(deviceIds, static (w, id) => w.WriteNumberValue(id));
        return await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(
            database.Text(Prune), new { ids }, transaction, cancellationToken: cancellationToken)), cancellationToken);
    }
}
