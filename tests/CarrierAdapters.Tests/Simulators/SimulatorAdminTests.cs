using System.Net;
using System.Text.Json;
using Loa.CarrierAdapters.HttpBatch;
using Loa.CarrierSimulators;
using Loa.CarrierAdapters.Tests.HttpBatch;

namespace Loa.CarrierAdapters.Tests.Simulators;

/// <summary>The simulators' admin endpoints: behaviour, stats, arrivals, reset.</summary>
public sealed class SimulatorAdminTests
{
    private const string Viettel = CarrierIds.Viettel;

    [Fact]
    public async Task Behaviour_round_trips_through_get_put_and_patch()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var url = await sim.AdminUrlAsync($"/admin/carriers/{Viettel}/behaviour");

        var initial = await GetJsonAsync(sim.Http, url);
        Assert.Equal(50, initial.GetProperty("receiptDelayMs").GetInt64()); // the harness configures 50 ms
        Assert.Equal(0, initial.GetProperty("serverErrorRatio").GetDouble());
        Assert.Equal(30_000, initial.GetProperty("timeoutHoldMs").GetInt64());
        Assert.Equal("delivered", initial.GetProperty("receiptStatus").GetString());
        Assert.Equal(JsonValueKind.Null, initial.GetProperty("seed").ValueKind);

        var put = await SendAsync(sim.Http, HttpMethod.Put, url,
            """{"serverErrorRatio":0.25,"latencyMedianMs":10,"latencyP99Ms":40,"failedWeight":1,"seed":7}""");
        Assert.Equal(HttpStatusCode.OK, put.Status);
        var behaviour = sim.Host.GetBehaviour(Viettel);
        Assert.Equal(0.25, behaviour.ServerErrorRatio);
        Assert.Equal(TimeSpan.FromMilliseconds(10), behaviour.LatencyMedian);
        Assert.Equal(TimeSpan.FromMilliseconds(40), behaviour.LatencyP99);
        Assert.Equal(1, behaviour.FailedWeight);
        Assert.Equal(7, behaviour.Seed);
        Assert.Equal(TimeSpan.FromMilliseconds(50), behaviour.ReceiptDelay);
        Assert.Equal(0.25, put.Json.GetProperty("serverErrorRatio").GetDouble());

        var patch = await SendAsync(sim.Http, HttpMethod.Patch, url, """{"timeoutRatio":0.5,"timeoutHoldMs":2000,"seed":null}""");
        Assert.Equal(HttpStatusCode.OK, patch.Status);
        var patched = await GetJsonAsync(sim.Http, url);
        Assert.Equal(0.5, patched.GetProperty("timeoutRatio").GetDouble());
        Assert.Equal(2000, patched.GetProperty("timeoutHoldMs").GetInt64());
        Assert.Equal(0.25, patched.GetProperty("serverErrorRatio").GetDouble());
        Assert.Equal(10, patched.GetProperty("latencyMedianMs").GetInt64());
        Assert.Equal(JsonValueKind.Null, patched.GetProperty("seed").ValueKind);

