using Dapper;

namespace Loa.Storage.Campaigns;

/// <summary>An alert as the public may see it: no one's number, no one's key, only what was sent and where.</summary>
/// <param name="SmsText">The SMS as sent; null for a campaign that pushed alone.</param>
public sealed record PublicAlertRow(string Id, string Kind, string Tenant, string Definition, string? SmsText, long StartedAt);

/// <summary>
/// The public verification page's one read: campaigns that started sending since a time, never tests.
/// Served through a cache (one read a minute), over the started_at index of migration 0008.
/// </summary>
public sealed class PublicAlertReads(Database database)
{
    public const int MaxRows = 2000;

    private static readonly Sql Since = new(
        Sqlite: """
            SELECT id AS Id, kind AS Kind, tenant AS Tenant, definition AS Definition, sms_text AS SmsText, started_at AS StartedAt
            FROM campaigns
            WHERE started_at >= @Since AND kind <> 'test'
            ORDER BY started_at DESC LIMIT @Limit
            """,
        SqlServer: """
            SELECT TOP (@Limit) id AS Id, kind AS Kind, tenant AS Tenant, definition AS Definition, sms_text AS SmsText, started_at AS StartedAt
            FROM campaigns
            WHERE started_at >= @Since AND kind <> 'test'
            ORDER BY started_at DESC
            """);

    public async Task<IReadOnlyList<PublicAlertRow>> StartedSinceAsync(long since, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<PublicAlertRow>(database.Text(Since), new { Since = since, Limit = MaxRows })).ToList();
    }
}
