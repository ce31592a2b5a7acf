using Dapper;
using Loa.Storage;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.CampaignApi.Tests.Security;

/// <summary>Key names became unique per tenant (migration 0012) on databases that already hold duplicates.</summary>
public sealed class KeyNameUpgradeSpecs
{
    [Fact]
    public async Task Upgrading_renames_all_but_the_oldest_of_same_named_active_keys_and_every_key_keeps_working()
    {
        await using var temp = await TempDatabase.CreateAsync(migrate: false);
        var migrator = new Migrator(temp.Database, NullLogger<Migrator>.Instance);
        await migrator.MigrateToAsync(11);
        await using (var connection = await temp.Database.OpenAsync())
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO api_keys (id, key_hash, name, tenant, roles, created_at, revoked_at) VALUES
                    ('k1', @h1, 'dev-operator', 'national', 'operator', 100, NULL),
                    ('k2', @h2, 'dev-operator', 'national', 'admin',    200, NULL),
                    ('k3', @h3, 'DEV-OPERATOR', 'national', 'author',   300, NULL),
                    ('k4', @h4, 'dev-operator', 'national', 'author',    50, 60),
                    ('k5', @h5, 'dev-operator', 'HN',       'operator', 400, NULL)
                """,
                new { h1 = ApiKeyStore.Hash("s1"), h2 = ApiKeyStore.Hash("s2"), h3 = ApiKeyStore.Hash("s3"), h4 = ApiKeyStore.Hash("s4"), h5 = ApiKeyStore.Hash("s5") });
        }

        await migrator.MigrateAsync();

        await using var db = await temp.Database.OpenAsync();
        var names = (await db.QueryAsync<(string Id, string Name)>("SELECT id, name FROM api_keys ORDER BY id")).ToList();
        Assert.Equal(
            [("k1", "dev-operator"), ("k2", "dev-operator (k2)"), ("k3", "DEV-OPERATOR (k3)"), ("k4", "dev-operator"), ("k5", "dev-operator")],
            names);
        var keys = new ApiKeyStore(temp.Database, TimeProvider.System);
        foreach (var (secret, id) in new[] { ("s1", "k1"), ("s2", "k2"), ("s3", "k3"), ("s5", "k5") })
            Assert.Equal(id, (await keys.FindAsync(secret))?.Id);
        // From now on the database itself refuses a second active key of one name in a tenant.
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => keys.CreateAsync("s6", "Dev-Operator", "national", ["author"]));
    }
}
