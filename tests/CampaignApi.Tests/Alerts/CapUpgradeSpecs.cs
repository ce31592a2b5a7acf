using Dapper;
using Loa.Storage;
using Loa.Storage.Alerts;
using Loa.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.CampaignApi.Tests.Alerts;

/// <summary>Migration 0013 keys CAP alerts by tenant on a database that already holds some.</summary>
public sealed class CapUpgradeSpecs
{
    [Fact]
    public async Task Upgrading_keeps_received_alerts_and_lets_another_tenant_use_the_same_cap_key()
    {
        await using var temp = await TempDatabase.CreateAsync(migrate: false);
        var migrator = new Migrator(temp.Database, NullLogger<Migrator>.Instance);
        await migrator.MigrateToAsync(12);
        var national = new CapAlertRow("canhbao@ais.gov.vn", "A-1", 1_000, "Alert", "Actual", "national", "c1", null, "dev-author", 2_000);
        await using (var connection = await temp.Database.OpenAsync())
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO cap_alerts (sender, identifier, sent, msg_type, status, tenant, campaign_id, updates_campaign_id, received_by, received_at)
                VALUES (@Sender, @Identifier, @Sent, @MsgType, @Status, @Tenant, @CampaignId, @UpdatesCampaignId, @ReceivedBy, @ReceivedAt)
                """, national);
        }

        await migrator.MigrateAsync();

        var alerts = new CapAlertStore(temp.Database);
        Assert.Equal(national, await alerts.FindAsync("national", "canhbao@ais.gov.vn", "A-1", 1_000));
        Assert.True(await alerts.TryInsertAsync(national with { Tenant = "HN", CampaignId = "c2" }));
        Assert.False(await alerts.TryInsertAsync(national with { CampaignId = "c3" }));
        Assert.Equal(["HN", "national"], (await alerts.FindInAnyTenantAsync("canhbao@ais.gov.vn", "A-1", 1_000)).Select(a => a.Tenant).Order());
    }
}
