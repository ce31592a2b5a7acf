using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Loa.Contracts;
using Loa.Storage.Reports;

namespace Loa.CampaignApi.Reports;

/// <summary>What a delivery report asks for, checked: the range of campaign start times (from inclusive, to exclusive), the grouping columns in the order asked, the period size, the format.</summary>
public sealed record ReportRequest(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<string> GroupBy, string Period, bool Csv);

/// <summary>One row of the report: the values of its group's columns (in <see cref="ReportRequest.GroupBy"/> order), then its counts.</summary>
public sealed record ReportRow(IReadOnlyList<string> Group, ReportCounts Counts);

/// <param name="Received">Push deliveries the phones acknowledged; 0 for SMS. Not part of <paramref name="Total"/>: an ack is not a delivery.</param>
/// <param name="Opened">Push deliveries the phones said were opened; 0 for SMS.</param>
public sealed record ReportCounts(
    long Total, long Submitted, long Delivered, long Failed, long Expired, long Cancelled, long Suppressed, long Queued, long Received, long Opened)
{
    public static readonly ReportCounts Zero = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    public ReportCounts Plus(DeliveryCounts c) => new(
        Total + c.Total, Submitted + c.Submitted, Delivered + c.Delivered, Failed + c.Failed,
        Expired + c.Expired, Cancelled + c.Cancelled, Suppressed + c.Suppressed, Queued + c.Queued,
        Received + c.Received, Opened + c.Opened);

    public bool IsZero => this == Zero;

    /// <summary>
    /// The count columns in report order: the contract's seven, then <c>queued</c>, then the phones'
    /// <c>received</c> and <c>opened</c>. Each came after the others so that a reader of the earlier
    /// columns by position still finds them in their places; <c>total</c> is the sum of the seven after it.
    /// </summary>
    public IEnumerable<(string Name, long Value)> Columns()
    {
        yield return ("total", Total);
        yield return ("submitted", Submitted);
        yield return ("delivered", Delivered);
        yield return ("failed", Failed);
        yield return ("expired", Expired);
        yield return ("cancelled", Cancelled);
        yield return ("suppressed", Suppressed);
        yield return ("queued", Queued);
        yield return ("received", Received);
        yield return ("opened", Opened);
    }
}

/// <summary>
/// The delivery report: parsing its query, rolling the store's month rows up to the asked grouping,
/// and writing it as JSON or CSV.
/// </summary>
public static partial class DeliveryReport
{
    /// <summary>
    /// <c>province</c> is the province a delivery was planned for, as it was then (HG before July 2025);
    /// <c>unit</c> is the unit of today that province belongs to (92), so a year across the merger adds up.
    /// </summary>
    public static readonly IReadOnlyList<string> Groupings = ["carrier", "province", "unit", "kind", "period"];

    private static readonly IReadOnlyList<string> DefaultGroupings = ["carrier", "province", "kind", "period"];
    public static readonly IReadOnlyList<string> Periods = ["month", "quarter", "year"];
    public static readonly IReadOnlyList<string> CountColumns = ReportCounts.Zero.Columns().Select(c => c.Name).ToList();

    private static readonly string[] LocalFormats =
        ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF"];

    private static readonly string[] OffsetFormats =
        ["yyyy-MM-dd'T'HH:mmzzz", "yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz"];

