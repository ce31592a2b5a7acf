namespace Loa.Dispatcher.Bus;

/// <summary>Where each message goes: one planner queue, and one send lane queue per carrier.</summary>
public static class Endpoints
{
    public const string Launch = "loa-launch";

    public static string Lane(string carrier) => $"loa-send-{carrier}";

    // Sending to the exchange (not "queue:") leaves the queue's declaration, with its
    // single-active-consumer argument, to the lane that consumes it.
    public static Uri LaunchAddress => new($"exchange:{Launch}");

    public static Uri LaneAddress(string carrier) => new($"exchange:{Lane(carrier)}");
}
