namespace Loa.Contracts;

/// <summary>
/// The FCM topics a push app on topics (<c>Loa:Push:Apps:&lt;app&gt;:UseTopics</c>) is sent to: one per
/// province and language, <c>&lt;app&gt;-&lt;province&gt;-&lt;language&gt;</c> (<c>loa-01-vi</c>), to which the app
/// subscribes each phone as it registers it. The topic name is the topic delivery's recipient, so it must
/// differ between apps (the app's name in it does that: ux_deliveries is per campaign, recipient and channel)
/// and fit <c>deliveries.recipient</c>, 16 characters on SQL Server: hence <see cref="MaxAppLength"/>.
/// </summary>
public static class PushTopics
{
    /// <summary>16 (deliveries.recipient on SQL Server) less "-01-vi".</summary>
    public const int MaxAppLength = 16 - 6;

    /// <param name="app">The app's name in lower case, as devices register it.</param>
    public static string Name(string app, string province, string language) => $"{app}-{province}-{language}";

    /// <summary>
    /// Whether a push delivery's recipient is a topic rather than a device: a device is its id, digits only;
    /// a topic name always holds a '-'.
    /// </summary>
    public static bool IsTopic(string recipient) => recipient.Contains('-', StringComparison.Ordinal);
}
