using System.Diagnostics;

namespace Loa.Dispatcher.Telemetry;

/// <summary>
/// The names Loa's own spans and instruments are published under. MassTransit, ASP.NET Core and
/// HttpClient add theirs; together they make one trace from an API call to the carrier call.
/// </summary>
public static class LoaTelemetry
{
    public const string SourceName = "Loa";

    /// <summary>Same name as <see cref="Loa.Storage.DeliveryMetrics.MeterName"/>: one meter name for every Loa instrument.</summary>
    public const string MeterName = Loa.Storage.DeliveryMetrics.MeterName;

    /// <summary>MassTransit's ActivitySource and Meter (its <c>DiagnosticHeaders.DefaultListenerName</c>).</summary>
    public const string MassTransitName = "MassTransit";

    public static readonly ActivitySource Source = new(SourceName);
}
