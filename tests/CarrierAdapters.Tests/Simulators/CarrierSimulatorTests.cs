using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Loa.CarrierSimulators;
using Loa.CarrierAdapters.Tests.HttpBatch;

namespace Loa.CarrierAdapters.Tests.Simulators;

public sealed class CarrierSimulatorTests
{
    private const string Viettel = CarrierIds.Viettel;

    /// <summary>Long enough for any receipt that was going to be posted (delay 50 ms) to have arrived.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Batch_is_accepted_with_one_result_per_message_and_signed_receipts_arrive()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var adapter = await sim.AdapterAsync(Viettel);
        var batch = sim.Batch(Viettel, count: 3);

        var outcome = await adapter.SubmitAsync(batch, CancellationToken.None);

        var results = Assert.IsType<SubmitOutcome.Completed>(outcome).Results;
        Assert.Equal(batch.Messages.Select(m => m.Id), results.Select(r => r.Id));
        Assert.All(results, r => Assert.True(r.Accepted));
        Assert.All(results, r => Assert.False(string.IsNullOrEmpty(r.CarrierMessageId)));
        Assert.Equal(3, results.Select(r => r.CarrierMessageId).Distinct().Count());

        Assert.True(await Eventually.HoldsAsync(() => sim.Receiver.Receipts.Count == 3), "receipts did not arrive");
        var receipts = sim.Receiver.Receipts;
        Assert.All(receipts, r => Assert.Equal(Viettel, r.CarrierId));
        Assert.All(receipts, r => Assert.Equal("delivered", r.Receipt.Status));
        Assert.All(receipts, r => Assert.NotNull(r.Receipt.At));
        Assert.Equal(results.Select(r => r.CarrierMessageId).Order(), receipts.Select(r => r.Receipt.MessageId).Order());
        Assert.Equal(0, sim.Receiver.BadSignatures);
        Assert.Equal(1, sim.Receiver.Posts);

