using Dapper;

namespace Loa.Storage.Reports;

/// <summary>
/// One row of the delivery report at its finest grain: carrier × province × kind × Vietnam month of
/// the campaigns' start, with the counters pivoted into columns. <c>Suppressed</c> sums every
/// <c>suppressed:&lt;reason&gt;</c> status; <c>Total</c> sums every status.
/// </summary>
/// <param name="Month">The campaigns' start month in Asia/Ho_Chi_Minh, <c>yyyy-MM</c>.</param>
/// <param name="Received">Push deliveries a phone acknowledged (an opened one counts here too); not in <c>Total</c>: an ack is not a delivery.</param>
/// <param name="Opened">Push deliveries a phone said were opened.</param>
public sealed record DeliveryCounts(
    string Carrier, string Province, string Kind, string Month,
    long Total, long Queued, long Submitted, long Delivered, long Failed, long Expired, long Cancelled, long Suppressed,
    long Received = 0, long Opened = 0);

/// <summary>
/// Delivery reports, read from the exact counters (<c>campaign_progress</c>, and <c>campaign_push_counts</c>
/// for the phones' acks) joined with the campaigns they belong to: the cost follows the number of
/// campaigns, never the number of deliveries.
/// </summary>
public sealed class ReportStore(Database database)
{
    /// <summary>Vietnam has had no daylight saving time since 1975: its local time is UTC+7 all year.</summary>
    public const long VietnamOffsetMs = 7 * 3600 * 1000;

