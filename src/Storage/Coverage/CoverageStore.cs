using Dapper;

namespace Loa.Storage.Coverage;

/// <param name="AsOf">yyyy-MM-dd: the date the figure is true on.</param>
public sealed record BaseRow(string Province, string Carrier, string Tag, string AsOf, long Subscribers, string Source);

public sealed record TargetRow(string Tag, string Name, double Percent);

public sealed record ReachedRow(string Province, string Carrier, long Reached);

/// <summary>
/// The coverage report's reads and the operators' figures: the subscriber base (history kept by date)
/// and the plans' targets. Reach is read from <c>coverage_counts</c> (kept by <see cref="ReachedTally"/>), never from deliveries.
/// </summary>
public sealed class CoverageStore(Database database, TimeProvider time)
{
    private static readonly Sql UpsertBase = new(
        Sqlite: """
            INSERT INTO coverage_base (province, carrier, tag, as_of, subscribers, source, entered_by, entered_at)
            VALUES (@Province, @Carrier, @Tag, @AsOf, @Subscribers, @Source, @By, @At)
            ON CONFLICT (province, carrier, tag, as_of) DO UPDATE SET
                subscribers = excluded.subscribers, source = excluded.source, entered_by = excluded.entered_by, entered_at = excluded.entered_at
            """,
        SqlServer: """
            MERGE coverage_base WITH (HOLDLOCK) AS t
            USING (SELECT @Province AS province, @Carrier AS carrier, @Tag AS tag, @AsOf AS as_of) AS s
            ON t.province = s.province AND t.carrier = s.carrier AND t.tag = s.tag AND t.as_of = s.as_of
            WHEN MATCHED THEN UPDATE SET subscribers = @Subscribers, source = @Source, entered_by = @By, entered_at = @At
            WHEN NOT MATCHED THEN INSERT (province, carrier, tag, as_of, subscribers, source, entered_by, entered_at)
                VALUES (@Province, @Carrier, @Tag, @AsOf, @Subscribers, @Source, @By, @At);
            """);

    /// <summary>Keeps the rows (a row for the same province, carrier, tag and date replaces the earlier one) in one transaction.</summary>
    public async Task PutBaseAsync(IReadOnlyList<BaseRow> rows, string by, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var at = time.Ms();
        await connection.ExecuteAsync(new CommandDefinition(database.Text(UpsertBase),
            rows.Select(r => new { r.Province, r.Carrier, r.Tag, r.AsOf, r.Subscribers, r.Source, By = by, At = at }).ToList(), transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Each (province, carrier, tag)'s latest figure dated on or before <paramref name="asOf"/> (yyyy-MM-dd).</summary>
    public async Task<IReadOnlyList<BaseRow>> BaseAsync(string asOf, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<BaseRow>(new CommandDefinition(
            """
            SELECT b.province AS Province, b.carrier AS Carrier, b.tag AS Tag, b.as_of AS AsOf, b.subscribers AS Subscribers, b.source AS Source
            FROM coverage_base b
            WHERE b.as_of = (SELECT MAX(l.as_of) FROM coverage_base l
                             WHERE l.province = b.province AND l.carrier = b.carrier AND l.tag = b.tag AND l.as_of <= @asOf)
            ORDER BY b.province, b.carrier, b.tag
            """, new { asOf }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    public async Task<IReadOnlyList<TargetRow>> TargetsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<TargetRow>(new CommandDefinition(
            "SELECT tag AS Tag, name AS Name, target_percent AS \"Percent\" FROM coverage_targets ORDER BY tag", cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Replaces the targets with <paramref name="rows"/>.</summary>
    public async Task PutTargetsAsync(IReadOnlyList<TargetRow> rows, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM coverage_targets", transaction: transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO coverage_targets (tag, name, target_percent) VALUES (@Tag, @Name, @Percent)", rows, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Distinct recipients reached per province and carrier, in <paramref name="bucket"/> (see <see cref="ReachedTally"/>)
    /// by those first reached in its months <paramref name="firstMonth"/> to <paramref name="lastMonth"/>: a few hundred counter rows.
    /// </summary>
    public async Task<IReadOnlyList<ReachedRow>> ReachedAsync(string bucket, int firstMonth, int lastMonth, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // Read by hand: SQLite gives SUM no declared type, and Dapper would see a BLOB column.
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            """
            SELECT province, carrier, SUM(reached) FROM coverage_counts
            WHERE bucket = @bucket AND first_month BETWEEN @firstMonth AND @lastMonth
            GROUP BY province, carrier
            """, new { bucket, firstMonth, lastMonth }, cancellationToken: cancellationToken));
        var rows = new List<ReachedRow>();
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new ReachedRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        return rows;
    }
}
