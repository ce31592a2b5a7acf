using System.Text.RegularExpressions;
using Loa.CarrierAdapters.Push;
using Loa.CarrierAdapters.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Loa.Dispatcher.Telemetry;

/// <summary><c>Loa:Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Loa:Telemetry";

    /// <summary>
    /// OTLP collector (e.g. <c>http://collector:4317</c>) for traces, metrics and logs; none when empty.
    /// The standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable works too.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> (default, port 4317) or <c>http/protobuf</c> (port 4318; <c>/v1/traces</c>, <c>/v1/metrics</c>, <c>/v1/logs</c> are appended).</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>Share of new traces kept (0..1); a trace started elsewhere follows its parent's choice.</summary>
    public double TraceSampleRatio { get; set; } = 1.0;

    /// <summary>
    /// Standalone dispatcher only (it has no web server): where it serves Prometheus metrics, e.g.
    /// <c>http://127.0.0.1:9464/metrics</c>; none when empty. The API serves them at <c>/metrics</c>.
    /// </summary>
    public string? PrometheusListenUrl { get; set; }
}

/// <summary>
/// Traces, metrics and logs for both hosts, in one place. Loa's spans and instruments, MassTransit's
/// (whose headers carry the trace across RabbitMQ), outgoing HTTP (the carrier call), and the
/// runtime's. Each host adds its own endpoint: the API its server spans and <c>/metrics</c>.
/// </summary>
public static partial class TelemetrySetup
{
    public static OpenTelemetryBuilder AddLoaTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        var options = configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var otlp = !string.IsNullOrWhiteSpace(options.OtlpEndpoint) || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Uri? endpoint = string.IsNullOrWhiteSpace(options.OtlpEndpoint) ? null : new Uri(options.OtlpEndpoint);
        var http = string.Equals(options.OtlpProtocol, "http/protobuf", StringComparison.OrdinalIgnoreCase);
        // An endpoint set in code is used as is: over HTTP each signal needs its own path.
        Action<OpenTelemetry.Exporter.OtlpExporterOptions> Otlp(string signal) => o =>
        {
            if (http)
                o.Protocol = OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf;
            if (endpoint is not null)
                o.Endpoint = http ? new Uri(endpoint, endpoint.AbsolutePath.TrimEnd('/') + "/v1/" + signal) : endpoint;
        };

        return services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceInstanceId: Environment.MachineName))
            .WithTracing(t =>
            {
                t.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(Math.Clamp(options.TraceSampleRatio, 0, 1))))
                    .AddSource(LoaTelemetry.SourceName, LoaTelemetry.MassTransitName)
                    .AddHttpClientInstrumentation(o =>
                    {
                        // A push batch is hundreds of requests, one per notification: its carrier submit
                        // span stands for them. (The embedded push simulator keeps its server spans out of
                        // this host's traces itself: PushSimulatorHost.)
                        o.FilterHttpRequestMessage = request =>
                            !request.Options.TryGetValue(PushAdapterFactory.NotificationRequest, out var notification) || !notification;
                        // Carrier URLs hold no numbers, but a misconfigured one could: mask any that shows up.
                        o.EnrichWithHttpRequestMessage = (activity, request) =>
                        {
                            if (request.RequestUri is { } uri && MaskNumbers(uri.AbsolutePath) is var path && path != uri.AbsolutePath)
                                activity.SetTag("url.full", $"{uri.Scheme}://{uri.Authority}{path}");
                        };
                    });
                if (otlp)
                    t.AddOtlpExporter(Otlp("traces"));
            })
            .WithMetrics(m =>
            {
                m.AddMeter(LoaTelemetry.MeterName, LoaTelemetry.MassTransitName)
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                if (otlp)
                    m.AddOtlpExporter(Otlp("metrics"));
            })
            .WithLogging(l =>
            {
                if (otlp)
                    l.AddOtlpExporter(Otlp("logs"));
            }, o =>
            {
                // Log records carry the trace and span ids of the activity they were written under.
                o.IncludeScopes = true;
                o.IncludeFormattedMessage = true;
            });
    }

    /// <summary>
    /// Replaces a path segment that looks like a phone number (8 to 15 digits, with or without +), so
    /// that no span carries one (<c>/api/v1/optouts/+84912345678</c>, say).
    /// </summary>
    public static string MaskNumbers(string path) =>
        !HasDigitRun(path) ? path : PhoneLike().Replace(path, m =>
        {
            var number = m.Value.Replace("%2B", "+", StringComparison.OrdinalIgnoreCase);
            return number.StartsWith("+84", StringComparison.Ordinal) ? Msisdn.Mask(number) : Msisdn.FullMask;
        });

    // It runs on every server span: most paths have no run of 8 digits, and a scan of them is cheaper
    // than the regex's search.
    private static bool HasDigitRun(string path)
    {
        var run = 0;
        foreach (var c in path)
        {
            run = char.IsAsciiDigit(c) ? run + 1 : 0;
            if (run == 8)
                return true;
        }
        return false;
    }

    // A whole path segment: campaign ids are hex and often hold long runs of digits, which are not numbers.
    [GeneratedRegex(@"(?<=/|^)(?:\+|%2B)?\d{8,15}(?=/|$)", RegexOptions.IgnoreCase)]
    private static partial Regex PhoneLike();
}
