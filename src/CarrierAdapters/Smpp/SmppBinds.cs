using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Loa.CarrierAdapters.Smpp;

/// <summary>
/// A carrier's binds: <see cref="SmppOptions.Binds"/> sessions, each with its own window, made on the
/// hosts of <see cref="SmppOptions.Host"/> in order (a standby SMSC after the primary), and a closed one
/// replaced while the others carry on. After a failed bind the next waits (<see cref="SmppReconnect"/>),
/// so lanes retrying a down SMSC do not hammer it with connects.
/// With <see cref="SmppBindMode.TransmitterReceiver"/> the sessions that submit are transmitters, and as
/// many receivers take the deliver_sm. Receivers are made with the first submit's binds and then kept
/// open in the background, not only when a batch comes: receipts must keep arriving after the last batch.
/// </summary>
internal sealed class SmppBinds(string carrierId, SmppOptions options, ISmppInbound inbound, ILogger logger, TimeProvider time) : IAsyncDisposable
{
    private readonly SmppSession?[] _slots = new SmppSession?[Math.Max(1, options.Binds)];
    private readonly SmppSession?[] _receivers = new SmppSession?[options.BindMode == SmppBindMode.TransmitterReceiver ? Math.Max(1, options.Binds) : 0];
    private readonly SmppBindType _submitting = options.BindMode == SmppBindMode.TransmitterReceiver ? SmppBindType.Transmitter : SmppBindType.Transceiver;
    private readonly IReadOnlyList<(string Host, int Port)> _hosts = Hosts(options);
    private readonly SmppReconnect _reconnect = new(
        TimeSpan.FromSeconds(options.ReconnectSeconds), TimeSpan.FromSeconds(options.ReconnectMaxSeconds), time, Random.Shared.NextDouble);
    private readonly SemaphoreSlim _binding = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    private Task? _keepingReceivers;

    /// <summary>The open sessions that submit.</summary>
    public IReadOnlyList<SmppSession> Open => [.. _slots.OfType<SmppSession>().Where(s => s.IsOpen)];

    /// <summary>The open receiver sessions (none in <see cref="SmppBindMode.Transceiver"/> mode).</summary>
    public IReadOnlyList<SmppSession> Receivers => [.. _receivers.OfType<SmppSession>().Where(s => s.IsOpen)];

    /// <summary>
    /// The open binds, after making the missing ones if the backoff allows. With none open it waits for
    /// the backoff when that ends within <paramref name="patience"/>; otherwise it says when it will try.
    /// </summary>
    /// <returns>The open binds; with none, why, and whether the next attempt is beyond the patience given.</returns>
    public async Task<(IReadOnlyList<SmppSession> Open, string? Failure, bool Later)> OpenAsync(TimeSpan patience, CancellationToken cancellationToken)
    {
        if (_slots.All(s => s is { IsOpen: true }) && _keepingReceivers is not null)
            return (Open, null, false);
        await _binding.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var wait = _reconnect.Wait;
            if (wait > TimeSpan.Zero)
            {
                if (Open.Count > 0)
                    return (Open, null, false);
                if (wait > patience)
                    return ([], $"{_reconnect.LastFailure}; next bind attempt in {wait.TotalSeconds:0.#} s", true);
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }
            var failure = await FillAsync(_slots, _submitting, cancellationToken).ConfigureAwait(false);
            if (failure is null && _receivers.Length > 0)
            {
                // A receiver that cannot bind does not stop the submits; the keeper tries it again.
                await FillAsync(_receivers, SmppBindType.Receiver, cancellationToken).ConfigureAwait(false);
                _keepingReceivers ??= Task.Run(() => KeepReceiversAsync(_disposing.Token));
            }
            else if (failure is null)
            {
                _keepingReceivers ??= Task.CompletedTask;
            }
            var open = Open;
            return (open, open.Count > 0 ? null : failure, false);
        }
        finally
        {
            _binding.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposing.CancelAsync().ConfigureAwait(false);
        if (_keepingReceivers is { } keeping)
            await keeping.ConfigureAwait(false);
        await Task.WhenAll(_slots.Concat(_receivers).OfType<SmppSession>().Select(UnbindAsync)).ConfigureAwait(false);
        _binding.Dispose();
        _disposing.Dispose();
    }

    /// <summary>Binds the closed or missing sessions of <paramref name="slots"/>; called holding <see cref="_binding"/>.</summary>
    /// <returns>Why a bind failed (the rest are then left for the next attempt, after the pause), or null.</returns>
    private async Task<string?> FillAsync(SmppSession?[] slots, SmppBindType bind, CancellationToken cancellationToken)
    {
        for (var i = 0; i < slots.Length; i++)
        {
            if (slots[i] is { IsOpen: true })
                continue;
            if (slots[i] is { } old)
                await old.DisposeAsync().ConfigureAwait(false);
            slots[i] = null;
            var (session, failure) = await BindAsync(bind, cancellationToken).ConfigureAwait(false);
            if (session is null)
            {
                _reconnect.Failed(failure!);
                logger.LogWarning("SMPP {Carrier}: {Reason}; next bind attempt in {Wait}", carrierId, failure, _reconnect.Wait);
                return failure;
            }
            _reconnect.Succeeded();
            slots[i] = session;
        }
        return null;
    }