    // Grouped in the database to the finest grain a report asks for (the month); quarters, years and
    // coarser groupings are sums of these rows, added up by the caller. The month is the started_at
    // day in Vietnam time: SQLite by strftime over the shifted unix seconds, SQL Server from the shifted
    // day number (DATEADD takes an int, which unix seconds overflow in 2038; days do not).
    // The acks come from their own counters, kept per campaign and push lane but not per province (an
    // ack names a delivery, and the counter is moved without reading its province): they are reported
    // under province '', beside the lane's deliveries under the devices' provinces. Reading the
    // province from push_acks ⨝ deliveries would count rows on the read path. The outer GROUP BY keeps
    // one row per key should a lane also have deliveries under ''.
    private static readonly Sql ByMonth = new(
        Sqlite: """
            SELECT Carrier, Province, Kind, Month, SUM(Total), SUM(Queued), SUM(Submitted), SUM(Delivered),
                   SUM(Failed), SUM(Expired), SUM(Cancelled), SUM(Suppressed), SUM(Received), SUM(Opened)
            FROM (
                SELECT p.carrier AS Carrier, p.province AS Province, c.kind AS Kind,
                       strftime('%Y-%m', (c.started_at + @Offset) / 1000, 'unixepoch') AS Month,
                       SUM(p.count) AS Total,
                       SUM(CASE WHEN p.status = 'queued' THEN p.count ELSE 0 END) AS Queued,
                       SUM(CASE WHEN p.status = 'submitted' THEN p.count ELSE 0 END) AS Submitted,
                       SUM(CASE WHEN p.status = 'delivered' THEN p.count ELSE 0 END) AS Delivered,
                       SUM(CASE WHEN p.status = 'failed' THEN p.count ELSE 0 END) AS Failed,
                       SUM(CASE WHEN p.status = 'expired' THEN p.count ELSE 0 END) AS Expired,
                       SUM(CASE WHEN p.status = 'cancelled' THEN p.count ELSE 0 END) AS Cancelled,
                       SUM(CASE WHEN p.status LIKE 'suppressed:%' THEN p.count ELSE 0 END) AS Suppressed,
                       0 AS Received, 0 AS Opened
                FROM campaigns c
                JOIN campaign_progress p ON p.campaign_id = c.id
                WHERE c.started_at >= @From AND c.started_at < @To AND (@Tenant IS NULL OR c.tenant = @Tenant)
                GROUP BY p.carrier, p.province, c.kind, strftime('%Y-%m', (c.started_at + @Offset) / 1000, 'unixepoch')
                UNION ALL
                SELECT a.carrier, '', c.kind, strftime('%Y-%m', (c.started_at + @Offset) / 1000, 'unixepoch'),
                       0, 0, 0, 0, 0, 0, 0, 0,
                       SUM(CASE WHEN a.counter = 'received' THEN a.count ELSE 0 END),
                       SUM(CASE WHEN a.counter = 'opened' THEN a.count ELSE 0 END)
                FROM campaigns c
                JOIN campaign_push_counts a ON a.campaign_id = c.id
                WHERE c.started_at >= @From AND c.started_at < @To AND (@Tenant IS NULL OR c.tenant = @Tenant)
                  AND a.counter IN ('received', 'opened')
                GROUP BY a.carrier, c.kind, strftime('%Y-%m', (c.started_at + @Offset) / 1000, 'unixepoch')
            ) r
            GROUP BY Carrier, Province, Kind, Month
            """,
        SqlServer: """
            SELECT Carrier, Province, Kind, Month, SUM(Total), SUM(Queued), SUM(Submitted), SUM(Delivered),
                   SUM(Failed), SUM(Expired), SUM(Cancelled), SUM(Suppressed), SUM(Received), SUM(Opened)
            FROM (
                SELECT p.carrier AS Carrier, p.province AS Province, c.kind AS Kind, m.vn_month AS Month,
                       SUM(p.count) AS Total,
                       SUM(CASE WHEN p.status = 'queued' THEN p.count ELSE 0 END) AS Queued,
                       SUM(CASE WHEN p.status = 'submitted' THEN p.count ELSE 0 END) AS Submitted,
                       SUM(CASE WHEN p.status = 'delivered' THEN p.count ELSE 0 END) AS Delivered,
                       SUM(CASE WHEN p.status = 'failed' THEN p.count ELSE 0 END) AS Failed,
                       SUM(CASE WHEN p.status = 'expired' THEN p.count ELSE 0 END) AS Expired,
                       SUM(CASE WHEN p.status = 'cancelled' THEN p.count ELSE 0 END) AS Cancelled,
                       SUM(CASE WHEN p.status LIKE 'suppressed:%' THEN p.count ELSE 0 END) AS Suppressed,
                       0 AS Received, 0 AS Opened
                FROM campaigns c
                CROSS APPLY (SELECT DATEADD(DAY, CAST((c.started_at + @Offset) / 86400000 AS int), CAST('19700101' AS date)) AS vn_day) d
                CROSS APPLY (SELECT CONCAT(YEAR(d.vn_day), '-', RIGHT(CONCAT('0', MONTH(d.vn_day)), 2)) AS vn_month) m
                JOIN campaign_progress p ON p.campaign_id = c.id
                WHERE c.started_at >= @From AND c.started_at < @To AND (@Tenant IS NULL OR c.tenant = @Tenant)
                GROUP BY p.carrier, p.province, c.kind, m.vn_month
                UNION ALL
                SELECT a.carrier, N'', c.kind, m.vn_month,
                       0, 0, 0, 0, 0, 0, 0, 0,
                       SUM(CASE WHEN a.counter = 'received' THEN a.count ELSE 0 END),
                       SUM(CASE WHEN a.counter = 'opened' THEN a.count ELSE 0 END)
                FROM campaigns c
                CROSS APPLY (SELECT DATEADD(DAY, CAST((c.started_at + @Offset) / 86400000 AS int), CAST('19700101' AS date)) AS vn_day) d
                CROSS APPLY (SELECT CONCAT(YEAR(d.vn_day), '-', RIGHT(CONCAT('0', MONTH(d.vn_day)), 2)) AS vn_month) m
                JOIN campaign_push_counts a ON a.campaign_id = c.id
                WHERE c.started_at >= @From AND c.started_at < @To AND (@Tenant IS NULL OR c.tenant = @Tenant)
                  AND a.counter IN ('received', 'opened')
                GROUP BY a.carrier, c.kind, m.vn_month
            ) r
            GROUP BY Carrier, Province, Kind, Month
            """);

    /// <summary>
    /// Counts of the campaigns started in [<paramref name="from"/>, <paramref name="to"/>) (unix ms),
    /// of one tenant or, when <paramref name="tenant"/> is null, of all. Campaigns never started are not in it.
    /// </summary>
    public async Task<IReadOnlyList<DeliveryCounts>> DeliveriesByMonthAsync(long from, long to, string? tenant, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // Read by hand: SQLite gives SUM and strftime columns no declared type, so on an empty result
        // Dapper would see BLOB columns and refuse to build the record.
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            database.Text(ByMonth), new { From = from, To = to, Tenant = tenant, Offset = VietnamOffsetMs }, cancellationToken: cancellationToken));
        var rows = new List<DeliveryCounts>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new DeliveryCounts(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7),
                reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10), reader.GetInt64(11),
                reader.GetInt64(12), reader.GetInt64(13)));
        }
        return rows;
    }
}
