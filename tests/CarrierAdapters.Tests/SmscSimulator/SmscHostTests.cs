using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.CarrierAdapters.Smpp;
using Loa.CarrierAdapters.Tests.Simulators;
using Loa.CarrierSimulators;
using Loa.CarrierSimulators.Smsc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static Loa.CarrierAdapters.Tests.Smpp.SmppTestKit;

namespace Loa.CarrierAdapters.Tests.SmscSpecs;

/// <summary>The carriers' SMSCs as the simulator host starts them: configuration, admin endpoints, and a batch end to end.</summary>
public sealed class SmscHostTests
{
    private const string Viettel = CarrierIds.Viettel;

    [Fact]
    public async Task A_carriers_smsc_starts_with_its_configured_settings()
    {
        await using var sim = await SimulatorHarness.StartAsync(s =>
        {
            s[$"Loa:Simulators:Carriers:{Viettel}:Smsc:SystemId"] = "viettel";
            s[$"Loa:Simulators:Carriers:{Viettel}:Smsc:MaxSubmitsPerSecond"] = "200";
            s[$"Loa:Simulators:Carriers:{Viettel}:Smsc:ErrorRatio"] = "0.1";
            s[$"Loa:Simulators:Carriers:{Viettel}:Smsc:ErrorStatuses:ESME_RSYSERR"] = "3";
            s[$"Loa:Simulators:Carriers:{Viettel}:Smsc:ErrorStatuses:0x0B"] = "1";
            s[$"Loa:Simulators:Carriers:{Viettel}:Smsc:ReceiptState"] = "Undeliverable";
            s[$"Loa:Simulators:Carriers:{Viettel}:Smsc:LateReceiptDelayMax"] = "00:00:30";
            s[$"Loa:Carriers:{Viettel}:Smpp:PackGsm7"] = "true";
        });

        var behaviour = sim.Host.Smsc(Viettel).Behaviour;

        Assert.Equal("viettel", behaviour.SystemId);
        Assert.Equal(200, behaviour.MaxSubmitsPerSecond);
        Assert.Equal(0.1, behaviour.ErrorRatio);
        Assert.Equal(new Dictionary<uint, double> { [SmppStatus.SystemError] = 3, [SmppStatus.InvalidDestinationAddress] = 1 }, behaviour.ErrorStatuses);
        Assert.Equal(SmppMessageState.Undeliverable, behaviour.ReceiptState);
        Assert.Equal(TimeSpan.FromSeconds(30), behaviour.LateReceiptDelayMax);
        Assert.True(behaviour.PackedGsm7, "the SMSC reads septets as the carrier's client packs them");
        Assert.Equal(new SmscBehaviour(), sim.Host.Smsc(CarrierIds.Mobifone).Behaviour);
    }

    [Theory]
    [InlineData("ErrorRatio", "1.5", "Loa:Simulators:Carriers:viettel:Smsc:ErrorRatio")]
    [InlineData("ErrorStatus", "ESME_NOPE", "Loa:Simulators:Carriers:viettel:Smsc:ErrorStatus")]
    [InlineData("LateReceiptDelay", "00:01:00", "Loa:Simulators:Carriers:viettel:Smsc:LateReceiptDelayMax")]
    public void An_unusable_smsc_setting_stops_the_simulators_naming_the_key(string field, string value, string named)
    {
        var settings = SimulatorHarness.Settings();
        settings[$"Loa:Simulators:Carriers:{Viettel}:Smsc:{field}"] = value;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCarrierSimulators(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        using var provider = services.BuildServiceProvider();

        var refused = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<CarrierSimulatorHost>());

        var messages = string.Join(" | ", Flatten(refused).Select(e => e.Message));
        Assert.Contains(named, messages);
    }

    [Fact]
    public async Task Admin_endpoints_serve_stats_masked_messages_and_change_the_behaviour()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var smsc = sim.Host.Smsc(Viettel);
        await using (var esme = await RawEsme.BindAsync(smsc))
        {
            await esme.SubmitAndAnswerAsync(RawEsme.Submit(Number(1)[1..], "Canh bao mot"));
            await esme.SubmitAndAnswerAsync(RawEsme.Submit(Number(2)[1..], "Canh bao hai"));
        }

        var stats = await sim.Http.GetFromJsonAsync<JsonElement>(await sim.AdminUrlAsync($"/admin/carriers/{Viettel}/smsc/stats"));
        var messages = await sim.Http.GetFromJsonAsync<JsonElement>(await sim.AdminUrlAsync($"/admin/carriers/{Viettel}/smsc/messages"));
        var endpoint = await sim.Http.GetFromJsonAsync<JsonElement>(await sim.AdminUrlAsync($"/admin/carriers/{Viettel}/smsc"));

