using System.Globalization;
using System.Text.Json;
using Dapper;
using Loa.Contracts;
using Loa.Storage.Geography;
using Loa.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests.Geography;

/// <summary>
/// An upgrade across migration 0018 on a SQLite file holding pre-2025 codes: what names a tenant or a
/// member's province today moves to its unit's code; what happened (deliveries, counters, audit) stays.
/// </summary>
public sealed class ProvinceMigrationTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2025-06-20T08:00:00Z", CultureInfo.InvariantCulture));
    private TempDatabase temp = null!;

    public async Task InitializeAsync() => temp = await TempDatabase.CreateAsync(migrate: false);

    public async Task DisposeAsync() => await temp.DisposeAsync();

    [Fact]
    public async Task Migration_0018_moves_tenants_members_audiences_and_devices_to_todays_units_and_keeps_history()
    {
        var migrator = new Migrator(temp.Database, NullLogger<Migrator>.Instance);
        await migrator.MigrateToAsync(17);
        foreach (var id in new[] { "hg-campaign", "hn-campaign", "national-campaign" })
            await temp.InsertRunningCampaignAsync(id, CampaignKind.Warning, time);
        await using (var connection = await temp.Database.OpenAsync())
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO api_keys (id, key_hash, name, tenant, roles, created_at) VALUES
                    ('k1', 'h1', 'ops', 'HG', 'author', 1), ('k2', 'h2', 'ops', 'CT', 'author', 1),
                    ('k3', 'h3', 'ops', 'ST', 'author', 1), ('k4', 'h4', 'hn', 'HN', 'admin', 1), ('k5', 'h5', 'all', 'national', 'admin', 1);
                INSERT INTO api_keys (id, key_hash, name, tenant, roles, created_at, revoked_at) VALUES ('k6', 'h6', 'ops', 'HG', 'author', 1, 2);
                INSERT INTO lists (id, tenant, name, created_by, created_at, accepted, rejected, duplicates) VALUES
                    ('l-hg', 'HG', 'Hậu Giang', 'key:k1', 1, 3, 0, 0), ('l-nat', 'national', 'Cả nước', 'key:k5', 1, 4, 0, 0);
                INSERT INTO list_members (list_id, msisdn, province) VALUES
                    ('l-hg', '+84900000001', 'HG'), ('l-hg', '+84900000002', 'HG'), ('l-hg', '+84900000003', 'HG'),
                    ('l-nat', '+84900000011', 'HN'), ('l-nat', '+84900000012', 'HG'), ('l-nat', '+84900000013', 'CT'), ('l-nat', '+84900000014', '');
                INSERT INTO list_counts (list_id, carrier, province, recipients) VALUES
                    ('l-hg', 'viettel', 'HG', 3),
                    ('l-nat', 'viettel', 'HN', 1), ('l-nat', 'viettel', 'HG', 1), ('l-nat', 'viettel', 'CT', 1), ('l-nat', 'viettel', '', 1);
                UPDATE campaigns SET tenant = 'HG', definition = '{"audience":{"lists":["l-hg"],"provinces":["HG"],"carriers":null}}' WHERE id = 'hg-campaign';
                UPDATE campaigns SET tenant = 'HN', definition = '{"audience":{"lists":["l-nat"],"provinces":null}}' WHERE id = 'hn-campaign';
                UPDATE campaigns SET definition = '{"audience":{"lists":["l-nat"],"provinces":["HG","ct","TH","XX"]}}' WHERE id = 'national-campaign';
                INSERT INTO cap_alerts (tenant, sender, identifier, sent, msg_type, status, campaign_id, received_by, received_at) VALUES
                    ('HG', 's', 'a', 1, 'Alert', 'Actual', 'hg-campaign', 'key:k1', 1),
                    ('ST', 's', 'a', 1, 'Alert', 'Actual', NULL, 'key:k3', 1);
                INSERT INTO optouts (msisdn, tenant, source, created_by, created_at) VALUES ('+84900000001', 'HG', 'api', 'key:k1', 1);
                INSERT INTO devices (token_hash, token, platform, app, province, language, tenant, registered_by, created_at, updated_at)
                    VALUES ('d1', 't', 'android', 'loa', 'HG', 'vi', 'HG', 'key:k1', 1, 1), ('d2', 't', 'ios', 'loa', 'TH', 'vi', 'national', 'key:k5', 1, 1);
                INSERT INTO deliveries (id, campaign_id, recipient, channel, carrier, province, status) VALUES (1, 'hg-campaign', '+84900000001', 'sms', 'viettel', 'HG', 'queued');
                INSERT INTO campaign_progress (campaign_id, carrier, province, status, count) VALUES ('hg-campaign', 'viettel', 'HG', 'queued', 1);
                """);
        }

        await migrator.MigrateAsync();

        await using var db = await temp.Database.OpenAsync();
        Assert.Equal(
            [("k1", "ops (HG)", "92"), ("k2", "ops", "92"), ("k3", "ops (ST)", "92"), ("k4", "hn", "01"), ("k5", "all", "national"), ("k6", "ops", "92")],
            (await db.QueryAsync<(string, string, string)>("SELECT id, name, tenant FROM api_keys ORDER BY id")).ToList());
        Assert.Equal([("l-hg", "92"), ("l-nat", "national")], (await db.QueryAsync<(string, string)>("SELECT id, tenant FROM lists ORDER BY id")).ToList());
        Assert.Equal(
            ["92", "92", "92", "01", "92", "92", ""],
            await db.QueryAsync<string>("SELECT province FROM list_members ORDER BY list_id, msisdn"));
        Assert.Equal(
            [("l-hg", "92", 3L), ("l-nat", "", 1L), ("l-nat", "01", 1L), ("l-nat", "92", 2L)],
            (await db.QueryAsync<(string, string, long)>("SELECT list_id, province, recipients FROM list_counts ORDER BY list_id, province")).ToList());

        var campaigns = (await db.QueryAsync<(string Id, string Tenant, string Definition)>("SELECT id, tenant, definition FROM campaigns ORDER BY id")).ToList();
        Assert.Equal(["92", "01", "national"], campaigns.Select(c => c.Tenant));
        string[]? Provinces(int i) => JsonSerializer.Deserialize<CampaignDefinition>(campaigns[i].Definition, LoaJson.Options)!.Audience!.Provinces?.Order().ToArray();
        Assert.Equal(["92"], Provinces(0)!);
        Assert.Null(Provinces(1));
        Assert.Equal(["38", "92", "XX"], Provinces(2)!); // HG and ct are one unit now; an unknown code is left for the author to see
        Assert.Equal(["l-hg"], JsonSerializer.Deserialize<CampaignDefinition>(campaigns[0].Definition, LoaJson.Options)!.Audience!.Lists);

        // Two old provinces received the same alert: the first moves, the second keeps its tenant rather than fail the upgrade.
        Assert.Equal(["92", "ST"], (await db.QueryAsync<string>("SELECT tenant FROM cap_alerts ORDER BY tenant")).ToList());
        Assert.Equal("92", await db.ExecuteScalarAsync<string>("SELECT tenant FROM optouts"));
        Assert.Equal([("92", "92"), ("38", "national")], (await db.QueryAsync<(string, string)>("SELECT province, tenant FROM devices ORDER BY token_hash")).ToList());

        // History stays as it was then; reports map it to today's unit when asked.
        Assert.Equal("HG", await db.ExecuteScalarAsync<string>("SELECT province FROM deliveries"));
        Assert.Equal("HG", await db.ExecuteScalarAsync<string>("SELECT province FROM campaign_progress WHERE province <> ''"));

        Assert.Equal(34L, await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM provinces"));
        Assert.Equal(0L, await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM sqlite_master WHERE name = 'province_moves_0018'"));
    }

    [Fact]
    public async Task The_tables_the_migration_wrote_are_the_shipped_files_and_a_changed_file_replaces_them()
    {
        await new Migrator(temp.Database, NullLogger<Migrator>.Instance).MigrateAsync();
        var store = new ProvinceStore(temp.Database);
        var shipped = Provinces.Shipped();
        Assert.Equal(shipped.Units, await store.UnitsAsync());
        await using (var db = await temp.Database.OpenAsync())
        {
            var remaps = await db.QueryAsync<ProvinceRemap>("SELECT code AS Code, province AS Province, scheme AS Scheme, name AS Name FROM province_remaps");
            Assert.Equal(shipped.Remaps.OrderBy(r => r.Code, StringComparer.Ordinal), remaps.OrderBy(r => r.Code, StringComparer.Ordinal));
        }

        var edited = Provinces.Parse(
            new StringReader("code,name,alias,kind\n01,Thủ đô Hà Nội,HN,city\n"), new StringReader("code,province,scheme,name\nHT,01,loa,Hà Tây\n"));
        await store.MirrorAsync(edited);
        Assert.Equal([new Province("01", "Thủ đô Hà Nội", "HN", "city")], await store.UnitsAsync());
        await store.MirrorAsync(shipped);
        Assert.Equal(34, (await store.UnitsAsync()).Count);
    }
}
