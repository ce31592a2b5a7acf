using Dapper;

namespace Loa.Storage.Reports;

/// <summary>A kept report as listed: everything but the files themselves.</summary>
/// <param name="PeriodFrom">Unix ms, inclusive.</param>
/// <param name="PeriodTo">Unix ms, exclusive.</param>
/// <param name="RunKey"><c>scheduled:&lt;tenant&gt;:&lt;kind&gt;:&lt;period&gt;</c> or <c>on-demand:&lt;id&gt;</c>.</param>
public sealed record ExportRow(
    string Id, string Tenant, string Kind, string Period, long PeriodFrom, long PeriodTo, string Origin, string RunKey,
    string CreatedBy, long CreatedAt, long CsvBytes, long XlsxBytes);

/// <summary>
/// The yearly and quarterly reports, kept with their two files (CSV and XLSX) in the database, so that every
/// API host behind the balancer serves the same downloads. Written by the export generator (a schedule's
/// firing or an operator's request), read by the API.
/// </summary>
public sealed class ExportStore(Database database)
{
    private const string Columns =
        "id AS Id, tenant AS Tenant, kind AS Kind, period AS Period, period_from AS PeriodFrom, period_to AS PeriodTo, origin AS Origin, " +
        "run_key AS RunKey, created_by AS CreatedBy, created_at AS CreatedAt, csv_bytes AS CsvBytes, xlsx_bytes AS XlsxBytes";

    private static readonly Sql Insert = Sql.Both("""
        INSERT INTO report_exports (id, tenant, kind, period, period_from, period_to, origin, run_key, created_by, created_at, csv_bytes, xlsx_bytes, csv, xlsx)
        VALUES (@Id, @Tenant, @Kind, @Period, @PeriodFrom, @PeriodTo, @Origin, @RunKey, @CreatedBy, @CreatedAt, @CsvBytes, @XlsxBytes, @Csv, @Xlsx)
        """);

    private static readonly Sql Page = new(
        Sqlite: $"SELECT {Columns} FROM report_exports WHERE id > @after AND (@tenant IS NULL OR tenant = @tenant) ORDER BY id LIMIT @take",
        SqlServer: $"SELECT TOP (@take) {Columns} FROM report_exports WHERE id > @after AND (@tenant IS NULL OR tenant = @tenant) ORDER BY id");

    private static readonly Sql ByKey = Sql.Both($"SELECT {Columns} FROM report_exports WHERE run_key = @runKey");

    private static readonly Sql ById = Sql.Both($"SELECT {Columns} FROM report_exports WHERE id = @id AND (@tenant IS NULL OR tenant = @tenant)");

    // Two statements rather than a column chosen by text: a column name is never built from a value.
    private static readonly Sql CsvFile = Sql.Both("SELECT csv FROM report_exports WHERE id = @id AND (@tenant IS NULL OR tenant = @tenant)");
    private static readonly Sql XlsxFile = Sql.Both("SELECT xlsx FROM report_exports WHERE id = @id AND (@tenant IS NULL OR tenant = @tenant)");

    /// <summary>
    /// Keeps the export, or, when its run key is already taken (the same schedule's run for the same period),
    /// keeps nothing and answers the one already kept with <c>Created</c> false.
    /// </summary>
    public async Task<(ExportRow Row, bool Created)> AddAsync(ExportRow row, byte[] csv, byte[] xlsx, CancellationToken cancellationToken = default)
    {
        try
        {
            await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(new CommandDefinition(database.Text(Insert), new
            {
                row.Id, row.Tenant, row.Kind, row.Period, row.PeriodFrom, row.PeriodTo, row.Origin, row.RunKey, row.CreatedBy, row.CreatedAt,
                CsvBytes = (long)csv.Length, XlsxBytes = (long)xlsx.Length, Csv = csv, Xlsx = xlsx,
            }, transaction, cancellationToken: cancellationToken)), cancellationToken);
            return (row with { CsvBytes = csv.Length, XlsxBytes = xlsx.Length }, true);
        }
        catch (Exception e) when (Database.IsUniqueViolation(e))
        {
            return (await FindByRunKeyAsync(row.RunKey, cancellationToken) ?? throw new InvalidOperationException($"Run key {row.RunKey} is taken but no export has it."), false);
        }
    }

    public async Task<ExportRow?> FindByRunKeyAsync(string runKey, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ExportRow>(new CommandDefinition(database.Text(ByKey), new { runKey }, cancellationToken: cancellationToken));
    }

    /// <summary>The export, when <paramref name="tenant"/> (null: any) may see it.</summary>
    public async Task<ExportRow?> FindAsync(string id, string? tenant, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ExportRow>(new CommandDefinition(database.Text(ById), new { id, tenant }, cancellationToken: cancellationToken));
    }

    /// <summary>Oldest first, keyset by id; one tenant's, or every tenant's when <paramref name="tenant"/> is null.</summary>
    public async Task<IReadOnlyList<ExportRow>> PageAsync(string? tenant, string after, int take, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ExportRow>(new CommandDefinition(database.Text(Page), new { tenant, after, take }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>The stored file (<c>csv</c> or <c>xlsx</c>), when <paramref name="tenant"/> (null: any) may see it.</summary>
    public async Task<byte[]?> FileAsync(string id, string? tenant, bool xlsx, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<byte[]>(new CommandDefinition(
            database.Text(xlsx ? XlsxFile : CsvFile), new { id, tenant }, cancellationToken: cancellationToken));
    }
}

/// <summary>A province's own date for one kind of report: a Quartz cron read in Asia/Ho_Chi_Minh.</summary>
public sealed record ScheduleRow(string Tenant, string Kind, string Cron, string UpdatedBy, long UpdatedAt);

/// <summary>The provinces' own report schedules; the national ones are configuration. The Quartz triggers follow these rows.</summary>
public sealed class ExportScheduleStore(Database database)
{
    private const string Columns = "tenant AS Tenant, kind AS Kind, cron AS Cron, updated_by AS UpdatedBy, updated_at AS UpdatedAt";

    /// <summary>Replaces the tenant's schedules with <paramref name="rows"/> (none: the tenant has no schedule of its own).</summary>
    public async Task PutAsync(string tenant, IReadOnlyList<ScheduleRow> rows, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM report_schedules WHERE tenant = @tenant", new { tenant }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO report_schedules (tenant, kind, cron, updated_by, updated_at) VALUES (@Tenant, @Kind, @Cron, @UpdatedBy, @UpdatedAt)",
            rows, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Every tenant's schedules, or one tenant's.</summary>
    public async Task<IReadOnlyList<ScheduleRow>> AllAsync(string? tenant = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ScheduleRow>(new CommandDefinition(
            $"SELECT {Columns} FROM report_schedules WHERE (@tenant IS NULL OR tenant = @tenant) ORDER BY tenant, kind", new { tenant }, cancellationToken: cancellationToken))).AsList();
    }
}
