using System.Collections.Concurrent;

namespace Loa.CarrierSimulators.Push;

/// <summary>
/// The devices the simulated providers know: a registered token is delivered to, any other is
/// UNREGISTERED (FCM) / 410 Unregistered (APNs), and an uninstalled one stays dead. Topics hold the
/// tokens subscribed to them, whose phones acknowledge a topic send.
/// </summary>
public sealed class PushTokenRegistry
{
    private readonly ConcurrentDictionary<string, byte> _known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _uninstalled = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _topics = new(StringComparer.Ordinal);

    public int Count => _known.Count;

    public void Register(string token, IEnumerable<string>? topics = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        _known[token] = 0;
        _uninstalled.TryRemove(token, out _);
        foreach (var topic in topics ?? [])
            _topics.GetOrAdd(topic, _ => new(StringComparer.Ordinal))[token] = 0;
    }

    /// <summary>The app was removed from the phone: the token is dead from <paramref name="at"/> on.</summary>
    public bool Uninstall(string token, DateTimeOffset at)
    {
        if (!_known.TryRemove(token, out _))
            return false;
        _uninstalled[token] = at;
        foreach (var members in _topics.Values)
            members.TryRemove(token, out _);
        return true;
    }

    public bool IsKnown(string token) => _known.ContainsKey(token);

    /// <summary>When the token stopped being valid, for APNs' 410 <c>timestamp</c>.</summary>
    public DateTimeOffset? UninstalledAt(string token) => _uninstalled.TryGetValue(token, out var at) ? at : null;

    public IReadOnlyCollection<string> Subscribers(string topic) =>
        _topics.TryGetValue(topic, out var members) ? members.Keys.ToArray() : [];
}
