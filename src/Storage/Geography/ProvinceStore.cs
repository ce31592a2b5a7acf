using Dapper;

namespace Loa.Storage.Geography;

/// <summary>
/// The tables <c>provinces</c> and <c>province_remaps</c>: a mirror of the files Loa read at start
/// (<see cref="Provinces.Load"/>), so that reports and operators' SQL can join today's units. The files
/// are the source: an operator edits them (or points <c>Loa:Provinces</c> at copies) and restarts.
/// </summary>
public sealed class ProvinceStore(Database database)
{
    /// <summary>Replaces both tables with <paramref name="provinces"/>, in one transaction: a reader sees the old tables or the new.</summary>
    public async Task MirrorAsync(Provinces provinces, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var units = (await connection.QueryAsync<Province>("SELECT code AS Code, name AS Name, alias AS Alias, kind AS Kind FROM provinces")).ToHashSet();
        var remaps = (await connection.QueryAsync<ProvinceRemap>(
            "SELECT code AS Code, province AS Province, scheme AS Scheme, name AS Name FROM province_remaps")).ToHashSet();
        // Every host runs this at start; unchanged tables (the usual case) are not written, so two
        // hosts starting together do not queue behind each other's write.
        if (units.SetEquals(provinces.Units) && remaps.SetEquals(provinces.Remaps))
            return;
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        await connection.ExecuteAsync("DELETE FROM province_remaps", transaction: transaction);
        await connection.ExecuteAsync("DELETE FROM provinces", transaction: transaction);
        await connection.ExecuteAsync(
            "INSERT INTO provinces (code, name, alias, kind) VALUES (@Code, @Name, @Alias, @Kind)", provinces.Units, transaction);
        await connection.ExecuteAsync(
            "INSERT INTO province_remaps (code, province, scheme, name) VALUES (@Code, @Province, @Scheme, @Name)", provinces.Remaps, transaction);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<Province>> UnitsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<Province>("SELECT code AS Code, name AS Name, alias AS Alias, kind AS Kind FROM provinces ORDER BY code")).ToList();
    }
}
