using System.Net.Http.Json;
using System.Text.Json;
using Loa.EndToEnd.Tests.DeliveryEngine;
using Loa.Tests.Shared;

namespace Loa.EndToEnd.Tests.Lifecycle;

/// <summary>
/// A correction approved while its original is going out stops the original: nothing more of it is
/// submitted, its unsent messages end cancelled as superseded, and everyone gets the correction.
/// </summary>
// Timed stops: run alone, so a busy neighbour cannot blur what they measure.
[Collection(DeliveryEngineCollection.Name)]
public sealed class SupersedeSpecs
{
    private const int Recipients = 2_000;

    [Fact]
    public async Task An_approved_correction_stops_the_running_original_and_its_unsent_messages_end_superseded()
    {
        // 200 parts a second: the original takes ten seconds, long enough to correct it halfway.
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s => s["Loa:Carriers:viettel:PartsPerSecond"] = "200"));
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        var original = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(Recipients));
        var viettel = loa.Simulators.Stats["viettel"];
        await EngineWorld.WaitUntilAsync(() => viettel.MessagesAccepted >= 400, "some messages accepted", TimeSpan.FromSeconds(60));

        var created = await author.PostAsJsonAsync($"/api/v1/campaigns/{original}/correction",
            new { message = new { sms = "Dinh chinh: so dung la 0900000001. Xin loi vi nham lan." } });
        var correction = await created.Content.ReadFromJsonAsync<JsonElement>();
        var correctionId = correction.GetProperty("id").GetString()!;
        var counts = correction.GetProperty("preview").GetProperty("correction");
        var alreadySent = counts.GetProperty("alreadySentOriginal").GetInt64();
        Assert.True(alreadySent > 0, $"the original had reached someone: {counts}");
        Assert.Equal(Recipients, alreadySent + counts.GetProperty("notYetSentOriginal").GetInt64());

        await LoaTestHost.SubmitAndApproveAsync(author, approver, correctionId);

        // Everyone gets the correction, including those who already had the original.
        var corrected = await LoaTestHost.WaitForStatusAsync(operatorClient, correctionId, "completed", TimeSpan.FromMinutes(1));
        Assert.Equal(Recipients, corrected.GetProperty("delivered").GetInt64());
        JsonElement progress = default;
        await EngineWorld.WaitUntilAsync(async () =>
        {
            progress = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{original}/progress");
            return progress.GetProperty("queued").GetInt64() == 0 && progress.GetProperty("submitted").GetInt64() == 0;
        }, "nothing of the original left queued or at the carrier", TimeSpan.FromSeconds(60));
        Assert.Equal("cancelled", progress.GetProperty("status").GetString());
        var delivered = progress.GetProperty("delivered").GetInt64();
        var cancelled = progress.GetProperty("cancelled").GetInt64();
        Assert.True(cancelled > 0, $"the original went out whole: {progress}");
        Assert.Equal(Recipients, delivered + cancelled);
        // Nothing of the original reached the carrier after it was superseded: the carrier saw its delivered ones and the correction.
        Assert.Equal(delivered + Recipients, viettel.MessagesAccepted);
        Assert.Equal(0, viettel.DuplicateMessageIds);

        var unsent = await EngineWorld.DeliveriesAsync(operatorClient, original, "cancelled");
        Assert.Equal(cancelled, unsent.Count);
        Assert.All(unsent, d => Assert.Equal($"superseded by {correctionId}", d.GetProperty("error").GetString()));
        var view = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{original}");
        Assert.Equal(correctionId, view.GetProperty("supersededBy").GetString());
        Assert.Equal(409, (int)(await operatorClient.PostAsync($"/api/v1/campaigns/{original}/resume", null)).StatusCode);
    }
}
