using System.Data.Common;
using Dapper;

namespace Loa.Storage.Alerts;

/// <summary>A CAP alert as received: its CAP key (sender, identifier, sent) and what Loa made of it.</summary>
public sealed record CapAlertRow(
    string Sender, string Identifier, long Sent, string MsgType, string Status, string Tenant,
    string? CampaignId, string? UpdatesCampaignId, string ReceivedBy, long ReceivedAt);

/// <summary>
/// The CAP alerts Loa has received, so that a later Cancel or Update can find the campaign an
/// earlier alert created, and a repeated alert is recognised. The primary key (tenant, sender,
/// identifier, sent) is the guarantee: two racing copies of one alert cannot both be recorded. The
/// tenant is part of it so that one tenant's alert neither collides with nor reveals another's.
/// </summary>
public sealed class CapAlertStore(Database database)
{
    private const string Columns = """
        sender AS Sender, identifier AS Identifier, sent AS Sent, msg_type AS MsgType, status AS Status, tenant AS Tenant,
        campaign_id AS CampaignId, updates_campaign_id AS UpdatesCampaignId, received_by AS ReceivedBy, received_at AS ReceivedAt
        """;

    private static readonly Sql Insert = Sql.Both("""
        INSERT INTO cap_alerts (sender, identifier, sent, msg_type, status, tenant, campaign_id, updates_campaign_id, received_by, received_at)
        VALUES (@Sender, @Identifier, @Sent, @MsgType, @Status, @Tenant, @CampaignId, @UpdatesCampaignId, @ReceivedBy, @ReceivedAt)
        """);

    /// <summary>The alert as <paramref name="tenant"/> received it; another tenant's alert of the same CAP key is not this one.</summary>
    public async Task<CapAlertRow?> FindAsync(string tenant, string sender, string identifier, long sent, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<CapAlertRow>(new CommandDefinition(
            $"SELECT {Columns} FROM cap_alerts WHERE tenant = @tenant AND sender = @sender AND identifier = @identifier AND sent = @sent",
            new { tenant, sender, identifier, sent },
            cancellationToken: cancellationToken));
    }

    /// <summary>Every tenant's alert of this CAP key (at most one each); the caller decides which it may see.</summary>
    public async Task<IReadOnlyList<CapAlertRow>> FindInAnyTenantAsync(string sender, string identifier, long sent, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<CapAlertRow>(new CommandDefinition(
            $"SELECT {Columns} FROM cap_alerts WHERE sender = @sender AND identifier = @identifier AND sent = @sent",
            new { sender, identifier, sent },
            cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>Records an alert on its own (a Cancel, which creates no campaign). False when it is already recorded.</summary>
    public async Task<bool> TryInsertAsync(CapAlertRow row, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(database.Text(Insert), row, cancellationToken: cancellationToken));
            return true;
        }
        catch (DbException e) when (Database.IsUniqueViolation(e))
        {
            return false;
        }
    }

    /// <summary>
    /// Records an alert inside a transaction someone else holds (the campaign's insert, see
    /// <c>CampaignStore.InsertAsync(row, alongside)</c>). A repeat throws; <see cref="Database.IsUniqueViolation"/> tells.
    /// </summary>
    public async Task InsertAsync(CapAlertRow row, DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken = default) =>
        await connection.ExecuteAsync(new CommandDefinition(database.Text(Insert), row, transaction, cancellationToken: cancellationToken));
}
