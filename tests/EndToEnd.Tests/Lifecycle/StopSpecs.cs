using System.Net.Http.Json;
using System.Text.Json;
using Loa.EndToEnd.Tests.DeliveryEngine;
using Loa.Tests.Shared;

namespace Loa.EndToEnd.Tests.Lifecycle;

/// <summary>Operators stop a campaign that is going out: pause holds it, resume finishes it with no repeat, cancel ends it.</summary>
// Timed stops and a shifted clock: run alone, so a busy neighbour cannot blur what they measure.
[Collection(DeliveryEngineCollection.Name)]
public sealed class StopSpecs
{
    private const int Recipients = 2_000;

    // 200 parts a second: the campaign takes ten seconds, long enough to stop it halfway.
    private static Task<LoaTestHost> StartAsync() =>
        LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s => s["Loa:Carriers:viettel:PartsPerSecond"] = "200"));

    [Fact]
    public async Task Pause_holds_every_submit_and_resume_finishes_without_sending_anyone_twice()
    {
        await using var loa = await StartAsync();
        using var operatorClient = loa.Client("dev-operator");
        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(Recipients));
        var viettel = loa.Simulators.Stats["viettel"];
        await EngineWorld.WaitUntilAsync(() => viettel.MessagesAccepted >= 400, "some messages accepted", TimeSpan.FromSeconds(60));

        var paused = await operatorClient.PostAsync($"/api/v1/campaigns/{id}/pause", null);
        Assert.Equal(200, (int)paused.StatusCode);
        Assert.Equal("paused", (await paused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        // A batch already at the carrier may finish; after that, nothing more goes out.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var atPause = viettel.MessagesAccepted;
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(atPause, viettel.MessagesAccepted);
        Assert.True(atPause < Recipients, "the campaign finished before the pause could be seen");
        Assert.Equal(409, (int)(await operatorClient.PostAsync($"/api/v1/campaigns/{id}/pause", null)).StatusCode);

        Assert.Equal(200, (int)(await operatorClient.PostAsync($"/api/v1/campaigns/{id}/resume", null)).StatusCode);
        var progress = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromMinutes(1));
        Assert.Equal(Recipients, progress.GetProperty("delivered").GetInt64());
        Assert.Equal(Recipients, viettel.MessagesAccepted);
        Assert.Equal(0, viettel.DuplicateMessageIds);
        Assert.Equal(0, viettel.IdempotentRepeats);
    }

    [Fact]
    public async Task Cancel_stops_new_submits_within_five_seconds_and_the_rest_end_cancelled()
    {
        await using var loa = await StartAsync();
        using var operatorClient = loa.Client("dev-operator");
        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(Recipients));
        var viettel = loa.Simulators.Stats["viettel"];
        await EngineWorld.WaitUntilAsync(() => viettel.MessagesAccepted >= 400, "some messages accepted", TimeSpan.FromSeconds(60));

        var cancelled = await operatorClient.PostAsync($"/api/v1/campaigns/{id}/cancel", null);
        Assert.Equal(200, (int)cancelled.StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(5));
        var atCancel = viettel.MessagesAccepted;
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(atCancel, viettel.MessagesAccepted);
        Assert.True(atCancel < Recipients);

        // Every message ends: delivered if it reached the carrier, cancelled if not.
        JsonElement progress = default;
        await EngineWorld.WaitUntilAsync(async () =>
        {
            progress = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/progress");
            return progress.GetProperty("queued").GetInt64() == 0 && progress.GetProperty("submitted").GetInt64() == 0;
        }, "no message left queued or submitted", TimeSpan.FromSeconds(60));
        Assert.Equal("cancelled", progress.GetProperty("status").GetString());
        Assert.Equal(atCancel, progress.GetProperty("delivered").GetInt64());
        Assert.Equal(Recipients - atCancel, progress.GetProperty("cancelled").GetInt64());
        Assert.Equal(409, (int)(await operatorClient.PostAsync($"/api/v1/campaigns/{id}/resume", null)).StatusCode);
    }

    [Fact]
    public async Task A_campaign_paused_while_scheduled_cannot_be_and_roles_are_enforced()
    {
        await using var loa = await StartAsync();
        using var author = loa.Client("dev-author");
        using var operatorClient = loa.Client("dev-operator");
        var list = await LoaTestHost.UploadListAsync(author, EngineWorld.ViettelCsv(10));
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!));
        Assert.Equal(403, (int)(await author.PostAsync($"/api/v1/campaigns/{id}/pause", null)).StatusCode);
        Assert.Equal(409, (int)(await operatorClient.PostAsync($"/api/v1/campaigns/{id}/pause", null)).StatusCode);
        Assert.Equal(409, (int)(await operatorClient.PostAsync($"/api/v1/campaigns/{id}/resume", null)).StatusCode);
        Assert.Equal(404, (int)(await operatorClient.PostAsync("/api/v1/campaigns/nope/pause", null)).StatusCode);
    }
}