    /// <summary>
    /// Checks the query. Defaults: from the start of the current year in Vietnam, to now, grouped by
    /// carrier, province, kind and month, JSON unless <c>format=csv</c> or the caller accepts text/csv.
    /// </summary>
    public static ReportRequest? Parse(
        string? from, string? to, string? groupBy, string? period, string? format, bool prefersCsv, DateTimeOffset now, out Dictionary<string, string[]> errors)
    {
        errors = [];
        var vietnamNow = TimeZoneInfo.ConvertTime(now, SendingWindow.Vietnam);
        var start = new DateTimeOffset(vietnamNow.Year, 1, 1, 0, 0, 0, SendingWindow.Vietnam.GetUtcOffset(new DateTime(vietnamNow.Year, 1, 1)));
        if (!string.IsNullOrWhiteSpace(from) && !TryParseTime(from, out start))
            errors["from"] = [$"from must be a date (2026-01-01, midnight in Vietnam) or an ISO 8601 date and time, {Dates.Range}."];
        var end = now;
        if (!string.IsNullOrWhiteSpace(to) && !TryParseTime(to, out end))
            errors["to"] = [$"to must be a date (2026-12-31, midnight in Vietnam) or an ISO 8601 date and time, {Dates.Range}."];
        if (errors.Count == 0 && start >= end)
            errors["to"] = ["to must be after from (from is inclusive, to exclusive; to defaults to now)."];

        var groups = new List<string>();
        foreach (var part in (groupBy ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var name = part.ToLowerInvariant();
            if (!Groupings.Contains(name))
                errors["groupBy"] = [$"'{Clip(part)}' is not a grouping; use any of {string.Join(", ", Groupings)}."];
            else if (!groups.Contains(name))
                groups.Add(name);
        }
        if (groups.Count == 0)
            groups.AddRange(DefaultGroupings);

        var size = string.IsNullOrWhiteSpace(period) ? "month" : period.Trim().ToLowerInvariant();
        if (!Periods.Contains(size))
            errors["period"] = ["period must be month, quarter or year."];

        var csv = prefersCsv;
        if (!string.IsNullOrWhiteSpace(format))
        {
            switch (format.Trim().ToLowerInvariant())
            {
                case "csv": csv = true; break;
                case "json": csv = false; break;
                default: errors["format"] = ["format must be json or csv."]; break;
            }
        }
        return errors.Count > 0 ? null : new ReportRequest(start, end, groups, size, csv);
    }

    /// <summary>
    /// A date is midnight in Vietnam; a date and time without offset is Vietnam time; with an offset
    /// (or Z) it is that instant. A '+' sent unencoded in a query string arrives as a space, and is taken back.
    /// Only dates <see cref="Dates.Range"/> are taken: Vietnam's offset on 0001-01-01 would fall before year 1.
    /// </summary>
    public static bool TryParseTime(string text, out DateTimeOffset at)
    {
        var value = UnencodedPlus().Replace(text.Trim(), "+$1");
        if (value.EndsWith('Z') || value.EndsWith('z'))
            value = value[..^1] + "+00:00";
        if (DateTimeOffset.TryParseExact(value, OffsetFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out at))
            return Dates.IsSane(at);
        if (DateTime.TryParseExact(value, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local) && Dates.IsSane(local))
        {
            at = new DateTimeOffset(local, SendingWindow.Vietnam.GetUtcOffset(local));
            return true;
        }
        return false;
    }

    /// <summary>The label of the period holding a Vietnam month (<c>yyyy-MM</c>): <c>2026-11</c>, <c>2026-Q4</c> or <c>2026</c>.</summary>
    public static string PeriodLabel(string month, string period)
    {
        var year = month[..4];
        return period switch
        {
            "year" => year,
            "quarter" => $"{year}-Q{(int.Parse(month.AsSpan(5, 2), CultureInfo.InvariantCulture) + 2) / 3}",
            _ => month,
        };
    }

    /// <summary>Adds the month rows up into one row per asked group, ordered by the group columns; groups with nothing in them are left out.</summary>
    /// <param name="unitOf">Today's unit of a recorded province (the province itself when there is none, as for '').</param>
    public static IReadOnlyList<ReportRow> RollUp(IEnumerable<DeliveryCounts> rows, ReportRequest request, Func<string, string>? unitOf = null)
    {
        var groups = new Dictionary<string, (string[] Group, ReportCounts Counts)>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var group = request.GroupBy.Select(g => g switch
            {
                "carrier" => row.Carrier,
                "province" => row.Province,
                "unit" => unitOf?.Invoke(row.Province) ?? row.Province,
                "kind" => row.Kind,
                _ => PeriodLabel(row.Month, request.Period),
            }).ToArray();
            var key = string.Join('\u001f', group);
            var counts = groups.TryGetValue(key, out var found) ? found.Counts : ReportCounts.Zero;
            groups[key] = (group, counts.Plus(row));
        }
        return groups.Values
            .Where(g => !g.Counts.IsZero)
            .OrderBy(g => g.Group, GroupOrder.Instance)
            .Select(g => new ReportRow(g.Group, g.Counts))
            .ToList();
    }

    public static JsonObject Json(ReportRequest request, IReadOnlyList<ReportRow> rows)
    {
        var items = new JsonArray();
        foreach (var row in rows)
        {
            var item = new JsonObject();
            for (var i = 0; i < request.GroupBy.Count; i++)
                item[request.GroupBy[i]] = row.Group[i];
            foreach (var (name, value) in row.Counts.Columns())
                item[name] = value;
            items.Add(item);
        }
        return new JsonObject
        {
            ["from"] = TimeZoneInfo.ConvertTime(request.From, SendingWindow.Vietnam),
            ["to"] = TimeZoneInfo.ConvertTime(request.To, SendingWindow.Vietnam),
            ["groupBy"] = new JsonArray(request.GroupBy.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray()),
            ["period"] = request.Period,
            ["items"] = items,
        };
    }

    /// <summary>A header row, then one record per row; text cells neutralised against formula injection.</summary>
    public static string Csv(ReportRequest request, IReadOnlyList<ReportRow> rows)
    {
        var csv = new StringBuilder();
        CsvCell.AppendRecord(csv, request.GroupBy.Concat(CountColumns));
        foreach (var row in rows)
        {
            CsvCell.AppendRecord(csv, row.Group.Select(CsvCell.Text)
                .Concat(row.Counts.Columns().Select(c => c.Value.ToString(CultureInfo.InvariantCulture))));
        }
        return csv.ToString();
    }

    private static string Clip(string text) => text.Length <= 20 ? text : text[..20] + "…";

    // An offset whose '+' became a space: "2026-01-01T00:00:00 07:00".
    [GeneratedRegex(@"(?<=T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$")]
    private static partial Regex UnencodedPlus();

    private sealed class GroupOrder : IComparer<string[]>
    {
        public static readonly GroupOrder Instance = new();

        public int Compare(string[]? x, string[]? y)
        {
            for (var i = 0; i < Math.Min(x!.Length, y!.Length); i++)
            {
                var c = string.CompareOrdinal(x[i], y[i]);
                if (c != 0)
                    return c;
            }
            return x.Length.CompareTo(y.Length);
        }
    }
}
