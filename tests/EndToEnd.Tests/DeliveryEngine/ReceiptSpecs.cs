using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Loa.CarrierAdapters.HttpBatch;
using Loa.Storage;
using Loa.Storage.Receipts;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Loa.EndToEnd.Tests.DeliveryEngine;

/// <summary>Receipts as carriers really send them: twice, late, early, mixed, and sometimes for nothing Loa sent.</summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class ReceiptSpecs(ITestOutputHelper output)
{
    [Theory, SqliteData, SqlServerData]
    public async Task Duplicate_out_of_order_and_early_receipts_leave_every_count_exact_and_nothing_parked(DatabaseProvider dialect)
    {
        const int recipients = 1_000; // twenty batches, so that held receipts have later batches to wait for
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Loa:Carriers:viettel:PartsPerSecond"] = "200";
            s["Loa:Carriers:viettel:BurstParts"] = "50";
            s["Loa:Simulators:Carriers:viettel:DuplicateReceiptRatio"] = "0.5";
            s["Loa:Simulators:Carriers:viettel:DuplicateReceiptDelay"] = "00:00:00.200";
            s["Loa:Simulators:Carriers:viettel:OutOfOrderReceiptRatio"] = "0.3";
            s["Loa:Simulators:Carriers:viettel:OutOfOrderHold"] = "00:00:01";
            s["Loa:Simulators:Carriers:viettel:EarlyReceiptRatio"] = "0.3";
            s["Loa:Simulators:Carriers:viettel:Seed"] = "42";
        }), database: dialect);
        using var operatorClient = loa.Client("dev-operator");

        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(recipients));
        var progress = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(40));
        Assert.Equal(recipients, EngineWorld.Count(progress, "delivered"));
        EngineWorld.AssertCountsAddUp(progress);

        // Once every receipt is out (copies included), nothing has moved a count twice or been left parked.
        var viettel = loa.Simulators.Stats["viettel"];
        await EngineWorld.WaitUntilAsync(() => viettel.ReceiptsPosted + viettel.ReceiptsAbandoned == viettel.MessagesAccepted,
            "every receipt posted", TimeSpan.FromSeconds(10));
        output.WriteLine($"receipts {viettel.ReceiptsPosted}: early {viettel.EarlyReceiptsPosted}, out of order {viettel.OutOfOrderReceiptsPosted}, "
            + $"copies {viettel.DuplicateReceiptsPosted}, abandoned {viettel.ReceiptsAbandoned}");
        Assert.Equal(0, viettel.ReceiptsAbandoned);
        Assert.True(viettel.EarlyReceiptsPosted > 0, "no receipt came early");
        Assert.True(viettel.OutOfOrderReceiptsPosted > 0, "no receipt came out of order");
        Assert.True(viettel.DuplicateReceiptsPosted > 0, "no receipt came twice");
        var settled = await operatorClient.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/progress");
        Assert.Equal(recipients, EngineWorld.Count(settled, "delivered"));
        Assert.Equal(recipients, EngineWorld.Count(settled, "total"));
        EngineWorld.AssertCountsAddUp(settled);
        Assert.Equal(0, await loa.Services.GetRequiredService<ReceiptLedger>().ParkedCountAsync("viettel"));
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_mixture_of_outcomes_ends_every_message_and_failures_keep_the_carrier_s_reason(DatabaseProvider dialect)
    {
        const int recipients = 600;
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Loa:Carriers:viettel:PartsPerSecond"] = "300";
            s["Loa:Simulators:Carriers:viettel:DeliveredWeight"] = "0.7";
            s["Loa:Simulators:Carriers:viettel:FailedWeight"] = "0.2";
            s["Loa:Simulators:Carriers:viettel:ExpiredWeight"] = "0.1";
            s["Loa:Simulators:Carriers:viettel:Seed"] = "3";
        }), database: dialect);
        using var operatorClient = loa.Client("dev-operator");

        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(recipients));
        var progress = await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(30));

        long delivered = EngineWorld.Count(progress, "delivered"), failed = EngineWorld.Count(progress, "failed"), expired = EngineWorld.Count(progress, "expired");
        output.WriteLine($"delivered {delivered}, failed {failed}, expired {expired}");
        Assert.Equal(recipients, delivered + failed + expired);
        Assert.True(delivered > 0 && failed > 0 && expired > 0, "every outcome should appear");
        EngineWorld.AssertCountsAddUp(progress);
        var failures = await EngineWorld.DeliveriesAsync(operatorClient, id, "failed");
        Assert.Equal(failed, failures.Count);
        Assert.All(failures, d => Assert.Equal("simulated failed", d.GetProperty("error").GetString()));
        var expiries = await EngineWorld.DeliveriesAsync(operatorClient, id, "expired");
        Assert.All(expiries, d => Assert.Equal("simulated expired", d.GetProperty("error").GetString()));
        Assert.Equal(recipients, loa.Simulators.Stats["viettel"].MessagesAccepted);
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_forged_receipt_changes_nothing_and_a_signed_one_for_an_unknown_id_is_kept(DatabaseProvider dialect)
    {
        const int recipients = 3;
        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
            s["Loa:Simulators:Carriers:viettel:ReceiptDelay"] = "00:10:00"), database: dialect); // the carrier's own receipts stay away
        using var operatorClient = loa.Client("dev-operator");
        using var carrier = new HttpClient { BaseAddress = loa.BaseAddress };
        var parked = loa.Services.GetRequiredService<ReceiptLedger>();

        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(recipients));
        await EngineWorld.WaitUntilAsync(async () => EngineWorld.Count(await ProgressAsync(operatorClient, id), "submitted") == recipients,
            "every message submitted", TimeSpan.FromSeconds(20));
        var messageId = await CarrierMessageIdAsync(loa, id);
        var parkedBefore = await parked.ParkedCountAsync("viettel");

        // Signed with the wrong secret, a receipt that would fail a real message is refused whole.
        var forged = await PostReceiptAsync(carrier, messageId, "failed", "absent subscriber", "not-the-viettel-secret");
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        var progress = await ProgressAsync(operatorClient, id);
        Assert.Equal(recipients, EngineWorld.Count(progress, "submitted"));
        Assert.Equal(0, EngineWorld.Count(progress, "failed"));

        // A signed receipt for an id Loa never sent is counted unknown and kept.
        var unknown = await PostReceiptAsync(carrier, "never-sent-7", "delivered", null, "test-viettel-secret");
        Assert.Equal(HttpStatusCode.Accepted, unknown.StatusCode);
        var answer = await unknown.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, answer.GetProperty("accepted").GetInt32());
        Assert.Equal(1, answer.GetProperty("unknown").GetInt32());
        Assert.Equal(parkedBefore + 1, await parked.ParkedCountAsync("viettel"));

        // The same receipt as the forged one, signed, is applied: the signature was all that stopped it.
        var signed = await PostReceiptAsync(carrier, messageId, "failed", "absent subscriber", "test-viettel-secret");
        Assert.Equal(HttpStatusCode.Accepted, signed.StatusCode);
        Assert.Equal(1, (await signed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());
        progress = await ProgressAsync(operatorClient, id);
        Assert.Equal(1, EngineWorld.Count(progress, "failed"));
        Assert.Equal(recipients - 1, EngineWorld.Count(progress, "submitted"));
        var failed = Assert.Single(await EngineWorld.DeliveriesAsync(operatorClient, id, "failed"));
        Assert.Equal("absent subscriber", failed.GetProperty("error").GetString());
    }

    private static Task<JsonElement> ProgressAsync(HttpClient client, string id) =>
        client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/progress");

    private static async Task<HttpResponseMessage> PostReceiptAsync(HttpClient carrier, string messageId, string status, string? error, string secret)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new[] { new { messageId, status, at = DateTimeOffset.UtcNow, error } });
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        content.Headers.Add(ReceiptSignature.Header, ReceiptSignature.Sign(body, secret));
        return await carrier.PostAsync("/api/v1/carriers/viettel/receipts", content);
    }

    /// <summary>The id the carrier gave one of the campaign's messages: no API shows it, so it is read where Loa keeps it.</summary>
    private static async Task<string> CarrierMessageIdAsync(LoaTestHost loa, string campaignId)
    {
        var database = loa.Services.GetRequiredService<Database>();
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleAsync<string>(database.Text(new Sql(
            Sqlite: "SELECT carrier_message_id FROM deliveries WHERE campaign_id = @campaignId AND status = 'submitted' ORDER BY id LIMIT 1",
            SqlServer: "SELECT TOP (1) carrier_message_id FROM deliveries WHERE campaign_id = @campaignId AND status = 'submitted' ORDER BY id")),
            new { campaignId });
    }
}