    /// <summary>
    /// Rebinds a receiver that closed, after the reconnect pause: with no batch to come, nothing else
    /// would, and the SMSC holds its receipts until a receiver binds again.
    /// </summary>
    private async Task KeepReceiversAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var open = _receivers.OfType<SmppSession>().Where(s => s.IsOpen).ToList();
                if (open.Count == _receivers.Length)
                {
                    await Task.WhenAny(open.Select(s => (Task)s.Closed)).WaitAsync(stop).ConfigureAwait(false);
                    continue;
                }
                if (_reconnect.Wait is var wait && wait > TimeSpan.Zero)
                    await Task.Delay(wait, time, stop).ConfigureAwait(false);
                await _binding.WaitAsync(stop).ConfigureAwait(false);
                try
                {
                    await FillAsync(_receivers, SmppBindType.Receiver, stop).ConfigureAwait(false);
                }
                finally
                {
                    _binding.Release();
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Never let the keeper die: receipts would stop for good. Wait a pause before trying again.
                logger.LogError(ex, "SMPP {Carrier}: keeping the receiver binds failed", carrierId);
                _reconnect.Failed(ex.Message);
            }
        }
    }

    /// <summary>
    /// <c>Host</c> as a list: <c>primary:2775,standby:2775</c>, a host without a port taking <c>Port</c>,
    /// an IPv6 address in brackets when it has a port.
    /// </summary>
    internal static IReadOnlyList<(string Host, int Port)> Hosts(SmppOptions options)
    {
        var hosts = new List<(string, int)>();
        foreach (var entry in options.Host.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string host;
            string? port = null;
            if (entry.StartsWith('[') && entry.IndexOf(']', StringComparison.Ordinal) is var close and > 0)
            {
                host = entry[1..close];
                if (entry.Length > close + 1)
                    port = entry[(close + 1)..].TrimStart(':');
            }
            else if (entry.Count(c => c == ':') == 1)
            {
                host = entry[..entry.IndexOf(':', StringComparison.Ordinal)];
                port = entry[(entry.IndexOf(':', StringComparison.Ordinal) + 1)..];
            }
            else
            {
                host = entry;
            }
            if (port is null)
                hosts.Add((host, options.Port));
            else if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 65535 && host.Length > 0)
                hosts.Add((host, p));
            else
                throw new FormatException($"'{entry}' is not host or host:port");
        }
        return hosts;
    }

    private async Task<(SmppSession? Session, string? Failure)> BindAsync(SmppBindType bind, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var (host, port) in _hosts)
        {
            try
            {
                return (await SmppSession.BindAsync(options.At(host, port), bind, inbound, logger, time, cancellationToken).ConfigureAwait(false), null);
            }
            catch (SmppBindException ex)
            {
                failures.Add(ex.Message);
            }
        }
        return (null, string.Join("; ", failures));
    }

    private async Task UnbindAsync(SmppSession session)
    {
        try
        {
            using var unbind = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(1, options.ResponseSeconds)));
            await session.UnbindAsync(unbind.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await session.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// The wait before the next bind after a failed one: <c>first</c>, doubling to <c>longest</c>, each
/// ±20 % so the lanes and hosts that lost one SMSC together do not all come back in the same second.
/// A bind that succeeds starts it again from <c>first</c>.
/// </summary>
internal sealed class SmppReconnect(TimeSpan first, TimeSpan longest, TimeProvider time, Func<double> random)
{
    private TimeSpan _next = first > TimeSpan.Zero ? first : TimeSpan.FromSeconds(1);
    private DateTimeOffset _notBefore = DateTimeOffset.MinValue;

    public string? LastFailure { get; private set; }

    /// <summary>The pause chosen after the last failure (zero when the last bind succeeded).</summary>
    public TimeSpan LastPause { get; private set; }

    public TimeSpan Wait => _notBefore - time.GetUtcNow() is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero;

    public void Failed(string reason)
    {
        LastFailure = reason;
        LastPause = _next * (0.8 + 0.4 * random());
        _notBefore = time.GetUtcNow() + LastPause;
        var doubled = _next * 2;
        _next = doubled < longest ? doubled : longest;
    }

    public void Succeeded()
    {
        _next = first > TimeSpan.Zero ? first : TimeSpan.FromSeconds(1);
        _notBefore = DateTimeOffset.MinValue;
        LastPause = TimeSpan.Zero;
        LastFailure = null;
    }
}
