using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Loa.Contracts;
using Loa.Dispatcher.Planning;
using Loa.Storage;
using Loa.Storage.Routing;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Lifecycle;

/// <summary>
/// The preview is exact for every filter shape (issue 19: "previewed exactly, not an upper bound"): each
/// answer equals a brute-force count over the members the spec itself uploaded, member by member, with
/// ported numbers, opt-outs and the awareness frequency cap in play, on each dialect. The preview reads
/// counters kept at upload and probes the small tables; this count reads nothing but the spec's own rows.
/// </summary>
public sealed class PreviewExactnessSpecs
{
    private const int Members = 90;
    private const int EarlierAwareness = 20; // numbers 0-19 had today's one awareness message: they are at the cap
    private static readonly int[] OptedOut = [3, 10, 44, 57, 71];
    private static readonly (int Number, string Carrier)[] Ported = [(13, "mobifone"), (40, "vinaphone"), (27, "viettel")];

    private static readonly string[] Communes = ["00004", "00007", "00010", ""];
    private static readonly string[][] TagSets = [["student"], ["elderly", "student"], ["civil-servant"], [], ["elderly"]];

    private sealed record Member(string Msisdn, string Province, string Commune, string[] Tags);

    /// <param name="shift">Another list's row of the same number: its place and tags moved on by this much.</param>
    private static Member At(int n, int shift = 0) =>
        new("+84" + LoaTestHost.Number(n)[1..], (n + shift) % 3 == 0 ? "31" : "01", Communes[(n + shift) % Communes.Length], TagSets[(n + shift) % TagSets.Length]);

    /// <param name="Tags">Any of them (include) or none of them (exclude); the others likewise per dimension.</param>
    public sealed record Filter(string[]? Tags = null, string[]? Provinces = null, string[]? Communes = null, string[]? Carriers = null);

    public sealed record Shape(string Name, string Kind, Filter? Include = null, Filter? Exclude = null)
    {
        public override string ToString() => Name;
    }

    private static readonly Shape[] Shapes =
    [
        new("the whole list", "warning"),
        new("include tags", "warning", Include: new(Tags: ["student"])),
        new("exclude tags", "warning", Exclude: new(Tags: ["elderly"])),
        new("include provinces", "warning", Include: new(Provinces: ["31"])),
        new("exclude provinces", "warning", Exclude: new(Provinces: ["31"])),
        new("include communes", "warning", Include: new(Communes: ["00004", "00010"])),
        new("exclude communes", "warning", Exclude: new(Communes: ["00007"])),
        new("include carriers (ported numbers counted where they went)", "warning", Include: new(Carriers: ["viettel", "mobifone"])),
        new("exclude carriers", "warning", Exclude: new(Carriers: ["viettel"])),
        new("communes and a carrier", "warning", Include: new(Communes: ["00004", "00007"], Carriers: ["viettel"])),
        new("a province and a commune: either place", "warning", Include: new(Provinces: ["31"], Communes: ["00004"])),
        new("awareness: opt-outs and the cap", "awareness"),
        new("awareness: tags, opt-outs and the cap", "awareness", Include: new(Tags: ["elderly", "civil-servant"])),
        new("awareness: everything at once", "awareness",
            Include: new(Tags: ["student"], Provinces: ["01", "31"], Communes: ["00004", "00007", "00010"]),
            Exclude: new(Tags: ["civil-servant"], Carriers: ["mobifone"])),
    ];

