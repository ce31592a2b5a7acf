using System.Collections.Concurrent;
using Loa.EndToEnd.Tests.DeliveryEngine;
using Loa.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loa.EndToEnd.Tests.Telemetry;

/// <summary>With an OTLP endpoint configured, traces and logs go to the collector (here a loopback stand-in that records what it receives).</summary>
[Collection(DeliveryEngineCollection.Name)]
public sealed class OtlpSpecs
{
    [Fact]
    public async Task With_an_otlp_endpoint_traces_and_logs_are_exported_to_it()
    {
        var received = new ConcurrentQueue<(string Path, string? ContentType, long Bytes)>();
        var collector = WebApplication.CreateBuilder();
        collector.WebHost.UseUrls("http://127.0.0.1:0");
        collector.Logging.ClearProviders();
        await using var app = collector.Build();
        app.MapPost("/otlp/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.Enqueue(($"/v1/{signal}", request.ContentType, body.Length));
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        await using var loa = await LoaTestHost.StartAsync(EngineWorld.Settings(rabbitMq: false, s =>
        {
            s["Logging:LogLevel:Loa"] = "Information";
            s["Loa:Telemetry:OtlpEndpoint"] = address + "/otlp";
            s["Loa:Telemetry:OtlpProtocol"] = "http/protobuf";
        }));
        using var operatorClient = loa.Client("dev-operator");
        var id = await EngineWorld.LaunchAsync(loa, EngineWorld.ViettelCsv(20));
        await LoaTestHost.WaitForStatusAsync(operatorClient, id, "completed", TimeSpan.FromSeconds(60));

        // The batch exporters send every few seconds.
        await EngineWorld.WaitUntilAsync(() => received.Any(r => r.Path == "/v1/traces") && received.Any(r => r.Path == "/v1/logs"),
            "traces and logs at the collector", TimeSpan.FromSeconds(30));
        Assert.All(received, r =>
        {
            Assert.Equal("application/x-protobuf", r.ContentType);
            Assert.True(r.Bytes > 0);
        });
    }
}
