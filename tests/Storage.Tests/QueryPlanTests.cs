using Loa.Storage;
using Loa.Storage.Batches;
using Loa.Storage.Receipts;
using Loa.Tests.Shared;

namespace Loa.Storage.Tests;

/// <summary>
/// The hot statements' SQLite plans, on the migrated schema. A plan that goes wrong costs no
/// correctness, only speed, so no other test notices: a batch check once sent the results update
/// through ix_deliveries_batch, one JSON scan per row of the batch, and end to end fell twelvefold.
/// These read the plan, never a clock.
/// </summary>
public sealed class QueryPlanTests : IAsyncLifetime
{
    private TempDatabase temp = null!;
    private Database database = null!;

    public async Task InitializeAsync()
    {
        temp = await TempDatabase.CreateAsync();
        database = temp.Database;
    }

    public async Task DisposeAsync() => await temp.DisposeAsync();

    [Fact]
    public async Task A_batch_result_finds_each_delivery_by_its_id_from_the_json()
    {
        var plan = await PlanAsync(BatchLedger.RecordResults.Sqlite, ("now", 0L), ("attempts", 1L), ("results", "[]"), ("batch", 1L));

        Assert.Contains(plan, step => step.StartsWith("SCAN j", StringComparison.Ordinal));
        Assert.Contains(plan, step => step.Contains("SEARCH deliveries USING INTEGER PRIMARY KEY", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.Contains("ix_deliveries_batch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_receipt_post_finds_each_delivery_by_its_carrier_message_id()
    {
        var plan = await PlanAsync(ReceiptLedger.Match.Sqlite, ("ids", "[]"), ("carrier", "viettel"));

        Assert.Contains(plan, step => step.Contains("ix_deliveries_carrier_message", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN d", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_phones_ack_finds_its_device_by_the_token_hash_and_the_push_by_the_unique_delivery_index()
    {
        var device = await PlanAsync(Loa.Storage.Acks.AckLedger.FindDevice.Sqlite, ("hash", "aa"), ("tenant", DBNull.Value));
        var deliveries = await PlanAsync(Loa.Storage.Acks.AckLedger.FindDeliveries.Sqlite, ("campaign", "c"), ("device", "1"), ("topic", "loa-01-vi"));

        Assert.Contains(device, step => step.Contains("ux_devices_token_hash", StringComparison.Ordinal));
        Assert.Contains(deliveries, step => step.Contains("ux_deliveries", StringComparison.Ordinal));
        Assert.DoesNotContain(deliveries, step => step.StartsWith("SCAN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_planner_asks_whether_a_topic_has_devices_with_one_seek_of_the_audience_index()
    {
        var plan = await PlanAsync(Loa.Storage.Devices.DeviceAudience.Any.Sqlite, ("App", "loa"), ("Province", "01"), ("Language", "vi"));

        Assert.Contains(plan, step => step.StartsWith("SEARCH devices USING COVERING INDEX ix_devices_audience", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.StartsWith("SCAN devices", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_push_preview_reads_an_apps_counters_never_its_devices()
    {
        var plan = await PlanAsync(Loa.Storage.Devices.DeviceAudience.CountByApp.Sqlite, ("App", "loa"));

        Assert.Contains(plan, step => step.StartsWith("SEARCH device_counts USING PRIMARY KEY", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.Contains("devices ", StringComparison.Ordinal) && !step.Contains("device_counts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_preview_reads_the_ported_numbers_of_a_list_by_probing_the_list_once_per_ported_number()
    {
        var plan = await PlanAsync(Loa.Storage.Audiences.ListStore.PortedMembers.Sqlite, ("listId", "l"));

        AssertDrivenBy(plan, "SCAN p");
    }

    [Fact]
    public async Task A_preview_reads_the_opted_out_members_of_a_list_by_probing_the_list_once_per_opt_out()
    {
        var plan = await PlanAsync(Loa.Storage.Suppression.SuppressionStore.OptedOutMembers.Sqlite, ("listId", "l"));

        AssertDrivenBy(plan, "SCAN o");
    }

    [Fact]
    public async Task A_preview_reads_the_capped_members_of_a_list_by_probing_the_list_once_per_capped_number()
    {
        var plan = await PlanAsync(Loa.Storage.Suppression.SuppressionStore.CappedMembers.Sqlite, ("listId", "l"), ("since", 0L), ("cap", 1L));

        AssertDrivenBy(plan, "SCAN a");
    }

    // The small table is the outer loop and each of its rows finds a member by the whole primary key: a
    // scan of the list's members was 0.2-1 s of every preview of a 1M list (issue 19).
    private static void AssertDrivenBy(List<string> plan, string outer)
    {
        var scan = plan.FindIndex(step => step.StartsWith(outer, StringComparison.Ordinal));
        var probe = plan.FindIndex(step => step.StartsWith("SEARCH m USING PRIMARY KEY (list_id=? AND msisdn=?)", StringComparison.Ordinal));
        Assert.True(scan >= 0 && probe > scan, string.Join(" | ", plan));
    }

    [Fact]
    public async Task The_planners_device_page_is_read_from_the_audience_index_alone_in_id_order()
    {
        var plan = await PlanAsync(Loa.Storage.Devices.DeviceAudience.Page.Sqlite,
            ("App", "loa"), ("Province", "01"), ("Language", "vi"), ("After", 0L), ("Limit", 1000L));

        // Covering (msisdn in the index, 0030): a page of a million-device table never reads the 400-byte rows.
        Assert.Contains(plan, step => step.StartsWith("SEARCH devices USING COVERING INDEX ix_devices_audience (app=? AND province=? AND language=? AND", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, step => step.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    private async Task<List<string>> PlanAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await database.OpenAsync();
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
