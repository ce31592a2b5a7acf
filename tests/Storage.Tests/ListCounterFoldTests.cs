using Loa.Storage.Audiences;
using Loa.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.Storage.Tests;

/// <summary>
/// The preview reads a list's counters folded in SQL to the dimensions its filter asks about (issue 19):
/// each fold must be the full counters summed over what it leaves out, to the member, on each dialect, and
/// the full read must be the members counted one by one.
/// </summary>
public sealed class ListCounterFoldTests
{
    private static readonly string[] Carriers = ["viettel", "mobifone", "vinaphone"];
    private static readonly string[] Provinces = ["01", "31", "79"];
    private static readonly string?[] Communes = ["00004", "00007", null, "00010"];
    private static readonly string?[] Tags = ["student", "elderly,student", null, "civil-servant", null];

    [Theory, SqliteData, SqlServerData]
    public async Task Every_fold_of_the_counters_is_the_members_counted_one_by_one(DatabaseProvider dialect)
    {
        await using var temp = await TempDatabase.CreateAsync(dialect);
        var lists = new ListStore(temp.Database, TimeProvider.System, NullLogger<ListStore>.Instance);
        var members = Enumerable.Range(0, 200).Select(i => (
            Msisdn: $"+8486{i:D7}", Carrier: Carriers[i % 3], Province: Provinces[i / 7 % 3], Commune: Communes[i % 4], Tags: Tags[i % 5])).ToList();
        string id;
        await using (var import = await lists.BeginImportAsync("national", "fold", "spec"))
        {
            foreach (var m in members)
                await import.AddAsync(m.Msisdn, m.Province, m.Carrier, m.Tags, null, commune: m.Commune);
            id = (await import.CommitAsync(0)).Id;
        }

        foreach (var detail in new[] { CounterDetail.None, CounterDetail.Communes, CounterDetail.Tags, CounterDetail.Communes | CounterDetail.Tags })
        {
            var expected = members
                .GroupBy(m => (m.Carrier, m.Province,
                    Commune: detail.HasFlag(CounterDetail.Communes) ? m.Commune ?? "" : "",
                    Tags: detail.HasFlag(CounterDetail.Tags) ? m.Tags ?? "" : ""))
                .Select(g => new ListCountRow(g.Key.Carrier, g.Key.Province, g.Count(), g.Key.Commune, g.Key.Tags))
                .Order(Comparer).ToList();

            var read = (await lists.CountsAsync([id], detail)).Order(Comparer).ToList();

            Assert.True(expected.SequenceEqual(read), $"{detail}: expected {string.Join("; ", expected)}, read {string.Join("; ", read)}");
        }
    }

    private static readonly Comparer<ListCountRow> Comparer = Comparer<ListCountRow>.Create((a, b) =>
        string.CompareOrdinal($"{a.Carrier}|{a.Province}|{a.Commune}|{a.Tags}", $"{b.Carrier}|{b.Province}|{b.Commune}|{b.Tags}"));
}