        // PUT starts again from the configured behaviour: what it does not name goes back.
        var replaced = await SendAsync(sim.Http, HttpMethod.Put, url, """{"maxPartsPerSecond":100}""");
        Assert.Equal(HttpStatusCode.OK, replaced.Status);
        Assert.Equal(sim.Host.GetConfiguredBehaviour(Viettel) with { MaxPartsPerSecond = 100 }, sim.Host.GetBehaviour(Viettel));
        Assert.Equal(SimulatorBehaviourDocument.From(sim.Host.GetBehaviour(Viettel)),
            JsonSerializer.Deserialize<SimulatorBehaviourDocument>(replaced.Json.GetRawText(), WireJson.Options));
    }

    [Theory]
    [InlineData("""{"serverErrorRatio":1.5}""", "serverErrorRatio")]
    [InlineData("""{"timeoutRatio":-0.1}""", "timeoutRatio")]
    [InlineData("""{"duplicateReceiptRatio":"half"}""", "duplicateReceiptRatio")]
    [InlineData("""{"receiptDelayMs":-5}""", "receiptDelayMs")]
    [InlineData("""{"latencyMedianMs":1.5}""", "latencyMedianMs")]
    [InlineData("""{"latencyMedianMs":500,"latencyP99Ms":100}""", "latencyP99Ms")]
    [InlineData("""{"maxPartsPerSecond":-1}""", "maxPartsPerSecond")]
    [InlineData("""{"serverErrorStatus":404}""", "serverErrorStatus")]
    [InlineData("""{"receiptStatus":"lost"}""", "receiptStatus")]
    [InlineData("""{"failedWeight":-1}""", "failedWeight")]
    [InlineData("""{"earlyReceiptRatio":0.6,"outOfOrderReceiptRatio":0.6}""", "outOfOrderReceiptRatio")]
    [InlineData("""{"latencyMs":10}""", "latencyMs")]
    public async Task Bad_behaviour_is_answered_400_naming_the_field_and_changes_nothing(string body, string field)
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var url = await sim.AdminUrlAsync($"/admin/carriers/{Viettel}/behaviour");
        var before = sim.Host.GetBehaviour(Viettel);

        foreach (var method in new[] { HttpMethod.Patch, HttpMethod.Put })
        {
            var answer = await SendAsync(sim.Http, method, url, body);

            Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
            Assert.Equal("application/problem+json", answer.ContentType);
            Assert.True(answer.Json.GetProperty("errors").TryGetProperty(field, out var messages), $"{method}: {answer.Json}");
            Assert.False(string.IsNullOrWhiteSpace(messages[0].GetString()));
            Assert.Contains(field, answer.Json.GetProperty("detail").GetString());
        }
        Assert.Equal(before, sim.Host.GetBehaviour(Viettel));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    public async Task Behaviour_body_that_is_not_a_json_object_is_answered_400(string body)
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var url = await sim.AdminUrlAsync($"/admin/carriers/{Viettel}/behaviour");

        var answer = await SendAsync(sim.Http, HttpMethod.Put, url, body);

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
    }

    [Fact]
    public async Task Unknown_carrier_is_404_on_every_admin_route()
    {
        await using var sim = await SimulatorHarness.StartAsync();

        var get = await sim.Http.GetAsync(await sim.AdminUrlAsync("/admin/carriers/telstra/behaviour"));
        var put = await SendAsync(sim.Http, HttpMethod.Put, await sim.AdminUrlAsync("/admin/carriers/telstra/behaviour"), "{}");
        var patch = await SendAsync(sim.Http, HttpMethod.Patch, await sim.AdminUrlAsync("/admin/carriers/telstra/behaviour"), "{}");
        var arrivals = await sim.Http.GetAsync(await sim.AdminUrlAsync("/admin/carriers/telstra/arrivals"));
        var reset = await sim.Http.PostAsync(await sim.AdminUrlAsync("/admin/carriers/telstra/reset"), null);

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, put.Status);
        Assert.Equal(HttpStatusCode.NotFound, patch.Status);
        Assert.Equal(HttpStatusCode.NotFound, arrivals.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, reset.StatusCode);
    }

    [Fact]
    public async Task Behaviour_set_over_http_applies_to_the_next_submit()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var url = await sim.AdminUrlAsync($"/admin/carriers/{Viettel}/behaviour");
        var adapter = await sim.AdapterAsync(Viettel);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(sim.Http, HttpMethod.Patch, url, """{"serverErrorRatio":1}""")).Status);
        Assert.IsType<SubmitOutcome.Transient>(await adapter.SubmitAsync(sim.Batch(Viettel), CancellationToken.None));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(sim.Http, HttpMethod.Put, url, "{}")).Status);
        Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(sim.Batch(Viettel), CancellationToken.None));

        Assert.Equal(1, sim.Host.Stats[Viettel].ServerErrors);
        Assert.Equal(1, sim.Host.Stats[Viettel].BatchesReceived);
    }

    [Fact]
    public async Task Arrival_log_keeps_the_most_recent_accepted_batches_with_time_id_and_size()
    {
        await using var sim = await SimulatorHarness.StartAsync(settings => settings["Loa:Simulators:ArrivalsKept"] = "3");
        var adapter = await sim.AdapterAsync(Viettel);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        CarrierBatch? last = null;
        for (var i = 1; i <= 5; i++)
        {
            last = sim.Batch(Viettel, count: i, batchId: $"camp-7-b{i}", parts: 2);
            Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(last, CancellationToken.None));
        }
        Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(last!, CancellationToken.None)); // a repeat is no arrival
        sim.Behave(Viettel, b => b with { ServerErrorRatio = 1 });
        await adapter.SubmitAsync(sim.Batch(Viettel, batchId: "camp-7-b6"), CancellationToken.None); // nor is a 5xx
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var arrivals = sim.Host.Stats[Viettel].Arrivals;
        Assert.Equal(["camp-7-b3", "camp-7-b4", "camp-7-b5"], arrivals.Select(a => a.BatchId));
        Assert.Equal([3, 4, 5], arrivals.Select(a => a.Messages));
        Assert.Equal([6L, 8L, 10L], arrivals.Select(a => a.Parts));
        Assert.All(arrivals, a => Assert.InRange(a.ArrivedUnixMs, before, after));
        Assert.Equal(arrivals.Select(a => a.ArrivedUnixMs).Order(), arrivals.Select(a => a.ArrivedUnixMs));
        Assert.Equal(5, sim.Host.Stats[Viettel].BatchesReceived);

        var served = await GetJsonAsync(sim.Http, await sim.AdminUrlAsync($"/admin/carriers/{Viettel}/arrivals"));
        Assert.Equal(3, served.GetArrayLength());
        Assert.Equal("camp-7-b5", served[2].GetProperty("batchId").GetString());
        Assert.Equal(5, served[2].GetProperty("messages").GetInt32());
        Assert.Equal(10, served[2].GetProperty("parts").GetInt64());
        Assert.Equal(arrivals[2].ArrivedUnixMs, served[2].GetProperty("arrivedUnixMs").GetInt64());

        var since = await GetJsonAsync(sim.Http, await sim.AdminUrlAsync($"/admin/carriers/{Viettel}/arrivals?since={arrivals[2].ArrivedUnixMs}"));
        Assert.True(since.GetArrayLength() is >= 1 and <= 3);
        Assert.Equal(0, (await GetJsonAsync(sim.Http, await sim.AdminUrlAsync($"/admin/carriers/{Viettel}/arrivals?since={after + 1}"))).GetArrayLength());
    }

    [Fact]
    public async Task Stats_serve_the_fault_counters_and_reset_clears_one_carrier_or_all()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var viettel = await sim.AdapterAsync(Viettel);
        var vinaphone = await sim.AdapterAsync(CarrierIds.Vinaphone);
        var batch = sim.Batch(Viettel, count: 2);
        await viettel.SubmitAsync(batch, CancellationToken.None);
        await vinaphone.SubmitAsync(sim.Batch(CarrierIds.Vinaphone, count: 2), CancellationToken.None);
        sim.Behave(Viettel, b => b with { ServerErrorRatio = 1 });
        await viettel.SubmitAsync(sim.Batch(Viettel), CancellationToken.None);
        sim.Behave(Viettel, b => b with { ServerErrorRatio = 0, MaxPartsPerSecond = 1 });
        await viettel.SubmitAsync(sim.Batch(Viettel, count: 2), CancellationToken.None);
        Assert.True(await Eventually.HoldsAsync(() => sim.Host.Stats[Viettel].ReceiptsPosted == 2));

        var stats = (await GetJsonAsync(sim.Http, await sim.AdminUrlAsync("/admin/stats"))).GetProperty("carriers").GetProperty(Viettel);
        Assert.Equal(1, stats.GetProperty("serverErrors").GetInt64());
        Assert.Equal(1, stats.GetProperty("throttledSubmits").GetInt64());
        Assert.Equal(0, stats.GetProperty("timeoutsHeld").GetInt64());
        Assert.Equal(0, stats.GetProperty("earlyReceiptsPosted").GetInt64());
        Assert.Equal(0, stats.GetProperty("outOfOrderReceiptsPosted").GetInt64());
        Assert.Equal(0, stats.GetProperty("duplicateReceiptsPosted").GetInt64());
        Assert.Equal(1, stats.GetProperty("arrivalsLogged").GetInt32());
        Assert.Equal(2, stats.GetProperty("messagesAccepted").GetInt64());

        var resetOne = await sim.Http.PostAsync(await sim.AdminUrlAsync($"/admin/carriers/{Viettel}/reset"), null);
        Assert.Equal(HttpStatusCode.NoContent, resetOne.StatusCode);
        var cleared = sim.Host.Stats[Viettel];
        Assert.Equal(0, cleared.MessagesAccepted);
        Assert.Equal(0, cleared.ServerErrors);
        Assert.Equal(0, cleared.ThrottledSubmits);
        Assert.Equal(0, cleared.ReceiptsPosted);
        Assert.Empty(cleared.Arrivals);
        Assert.Empty(cleared.AcceptedPerSecond);
        Assert.Equal(2, sim.Host.Stats[CarrierIds.Vinaphone].MessagesAccepted);

        // Message ids seen before the reset are forgotten too; the idempotency store is not.
        sim.Behave(Viettel, b => b with { MaxPartsPerSecond = 0 });
        await viettel.SubmitAsync(batch, CancellationToken.None);
        Assert.Equal(1, cleared.IdempotentRepeats);
        await viettel.SubmitAsync(sim.Batch(Viettel, messageIds: batch.Messages.Select(m => m.Id).ToArray()), CancellationToken.None);
        Assert.Equal(0, cleared.DuplicateMessageIds);

        var resetAll = await sim.Http.PostAsync(await sim.AdminUrlAsync("/admin/reset"), null);
        Assert.Equal(HttpStatusCode.NoContent, resetAll.StatusCode);
        Assert.All(CarrierIds.All, id => Assert.Equal(0, sim.Host.Stats[id].MessagesAccepted));
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, Uri url)
    {
        using var response = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.Clone();
    }

    private static async Task<(HttpStatusCode Status, string? ContentType, JsonElement Json)> SendAsync(
        HttpClient http, HttpMethod method, Uri url, string body)
    {
        using var request = new HttpRequestMessage(method, url) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, json.RootElement.Clone());
    }
}
