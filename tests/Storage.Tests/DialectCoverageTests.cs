using System.Reflection;
using Loa.Tests.Shared;

namespace Loa.Storage.Tests;

/// <summary>
/// A store spec added as a plain <c>[Fact]</c> would run on SQLite only and nobody would notice that
/// the SQL Server text beside it is never exercised: every spec here has both dialects' cases, or its
/// class is named below with the reason it cannot.
/// </summary>
public sealed class DialectCoverageTests
{
    private static readonly Dictionary<string, string> SqliteOnly = new()
    {
        [nameof(WriteGateTests)] = "SQLite's one write lock and the in-process gate before it",
        [nameof(CheckpointTests)] = "SQLite's write-ahead log checkpoint",
        [nameof(QueryPlanTests)] = "SQLite's EXPLAIN QUERY PLAN",
        [nameof(MigrationUpgradeTests)] = "builds yesterday's schema with SQLite statements (pragma_table_info)",
        [nameof(Geography.ProvinceMigrationTests)] = "builds yesterday's rows with SQLite statements",
        [nameof(SegmentUpgradeTests)] = "builds yesterday's rows with SQLite statements",
        [nameof(PagePlanTests)] = "pure logic, no database",
        [nameof(WriteCoalescerTests)] = "the acks' group commit with a stand-in writer, no database",
        [nameof(Geography.ProvincesTests)] = "pure logic, no database",
        [nameof(DialectCoverageTests)] = "reads attributes, no database",
        [nameof(SchemaParityTests)] = "compares a migrated SQLite file with what the SQL Server scripts declare, read as text",
    };

    // Single specs of a class that otherwise runs on both dialects.
    private static readonly HashSet<string> SqliteOnlyMethods =
    [
        $"{nameof(DeviceStoreTests)}.{nameof(DeviceStoreTests.Every_request_path_statement_finds_its_device_through_the_token_hash_index)}",
        $"{nameof(DeviceStoreTests)}.{nameof(DeviceStoreTests.The_planners_keyset_walk_over_an_audience_reads_the_audience_index_in_order)}",
        // Pure logic (FallbackStore.Settle), no database.
        $"{nameof(PushFallbackTests)}.{nameof(PushFallbackTests.Settle_owes_nothing_for_an_expired_cancelled_or_numberless_failed_push)}",
    ];

    [Fact]
    public void Every_store_spec_runs_on_both_dialects_or_says_why_not()
    {
        var specs = typeof(DialectCoverageTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<FactAttribute>() is not null)
            .ToList();
        Assert.NotEmpty(specs);
        var single = specs
            .Where(m => !(m.GetCustomAttribute<TheoryAttribute>() is not null
                && m.GetCustomAttribute<SqliteDataAttribute>() is not null
                && m.GetCustomAttribute<SqlServerDataAttribute>() is not null))
            .Where(m => !SqliteOnly.ContainsKey(m.DeclaringType!.Name)
                && !SqliteOnlyMethods.Contains($"{m.DeclaringType!.Name}.{m.Name}"))
            .Select(m => $"{m.DeclaringType!.Name}.{m.Name}")
            .ToList();
        Assert.Empty(single);
    }
}
