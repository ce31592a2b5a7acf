using Loa.Contracts;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.Push;

namespace Loa.Dispatcher.Sending;

/// <summary>
/// Push apps as send lanes: each configured app (<c>Loa:Push:Apps:&lt;app&gt;</c>) is a carrier named
/// <c>push-&lt;app&gt;</c> whose "parts" are notifications (one each) and whose rate is the app's
/// <see cref="PushAppOptions.EffectiveRatePerSecond"/>, so the lane, its rate, retries and counters are
/// the SMS lane's own.
/// </summary>
public static class PushLanes
{
    public const string CarrierPrefix = Channels.PushLanePrefix;

    /// <summary>Whether a carrier id names a push app's lane.</summary>
    public static bool IsPush(string carrier) => Channels.IsPushLane(carrier);

    /// <summary>
    /// The configured app (its name as <c>Loa:Push:Apps</c> spells it, which its options are named by) that a
    /// carrier id <c>push-&lt;app&gt;</c> names; carrier ids are lower case.
    /// </summary>
    public static string App(PushApps apps, string carrier) =>
        apps.Names.FirstOrDefault(n => PushAdapterFactory.CarrierIdOf(n) == carrier) ?? carrier[CarrierPrefix.Length..];

    /// <summary>
    /// The lane settings of a push app, as a carrier's: its rate in notifications per second, batches of
    /// at most 500 (a quarter of the lane's second, as for SMS, so an urgent batch gets in soon).
    /// </summary>
    public static CarrierOptions Options(PushAppOptions app) => new()
    {
        Adapter = "push",
        PartsPerSecond = Math.Max(1, app.EffectiveRatePerSecond),
        MaxBatchSize = 500,
        Lanes = Math.Clamp(app.Lanes, 1, 64),
        Sender = "",
        Timeout = app.Timeout,
    };
}
