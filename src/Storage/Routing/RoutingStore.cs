using Dapper;

namespace Loa.Storage.Routing;

public sealed record PrefixRow(string Prefix, string Carrier);

/// <summary>
/// The routing data: the prefix table (seeded from <c>Seed/carrier-prefixes.csv</c> when empty,
/// then owned by operators) and the ported-numbers table imported from carriers.
/// </summary>
public sealed class RoutingStore(Database database, TimeProvider time)
{
    private static readonly Sql InsertPrefix = Sql.Both("INSERT INTO carrier_prefixes (prefix, carrier) VALUES (@Prefix, @Carrier)");

    private static readonly Sql UpsertPorted = new(
        Sqlite: """
            INSERT INTO ported_numbers (msisdn, carrier, updated_at) VALUES (@Msisdn, @Carrier, @At)
            ON CONFLICT (msisdn) DO UPDATE SET carrier = excluded.carrier, updated_at = excluded.updated_at
            """,
        SqlServer: """
            MERGE ported_numbers AS t USING (SELECT @Msisdn AS msisdn) AS s ON t.msisdn = s.msisdn
            WHEN MATCHED THEN UPDATE SET carrier = @Carrier, updated_at = @At
            WHEN NOT MATCHED THEN INSERT (msisdn, carrier, updated_at) VALUES (@Msisdn, @Carrier, @At);
            """);

    public async Task<IReadOnlyList<PrefixRow>> PrefixesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<PrefixRow>("SELECT prefix AS Prefix, carrier AS Carrier FROM carrier_prefixes ORDER BY prefix")).ToList();
    }

    /// <summary>Fills the prefix table from the seed file if it is empty; an edited table is left alone.</summary>
    public async Task SeedPrefixesAsync(Func<TextReader, IEnumerable<PrefixRow>> parse, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        if (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM carrier_prefixes") > 0)
            return;
        using var reader = new StreamReader(SeedFile("carrier-prefixes.csv"));
        var rows = parse(reader).ToList();
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        await connection.ExecuteAsync(database.Text(InsertPrefix), rows, transaction);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task UpsertPortedAsync(IEnumerable<(string Msisdn, string Carrier)> numbers, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var at = time.Ms();
        await connection.ExecuteAsync(
            database.Text(UpsertPorted),
            numbers.Select(n => new { n.Msisdn, n.Carrier, At = at }),
            transaction);
        await transaction.CommitAsync(cancellationToken);
    }

    private static Stream SeedFile(string name)
    {
        var assembly = typeof(RoutingStore).Assembly;
        var resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith(".Seed." + name, StringComparison.Ordinal));
        return assembly.GetManifestResourceStream(resource)!;
    }
}
