using Dapper;
using Loa.Storage.Devices;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>One row per push token, found by its hash; a tenant removes only its own; 10M rows never scanned.</summary>
public sealed class DeviceStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-12-05T03:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private readonly FakeTimeProvider time = new(Start);
    private TempDatabase temp = null!;
    private DeviceStore devices = null!;

    // The dialect is the test case's: each case starts its own database.
    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        devices = new DeviceStore(temp.Database, time);
    }

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    private static DeviceRegistration Device(string hash, string tenant = "HN", string province = "HN", string language = "vi", string? msisdn = null) =>
        new(hash, "protected-" + hash, "android", "loa", province, language, msisdn, tenant, "key:" + tenant);

    [Theory, SqliteData, SqlServerData]
    public async Task A_token_registered_again_is_the_same_device_updated_in_place(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var first = await devices.RegisterAsync(Device("aa01"));
        time.Advance(TimeSpan.FromMinutes(5));
        var again = await devices.RegisterAsync(Device("aa01", language: "en", msisdn: "+84912345678"));

        Assert.Null(first.PreviousTenant);
        Assert.Equal("HN", again.PreviousTenant);
        Assert.Equal(first.Device.Id, again.Device.Id);
        Assert.Equal(("en", "+84912345678"), (again.Device.Language, again.Device.Msisdn));
        Assert.Equal(Start.ToUnixTimeMilliseconds(), again.Device.CreatedAt);
        Assert.Equal(Start.AddMinutes(5).ToUnixTimeMilliseconds(), again.Device.UpdatedAt);
        await using var connection = await temp.Database.OpenAsync();
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM devices"));
        Assert.Equal("protected-aa01", await connection.ExecuteScalarAsync<string>("SELECT token FROM devices"));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_token_another_tenant_held_moves_to_the_registering_tenant_and_starts_afresh(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        await devices.RegisterAsync(Device("bb01", tenant: "national"));
        time.Advance(TimeSpan.FromHours(1));

        var moved = await devices.RegisterAsync(Device("bb01", tenant: "HN"));

        Assert.Equal("national", moved.PreviousTenant);
        Assert.Equal(("HN", "key:HN"), (moved.Device.Tenant, moved.Device.RegisteredBy));
        Assert.Equal(Start.AddHours(1).ToUnixTimeMilliseconds(), moved.Device.CreatedAt);
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_province_removes_only_its_own_devices_and_national_removes_any(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        await devices.RegisterAsync(Device("cc01", tenant: "national"));
        await devices.RegisterAsync(Device("cc02", tenant: "HN"));

        Assert.False(await devices.RemoveAsync("cc01", "HN"));
        Assert.False(await devices.RemoveAsync("cc99", "HN"));
        Assert.NotNull(await devices.FindAsync("cc01"));
        Assert.True(await devices.RemoveAsync("cc02", "HN"));
        Assert.True(await devices.RemoveAsync("cc01", tenant: null));
        Assert.Null(await devices.FindAsync("cc01"));
        Assert.Null(await devices.FindAsync("cc02"));
    }

    [Fact] // SQLite's query planner
    public async Task Every_request_path_statement_finds_its_device_through_the_token_hash_index()
    {
        await StartAsync(DatabaseProvider.Sqlite);
        foreach (var sql in new[] { DeviceStore.FindForUpdate.Sqlite, DeviceStore.Find.Sqlite, DeviceStore.Delete.Sqlite })
        {
            var plan = await PlanAsync(sql, ("hash", "aa"), ("tenant", "HN"));
            Assert.Contains(plan, step => step.Contains("USING INDEX ux_devices_token_hash (token_hash=?)", StringComparison.Ordinal));
            Assert.DoesNotContain(plan, step => step.StartsWith("SCAN", StringComparison.Ordinal));
        }
    }

    [Fact] // SQLite's query planner
    public async Task The_planners_keyset_walk_over_an_audience_reads_the_audience_index_in_order()
    {
        await StartAsync(DatabaseProvider.Sqlite);
        // The page the planner will read (issue 17, audiences): one app, province and language, after a cursor.
        const string page = """
            SELECT id, token_hash, token, platform, msisdn FROM devices
            WHERE app = @app AND province = @province AND language = @language AND id > @after
            ORDER BY id LIMIT @limit
            """;

        var plan = await PlanAsync(page, ("app", "loa"), ("province", "HN"), ("language", "vi"), ("after", 0L), ("limit", 1000L));

        Assert.True(plan.Any(step => step.Contains("USING INDEX ix_devices_audience (app=? AND province=? AND language=? AND", StringComparison.Ordinal)), string.Join(" / ", plan));
        Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN", StringComparison.Ordinal));
    }

    private async Task<List<string>> PlanAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await temp.Database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        var steps = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            steps.Add(reader.GetString(3));
        return steps;
    }
}
