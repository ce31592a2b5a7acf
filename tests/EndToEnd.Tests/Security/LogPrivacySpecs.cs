using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loa.EndToEnd.Tests.DeliveryEngine;
using Loa.Tests.Shared;

namespace Loa.EndToEnd.Tests.Security;

/// <summary>Subscriber numbers are personal data: a whole campaign, its faults and its receipts, logged at every level, must not show one.</summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed partial class LogPrivacySpecs
{
    [Fact]
    public async Task A_campaign_with_faults_and_failed_receipts_logs_no_full_number_at_any_level()
    {
        var logs = new CapturedLogs();
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Logging:LogLevel:Default"] = "Trace";
            s["Loa:Dispatcher:RetrySchedule:0"] = "00:00:00.200";
            s["Loa:Carriers:viettel:Timeout"] = "00:00:01";
            s["Loa:Simulators:Carriers:viettel:ServerErrorRatio"] = "0.2";
            s["Loa:Simulators:Carriers:viettel:TimeoutRatio"] = "0.1";
            s["Loa:Simulators:Carriers:viettel:TimeoutHold"] = "00:00:02";
            s["Loa:Simulators:Carriers:viettel:FailedWeight"] = "1";
            s["Loa:Simulators:Carriers:viettel:DeliveredWeight"] = "1";
            s["Loa:Simulators:Carriers:viettel:Seed"] = "7";
        }), logs: logs);
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");

        // Good numbers, and rows the upload refuses (their text must not be logged either).
        var csv = EngineWorld.ViettelCsv(300) + "0867777777x\n+84 86 999 0000 0\n";
        var list = await LoaTestHost.UploadListAsync(author, csv);
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!, kind: "warning"));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, id);
        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(90));
        Assert.Equal(300, done.GetProperty("delivered").GetInt64() + done.GetProperty("failed").GetInt64());
        Assert.True(done.GetProperty("failed").GetInt64() > 0, "no failed receipt: the failure paths were not exercised");
        var page = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/deliveries?limit=1000");
        Assert.Equal(300, page.GetProperty("items").GetArrayLength());

        Assert.True(logs.Lines.Count > 100, $"only {logs.Lines.Count} log lines: the capture is not seeing the host");
        var leaks = logs.Lines.Where(line => FullNumber().IsMatch(line)).Take(5).ToList();
        Assert.True(leaks.Count == 0, "full numbers in the log:\n" + string.Join("\n", leaks));
    }

    // The list's numbers in any of the forms Loa handles: 086xxxxxxx, 8486xxxxxxx, +8486xxxxxxx.
    [GeneratedRegex(@"(?<!\d)(\+?84|0)86\d{7}(?!\d)")]
    private static partial Regex FullNumber();
}
