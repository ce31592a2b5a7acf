using System.Globalization;
using Dapper;
using Loa.Storage.Coverage;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>
/// Reach noted in receipt transactions (the journal) and folded later, in chunks, into exact distinct
/// counts per year, quarter and month: a person counts once per bucket, in the month, province and
/// carrier of the first reach, however the journal is cut into chunks and however often a reach repeats.
/// </summary>
public sealed class CoverageFoldTests : IAsyncLifetime
{
    private TempDatabase temp = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    private static long At(string vietnamTime) =>
        DateTimeOffset.Parse(vietnamTime + "+07:00", CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    private Task NoteAsync(params (string Recipient, string Province, string Carrier, long At)[] reaches) =>
        NoteTaggedAsync([.. reaches.Select(r => (r.Recipient, r.Province, r.Carrier, (string?)null, r.At))]);

    private async Task NoteTaggedAsync(params (string Recipient, string Province, string Carrier, string? Tags, long At)[] reaches)
    {
        var tally = new ReachedTally(temp.Database);
        foreach (var r in reaches)
            tally.Delivered(r.Recipient, r.Province, r.Carrier, r.Tags, r.At);
        await using var connection = await temp.Database.OpenAsync();
        await using var transaction = await Database.BeginWriteAsync(connection);
        await tally.FlushAsync(connection, transaction);
        await transaction.CommitAsync();
    }

    private async Task<Dictionary<(string Bucket, int Month, string Province, string Carrier), long>> CountsAsync()
    {
        await using var connection = await temp.Database.OpenAsync();
        var rows = await connection.QueryAsync<(string Bucket, long Month, string Province, string Carrier, long Reached)>(
            "SELECT bucket, first_month, province, carrier, reached FROM coverage_counts");
        return rows.ToDictionary(r => (r.Bucket, (int)r.Month, r.Province, r.Carrier), r => r.Reached);
    }

    [Theory, SqliteData, SqlServerData]
    public async Task Reaches_folded_in_chunks_count_each_person_once_per_bucket_where_first_reached(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        var store = new CoverageStore(temp.Database, new FakeTimeProvider());
        // a: January (01, viettel), again in January, and in February elsewhere; b: 1 January 00:30 Vietnam
        // time (still 31 December 2025 in UTC: Vietnam's calendar counts), then April; c: twice in one post.
        await NoteAsync(
            ("84860000001", "01", "viettel", At("2026-01-05T09:00:00")),
            ("84860000002", "79", "mobifone", At("2026-01-01T00:30:00")),
            ("84860000003", "01", "viettel", At("2026-02-02T08:00:00")),
            ("84860000003", "01", "viettel", At("2026-02-02T08:00:01")));
        await NoteAsync(
            ("84860000001", "01", "viettel", At("2026-01-20T09:00:00")),
            ("84860000001", "92", "vinaphone", At("2026-02-10T09:00:00")),
            ("84860000002", "79", "mobifone", At("2026-04-01T00:10:00")));
        Assert.Equal(7, await store.PendingAsync());

        // Chunks of 2 cut the journal between a reach and its repeat: the fold must not count either twice.
        var folded = 0;
        for (var turn = 0; turn < 10 && await store.FoldAsync(2) is var n and > 0; turn++)
            folded += n;
        Assert.Equal(7, folded);
        Assert.Equal(0, await store.PendingAsync());

        var counts = await CountsAsync();
        var expected = new Dictionary<(string, int, string, string), long>
        {
            // The year: a, b (January) and c (February), each once, where first reached.
            [("Y2026", 1, "01", "viettel")] = 1,
            [("Y2026", 1, "79", "mobifone")] = 1,
            [("Y2026", 2, "01", "viettel")] = 1,
            // The first quarter: the same three; the second: b again, in April.
            [("Q2026-1", 1, "01", "viettel")] = 1,
            [("Q2026-1", 1, "79", "mobifone")] = 1,
            [("Q2026-1", 2, "01", "viettel")] = 1,
            [("Q2026-2", 4, "79", "mobifone")] = 1,
            // Months: January a and b; February c and a (a's February reach was elsewhere); April b.
            [("M2026-01", 1, "01", "viettel")] = 1,
            [("M2026-01", 1, "79", "mobifone")] = 1,
            [("M2026-02", 2, "01", "viettel")] = 1,
            [("M2026-02", 2, "92", "vinaphone")] = 1,
            [("M2026-04", 4, "79", "mobifone")] = 1,
        };
        Assert.Equal(expected.OrderBy(k => k.Key).ToList(), counts.OrderBy(k => k.Key).ToList());

        // A reach noted again (a receipt replayed after a crash) is folded and ignored.
        await NoteAsync(("84860000001", "01", "viettel", At("2026-01-05T09:00:00")));
        Assert.Equal(1, await store.FoldAsync(100));
        Assert.Equal(counts.OrderBy(k => k.Key).ToList(), (await CountsAsync()).OrderBy(k => k.Key).ToList());
        Assert.Equal(0, await store.FoldAsync(100));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_person_counts_once_per_bucket_under_the_tag_set_of_the_first_reach(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        var store = new CoverageStore(temp.Database, new FakeTimeProvider());
        // a: a student and elderly, then reached again in March through a list that tags them only student;
        // b: a student; c: no tags.
        await NoteTaggedAsync(
            ("84860000001", "01", "viettel", "elderly,student", At("2026-01-05T09:00:00")),
            ("84860000002", "01", "viettel", "student", At("2026-01-06T09:00:00")),
            ("84860000003", "01", "viettel", null, At("2026-01-07T09:00:00")));
        await NoteTaggedAsync(("84860000001", "01", "viettel", "student", At("2026-03-01T09:00:00")));
        for (var turn = 0; turn < 10 && await store.FoldAsync(100) > 0; turn++)
        {
        }

        var year = (await store.ReachedAsync(ReachedTally.YearBucket(2026), 1, 12)).ToDictionary(r => r.Tags, r => r.Reached);
        Assert.Equal(new Dictionary<string, long> { ["elderly,student"] = 1, ["student"] = 1, [""] = 1 }, year);
        // March alone: a, under the tags of that reach.
        var march = (await store.ReachedAsync(ReachedTally.MonthBucket(2026, 3), 3, 3)).ToDictionary(r => r.Tags, r => r.Reached);
        Assert.Equal(new Dictionary<string, long> { ["student"] = 1 }, march);
    }
}