        Assert.Equal(2, stats.GetProperty("submitsAccepted").GetInt64());
        Assert.Equal(2, stats.GetProperty("messagesReassembled").GetInt64());
        Assert.Equal(0, stats.GetProperty("destinationsWithMoreThanOne").GetInt32());
        Assert.Equal(1, stats.GetProperty("windowHighWaterByBind").GetProperty("1").GetInt32());
        Assert.Equal(["+8491****001", "+8491****002"], messages.EnumerateArray().Select(m => m.GetProperty("destination").GetString()));
        Assert.Equal(["Canh bao mot", "Canh bao hai"], messages.EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        Assert.Equal(smsc.Port, endpoint.GetProperty("port").GetInt32());

        var behaviourUrl = await sim.AdminUrlAsync($"/admin/carriers/{Viettel}/smsc/behaviour");
        var bad = await SendAsync(sim.Http, HttpMethod.Put, behaviourUrl, """{"errorRatio":2,"receiptState":"Lost"}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("receiptState", out _));
        Assert.Equal(new SmscBehaviour(), smsc.Behaviour);

        var put = await SendAsync(sim.Http, HttpMethod.Put, behaviourUrl,
            """{"errorRatio":0.25,"errorStatuses":{"ESME_RSYSERR":1,"0x45":2},"receiptDelayMs":null,"lateReceiptRatio":0.1}""");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var patch = await SendAsync(sim.Http, HttpMethod.Patch, behaviourUrl, """{"maxSubmitsPerSecond":40}""");
        var shown = await patch.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(new SmscBehaviour
        {
            ErrorRatio = 0.25,
            ErrorStatuses = smsc.Behaviour.ErrorStatuses,
            ReceiptDelay = null,
            LateReceiptRatio = 0.1,
            MaxSubmitsPerSecond = 40,
        }, smsc.Behaviour);
        Assert.Equal(new Dictionary<uint, double> { [SmppStatus.SystemError] = 1, [SmppStatus.SubmitFailed] = 2 }, smsc.Behaviour.ErrorStatuses);
        Assert.Equal(2, shown.GetProperty("errorStatuses").GetProperty("ESME_RSUBMITFAIL").GetDouble());
        Assert.Equal(JsonValueKind.Null, shown.GetProperty("receiptDelayMs").ValueKind);
        Assert.False(shown.TryGetProperty("password", out _));
    }

    [Fact]
    public async Task Every_recipient_of_a_batch_through_the_adapter_is_reassembled_exactly_once()
    {
        await using var sim = await SimulatorHarness.StartAsync();
        var smsc = sim.Host.Smsc(Viettel);
        var sink = new Smpp.RecordingReceipts();
        await using var adapter = new SmppAdapter(Viettel, Carrier(smsc), sink);
        var texts = Enumerable.Range(0, 40)
            .Select(i => i % 4 == 0 ? $"{i}: " + string.Concat(Enumerable.Repeat("Canh bao lua dao qua dien thoai. ", 8)) : $"Canh bao {i}")
            .ToList();

        var outcome = Assert.IsType<SubmitOutcome.Completed>(
            await adapter.SubmitAsync(Batch([.. texts.Select((t, i) => ($"{i}", Number(i), t))]), CancellationToken.None));

        Assert.All(outcome.Results, r => Assert.True(r.Accepted, r.Error));
        Assert.All(Enumerable.Range(0, 40), i => Assert.Equal(1, smsc.Stats.MessagesTo(Number(i))));
        Assert.Equal(40, smsc.Stats.MessagesByDestination.Count);
        Assert.Equal(texts.Order(), smsc.Stats.Messages.Select(m => m.Text).Order());
        var parts = smsc.Stats.Messages.Sum(m => m.Parts);
        Assert.Equal(parts, smsc.Stats.SubmitsAccepted);
        // The SMSC sends a receipt per part; the adapter keeps one per message, under its first part's id.
        await Eventually(() => sink.Received.Count == texts.Count, "a receipt per message kept");
        Assert.Equal(
            outcome.Results.Select(r => r.CarrierMessageId).Order(),
            sink.Received.Select(r => r.Receipt.CarrierMessageId).Order());
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, Uri url, string json) =>
        http.SendAsync(new HttpRequestMessage(method, url) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") });

    private static IEnumerable<Exception> Flatten(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            yield return e;
    }
}
