using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Loa.Tests.Shared;
using Microsoft.Data.Sqlite;

namespace Loa.CampaignApi.Tests.Reports;

/// <summary>Small builders the report specs share: lists with provinces, finished campaigns, the host's database file.</summary>
internal static class ReportTestParts
{
    public static readonly string[] CountColumns = ["total", "submitted", "delivered", "failed", "expired", "cancelled", "suppressed", "queued"];

    /// <summary>The phones' acks of push deliveries, after the delivery counts and not part of <c>total</c>.</summary>
    public static readonly string[] AckColumns = ["received", "opened"];

    // Prefixes every carrier has in service (as LoaTestHost.NumbersCsv): viettel, vinaphone, mobifone, vietnamobile, gmobile.
    private static readonly string[] Prefixes = ["086", "096", "032", "091", "094", "088", "090", "093", "070", "092", "056", "058", "059"];

    /// <summary>A list CSV whose rows take the provinces in turn ("" = no province column value).</summary>
    public static string Csv(int count, int offset, params string[] provinces)
    {
        var csv = new StringBuilder("msisdn,province\n");
        for (var i = 0; i < count; i++)
        {
            var n = i + offset;
            csv.Append(Prefixes[n % Prefixes.Length]).Append((n / Prefixes.Length).ToString("D7", CultureInfo.InvariantCulture))
                .Append(',').Append(provinces.Length == 0 ? "" : provinces[i % provinces.Length]).Append('\n');
        }
        return csv.ToString();
    }

    public static async Task<string> UploadAsync(HttpClient author, string csv) =>
        (await LoaTestHost.UploadListAsync(author, csv)).GetProperty("id").GetString()!;

    /// <summary>Creates, submits and approves a campaign to one list; returns its id.</summary>
    public static async Task<string> StartAsync(HttpClient author, HttpClient approver, string list, string kind = "warning")
    {
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list, kind));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        return id;
    }

    public static SqliteConnection Open(LoaTestHost loa)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(loa.Directory, "loa.db")};Pooling=False;Default Timeout=30");
        connection.Open();
        return connection;
    }

    public static async Task SetStartedAtAsync(LoaTestHost loa, string campaignId, DateTimeOffset startedAt)
    {
        await using var connection = Open(loa);
        await connection.ExecuteAsync("UPDATE campaigns SET started_at = @At WHERE id = @Id", new { At = startedAt.ToUnixTimeMilliseconds(), Id = campaignId });
    }

    public static async Task<JsonElement> ReportAsync(HttpClient client, string query)
    {
        var response = await client.GetAsync("/api/v1/reports/deliveries" + query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    public static long Sum(JsonElement report, string column) =>
        report.GetProperty("items").EnumerateArray().Sum(i => i.GetProperty(column).GetInt64());

    /// <summary>The progress answer's count for a report column (suppressed and queued included).</summary>
    public static long ProgressCount(JsonElement progress, string column) => progress.GetProperty(column).GetInt64();

    public static async Task<JsonElement> ProgressAsync(HttpClient client, string id) =>
        await client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/progress");

    /// <summary>Parses RFC 4180 CSV (quoted cells, doubled quotes, CRLF records) into records of cells.</summary>
    public static List<List<string>> ParseCsv(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                record.Add(cell.ToString());
                cell.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                record.Add(cell.ToString());
                cell.Clear();
                records.Add(record);
                record = [];
                i++;
            }
            else
            {
                cell.Append(c);
            }
        }
        if (cell.Length > 0 || record.Count > 0)
        {
            record.Add(cell.ToString());
            records.Add(record);
        }
        return records;
    }
}
