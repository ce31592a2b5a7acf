using Dapper;
using Loa.Storage;
using Loa.Storage.Audiences;
using Loa.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Loa.Storage.Audiences.ListStore;

namespace Loa.Storage.Tests;

/// <summary>
/// A list import on a real SQLite file (perf issue 7, recommendation 5): members go in a chunk per
/// short write transaction, so other writers get turns during a long upload; the list appears only at
/// commit, and an import given up deletes what it wrote.
/// </summary>
public sealed class ListImportChunkTests : IAsyncLifetime
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);
    private static readonly string[] Carriers = ["viettel", "mobifone", "vinaphone"];
    private static readonly string[] Provinces = ["HN", "HCM", "DN", ""];

    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-11-30T08:00:00Z"));
    private TempDatabase temp = null!;
    private Database database = null!;
    private ListStore lists = null!;

    // The dialect is the test case's: each case starts its own database.
    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        database = temp.Database;
        lists = new ListStore(database, time, NullLogger<ListStore>.Instance);
    }

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    [Theory, SqliteData, SqlServerData]
    public async Task Repeats_within_a_chunk_and_across_chunks_are_counted_exactly_and_the_first_row_of_a_number_wins(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        const int unique = 3 * ListImport.ChunkRows + 1_234; // three full chunks and a partial one
        var duplicates = 0;
        await using var import = await lists.BeginImportAsync("national", "chunks", "author");
        for (var i = 0; i < unique; i++)
        {
            await AddAsync(import, i);
            if (i % 7 == 0)
            {
                // Straight after the first: in the same chunk (unless that row filled it), with another
                // province that must not replace the first one's.
                await import.AddAsync(Number(i), "XX", Carrier(i), null, null);
                duplicates++;
            }
            if (i % 11 == 0 && i >= ListImport.ChunkRows)
            {
                // A full chunk of new numbers back: already written by an earlier chunk's statement.
                await import.AddAsync(Number(i - ListImport.ChunkRows), "YY", Carrier(i - ListImport.ChunkRows), null, null);
                duplicates++;
            }
        }
        var row = await import.CommitAsync(rejected: 5);

        Assert.Equal(unique, row.Accepted);
        Assert.Equal(duplicates, row.Duplicates);
        Assert.Equal(5, row.Rejected);
        var stored = await lists.GetAsync(import.Id);
        Assert.Equal(row, stored);

        var expected = Enumerable.Range(0, unique)
            .GroupBy(i => (Carrier(i), Province(i), Tags(i) ?? ""))
            .Select(g => new ListCountRow(g.Key.Item1, g.Key.Item2, g.Count(), "", g.Key.Item3))
            .OrderBy(c => c.Carrier).ThenBy(c => c.Province, StringComparer.Ordinal).ThenBy(c => c.Tags, StringComparer.Ordinal);
        var counts = (await lists.CountsAsync([import.Id]))
            .OrderBy(c => c.Carrier).ThenBy(c => c.Province, StringComparer.Ordinal).ThenBy(c => c.Tags, StringComparer.Ordinal);
        Assert.Equal(expected, counts);

        await using var connection = await database.OpenAsync();
        var members = (await connection.QueryAsync<(string Msisdn, string Province, string? Tags, string? Name)>(
            "SELECT msisdn, province, tags, name FROM list_members WHERE list_id = @id ORDER BY msisdn", new { id = import.Id })).ToList();
        Assert.Equal(Enumerable.Range(0, unique).Select(i => (Number(i), Province(i), Tags(i), Name(i))), members);
    }

    [Theory, SqliteData, SqlServerData]
    public async Task Another_writer_gets_its_turn_while_an_import_is_open_before_and_after_a_chunk_is_written(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        await using var import = await lists.BeginImportAsync("national", "turns", "author");
        for (var i = 0; i < 10; i++)
            await AddAsync(import, i);
        await WriteElsewhereAsync("+84910000001"); // the import has not taken the lock to begin with

        for (var i = 10; i < ListImport.ChunkRows + 10; i++)
            await AddAsync(import, i);
        await WriteElsewhereAsync("+84910000002"); // nor kept it once its first chunk was written

        for (var i = ListImport.ChunkRows + 10; i < 2 * ListImport.ChunkRows + 10; i++)
            await AddAsync(import, i);
        var row = await import.CommitAsync(rejected: 0);

        Assert.Equal(2 * ListImport.ChunkRows + 10, row.Accepted);
        await using var connection = await database.OpenAsync();
        Assert.Equal(2L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM optouts"));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_list_is_not_visible_before_its_commit(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        await using var import = await lists.BeginImportAsync("national", "hidden", "author");
        for (var i = 0; i < 2 * ListImport.ChunkRows + 3; i++)
            await AddAsync(import, i);

        await using (var connection = await database.OpenAsync())
        {
            Assert.Equal(2L * ListImport.ChunkRows, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM list_members WHERE list_id = @id", new { id = import.Id }));
            Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM list_counts WHERE list_id = @id", new { id = import.Id }));
        }
        Assert.Null(await lists.GetAsync(import.Id));
        Assert.Empty(await lists.GetManyAsync([import.Id]));

        await import.CommitAsync(rejected: 0);
        Assert.NotNull(await lists.GetAsync(import.Id));
        Assert.Equal(2 * ListImport.ChunkRows + 3, (await lists.CountsAsync([import.Id])).Sum(c => c.Recipients));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task An_import_disposed_without_commit_leaves_no_members_and_no_list(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var kept = await lists.BeginImportAsync("national", "kept", "author");
        await using (kept)
        {
            for (var i = 0; i < 20; i++)
                await AddAsync(kept, i);
            await kept.CommitAsync(rejected: 0);
        }

        string abandoned;
        await using (var import = await lists.BeginImportAsync("national", "abandoned", "author"))
        {
            abandoned = import.Id;
            // More than one deletion slice's worth, and a partial chunk that never reached the table.
            for (var i = 0; i < 3 * ListImport.ChunkRows + 17; i++)
                await AddAsync(import, i);
            await using var connection = await database.OpenAsync();
            Assert.Equal(3L * ListImport.ChunkRows, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM list_members WHERE list_id = @id", new { id = abandoned }));
        }

        await using (var connection = await database.OpenAsync())
        {
            Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM list_members WHERE list_id = @id", new { id = abandoned }));
            Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM list_counts WHERE list_id = @id", new { id = abandoned }));
            Assert.Equal([kept.Id], await connection.QueryAsync<string>("SELECT id FROM lists"));
            Assert.Empty(await connection.QueryAsync<string>("SELECT id FROM list_imports"));
            Assert.Equal(20L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM list_members"));
        }
        Assert.Null(await lists.GetAsync(abandoned));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task An_import_a_crash_left_behind_is_swept_once_still_for_the_threshold_and_a_live_one_is_not(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var stillFor = TimeSpan.FromHours(1);
        // The process "dies": the import is neither committed nor disposed.
        var crashed = await lists.BeginImportAsync("national", "crashed", "author");
        for (var i = 0; i < ListImport.ChunkRows + 5; i++)
            await AddAsync(crashed, i);
        await using var live = await lists.BeginImportAsync("national", "live", "author");
        for (var i = 0; i < ListImport.ChunkRows; i++)
            await AddAsync(live, i);
        var kept = await lists.BeginImportAsync("national", "kept", "author");
        await using (kept)
        {
            await AddAsync(kept, 1);
            await kept.CommitAsync(rejected: 0);
        }

        time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(0, await lists.SweepAbandonedImportsAsync(stillFor));
        for (var i = ListImport.ChunkRows; i < 2 * ListImport.ChunkRows; i++) // the live upload writes its next chunk
            await AddAsync(live, i);
        time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(1, await lists.SweepAbandonedImportsAsync(stillFor));
        await using (var connection = await database.OpenAsync())
        {
            Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM list_members WHERE list_id = @id", new { id = crashed.Id }));
            Assert.Equal([live.Id], await connection.QueryAsync<string>("SELECT id FROM list_imports"));
        }
        Assert.Equal(0, await lists.SweepAbandonedImportsAsync(stillFor));

        var row = await live.CommitAsync(rejected: 0);
        Assert.Equal(2 * ListImport.ChunkRows, row.Accepted);
        await using (var connection = await database.OpenAsync())
        {
            Assert.Empty(await connection.QueryAsync<string>("SELECT id FROM list_imports"));
            Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM list_members WHERE list_id = @id", new { id = kept.Id }));
        }
    }

    private static Task AddAsync(ListImport import, int i) =>
        import.AddAsync(Number(i), Province(i), Carrier(i), Tags(i), Name(i));

    private static string Number(int i) => "+849" + i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture);

    private static string Carrier(int i) => Carriers[i % Carriers.Length];

    private static string Province(int i) => Provinces[i % Provinces.Length];

    private static string? Tags(int i) => i % 3 == 0 ? null : "flood,zone-" + (i % 9);

    // Names the database must give back as written: Vietnamese, quotes and a backslash, a pair of surrogates.
    private static string? Name(int i) => (i % 5) switch
    {
        0 => null,
        1 => "Nguyễn Văn An",
        2 => "O'Brien \"Bảo\" \\ 😀",
        _ => "n" + i,
    };

    /// <summary>A write on its own connection that must get its turn now, while the import is open.</summary>
    private async Task WriteElsewhereAsync(string msisdn)
    {
        await using var connection = await database.OpenAsync();
        using var cancel = new CancellationTokenSource(Generous); // a turn never given fails the test rather than hanging it
        await using var transaction = await Database.BeginWriteAsync(connection, cancel.Token);
        await connection.ExecuteAsync(
            "INSERT INTO optouts (msisdn, tenant, source, created_by, created_at) VALUES (@msisdn, 'national', 'api', 'operator', 0)",
            new { msisdn }, transaction);
        await transaction.CommitAsync();
    }
}
