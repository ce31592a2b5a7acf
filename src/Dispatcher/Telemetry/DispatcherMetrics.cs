using System.Diagnostics.Metrics;
using Loa.Dispatcher.Sending;

namespace Loa.Dispatcher.Telemetry;

/// <summary>
/// The dispatcher's instruments: submit calls, planning, and each lane's achieved and allowed rate.
/// Created through <see cref="IMeterFactory"/>, so the lane gauges die with the host that owns the lanes.
/// </summary>
public sealed class DispatcherMetrics
{
    private readonly Histogram<double> submitDuration;
    private readonly Counter<long> plannedRecipients;
    private readonly Counter<long> sentParts;

    public DispatcherMetrics(IMeterFactory meters, CarrierLanes lanes)
    {
        var meter = meters.Create(LoaTelemetry.MeterName);
        submitDuration = meter.CreateHistogram<double>(
            "loa_submit_duration_seconds", description: "Seconds one carrier batch submit call took, by carrier and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        plannedRecipients = meter.CreateCounter<long>(
            "loa_planner_recipients", description: "Recipients the planner turned into deliveries, by campaign kind.");
        // Tagged by tenant for the fair share between them: national and the provinces, a few dozen values.
        sentParts = meter.CreateCounter<long>(
            "loa_sent_parts", description: "SMS parts (push: notifications) handed to a carrier, by carrier and tenant.");
        meter.CreateObservableGauge("loa_lane_rate_parts_per_second",
            () => lanes.Built.Select(l => Lane(l.Sent.PerSecond, l)),
            description: "SMS parts a lane handed to its carrier per second over the last 10 s.");
        meter.CreateObservableGauge("loa_lane_limit_parts_per_second",
            () => lanes.Built.Select(l => Lane(l.Rate.Current, l)),
            description: "The rate a lane allows itself now: its contracted share, lowered while the carrier throttles or fails.");
        meter.CreateObservableGauge("loa_lane_contracted_parts_per_second",
            () => lanes.Built.Select(l => Lane(l.Rate.Limit, l)),
            description: "A lane's share of its carrier's contracted parts per second.");
        // Quorum queues: which dispatcher holds each lane (summed over processes, never above 1 per lane),
        // and how often a lane changes hands (a lane that flaps has dispatchers losing connections or leases).
        meter.CreateObservableGauge("loa_lane_leased",
            () => lanes.Built.Select(l => Lane(l.Lease.Held ? 1 : 0, l)),
            description: "1 while this process holds the lane's lease and may send on it (always 1 where a lane has one consumer).");
        meter.CreateObservableCounter("loa_lane_takeovers",
            () => lanes.Built.Select(l => new Measurement<long>(l.Lease.Takeovers, new("carrier", l.Lane.Carrier), new("lane", l.Lane.Name))),
            description: "Times this process took a lane over from another dispatcher (quorum queues).");
    }

    public void Submitted(string carrier, string outcome, TimeSpan took) =>
        submitDuration.Record(took.TotalSeconds, new("carrier", carrier), new("outcome", outcome));

    public void Sent(string carrier, string tenant, long parts)
    {
        if (parts > 0)
            sentParts.Add(parts, new("carrier", carrier), new("tenant", tenant));
    }

    public void Planned(string kind, long recipients)
    {
        if (recipients > 0)
            plannedRecipients.Add(recipients, new KeyValuePair<string, object?>("kind", kind));
    }

    private static Measurement<double> Lane(double value, SendLane lane) =>
        new(value, new("carrier", lane.Lane.Carrier), new("lane", lane.Lane.Name));
}
