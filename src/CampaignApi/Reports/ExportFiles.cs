using System.Globalization;
using System.Text;
using ClosedXML.Excel;

namespace Loa.CampaignApi.Reports;

/// <summary>What one kept report holds: its coverage part, its delivery part and its target groups part, and who it is for.</summary>
/// <param name="Groups">Coverage per target group: by province and tag, each tag's rows followed by its whole (province null).</param>
public sealed record ExportContent(
    string Id, string Tenant, ExportPeriod Period, DateTimeOffset GeneratedAt, string GeneratedBy, CoverageReport Coverage, IReadOnlyList<ReportRow> Deliveries,
    Func<string, string?> ProvinceName, IReadOnlyList<CoverageItem> Groups);

/// <summary>
/// Writes a kept report as CSV and as XLSX. Both hold the same three parts: coverage (province × carrier, as
/// <c>GET /api/v1/reports/coverage?groupBy=province,carrier</c>), the delivery summary (today's unit × carrier
/// × kind, as <c>GET /api/v1/reports/deliveries?groupBy=unit,carrier,kind</c>) and the target groups (tag ×
/// province, then each tag's whole, as <c>groupBy=province,tag</c> and <c>groupBy=tag</c>).
/// </summary>
public static class ExportFiles
{
    public const string CsvType = "text/csv; charset=utf-8";
    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public static readonly IReadOnlyList<string> CoverageColumns =
        ["province", "provinceName", "carrier", "reached", "base", "baseAsOf", "share", "targetPercent", "met"];

    public static readonly IReadOnlyList<string> GroupColumns =
        ["tag", "targetName", "province", "provinceName", "reached", "base", "baseAsOf", "share", "targetPercent", "met"];

    public static readonly IReadOnlyList<string> DeliveryGroups = ["unit", "carrier", "kind"];

    /// <summary>The provinceName of the coverage part's total row.</summary>
    public const string TotalLabel = "Tổng cộng";

    private static readonly IReadOnlyList<string> DeliveryColumns =
        ["unit", "unitName", "carrier", "kind", .. DeliveryReport.CountColumns];

    /// <summary>
    /// UTF-8 with a byte-order mark: these files are opened by hand in Excel, which reads a CSV without one in the
    /// machine's ANSI code page and garbles "Hà Nội". (The delivery report's CSV is read by programs and has none.)
    /// Two tables, each after a one-cell record naming it, an empty line between them; RFC 4180 otherwise.
    /// </summary>
    public static byte[] Csv(ExportContent content)
    {
        var csv = new StringBuilder();
        CsvCell.AppendRecord(csv, ["coverage"]);
        CsvCell.AppendRecord(csv, CoverageColumns);
        foreach (var item in content.Coverage.Items)
            CsvCell.AppendRecord(csv, CoverageCells(item, item.ProvinceName));
        CsvCell.AppendRecord(csv, CoverageCells(content.Coverage.Total, TotalLabel));
        csv.Append("\r\n");
        CsvCell.AppendRecord(csv, ["deliveries"]);
        CsvCell.AppendRecord(csv, DeliveryColumns);
        foreach (var row in content.Deliveries)
        {
            CsvCell.AppendRecord(csv, new[] { CsvCell.Text(row.Group[0]), CsvCell.Text(content.ProvinceName(row.Group[0])), CsvCell.Text(row.Group[1]), CsvCell.Text(row.Group[2]) }
                .Concat(row.Counts.Columns().Select(c => Number(c.Value))));
        }
        csv.Append("\r\n");
        CsvCell.AppendRecord(csv, ["groups"]);
        CsvCell.AppendRecord(csv, GroupColumns);
        foreach (var item in content.Groups)
            CsvCell.AppendRecord(csv, [CsvCell.Text(item.Tag), CsvCell.Text(item.TargetName), .. CoverageCells(item, item.Province is null ? TotalLabel : item.ProvinceName, carrier: false)]);
        var preamble = Encoding.UTF8.GetPreamble();
        var text = Encoding.UTF8.GetBytes(csv.ToString());
        return [.. preamble, .. text];
    }

