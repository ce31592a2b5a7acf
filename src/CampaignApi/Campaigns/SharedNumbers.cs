using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Loa.CarrierAdapters.Routing;
using Loa.Contracts;
using Loa.Dispatcher.Planning;
using Loa.Storage.Audiences;

namespace Loa.CampaignApi.Campaigns;

/// <summary>A shared number's row in one of the lists holding it: which list, where the member is and its tags.</summary>
public sealed record SharedRow(string List, string Province, string? Commune, string? Tags);

/// <summary>
/// One shape of number that several of a campaign's lists hold: the carrier its prefix routes it to, its
/// row in each list holding it, and how many numbers have exactly that shape. The preview needs no more
/// to take repeats off for any segment: a number is counted once for each of its rows inside the area,
/// and the planner writes it once.
/// </summary>
public sealed record SharedGroup(string Carrier, IReadOnlyList<SharedRow> Rows, long Numbers);

/// <summary>
/// The numbers a set of lists shares, folded into <see cref="SharedGroup"/>s. A set small enough
/// (<c>Loa:Lists:SharedWalkLimit</c>) is walked on each preview; a larger one is walked once in the
/// background (<see cref="SharedNumbersWalker"/>) and the result kept (<see cref="SharedWalkStore"/>), so its
/// previews are exact from then on at the cost of one indexed read. Lists never change after upload;
/// the kept result names the prefix table it was routed with, and a ported number is corrected by the
/// preview itself (it reads every list's ported members anyway).
/// </summary>
public sealed partial class SharedNumbers(
    ListStore lists, SharedWalkStore kept, Microsoft.Extensions.Options.IOptionsMonitor<Audiences.ListOptions> options, ILogger<SharedNumbers> logger)
{
    /// <summary>
    /// Most shapes a background walk keeps. Each is one distinct combination of carrier and rows' places and
    /// tags; past this the lists are too varied to keep cheaply, and their previews stay an upper bound.
    /// </summary>
    public const int MaxGroups = 200_000;

    private const int Page = 5_000;

    private readonly Channel<IReadOnlyList<string>> requests = Channel.CreateBounded<IReadOnlyList<string>>(
        new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly ConcurrentDictionary<string, byte> pending = new(StringComparer.Ordinal);

    internal ChannelReader<IReadOnlyList<string>> Requests => requests.Reader;

    /// <summary>
    /// Walks every list but the largest in keyset pages, each member probing the other lists by key (so a
    /// number outside the walked lists cannot be shared), and folds each shared number, once, into its shape.
    /// </summary>
    /// <param name="limit">Null when the walk is too long (more members walked than this); none when null.</param>
    /// <param name="maxGroups">Null when the shapes pass this many; none when null.</param>
    public async Task<IReadOnlyList<SharedGroup>?> WalkAsync(
        IReadOnlyList<string> listIds, CarrierRouter router, long? limit, int? maxGroups, CancellationToken ct)
    {
        if (listIds.Count < 2)
            return [];
        var sizes = (await lists.GetManyAsync(listIds, ct)).ToDictionary(l => l.Id, l => l.Accepted);
        var largest = listIds.MaxBy(id => sizes.GetValueOrDefault(id));
        var walked = listIds.Where(id => id != largest).ToList();
        if (walked.Sum(id => sizes.GetValueOrDefault(id)) > limit)
            return null;
        var order = listIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i, StringComparer.Ordinal);
        var groups = new Dictionary<string, (string Carrier, SharedRow[] Rows, long Numbers)>(StringComparer.Ordinal);
        foreach (var list in walked)
        {
            var others = listIds.Where(id => id != list).ToList();
            var after = "";
            // Bounded: each turn moves the key forward through a list of at most its accepted members.
            while (true)
            {
                var (shared, last) = await lists.SharedMembersPageAsync(list, others, after, Page, ct);
                if (last is null)
                    break;
                foreach (var number in shared.GroupBy(r => r.Msisdn, StringComparer.Ordinal))
                {
                    var first = number.First();
                    // Folded once, by the first walked list that holds the number.
                    if (number.Select(r => r.OtherList).Append(list).Where(l => l != largest).Min(l => order[l]) != order[list])
                        continue;
                    var rows = number.Select(r => new SharedRow(r.OtherList, r.OtherProvince, r.OtherCommune, r.OtherTags))
                        .Append(new SharedRow(list, first.Province, first.Commune, first.Tags))
                        .OrderBy(r => r.List, StringComparer.Ordinal).ToArray();
                    var carrier = router.Route(number.Key) ?? Unrouted.Carrier;
                    var key = carrier + "\u001d" + string.Join("\u001e", rows.Select(r => $"{r.List}\u001f{r.Province}\u001f{r.Commune}\u001f{r.Tags}"));
                    if (groups.TryGetValue(key, out var group))
                        groups[key] = group with { Numbers = group.Numbers + 1 };
                    else if (groups.Count >= maxGroups)
                        return null;
                    else
                        groups[key] = (carrier, rows, 1);
                }
                after = last;
            }
        }
        return [.. groups.Values.Select(g => new SharedGroup(g.Carrier, g.Rows, g.Numbers))];
    }

    /// <summary>
    /// Takes the repeats off per province, for the approver's map: the planner writes a shared number once, from
    /// the first of the campaign's lists (<paramref name="listOrder"/>) whose row of it is inside the area, so each
    /// later row inside the area comes off its own province.
    /// </summary>
    public static void ApplyByProvince(
        IEnumerable<SharedGroup> groups, IReadOnlyDictionary<string, int> listOrder, Func<string, string?, string?, bool> inArea, Func<string, bool> carried,
        Action<string, long> addToProvince)
    {
        foreach (var group in groups)
        {
            if (!carried(group.Carrier))
                continue;
            foreach (var row in Repeats(group.Rows, listOrder, inArea))
                addToProvince(row.Province, -group.Numbers);
        }
    }

    /// <summary>A shared number's rows inside the area after the first, in the campaign's list order: those the planner does not write.</summary>
    public static IEnumerable<SharedRow> Repeats(IEnumerable<SharedRow> rows, IReadOnlyDictionary<string, int> listOrder, Func<string, string?, string?, bool> inArea) =>
        rows.Where(r => inArea(r.Province, r.Commune, r.Tags)).OrderBy(r => listOrder.GetValueOrDefault(r.List, int.MaxValue)).Skip(1);

    /// <summary>
    /// The shapes a preview applies: walked now when the walk stays within <c>Loa:Lists:SharedWalkLimit</c>, else
    /// the walk kept for this set of lists; null while there is none (an upper bound), and a background walk is asked for.
    /// </summary>
    public async Task<IReadOnlyList<SharedGroup>?> ForPreviewAsync(IReadOnlyList<string> listIds, CarrierRouter router, CancellationToken ct)
    {
        var groups = await WalkAsync(listIds, router, options.CurrentValue.SharedWalkLimit, maxGroups: null, ct) ?? await KeptAsync(listIds, router, ct);
        if (groups is null)
            Request(listIds);
        return groups;
    }

    /// <summary>
    /// The shared numbers that were ported: the shapes took their repeats off under the prefix's carrier
    /// (<paramref name="counted"/>), and these repeats belong to the carrier each went to (<paramref name="routed"/>).
    /// </summary>
    /// <param name="ported">Each ported member of the campaign's lists: the carrier it went to and its rows (one per list holding it).</param>
    public static IEnumerable<(string Counted, string Routed, IReadOnlyList<SharedRow> Repeats)> PortedRepeats(
        IReadOnlyDictionary<string, (string To, List<SharedRow> Rows)> ported, CarrierRouter router, IReadOnlyDictionary<string, int> listOrder,
        Func<string, string?, string?, bool> inArea)
    {
        foreach (var (msisdn, (to, rows)) in ported)
        {
            if (rows.Count < 2)
                continue;
            var counted = router.Route(msisdn) ?? Unrouted.Carrier;
            var routed = router.Route(msisdn, to) ?? Unrouted.Carrier;
            if (counted == routed)
                continue;
            var repeats = Repeats(rows, listOrder, inArea).ToList();
            if (repeats.Count > 0)
                yield return (counted, routed, repeats);
        }
    }

    /// <summary>Takes the repeats off: a number counted once per row inside the area is counted once, on its carrier.</summary>
    public static void Apply(IEnumerable<SharedGroup> groups, Func<string, string?, string?, bool> inArea, Func<string, bool> carried, Action<string, long> add)
    {
        foreach (var group in groups)
        {
            if (!carried(group.Carrier))
                continue;
            var reached = group.Rows.Count(r => inArea(r.Province, r.Commune, r.Tags));
            if (reached > 1)
                add(group.Carrier, -(reached - 1) * group.Numbers);
        }
    }

    /// <summary>The kept walk of this set of lists, if one was made under this prefix table.</summary>
    public async Task<IReadOnlyList<SharedGroup>?> KeptAsync(IReadOnlyList<string> listIds, CarrierRouter router, CancellationToken ct)
    {
        var row = await kept.FindAsync(listIds, ct);
        if (row is null || row.Routes != router.Fingerprint)
            return null;
        return JsonSerializer.Deserialize(row.Groups, SharedWalkJson.Default.ListKeptGroup)!
            .Select(g => new SharedGroup(g.Carrier, [.. g.Rows.Select(r => new SharedRow(r[0]!, r[1]!, r[2], r[3]))], g.Numbers)).ToList();
    }

    /// <summary>Asks for the set to be walked in the background, once however many previews ask meanwhile.</summary>
    public void Request(IReadOnlyList<string> listIds)
    {
        var (key, _) = SharedWalkStore.KeyOf(listIds);
        if (pending.TryAdd(key, 0) && !requests.Writer.TryWrite([.. listIds]))
            pending.TryRemove(key, out _); // the queue is full: a later preview asks again
    }

    /// <summary>Walks a requested set without the preview's limit and keeps the result (the background walker's turn).</summary>
    internal async Task WalkAndKeepAsync(IReadOnlyList<string> listIds, CarrierRouter router, CancellationToken ct)
    {
        var (key, _) = SharedWalkStore.KeyOf(listIds);
        try
        {
            if (await KeptAsync(listIds, router, ct) is not null)
                return;
            var started = System.Diagnostics.Stopwatch.StartNew();
            var groups = await WalkAsync(listIds, router, limit: null, MaxGroups, ct);
            if (groups is null)
            {
                Log.TooVaried(logger, listIds.Count, MaxGroups);
                return;
            }
            var json = JsonSerializer.Serialize(
                groups.Select(g => new KeptGroup(g.Carrier, g.Numbers, [.. g.Rows.Select(r => new[] { r.List, r.Province, r.Commune, r.Tags })])).ToList(),
                SharedWalkJson.Default.ListKeptGroup);
            var numbers = groups.Sum(g => g.Numbers);
            await kept.SaveAsync(listIds, router.Fingerprint, numbers, json, ct);
            Log.Walked(logger, listIds.Count, numbers, groups.Count, (long)started.Elapsed.TotalMilliseconds);
        }
        finally
        {
            pending.TryRemove(key, out _);
        }
    }

    internal sealed record KeptGroup(
        [property: JsonPropertyName("c")] string Carrier,
        [property: JsonPropertyName("n")] long Numbers,
        [property: JsonPropertyName("r")] IReadOnlyList<string?[]> Rows);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Walked {Lists} lists for the numbers they share: {Numbers} shared, {Groups} shapes, in {Ms} ms; their previews are exact from now on")]
        public static partial void Walked(ILogger logger, int lists, long numbers, int groups, long ms);

        [LoggerMessage(2, LogLevel.Warning, "The {Lists} lists' shared numbers have more than {MaxGroups} shapes: not kept, their previews stay an upper bound")]
        public static partial void TooVaried(ILogger logger, int lists, int maxGroups);
    }
}

[JsonSerializable(typeof(List<SharedNumbers.KeptGroup>))]
internal sealed partial class SharedWalkJson : JsonSerializerContext;

/// <summary>
/// Walks, one at a time, the sets of lists whose previews asked for it (<see cref="SharedNumbers.Request"/>).
/// One walk at a time: a walk reads millions of members, and previews and uploads share the database.
/// </summary>
public sealed partial class SharedNumbersWalker(SharedNumbers numbers, RouteTable routes, ILogger<SharedNumbersWalker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var listIds in numbers.Requests.ReadAllAsync(stoppingToken))
        {
            try
            {
                await numbers.WalkAndKeepAsync(listIds, await routes.GetAsync(stoppingToken), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // A failed walk leaves the previews an upper bound; the next preview of the set asks again.
                Log.Failed(logger, listIds.Count, e);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Walking {Lists} lists for the numbers they share failed")]
        public static partial void Failed(ILogger logger, int lists, Exception exception);
    }
}
