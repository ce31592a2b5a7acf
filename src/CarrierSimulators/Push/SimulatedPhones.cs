using System.Net.Http.Headers;
using System.Net.Http.Json;
using Loa.CarrierAdapters.Push;
using Microsoft.Extensions.Logging;

namespace Loa.CarrierSimulators.Push;

/// <summary>
/// The phones behind the simulated providers: a share of the notifications taken is "received" and
/// acknowledged to Loa (<c>POST {AckUrl}/api/v1/devices/{token}/acks</c>, the app's key as bearer),
/// a smaller share also "opened". A notification without a campaign, or while no ack URL is set,
/// is shown and forgotten, as by an app that does not acknowledge.
/// </summary>
internal sealed partial class SimulatedPhones : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationToken _stopping;
    private readonly Lock _lock = new();
    private readonly HashSet<Task> _pending = [];

    public SimulatedPhones(TimeProvider time, ILogger log, CancellationToken stopping)
    {
        _time = time;
        _log = log;
        _stopping = stopping;
    }

    /// <summary>Draws this notification's fate on the phone and schedules its acknowledgements.</summary>
    public void Deliver(PushBehaviour behaviour, Random random, string token, string? campaign, PushStats stats)
    {
        if (behaviour.AckUrl is not { } ackUrl || string.IsNullOrEmpty(campaign))
            return;
        bool received, opened;
        lock (random)
        {
            received = random.NextDouble() < behaviour.ReceivedRatio;
            opened = received && random.NextDouble() < behaviour.OpenedRatio;
        }
        if (received)
            Track(AckAsync(ackUrl, behaviour.AckAppKey, token, campaign, "received", behaviour.ReceivedDelay, stats));
        if (opened)
            Track(AckAsync(ackUrl, behaviour.AckAppKey, token, campaign, "opened", behaviour.ReceivedDelay + behaviour.OpenedDelay, stats));
    }

    /// <summary>Waits for the acknowledgements already scheduled (those cut short by a stop included).</summary>
    public Task WhenAllPostedAsync(CancellationToken cancellationToken)
    {
        Task[] pending;
        lock (_lock)
            pending = [.. _pending];
        return Task.WhenAll(pending).WaitAsync(cancellationToken);
    }

    private void Track(Task task)
    {
        lock (_lock)
            _pending.Add(task);
        task.ContinueWith(t =>
        {
            lock (_lock)
                _pending.Remove(t);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task AckAsync(Uri ackUrl, string? appKey, string token, string campaign, string ackEvent, TimeSpan delay, PushStats stats)
    {
        try
        {
            if (delay > TimeSpan.Zero)
                await Task.Delay(delay, _time, _stopping).ConfigureAwait(false);
            var builder = new UriBuilder(ackUrl);
            builder.Path = builder.Path.TrimEnd('/') + $"/api/v1/devices/{Uri.EscapeDataString(token)}/acks";
            using var request = new HttpRequestMessage(HttpMethod.Post, builder.Uri)
            {
                Content = JsonContent.Create(new { campaign, @event = ackEvent }),
            };
            if (!string.IsNullOrEmpty(appKey))
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", appKey);
            using var response = await _http.SendAsync(request, _stopping).ConfigureAwait(false);
            stats.RecordAck(response.IsSuccessStatusCode);
            if (!response.IsSuccessStatusCode)
                Log.AckRefused(_log, DeviceToken.Mask(token), ackEvent, (int)response.StatusCode);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // A stopped simulator's phones fall silent.
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            stats.RecordAck(posted: false);
            Log.AckFailed(_log, DeviceToken.Mask(token), ackEvent, ex.GetType().Name);
        }
    }

    public void Dispose() => _http.Dispose();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Simulated phone {Token}: ack {Event} answered {Status}")]
        public static partial void AckRefused(ILogger logger, string token, string @event, int status);

        [LoggerMessage(2, LogLevel.Debug, "Simulated phone {Token}: ack {Event} not posted ({Error})")]
        public static partial void AckFailed(ILogger logger, string token, string @event, string error);
    }
}