    private static IEnumerable<string> CoverageCells(CoverageItem item, string? name, bool carrier = true) =>
    [
        CsvCell.Text(item.Province), CsvCell.Text(name), .. carrier ? [CsvCell.Text(item.Carrier)] : Array.Empty<string>(), Number(item.Reached),
        item.Base is { } b ? Number(b) : "", CsvCell.Text(item.BaseAsOf),
        item.Share is { } s ? s.ToString("R", CultureInfo.InvariantCulture) : "",
        item.TargetPercent is { } t ? t.ToString("R", CultureInfo.InvariantCulture) : "",
        item.Met is { } m ? (m ? "true" : "false") : "",
    ];

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A sheet per part (coverage, deliveries) and one saying what the file is: a bold, frozen header row, counts as
    /// numbers, the share as a percentage, met as a boolean. Text is typed text, so a value that looks like a formula stays text.
    /// </summary>
    public static byte[] Xlsx(ExportContent content)
    {
        using var workbook = new XLWorkbook();
        var coverage = workbook.Worksheets.Add("coverage");
        Header(coverage, CoverageColumns);
        var r = 2;
        foreach (var item in content.Coverage.Items)
            CoverageRow(coverage, r++, item, item.ProvinceName);
        CoverageRow(coverage, r, content.Coverage.Total, TotalLabel);
        coverage.Row(r).Style.Font.Bold = true;
        Widths(coverage, [10, 24, 14, 12, 12, 12, 10, 14, 8]);

        var deliveries = workbook.Worksheets.Add("deliveries");
        Header(deliveries, DeliveryColumns);
        r = 2;
        foreach (var row in content.Deliveries)
        {
            Text(deliveries.Cell(r, 1), row.Group[0]);
            Text(deliveries.Cell(r, 2), content.ProvinceName(row.Group[0]));
            Text(deliveries.Cell(r, 3), row.Group[1]);
            Text(deliveries.Cell(r, 4), row.Group[2]);
            var c = 5;
            foreach (var (_, value) in row.Counts.Columns())
                Count(deliveries.Cell(r, c++), value);
            r++;
        }
        Widths(deliveries, [8, 24, 14, 12, 10, 10, 10, 10, 10, 10, 10, 10]);

        var groups = workbook.Worksheets.Add("groups");
        Header(groups, GroupColumns);
        r = 2;
        foreach (var item in content.Groups)
        {
            Text(groups.Cell(r, 1), item.Tag);
            Text(groups.Cell(r, 2), item.TargetName);
            CoverageCellsAt(groups, r, 3, item, item.Province is null ? TotalLabel : item.ProvinceName, carrier: false);
            if (item.Province is null)
                groups.Row(r).Style.Font.Bold = true;
            r++;
        }
        Widths(groups, [16, 20, 10, 24, 12, 12, 12, 10, 14, 8]);

        var about = workbook.Worksheets.Add("export");
        var facts = new (string Name, string Value)[]
        {
            ("id", content.Id), ("tenant", content.Tenant), ("kind", content.Period.Kind), ("period", content.Period.Label),
            ("from", content.Period.From.ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture)),
            ("to", content.Period.To.ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture)),
            ("coverageMonths", $"{content.Coverage.From}..{content.Coverage.To}"),
            ("target", content.Coverage.Target ?? ""),
            ("generatedAt", content.GeneratedAt.ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture)),
            ("generatedBy", content.GeneratedBy),
        };
        for (var i = 0; i < facts.Length; i++)
        {
            Text(about.Cell(i + 1, 1), facts[i].Name);
            Text(about.Cell(i + 1, 2), facts[i].Value);
        }
        about.Column(1).Style.Font.Bold = true;
        Widths(about, [16, 40]);

        using var stream = new MemoryStream();
        workbook.SaveAs(stream);
        return stream.ToArray();
    }

    private static void CoverageRow(IXLWorksheet sheet, int row, CoverageItem item, string? name) =>
        CoverageCellsAt(sheet, row, 1, item, name, carrier: true);

    /// <summary>province, provinceName, [carrier,] reached, base, baseAsOf, share, targetPercent, met from column <paramref name="first"/>.</summary>
    private static void CoverageCellsAt(IXLWorksheet sheet, int row, int first, CoverageItem item, string? name, bool carrier)
    {
        Text(sheet.Cell(row, first), item.Province);
        Text(sheet.Cell(row, first + 1), name);
        var c = first + 2;
        if (carrier)
            Text(sheet.Cell(row, c++), item.Carrier);
        Count(sheet.Cell(row, c), item.Reached);
        if (item.Base is { } b)
            Count(sheet.Cell(row, c + 1), b);
        Text(sheet.Cell(row, c + 2), item.BaseAsOf);
        if (item.Share is { } share)
        {
            sheet.Cell(row, c + 3).SetValue(share);
            sheet.Cell(row, c + 3).Style.NumberFormat.Format = "0.00%";
        }
        if (item.TargetPercent is { } target)
            sheet.Cell(row, c + 4).SetValue(target);
        if (item.Met is { } met)
            sheet.Cell(row, c + 5).SetValue(met);
    }

    private static void Header(IXLWorksheet sheet, IReadOnlyList<string> columns)
    {
        for (var i = 0; i < columns.Count; i++)
            Text(sheet.Cell(1, i + 1), columns[i]);
        sheet.Row(1).Style.Font.Bold = true;
        sheet.SheetView.FreezeRows(1);
    }

    // Widths are set, not fitted: fitting measures text through System.Drawing, which needs GDI+ and is not there on Linux.
    private static void Widths(IXLWorksheet sheet, IReadOnlyList<double> widths)
    {
        for (var i = 0; i < widths.Count; i++)
            sheet.Column(i + 1).Width = widths[i];
    }

    private static void Count(IXLCell cell, long value)
    {
        cell.SetValue(value);
        cell.Style.NumberFormat.Format = "#,##0";
    }

    private static void Text(IXLCell cell, string? value)
    {
        if (string.IsNullOrEmpty(value))
            return;
        cell.SetValue(value);
        // Set after the value: a string that starts with '=' must never be taken for a formula.
        cell.DataType = XLDataType.Text;
    }
}
