using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Storage;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using static Loa.CampaignApi.Tests.Reports.ReportTestParts;

namespace Loa.CampaignApi.Tests.Reports;

/// <summary>
/// The delivery report beside push: a campaign of SMS and two push apps (FCM and APNs) whose phones
/// acknowledge some of the pushes. The push lanes' rows carry the acks as <c>received</c> and
/// <c>opened</c>, read from the ack counters; SMS rows carry 0. Run once per dialect, as the report's
/// SQL is written per dialect.
/// </summary>
public sealed class PushReportSpecs
{
    private const string All = "?from=2000-01-01&to=2100-01-01";

    [Theory, SqliteData, SqlServerData]
    public async Task Push_lanes_rows_carry_the_phones_received_and_opened_in_json_and_csv_and_sms_rows_carry_none(DatabaseProvider provider)
    {
        await using var loa = await LoaTestHost.StartAsync(s =>
        {
            foreach (var kv in LoaTestHost.CarrierSecrets())
                s[kv.Key] = kv.Value;
            s["Loa:Push:Apps:loa:Provider"] = "Fcm";
            s["Loa:Push:Apps:bank:Provider"] = "Apns";
            s["Loa:Simulators:Push:Behaviour:AcceptUnknownTokens"] = "true";
        }, database: provider);
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync("report-app", "report app", "national", ["app"]);
        using var app = loa.Client("report-app");
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");

        var loaTokens = await RegisterAsync(app, 6, "loa", "android", "HN");
        var bankTokens = await RegisterAsync(app, 4, "bank", "ios", "79");
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(13))).GetProperty("id").GetString()!;
        var id = await LoaTestHost.CreateCampaignAsync(author, new
        {
            name = "Cảnh báo lừa đảo qua ứng dụng",
            kind = "warning",
            channels = new[] { "sms", "push" },
            message = new
            {
                sms = "Cuc ATTT canh bao: khong cung cap ma OTP cho bat ky ai.",
                push = new { title = "Cảnh báo lừa đảo", body = "Không cung cấp mã OTP cho bất kỳ ai." },
            },
            audience = new { lists = new[] { list }, devices = true },
        });
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(90));

        // loa: four received, one of them opened too, one opened only (it counts as received), one repeat
        // (counted once), one silent: 5 received, 2 opened. bank: one opened only: 1 received, 1 opened.
        await AckAsync(app, loaTokens[0], id, "received");
        await AckAsync(app, loaTokens[0], id, "opened");
        await AckAsync(app, loaTokens[0], id, "received");
        foreach (var token in loaTokens.Skip(1).Take(3))
            await AckAsync(app, token, id, "received");
        await AckAsync(app, loaTokens[4], id, "opened");
        await AckAsync(app, bankTokens[0], id, "opened");

        var progress = await ProgressAsync(operatorClient, id);
        Assert.Equal((6L, 3L), (progress.GetProperty("push").GetProperty("received").GetInt64(), progress.GetProperty("push").GetProperty("opened").GetInt64()));

        // By carrier: the push lanes' deliveries and their acks in one row each; SMS carriers have no acks.
        var byCarrier = Items(await ReportAsync(operatorClient, All + "&groupBy=carrier"));
        Assert.Equal(["gmobile", "mobifone", "push-bank", "push-loa", "vietnamobile", "viettel", "vinaphone"], byCarrier.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((6L, 6L, 5L, 2L), Figures(byCarrier["push-loa"]));
        Assert.Equal((4L, 4L, 1L, 1L), Figures(byCarrier["push-bank"]));
        foreach (var (carrier, item) in byCarrier.Where(c => !c.Key.StartsWith("push-", StringComparison.Ordinal)))
        {
            Assert.Equal(progress.GetProperty("byCarrier").GetProperty(carrier).GetProperty("delivered").GetInt64(), item.GetProperty("delivered").GetInt64());
            Assert.Equal((0L, 0L), (item.GetProperty("received").GetInt64(), item.GetProperty("opened").GetInt64()));
        }
        Assert.Equal(13, byCarrier.Where(c => !c.Key.StartsWith("push-", StringComparison.Ordinal)).Sum(c => c.Value.GetProperty("total").GetInt64()));

        // By province: the acks are kept per lane, not per province, so they stand under province '',
        // beside the lane's deliveries under the devices' provinces; each row still adds up.
        var report = await ReportAsync(operatorClient, All + "&groupBy=carrier,province");
        var rows = report.GetProperty("items").EnumerateArray()
            .ToDictionary(i => (i.GetProperty("carrier").GetString()!, i.GetProperty("province").GetString()!));
        Assert.Equal((6L, 6L, 0L, 0L), Figures(rows[("push-loa", "01")]));
        Assert.Equal((0L, 0L, 5L, 2L), Figures(rows[("push-loa", "")]));
        Assert.Equal((4L, 4L, 0L, 0L), Figures(rows[("push-bank", "79")]));
        Assert.Equal((0L, 0L, 1L, 1L), Figures(rows[("push-bank", "")]));
        Assert.Equal(4, rows.Keys.Count(k => k.Item1.StartsWith("push-", StringComparison.Ordinal)));
        foreach (var item in rows.Values)
            Assert.Equal(item.GetProperty("total").GetInt64(), CountColumns.Skip(1).Sum(c => item.GetProperty(c).GetInt64()));
        Assert.Equal(6, Sum(report, "received"));
        Assert.Equal(3, Sum(report, "opened"));

        // The same figures as CSV, in the columns after queued.
        var csvResponse = await operatorClient.GetAsync("/api/v1/reports/deliveries" + All + "&groupBy=carrier&format=csv");
        Assert.Equal(HttpStatusCode.OK, csvResponse.StatusCode);
        var csv = ParseCsv(await csvResponse.Content.ReadAsStringAsync());
        Assert.Equal(["carrier", .. CountColumns, .. AckColumns], csv[0]);
        var lines = csv.Skip(1).ToDictionary(r => r[0]);
        Assert.Equal(["6", "6", "5", "2"], new[] { lines["push-loa"][1], lines["push-loa"][3], lines["push-loa"][9], lines["push-loa"][10] });
        Assert.Equal(["4", "4", "1", "1"], new[] { lines["push-bank"][1], lines["push-bank"][3], lines["push-bank"][9], lines["push-bank"][10] });
        Assert.All(lines.Where(l => !l.Key.StartsWith("push-", StringComparison.Ordinal)), l => Assert.Equal(["0", "0"], l.Value.Skip(9)));
        foreach (var (carrier, item) in byCarrier)
        {
            Assert.Equal(
                [carrier, .. CountColumns.Concat(AckColumns).Select(c => item.GetProperty(c).GetInt64().ToString(CultureInfo.InvariantCulture))],
                lines[carrier]);
        }
    }

    private static async Task<List<string>> RegisterAsync(HttpClient app, int count, string appId, string platform, string province)
    {
        var tokens = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var token = platform == "ios"
                ? Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))
                : $"{appId}{Guid.NewGuid():n}:APA91b{new string('r', 60)}";
            var response = await app.PostAsJsonAsync("/api/v1/devices", new { token, platform, app = appId, province, language = "vi" });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            tokens.Add(token);
        }
        return tokens;
    }

    private static async Task AckAsync(HttpClient app, string token, string campaign, string ackEvent)
    {
        var response = await app.PostAsJsonAsync($"/api/v1/devices/{Uri.EscapeDataString(token)}/acks", new { campaign, @event = ackEvent });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private static Dictionary<string, JsonElement> Items(JsonElement report) =>
        report.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("carrier").GetString()!);

    /// <summary>total, delivered (accepted by FCM or APNs on a push lane), received, opened.</summary>
    private static (long, long, long, long) Figures(JsonElement item) =>
        (item.GetProperty("total").GetInt64(), item.GetProperty("delivered").GetInt64(), item.GetProperty("received").GetInt64(), item.GetProperty("opened").GetInt64());
}
