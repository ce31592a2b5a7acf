using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using HdrHistogram;

namespace Loa.Perf;

/// <summary>
/// The approver's wait (issue 19: "previewed exactly, not an upper bound, before approval, for lists of 10M in
/// under a second, from counters kept at upload"): a list of N members spread over the 34 provinces, a few
/// hundred communes and the plans' target groups is uploaded, a share of it opted out, and then
/// <c>POST /api/v1/campaigns/preview</c> is timed for audiences that filter by nothing, by tags, by province,
/// by commune and carrier, and for awareness (opt-outs and the frequency cap read). Each answer must say
/// <c>exact</c>; the figure is its p99 beside a small GET's in the same run.
/// </summary>
public static class PreviewScenario
{
    private static readonly string[] Provinces =
        ["01", "04", "08", "11", "12", "14", "15", "19", "20", "22", "24", "25", "31", "33", "37", "38", "40",
         "42", "44", "46", "48", "51", "52", "56", "66", "68", "75", "79", "80", "82", "86", "91", "92", "96"];

    private static readonly string[] TagSets = ["student", "elderly", "civil-servant", "student;elderly", "", "", ""];

    public static async Task RunAsync(Args args, Report report, Ceilings ceilings, Broker? broker)
    {
        const string name = "preview";
        var n = args.Long("members", 1_000_000);
        var requests = (int)args.Long("requests", 20);
        var optOuts = (int)Math.Min(args.Long("optouts", 1_000), n);
        var mode = args.Get("mode", "embedded");
        // A second list of --shared members, half of them also in the first: the preview walks it to take the repeats off.
        var sharedList = args.Long("shared", 0);
        var walkLimit = args.Get("walk-limit", "");
        Console.WriteLine($"== preview: a list of {n:N0} members (34 provinces, 340 communes, tags), {optOuts:N0} opted out, {requests} previews per audience, mode {mode}");

        var sqlite = await ceilings.SqliteAsync();
        var http = await ceilings.HttpAsync();
        await using var loa = await LoaRun.StartAsync(mode, broker, s =>
        {
            if (walkLimit.Length > 0)
                s["Loa:Lists:SharedWalkLimit"] = walkLimit;
        });
        using var author = loa.Client("dev-author");
        using var operatorClient = loa.Client("dev-operator");

        var upload = Stopwatch.StartNew();
        using (var content = new SegmentedCsv(n, 0))
        {
            var response = await author.PostAsync("/api/v1/lists?name=perf-segments", content);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (!response.IsSuccessStatusCode || body.GetProperty("accepted").GetInt64() != n)
                throw new InvalidOperationException($"List upload failed: {(int)response.StatusCode} {body}");
            upload.Stop();
            var list = body.GetProperty("id").GetString()!;
            Console.WriteLine($"  uploaded {n:N0} members in {upload.Elapsed.TotalSeconds:0.0} s");
            report.Add(new Figure(name, $"segmented list upload ({n / 1_000_000.0:0.##}M {mode})", n / upload.Elapsed.TotalSeconds, "rows/s", "SQLite insert", sqlite.InsertRowsPerSecond));

            // Opt-outs spread over the list, one request each (the awareness preview reads them).
            for (var i = 0; i < optOuts; i++)
                (await operatorClient.PostAsync($"/api/v1/optouts/{SegmentedCsv.Number(i * (n / optOuts))}", null)).EnsureSuccessStatusCode();

            string? second = null;
            if (sharedList > 0)
            {
                var start = Math.Max(0, n - sharedList / 2);
                using var more = new SegmentedCsv(sharedList, start);
                var uploaded = await author.PostAsync("/api/v1/lists?name=perf-shared", more);
                var created = await uploaded.Content.ReadFromJsonAsync<JsonElement>();
                if (!uploaded.IsSuccessStatusCode)
                    throw new InvalidOperationException($"Second list upload failed: {(int)uploaded.StatusCode} {created}");
                second = created.GetProperty("id").GetString()!;
                Console.WriteLine($"  uploaded a second list of {sharedList:N0} members, {Math.Min(n - start, sharedList):N0} of them in the first");
            }

            var audiences = new List<(string Label, string Kind, object Audience)>
            {
                ("the whole list", "warning", new { lists = new[] { list } }),
                ("include tags student", "warning", new { lists = new[] { list }, include = new { tags = new[] { "student" } } }),
                ("exclude three provinces", "warning", new { lists = new[] { list }, exclude = new { provinces = new[] { "01", "79", "92" } } }),
                ("include communes and a carrier", "warning", new { lists = new[] { list }, include = new { communes = new[] { "00004", "00174", "03394" }, carriers = new[] { "viettel" } } }),
                ("awareness, tags, opt-outs and cap", "awareness", new { lists = new[] { list }, include = new { tags = new[] { "elderly", "civil-servant" } } }),
            };
            if (second is not null)
                audiences.Add(($"two lists, the second of {sharedList / 1_000_000.0:0.##}M, half of it shared", "warning", new { lists = new[] { list, second } }));
            if (second is not null)
            {
                // Over the walk limit the first previews are an upper bound while the shared numbers are walked in the
                // background: how long until a preview is exact. Bounded: 10 minutes.
                var waited = Stopwatch.StartNew();
                var twoLists = new { name = "perf preview", kind = "warning", channels = new[] { "sms" }, message = new { sms = LoaRun.Sms }, audience = new { lists = new[] { list, second } } };
                var turns = 0;
                while (waited.Elapsed < TimeSpan.FromMinutes(10))
                {
                    turns++;
                    var answer = await (await author.PostAsJsonAsync("/api/v1/campaigns/preview", twoLists)).Content.ReadFromJsonAsync<JsonElement>();
                    if (answer.GetProperty("preview").GetProperty("exact").GetBoolean())
                        break;
                    await Task.Delay(250);
                }
                Console.WriteLine($"  two lists: the first exact preview {waited.Elapsed.TotalSeconds:0.0} s after the first preview ({turns} previews)");
                report.Add(new Figure(name, $"two lists, the second of {sharedList / 1_000_000.0:0.##}M: first preview -> first exact preview (the background walk)", waited.Elapsed.TotalSeconds, "s"));
            }

            foreach (var (label, kind, audience) in audiences)
            {
                var histogram = new LongHistogram(TimeSpan.FromMinutes(5).Ticks / 10, 3); // microseconds
                long recipients = 0;
                var exact = true;
                for (var r = 0; r < requests; r++)
                {
                    var watch = Stopwatch.StartNew();
                    var answer = await author.PostAsJsonAsync("/api/v1/campaigns/preview", new
                    {
                        name = "perf preview", kind, channels = new[] { "sms" }, message = new { sms = LoaRun.Sms }, audience,
                    });
                    var preview = await answer.Content.ReadFromJsonAsync<JsonElement>();
                    histogram.RecordValue(watch.Elapsed.Ticks / 10);
                    if (!answer.IsSuccessStatusCode)
                        throw new InvalidOperationException($"Preview failed: {(int)answer.StatusCode} {preview}");
                    var figures = preview.TryGetProperty("preview", out var inner) ? inner : preview;
                    exact = figures.GetProperty("exact").GetBoolean();
                    if (!exact && second is null)
                        throw new InvalidOperationException($"The preview of '{label}' is not exact: {figures}");
                    recipients = figures.GetProperty("recipients").GetInt64();
                }
                var p50 = histogram.GetValueAtPercentile(50) / 1000.0;
                var p99 = histogram.GetValueAtPercentile(99) / 1000.0;
                Console.WriteLine($"  {label}: {recipients:N0} recipients{(exact ? "" : " (an upper bound: not exact)")}, p50 {p50:0.0} ms, p99 {p99:0.0} ms, max {histogram.GetMaxValue() / 1000.0:0.0} ms");
                report.Add(new Figure(name, $"preview p99, {label} ({n / 1_000_000.0:0.##}M, {recipients:N0} reached{(exact ? "" : ", not exact")})", p99, "ms", "small GET p99", http.GetP99Ms,
                    "< 1,000 ms at 10M", n >= 10_000_000 ? p99 < 1_000 : null, LowerIsBetter: true));
            }
        }
    }

    /// <summary>msisdn,province,commune,tags rows written as they are sent: provinces, communes and tag sets in turn.</summary>
    private sealed class SegmentedCsv : HttpContent
    {
        private readonly long count;
        private readonly long start;

        public SegmentedCsv(long count, long start)
        {
            this.count = count;
            this.start = start;
            Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
        }

        /// <summary>Member i's number: the five carriers' prefixes in turn, so the carriers share the list.</summary>
        public static string Number(long i) => LoaRun.Prefixes[(int)(i % LoaRun.Prefixes.Count)] + (i / LoaRun.Prefixes.Count).ToString("D7", System.Globalization.CultureInfo.InvariantCulture);

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 64 * 1024, leaveOpen: true);
            await writer.WriteAsync("msisdn,province,commune,tags\n");
            for (var i = start; i < start + count; i++)
            {
                // Commune i % 340 (00004, 00014, ... 03394): ten per province on average, as a district office's list would be.
                var commune = ((i % 340) * 10 + 4).ToString("D5", System.Globalization.CultureInfo.InvariantCulture);
                await writer.WriteAsync($"{Number(i)},{Provinces[(int)(i % Provinces.Length)]},{commune},{TagSets[(int)(i % TagSets.Length)]}\n");
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