        Assert.True(await Eventually.HoldsAsync(() => sim.Host.Stats[Viettel].ReceiptsPosted == 3));
        var stats = sim.Host.Stats[Viettel];
        Assert.Equal(3, stats.MessagesAccepted);
        Assert.Equal(1, stats.BatchesReceived);
        Assert.Equal(0, stats.DuplicateMessageIds);
        Assert.Equal(0, sim.Host.Stats[CarrierIds.Mobifone].MessagesAccepted);
    }

    [Fact]
    public async Task Every_carrier_id_is_served_and_signs_with_its_own_secret()
    {
        await using var sim = await SimulatorHarness.StartAsync();

        foreach (var carrierId in CarrierIds.All)
        {
            var outcome = await (await sim.AdapterAsync(carrierId)).SubmitAsync(sim.Batch(carrierId, count: 2), CancellationToken.None);
            Assert.IsType<SubmitOutcome.Completed>(outcome);
        }

        Assert.True(await Eventually.HoldsAsync(() => sim.Receiver.Receipts.Count == 2 * CarrierIds.All.Count));
        Assert.Equal(0, sim.Receiver.BadSignatures);
        Assert.All(CarrierIds.All, id => Assert.Equal(2, sim.Host.Stats[id].MessagesAccepted));
    }

    [Fact]
    public async Task Carrier_message_ids_are_unique_across_batches_of_one_carrier()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var adapter = await sim.AdapterAsync(Viettel);

        var ids = new List<string?>();
        for (var i = 0; i < 5; i++)
        {
            var outcome = await adapter.SubmitAsync(sim.Batch(Viettel, count: 20), CancellationToken.None);
            ids.AddRange(Assert.IsType<SubmitOutcome.Completed>(outcome).Results.Select(r => r.CarrierMessageId));
        }

        Assert.Equal(100, ids.Distinct().Count());
    }

    [Fact]
    public async Task Wrong_credential_is_rejected_and_nothing_is_sent()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var adapter = await sim.AdapterAsync(Viettel, credential: "not-the-credential");

        var outcome = await adapter.SubmitAsync(sim.Batch(Viettel), CancellationToken.None);

        Assert.Contains("401", Assert.IsType<SubmitOutcome.Rejected>(outcome).Reason);
        await Task.Delay(Quiet);
        Assert.Empty(sim.Receiver.Receipts);
        var stats = sim.Host.Stats[Viettel];
        Assert.Equal(0, stats.MessagesAccepted);
        Assert.Equal(0, stats.BatchesReceived);
        Assert.Equal(1, stats.BatchesRefused);
    }

    [Fact]
    public async Task Carrier_without_a_credential_takes_any_submit()
    {
        await using var sim = await SimulatorHarness.StartAsync(settings => settings[$"Loa:Carriers:{Viettel}:Credential"] = "");
        var adapter = await sim.AdapterAsync(Viettel, credential: "");

        var outcome = await adapter.SubmitAsync(sim.Batch(Viettel), CancellationToken.None);

        Assert.IsType<SubmitOutcome.Completed>(outcome);
    }

    [Fact]
    public async Task Repeat_with_same_idempotency_key_sends_nothing_new()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var adapter = await sim.AdapterAsync(Viettel);
        var batch = sim.Batch(Viettel, count: 4);

        var first = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(batch, CancellationToken.None));
        Assert.True(await Eventually.HoldsAsync(() => sim.Receiver.Receipts.Count == 4));
        var second = Assert.IsType<SubmitOutcome.Completed>(await adapter.SubmitAsync(batch, CancellationToken.None));
        await Task.Delay(Quiet);

        Assert.Equal(first.Results, second.Results);
        Assert.Equal(4, sim.Receiver.Receipts.Count);
        Assert.Equal(1, sim.Receiver.Posts);
        var stats = sim.Host.Stats[Viettel];
        Assert.Equal(4, stats.MessagesAccepted);
        Assert.Equal(1, stats.BatchesReceived);
        Assert.Equal(1, stats.IdempotentRepeats);
        Assert.Equal(0, stats.DuplicateMessageIds);
        Assert.Equal(4, stats.ReceiptsPosted);
    }

    [Fact]
    public async Task Repeat_with_same_idempotency_key_returns_the_first_answer_byte_for_byte()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var url = new Uri((await sim.Host.GetBaseUrlAsync(Viettel, CancellationToken.None)) + "/sms/batches");
        var body = BatchJson("key-1", sim.Receiver.ReceiptUrl(Viettel));

        var first = await PostAsync(sim.Http, url, body, SimulatorHarness.Credential(Viettel), idempotencyKey: "key-1");
        var second = await PostAsync(sim.Http, url, body, SimulatorHarness.Credential(Viettel), idempotencyKey: "key-1");

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal(first.Body, second.Body);
        Assert.Equal(1, sim.Host.Stats[Viettel].BatchesReceived);
    }

    [Fact]
    public async Task Concurrent_repeats_of_one_batch_are_taken_once()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var adapter = await sim.AdapterAsync(Viettel);
        var batch = sim.Batch(Viettel, count: 50);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => adapter.SubmitAsync(batch, CancellationToken.None)));

        var answers = outcomes.Select(o => Assert.IsType<SubmitOutcome.Completed>(o).Results).ToArray();
        Assert.All(answers, a => Assert.Equal(answers[0], a));
        var stats = sim.Host.Stats[Viettel];
        Assert.Equal(50, stats.MessagesAccepted);
        Assert.Equal(1, stats.BatchesReceived);
        Assert.Equal(7, stats.IdempotentRepeats);
    }

    [Fact]
    public async Task Same_message_id_in_two_different_batches_is_counted_as_duplicate()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var adapter = await sim.AdapterAsync(Viettel);

        await adapter.SubmitAsync(sim.Batch(Viettel, batchId: "batch-a", messageIds: ["d1", "d2", "d3"]), CancellationToken.None);
        await adapter.SubmitAsync(sim.Batch(Viettel, batchId: "batch-b", messageIds: ["d3", "d4", "d1"]), CancellationToken.None);

        var stats = sim.Host.Stats[Viettel];
        Assert.Equal(2, stats.DuplicateMessageIds);
        Assert.Equal(6, stats.MessagesAccepted);
        Assert.Equal(2, stats.BatchesReceived);
        Assert.Equal(0, sim.Host.Stats[CarrierIds.Vinaphone].DuplicateMessageIds);
    }

    [Fact]
    public async Task Bad_json_is_answered_400_with_a_reason_and_nothing_is_taken()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var url = new Uri((await sim.Host.GetBaseUrlAsync(Viettel, CancellationToken.None)) + "/sms/batches");

        var answer = await PostAsync(sim.Http, url, """{"batchId":"b1","messages":[{"id":""", SimulatorHarness.Credential(Viettel), "b1");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        using var problem = JsonDocument.Parse(answer.Body);
        Assert.False(string.IsNullOrWhiteSpace(problem.RootElement.GetProperty("detail").GetString()));
        Assert.Equal(0, sim.Host.Stats[Viettel].BatchesReceived);
        Assert.Equal(1, sim.Host.Stats[Viettel].BatchesRefused);
    }

    [Theory]
    [InlineData("encoding", "\"latin1\"", "messages[0].encoding")]
    [InlineData("to", "\"0912345678\"", "messages[0].to")]
    [InlineData("parts", "0", "messages[0].parts")]
    [InlineData("id", "\"\"", "messages[0].id")]
    public async Task Invalid_message_field_is_answered_400_naming_the_field_but_not_the_value(string field, string value, string named)
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var url = new Uri((await sim.Host.GetBaseUrlAsync(Viettel, CancellationToken.None)) + "/sms/batches");
        var body = BatchJson("b1", sim.Receiver.ReceiptUrl(Viettel)).Replace($"\"{field}\":", $"\"{field}\":{value},\"ignored-{field}\":");

        var answer = await PostAsync(sim.Http, url, body, SimulatorHarness.Credential(Viettel), "b1");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        var detail = JsonDocument.Parse(answer.Body).RootElement.GetProperty("detail").GetString();
        Assert.Contains(named, detail);
        Assert.DoesNotContain("912345678", detail);
    }

    [Fact]
    public async Task Batch_larger_than_the_carriers_max_batch_size_is_rejected()
    {
        await using var sim = await SimulatorHarness.StartAsync(settings => settings[$"Loa:Carriers:{Viettel}:MaxBatchSize"] = "5");
        var adapter = await sim.AdapterAsync(Viettel);

        var outcome = await adapter.SubmitAsync(sim.Batch(Viettel, count: 6), CancellationToken.None);

        Assert.Contains("400", Assert.IsType<SubmitOutcome.Rejected>(outcome).Reason);
        Assert.Equal(0, sim.Host.Stats[Viettel].MessagesAccepted);
    }

    [Fact]
    public async Task Unknown_carrier_path_is_404()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var baseUrl = await sim.Host.GetBaseUrlAsync(Viettel, CancellationToken.None);
        var url = new Uri(baseUrl, "/nocarrier/sms/batches");

        var answer = await PostAsync(sim.Http, url, BatchJson("b1", sim.Receiver.ReceiptUrl(Viettel)), "x", "b1");

        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
    }

    [Fact]
    public async Task Accepted_messages_are_counted_per_wall_clock_second()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var adapter = await sim.AdapterAsync(Viettel);
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        for (var i = 0; i < 3; i++)
            await adapter.SubmitAsync(sim.Batch(Viettel, count: 10), CancellationToken.None);

        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var perSecond = sim.Host.Stats[Viettel].AcceptedPerSecond;
        Assert.Equal(30, perSecond.Values.Sum());
        Assert.All(perSecond.Keys, second => Assert.InRange(second, before, after));
        Assert.Equal(30, sim.Host.Stats[Viettel].AcceptedPartsPerSecond.Values.Sum());
    }

    [Fact]
    public async Task Stats_are_served_as_json_at_admin_stats()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var adapter = await sim.AdapterAsync(Viettel);
        await adapter.SubmitAsync(sim.Batch(Viettel, count: 7), CancellationToken.None);
        Assert.True(await Eventually.HoldsAsync(() => sim.Host.Stats[Viettel].ReceiptsPosted == 7));
        var statsUrl = new Uri(await sim.Host.GetBaseUrlAsync(Viettel, CancellationToken.None), "/admin/stats");

        using var response = await sim.Http.GetAsync(statsUrl);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var viettel = json.RootElement.GetProperty("carriers").GetProperty(Viettel);
        Assert.Equal(7, viettel.GetProperty("messagesAccepted").GetInt64());
        Assert.Equal(1, viettel.GetProperty("batchesReceived").GetInt64());
        Assert.Equal(0, viettel.GetProperty("duplicateMessageIds").GetInt64());
        Assert.Equal(7, viettel.GetProperty("receiptsPosted").GetInt64());
        Assert.Equal(7, viettel.GetProperty("acceptedPerSecond").EnumerateObject().Sum(p => p.Value.GetInt64()));
        Assert.All(CarrierIds.All, id => json.RootElement.GetProperty("carriers").GetProperty(id));
    }

    [Fact]
    public async Task Receipt_posting_retries_when_the_receipt_url_fails()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        sim.Receiver.FailNext(2);
        var adapter = await sim.AdapterAsync(Viettel);

        await adapter.SubmitAsync(sim.Batch(Viettel, count: 3), CancellationToken.None);

        Assert.True(await Eventually.HoldsAsync(() => sim.Host.Stats[Viettel].ReceiptsPosted == 3), "receipts were not retried");
        Assert.Equal(3, sim.Receiver.Receipts.Count);
        Assert.Equal(3, sim.Receiver.Posts);
        Assert.Equal(0, sim.Host.Stats[Viettel].ReceiptsAbandoned);
    }

    [Fact]
    public async Task Receipt_posting_gives_up_after_the_configured_attempts()
    {
        await using var sim = await SimulatorHarness.StartAsync(settings => settings["Loa:Simulators:ReceiptAttempts"] = "3");
        sim.Receiver.FailNext(100);
        var adapter = await sim.AdapterAsync(Viettel);

        await adapter.SubmitAsync(sim.Batch(Viettel, count: 2), CancellationToken.None);

        Assert.True(await Eventually.HoldsAsync(() => sim.Host.Stats[Viettel].ReceiptsAbandoned == 2));
        Assert.Equal(3, sim.Receiver.Posts);
        Assert.Equal(0, sim.Host.Stats[Viettel].ReceiptsPosted);
    }

    [Fact]
    public async Task Stopping_the_host_drops_receipts_not_yet_due_without_waiting_for_them()
    {
        await using var sim = await SimulatorHarness.StartAsync(settings => settings["Loa:Simulators:ReceiptDelay"] = "00:00:30");
        var adapter = await sim.AdapterAsync(Viettel);
        await adapter.SubmitAsync(sim.Batch(Viettel, count: 2), CancellationToken.None);
        var started = DateTime.UtcNow;

        await sim.StopAsync();

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        Assert.Empty(sim.Receiver.Receipts);
        Assert.Equal(2, sim.Host.Stats[Viettel].ReceiptsAbandoned);
    }

    [Fact]
    public async Task Receipt_outcome_follows_the_carriers_behaviour()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        sim.Host.SetBehaviour(Viettel, sim.Host.GetBehaviour(Viettel) with { ReceiptStatus = "failed" });
        var adapter = await sim.AdapterAsync(Viettel);

        await adapter.SubmitAsync(sim.Batch(Viettel, count: 2), CancellationToken.None);

        Assert.True(await Eventually.HoldsAsync(() => sim.Receiver.Receipts.Count == 2));
        Assert.All(sim.Receiver.Receipts, r => Assert.Equal("failed", r.Receipt.Status));
        Assert.All(sim.Receiver.Receipts, r => Assert.False(string.IsNullOrEmpty(r.Receipt.Error)));
    }

    private static string BatchJson(string batchId, Uri receiptUrl) => $$"""
        {"batchId":"{{batchId}}","sender":"CUCATTT",
         "messages":[{"id":"m1","to":"+84912345678","text":"Canh bao","encoding":"gsm7","parts":1}],
         "receiptUrl":"{{receiptUrl}}"}
        """;

    private static async Task<(HttpStatusCode Status, string? ContentType, byte[] Body)> PostAsync(
        HttpClient http, Uri url, string json, string credential, string idempotencyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsByteArrayAsync());
    }
}