    [Theory, SqliteData, SqlServerData]
    public async Task Every_filter_shape_previews_the_brute_force_count_of_the_list(DatabaseProvider dialect)
    {
        await using var loa = await LoaTestHost.StartAsync(
            s => s["Loa:Safety:AwarenessPerDay"] = "1", clock: ShiftedClock.AtVietnamTime(new TimeOnly(12, 0)), database: dialect);
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");

        var earlier = await UploadAsync(author, Enumerable.Range(0, EarlierAwareness));
        var earlierCampaign = await author.PostAsJsonAsync("/api/v1/campaigns", Body("awareness", earlier, null, null));
        var earlierId = (await earlierCampaign.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await LoaTestHost.SubmitAndApproveAsync(author, approver, earlierId);
        await LoaTestHost.WaitForEndAsync(operatorClient, earlierId, TimeSpan.FromSeconds(60));

        var list = await UploadAsync(author, Enumerable.Range(0, Members));
        await loa.Services.GetRequiredService<RoutingStore>().UpsertPortedAsync([.. Ported.Select(p => (At(p.Number).Msisdn, p.Carrier))]);
        foreach (var n in OptedOut)
            (await operatorClient.PostAsync($"/api/v1/optouts/{LoaTestHost.Number(n)}", null)).EnsureSuccessStatusCode();

        var router = await loa.Services.GetRequiredService<RouteTable>().GetAsync(CancellationToken.None);
        var ported = Ported.ToDictionary(p => At(p.Number).Msisdn, p => p.Carrier);
        var optedOut = OptedOut.Select(n => At(n).Msisdn).ToHashSet();
        var capped = Enumerable.Range(0, EarlierAwareness).Select(n => At(n).Msisdn).ToHashSet();
        var members = Enumerable.Range(0, Members).Select(n => At(n))
            .Select(m => (Member: m, Carrier: router.Route(m.Msisdn, ported.GetValueOrDefault(m.Msisdn)) ?? Unrouted.Carrier)).ToList();

        foreach (var shape in Shapes)
        {
            var reached = members.Where(m => Inside(shape.Include, shape.Exclude, m.Member, m.Carrier)).ToList();
            var byReason = new SortedDictionary<string, long>(StringComparer.Ordinal);
            if (shape.Kind == "awareness")
            {
                byReason["opted-out"] = reached.Count(m => optedOut.Contains(m.Member.Msisdn));
                byReason["frequency-cap"] = reached.Count(m => capped.Contains(m.Member.Msisdn) && !optedOut.Contains(m.Member.Msisdn));
            }
            var expected = (
                Recipients: (long)reached.Count,
                ByCarrier: NonZero(reached.GroupBy(m => m.Carrier).ToDictionary(g => g.Key, g => (long)g.Count())),
                ByReason: NonZero(byReason));

            var response = await author.PostAsJsonAsync("/api/v1/campaigns/preview", Body(shape.Kind, list, shape.Include, shape.Exclude));
            var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(response.IsSuccessStatusCode, $"{shape}: {answer}");
            var preview = answer.GetProperty("preview");
            var said = (
                Recipients: preview.GetProperty("recipients").GetInt64(),
                ByCarrier: NonZero(preview.GetProperty("byCarrier").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64())),
                ByReason: NonZero(preview.GetProperty("suppressedByReason").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64())));

            Assert.True(preview.GetProperty("exact").GetBoolean(), $"{shape}: {preview}");
            Assert.True(expected.Recipients is > 0 and < Members || shape.Include is null && shape.Exclude is null, $"{shape}: the shape should keep some members and drop others");
            Assert.Equal((shape.Name, expected.Recipients), (shape.Name, said.Recipients));
            Assert.Equal((shape.Name, expected.ByCarrier), (shape.Name, said.ByCarrier));
            Assert.Equal((shape.Name, expected.ByReason), (shape.Name, said.ByReason));
        }
    }

    /// <summary>
    /// Three lists that share numbers, each holding its own row of a shared number (another place, other tags),
    /// some shared numbers ported: every shape previews the brute-force count of the distinct numbers reached
    /// (a number reached when any of its rows is inside), per carrier. Walked on the preview (the default
    /// limit) and, with a limit of 0, walked once in the background and kept: the first answer is an upper
    /// bound said not exact, and once the walk is kept every shape is exact from it.
    /// </summary>
    [Theory]
    [InlineData(DatabaseProvider.Sqlite, null)]
    [InlineData(DatabaseProvider.Sqlite, "0")]
    public async Task Lists_that_share_numbers_preview_the_distinct_numbers_reached_walked_now_or_kept(DatabaseProvider dialect, string? walkLimit)
    {
        await using var loa = await LoaTestHost.StartAsync(s =>
        {
            if (walkLimit is not null)
                s["Loa:Lists:SharedWalkLimit"] = walkLimit;
        }, clock: ShiftedClock.AtVietnamTime(new TimeOnly(12, 0)), database: dialect);
        using var author = loa.Client("dev-author");
        int[][] numbers = [[.. Enumerable.Range(0, 60)], [.. Enumerable.Range(40, 50)], [.. Enumerable.Range(80, 20), .. Enumerable.Range(10, 5)]];
        var lists = new string[numbers.Length];
        for (var i = 0; i < numbers.Length; i++)
            lists[i] = await UploadAsync(author, numbers[i], shift: i);
        (int Number, string Carrier)[] portedShared = [(45, "mobifone"), (82, "vinaphone"), (12, "viettel"), (5, "vinaphone")];
        await loa.Services.GetRequiredService<RoutingStore>().UpsertPortedAsync([.. portedShared.Select(p => (At(p.Number).Msisdn, p.Carrier))]);
        var router = await loa.Services.GetRequiredService<RouteTable>().GetAsync(CancellationToken.None);
        var ported = portedShared.ToDictionary(p => At(p.Number).Msisdn, p => p.Carrier);
        var rows = numbers.SelectMany((list, i) => list.Select(n => (List: i, Member: At(n, i)))).ToList();
        Assert.True(rows.Count > rows.Select(r => r.Member.Msisdn).Distinct().Count() + 20, "the lists should share numbers");

        if (walkLimit is not null)
        {
            var first = (await (await author.PostAsJsonAsync("/api/v1/campaigns/preview", Body("warning", lists, null, null)))
                .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("preview");
            Assert.False(first.GetProperty("exact").GetBoolean(), first.ToString());
            Assert.Equal(rows.Count, first.GetProperty("recipients").GetInt64()); // every row: the upper bound
            // Bounded: the background walk of 135 members is done in milliseconds; 30 s at most.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                var answer = (await (await author.PostAsJsonAsync("/api/v1/campaigns/preview", Body("warning", lists, null, null)))
                    .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("preview");
                if (answer.GetProperty("exact").GetBoolean())
                    break;
                Assert.True(DateTime.UtcNow < deadline, "the shared numbers were never walked in the background");
                await Task.Delay(100);
            }
        }

        foreach (var shape in Shapes.Where(s => s.Kind == "warning"))
        {
            // A number is written once, from the first list (in the campaign's order) whose row of it is inside.
            var reached = rows.GroupBy(r => r.Member.Msisdn)
                .Select(g => (Msisdn: g.Key, Carrier: router.Route(g.Key, ported.GetValueOrDefault(g.Key)) ?? Unrouted.Carrier, Rows: g.OrderBy(r => r.List).Select(r => r.Member).ToList()))
                .Select(n => (n.Carrier, Written: n.Rows.FirstOrDefault(r => Inside(shape.Include, shape.Exclude, r, n.Carrier))))
                .Where(n => n.Written is not null).ToList();
            var expected = (Recipients: (long)reached.Count, ByCarrier: NonZero(reached.GroupBy(n => n.Carrier).ToDictionary(g => g.Key, g => (long)g.Count())));
            var expectedByProvince = NonZero(reached.GroupBy(n => n.Written!.Province).ToDictionary(g => g.Key, g => (long)g.Count()));

            var response = await author.PostAsJsonAsync("/api/v1/campaigns/preview", Body(shape.Kind, lists, shape.Include, shape.Exclude));
            var preview = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("preview");
            Assert.True(preview.GetProperty("exact").GetBoolean(), $"{shape}: {preview}");
            Assert.Equal((shape.Name, expected.Recipients), (shape.Name, preview.GetProperty("recipients").GetInt64()));
            Assert.Equal((shape.Name, expected.ByCarrier),
                (shape.Name, NonZero(preview.GetProperty("byCarrier").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()))));

            // The approver's map of the same campaign, per province.
            var created = await (await author.PostAsJsonAsync("/api/v1/campaigns", Body(shape.Kind, lists, shape.Include, shape.Exclude))).Content.ReadFromJsonAsync<JsonElement>();
            var map = await author.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{created.GetProperty("id").GetString()}/provinces");
            Assert.True(map.GetProperty("exact").GetBoolean(), $"{shape}: {map}");
            Assert.Equal((shape.Name, expectedByProvince),
                (shape.Name, NonZero(map.GetProperty("byProvince").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()))));
        }
    }

    /// <summary>The filter rules as the API documents them, written out member by member.</summary>
    private static bool Inside(Filter? include, Filter? exclude, Member m, string carrier)
    {
        static bool Named(string[]? values, string value) => values is not null && values.Contains(value);
        if (include?.Tags is { } anyOf && !m.Tags.Intersect(anyOf).Any())
            return false;
        // The places named are one area: a member in any province or any commune of them.
        if ((include?.Provinces is not null || include?.Communes is not null)
            && !Named(include?.Provinces, m.Province) && !Named(include?.Communes, m.Commune))
            return false;
        if (include?.Carriers is { } carriers && !carriers.Contains(carrier))
            return false;
        return !(m.Tags.Any(t => Named(exclude?.Tags, t)) || Named(exclude?.Provinces, m.Province)
            || (m.Commune.Length > 0 && Named(exclude?.Communes, m.Commune)) || Named(exclude?.Carriers, carrier));
    }

    private static async Task<string> UploadAsync(HttpClient author, IEnumerable<int> numbers, int shift = 0)
    {
        var csv = new StringBuilder("msisdn,province,commune,tags\n");
        foreach (var n in numbers)
        {
            var m = At(n, shift);
            csv.Append(LoaTestHost.Number(n)).Append(',').Append(m.Province).Append(',').Append(m.Commune).Append(',').Append(string.Join(';', m.Tags)).Append('\n');
        }
        return (await LoaTestHost.UploadListAsync(author, csv.ToString())).GetProperty("id").GetString()!;
    }

    private static object Body(string kind, string list, Filter? include, Filter? exclude) => Body(kind, [list], include, exclude);

    private static object Body(string kind, string[] lists, Filter? include, Filter? exclude) => new
    {
        name = "Xem trước chính xác",
        kind,
        channels = new[] { "sms" },
        message = new { sms = "Cuc ATTT: khong cung cap ma OTP cho bat ky ai." },
        audience = new
        {
            lists,
            include = include is null ? null : new { tags = include.Tags, provinces = include.Provinces, communes = include.Communes, carriers = include.Carriers },
            exclude = exclude is null ? null : new { tags = exclude.Tags, provinces = exclude.Provinces, communes = exclude.Communes, carriers = exclude.Carriers },
        },
    };

    // A string, so that a difference names the shape and both figures in one line.
    private static string NonZero(IDictionary<string, long> map) =>
        string.Join(", ", map.Where(p => p.Value != 0).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
}
