using System.Diagnostics;
using Loa.Storage;
using Loa.Storage.Coverage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Loa.Perf;

/// <summary>
/// The coverage fold alone (issue 19's reach counters): N reaches noted in receipt-sized posts, as the
/// receipt ledger notes them, then folded in the folder's chunks; then the same people reached again in
/// the same month (a second campaign: nothing changes), then N new people into a table that already
/// holds N. Every fold holds SQLite's one write lock, so its longest hold is what receipts and planning wait.
/// </summary>
public static class CoverageScenario
{
    public static async Task RunAsync(Args args, Report report, Ceilings ceilings, Broker? broker)
    {
        const string name = "coverage";
        var n = args.Int("people", 1_000_000);
        var post = Math.Max(1, args.Int("post", 500));
        var chunk = Math.Max(1, args.Int("chunk", 200_000));
        Console.WriteLine($"== coverage: {n:N0} people, noted {post} per post, folded {chunk:N0} at a time");
        var sqlite = await ceilings.SqliteAsync();

        var directory = LoaRun.NewDirectory();
        var database = new Database(new DatabaseOptions { ConnectionString = LoaRun.ConnectionString(directory) });
        await new Migrator(database, NullLogger<Migrator>.Instance).MigrateAsync();
        var store = new CoverageStore(database, TimeProvider.System);
        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        string[] provinces = ["01", "79", "92", "48", "31"];
        string[] carriers = ["viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile"];

        async Task<double> NoteAsync(int first)
        {
            var watch = Stopwatch.StartNew();
            for (var from = first; from < first + n; from += post)
            {
                var tally = new ReachedTally(database);
                for (var i = from; i < Math.Min(from + post, first + n); i++)
                    tally.Delivered("849" + i.ToString("D8"), provinces[i % 5], carriers[i % 5], null, at);
                await using var connection = await database.OpenAsync();
                await using var transaction = await Database.BeginWriteAsync(connection);
                await tally.FlushAsync(connection, transaction);
                await transaction.CommitAsync();
            }
            return n / watch.Elapsed.TotalSeconds;
        }

        async Task FoldAsync(string label)
        {
            var longest = TimeSpan.Zero;
            var folded = 0L;
            var watch = Stopwatch.StartNew();
            // Bounded: a fold that never drains the journal stops after twice the chunks it should need.
            for (var turns = 0; turns < 2 * (n / chunk + 2); turns++)
            {
                var one = Stopwatch.StartNew();
                var rows = await store.FoldAsync(chunk);
                one.Stop();
                if (rows == 0)
                    break;
                folded += rows;
                longest = one.Elapsed > longest ? one.Elapsed : longest;
            }
            watch.Stop();
            Console.WriteLine($"  {label}: {folded:N0} reaches folded in {watch.Elapsed.TotalSeconds:0.00} s, longest fold {longest.TotalMilliseconds:N0} ms");
            if (folded != n)
                report.Note($"coverage ({label}): folded {folded:N0} of {n:N0}");
            report.Add(new Figure(name, $"fold, {label} ({n / 1000:N0}k)", folded / watch.Elapsed.TotalSeconds, "reaches/s", "SQLite insert", sqlite.InsertRowsPerSecond));
            report.Add(new Figure(name, $"longest fold of {chunk / 1000:N0}k, {label}", longest.TotalMilliseconds, "ms", LowerIsBetter: true));
        }

        var noted = await NoteAsync(0);
        report.Add(new Figure(name, $"reaches noted ({post}/post)", noted, "reaches/s", "SQLite insert", sqlite.InsertRowsPerSecond));
        await FoldAsync("new people");
        await NoteAsync(0);
        await FoldAsync("the same people again");
        await NoteAsync(n);
        await FoldAsync($"new people, {n / 1000:N0}k kept");
        var reached = (await store.ReachedAsync(ReachedTally.YearBucket(ReachedTally.MonthOf(at).Year), 1, 12)).Sum(r => r.Reached);
        if (reached != 2L * n)
            report.Note($"coverage: the year counts {reached:N0} people, {2L * n:N0} were reached");
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A pooled connection may still hold the file; the temp directory is left for the OS.
        }
    }
}
