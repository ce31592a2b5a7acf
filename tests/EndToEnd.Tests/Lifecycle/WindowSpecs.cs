using System.Net.Http.Json;
using System.Text.Json;
using Loa.EndToEnd.Tests.DeliveryEngine;
using Loa.Tests.Shared;

namespace Loa.EndToEnd.Tests.Lifecycle;

/// <summary>Awareness messages wait for the sending window; warnings go out at any hour.</summary>
// Timed stops and a shifted clock: run alone, so a busy neighbour cannot blur what they measure.
[Collection(DeliveryEngineCollection.Name)]
public sealed class WindowSpecs
{
    [Fact]
    public async Task Before_seven_awareness_waits_for_the_window_while_a_warning_goes_out_at_once()
    {
        // 06:59:40 in Hanoi: twenty seconds before the default window opens.
        var clock = ShiftedClock.AtVietnamTime(new TimeOnly(6, 59, 40));
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false), clock: clock);
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");

        var awarenessList = await LoaTestHost.UploadListAsync(author, EngineWorld.ViettelCsv(50));
        var warningList = await LoaTestHost.UploadListAsync(author, EngineWorld.ViettelCsv(50, offset: 1000));
        var awareness = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(awarenessList.GetProperty("id").GetString()!, kind: "awareness"));
        var warning = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(warningList.GetProperty("id").GetString()!, kind: "warning"));
        await LoaTestHost.SubmitAndApproveAsync(author, approver, awareness);
        await LoaTestHost.SubmitAndApproveAsync(author, approver, warning);

        var warned = await LoaTestHost.WaitForStatusAsync(operatorClient, warning, "completed", TimeSpan.FromSeconds(15));
        Assert.Equal(50, warned.GetProperty("delivered").GetInt64());
        Assert.True(clock.GetUtcNow().ToOffset(TimeSpan.FromHours(7)).TimeOfDay < new TimeSpan(7, 0, 0), "the warning was too slow for this test to mean anything");
        var held = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{awareness}/progress");
        Assert.Equal("running", held.GetProperty("status").GetString());
        Assert.Equal(50, held.GetProperty("queued").GetInt64());
        Assert.Equal(50, loa.Simulators.Stats["viettel"].MessagesAccepted);

        // The window opens at 07:00 (plus up to five seconds of spread) and the awareness campaign finishes.
        var done = await LoaTestHost.WaitForStatusAsync(operatorClient, awareness, "completed", TimeSpan.FromSeconds(60));
        Assert.Equal(50, done.GetProperty("delivered").GetInt64());
        Assert.True(clock.GetUtcNow().ToOffset(TimeSpan.FromHours(7)).TimeOfDay >= new TimeSpan(7, 0, 0));
        Assert.Equal(100, loa.Simulators.Stats["viettel"].MessagesAccepted);
    }

    [Fact]
    public async Task A_window_is_for_awareness_only_and_must_be_well_formed()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var author = loa.Client("dev-author");
        var list = await LoaTestHost.UploadListAsync(author, EngineWorld.ViettelCsv(3));
        var listId = list.GetProperty("id").GetString()!;
        foreach (var (kind, window) in new[] { ("warning", new { from = "07:00", to = "22:00" }), ("awareness", new { from = "7h", to = "22:00" }) })
        {
            var response = await author.PostAsJsonAsync("/api/v1/campaigns", new
            {
                name = "x", kind, channels = new[] { "sms" }, message = new { sms = "Canh bao" },
                audience = new { lists = new[] { listId } }, schedule = new { window },
            });
            Assert.Equal(400, (int)response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").TryGetProperty("schedule.window", out _), problem.ToString());
        }
    }
}
