using Loa.Dispatcher;
using Loa.Dispatcher.Sending;
using Loa.Dispatcher.Telemetry;
using OpenTelemetry.Metrics;
using Loa.Storage;
using Loa.Storage.Routing;

// The standalone dispatcher: planner, send lanes and sweeper, on RabbitMQ, with no HTTP surface.
var builder = Host.CreateApplicationBuilder(LoaDefaults.HostArgs(args));
builder.Configuration.AddLoaDefaults();
builder.Services.AddLoaDispatcher(builder.Configuration);
var telemetry = builder.Services.AddLoaTelemetry(builder.Configuration, "loa-dispatcher");
// No web server here: Prometheus scrapes a small listener of its own when one is configured.
if (builder.Configuration[$"{TelemetryOptions.Section}:{nameof(TelemetryOptions.PrometheusListenUrl)}"] is { Length: > 0 } metricsUrl)
{
    var url = new Uri(metricsUrl);
    telemetry.WithMetrics(m => m.AddPrometheusHttpListener(o => (o.Host, o.Port, o.ScrapeEndpointPath) = (url.Host, url.Port, url.AbsolutePath)));
}
// Outside Development, refuse development carrier secrets and carriers with nowhere to send.
if (!builder.Environment.IsDevelopment() && CarrierChecks.Find(builder.Configuration, requireUrls: true).ToList() is { Count: > 0 } problems)
    throw new InvalidOperationException($"Refusing to start in {builder.Environment.EnvironmentName}: " + string.Join(" ", problems));
var host = builder.Build();
// Standalone, there is no server address to learn the receipt URL from: it must be configured.
if (!host.Services.GetRequiredService<ReceiptAddress>().IsKnown)
    throw new InvalidOperationException("Loa:Dispatcher:PublicUrl is not set: a standalone dispatcher must tell carriers where to post receipts (the API's public base URL).");
await DispatcherHost.PrepareAsync(host.Services);
await host.RunAsync();
