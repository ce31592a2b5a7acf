using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;

namespace Loa.CarrierAdapters.Push;

/// <summary>What one notification's request told, beyond its result: whether the provider asked us to stop for a while.</summary>
internal enum PushSignal
{
    None,

    /// <summary>429 / QUOTA_EXCEEDED / TooManyRequests.</summary>
    Throttled,

    /// <summary>503 / UNAVAILABLE / 5xx: the provider is struggling.</summary>
    Unavailable,

    /// <summary>Our credential was refused even after a renewal: nothing of this app will go through.</summary>
    Unauthorized,
}

internal readonly record struct PushAnswer(MessageResult Result, PushSignal Signal = PushSignal.None, TimeSpan? RetryAfter = null);

/// <summary>
/// The part FCM and APNs share: one request per notification, many in flight over HTTP/2, and the
/// batch's outcome made from the answers. Push providers have no batch call and no idempotency key,
/// so a batch is only Loa's unit of work here.
/// </summary>
internal static class PushSubmit
{
    /// <summary>
    /// Sends every message through <paramref name="send"/>, at most as many at once as
    /// <paramref name="streams"/> lets through, and returns when each has an answer. Once the
    /// provider throttles or fails, messages not yet sent are not sent (NotTaken): hammering a
    /// provider that asked us to back off only lengthens the back-off.
    /// </summary>
    public static async Task<SubmitOutcome> RunAsync(
        CarrierBatch batch,
        SemaphoreSlim streams,
        TimeSpan timeout,
        Func<OutgoingMessage, RequestDeadlines, CancellationToken, Task<PushAnswer>> send,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // Disposed only once every request has ended: WhenAll waits for all of them, even when one throws.
        using var deadlines = new RequestDeadlines(timeout, cancellationToken);
        var messages = batch.Messages;
        var answers = new PushAnswer[messages.Count];
        string? stopped = null;

        async Task One(int i)
        {
            await streams.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (Volatile.Read(ref stopped) is { } why)
                {
                    answers[i] = new PushAnswer(NotTaken(messages[i].Id, $"not sent: {why}"));
                    return;
                }
                var answer = await send(messages[i], deadlines, cancellationToken).ConfigureAwait(false);
                answers[i] = answer;
                if (answer.Signal is PushSignal.Throttled or PushSignal.Unavailable or PushSignal.Unauthorized)
                    Interlocked.CompareExchange(ref stopped, $"an earlier notification of the batch got {answer.Result.Error}", null);
            }
            finally
            {
                streams.Release();
            }
        }

        var tasks = new Task[messages.Count];
        for (var i = 0; i < tasks.Length; i++)
            tasks[i] = One(i);
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The submit was cancelled by the caller.", null, cancellationToken);
        }
        return Outcome(answers);
    }

    internal static SubmitOutcome Outcome(PushAnswer[] answers)
    {
        if (answers.Length == 0)
            return new SubmitOutcome.Completed([]);

        // The whole batch is throttled when nothing was taken, refused or possibly delivered: the lane
        // then waits and resends it whole, as it does for a carrier's 429.
        var throttled = answers.Where(a => a.Signal == PushSignal.Throttled).ToArray();
        if (throttled.Length > 0 && answers.All(a => a.Result.Fate == MessageFate.NotTaken))
            return new SubmitOutcome.Throttled(throttled.Max(a => a.RetryAfter), throttled[0].Result.Error ?? "throttled");

        // A credential the provider refuses fails every notification alike; that is the app's
        // configuration, not the devices, and no retry fixes it.
        var unauthorized = answers.FirstOrDefault(a => a.Signal == PushSignal.Unauthorized);
        if (unauthorized.Result is not null
            && answers.All(a => a.Signal == PushSignal.Unauthorized || a.Result.Fate == MessageFate.NotTaken))
            return new SubmitOutcome.Rejected(unauthorized.Result.Error ?? "unauthorized");

        return new SubmitOutcome.Completed(answers.Select(a => a.Result).ToArray());
    }

    public static MessageResult Taken(string id, string? providerId) => new(id, Accepted: true, providerId, Error: null);

    public static MessageResult Refused(string id, string reason, bool tokenGone = false) =>
        new(id, Accepted: false, CarrierMessageId: null, reason) { TokenGone = tokenGone };

    public static MessageResult NotTaken(string id, string reason) =>
        new(id, Accepted: false, CarrierMessageId: null, reason) { Fate = MessageFate.NotTaken };

    public static MessageResult Unknown(string id, string reason) =>
        new(id, Accepted: false, CarrierMessageId: null, reason) { Fate = MessageFate.Unknown };

    /// <summary>
    /// Sends one request with its own deadline. A failure becomes the message's fate: a connection
    /// that never opened took nothing (NotTaken); a request that went out and got no answer may have
    /// been delivered (Unknown). Only the caller's cancellation escapes.
    /// </summary>
    public static async Task<(HttpResponseMessage? Response, MessageResult? Failure)> SendAsync(
        HttpClient http, HttpRequestMessage request, string messageId, RequestDeadlines deadlines, CancellationToken cancellationToken)
    {
        var timeout = deadlines.Timeout;
        var deadline = deadlines.Rent();
        try
        {
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token).ConfigureAwait(false);
            return (response, null);
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested
                                   && ex is OperationCanceledException or HttpRequestException or IOException)
        {
            throw new OperationCanceledException("The submit was cancelled by the caller.", ex, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return (null, Unknown(messageId, $"timeout: no answer within {timeout.TotalSeconds:0.###} s"));
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError is HttpRequestError.ConnectionError
                                                  or HttpRequestError.NameResolutionError
                                                  or HttpRequestError.SecureConnectionError
                                                  or HttpRequestError.VersionNegotiationError)
        {
            return (null, NotTaken(messageId, $"connection failed ({ex.HttpRequestError}): {Excerpt(ex.Message)}"));
        }
        catch (HttpRequestException ex)
        {
            return (null, Unknown(messageId, $"no answer ({ex.HttpRequestError}): {Excerpt(ex.Message)}"));
        }
        catch (IOException ex)
        {
            return (null, Unknown(messageId, $"no answer: {Excerpt(ex.Message)}"));
        }
        finally
        {
            deadlines.Return(deadline);
        }
    }

    /// <summary>
    /// Requests as the provider needs them: <c>http://</c> is the simulators' HTTP/2 cleartext (h2c, with
    /// prior knowledge, since there is no TLS to negotiate it), <c>https://</c> asks for HTTP/2 and lets
    /// FCM fall back; APNs speaks nothing but HTTP/2.
    /// </summary>
    public static HttpRequestMessage Http2Request(HttpMethod method, Uri url, bool http2Only)
    {
        var exact = http2Only || url.Scheme == Uri.UriSchemeHttp;
        var request = new HttpRequestMessage(method, url)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = exact ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Options.Set(PushAdapterFactory.NotificationRequest, true);
        return request;
    }

    /// <summary>A body already serialised: its length is known, so it goes out in one frame with a content-length.</summary>
    public static ByteArrayContent JsonBody(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json", "utf-8");
        return content;
    }

    public static TimeSpan? RetryAfter(HttpResponseHeaders headers, TimeProvider time)
    {
        var header = headers.RetryAfter;
        if (header?.Delta is { } delta)
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    /// <summary>Seconds a notification may wait on the provider's side before it is dropped (never negative).</summary>
    public static long TimeToLiveSeconds(DateTimeOffset? expiresAt, TimeProvider time, long longest)
    {
        if (expiresAt is not { } end)
            return longest;
        var seconds = (long)Math.Floor((end - time.GetUtcNow()).TotalSeconds);
        return Math.Clamp(seconds, 0, longest);
    }

    /// <summary>Emergency, warning and test go out at once; awareness may wait for the phone's convenience.</summary>
    public static bool IsUrgent(string? kind) => !string.Equals(kind, "awareness", StringComparison.OrdinalIgnoreCase);

    internal static string Excerpt(string text) => HttpBatch.HttpBatchAdapter.Excerpt(text);
}

/// <summary>
/// Each request's own deadline (<see cref="PushAppOptions.Timeout"/> from when it is sent), without a
/// linked source and a new timer per request: a batch reuses a source per stream, and the caller's
/// cancellation reaches them all through one registration. A linked source with its timer per
/// notification was a good part of the adapter's cost (perf/README, "Push to devices").
/// </summary>
internal sealed class RequestDeadlines : IDisposable
{
    private readonly CancellationToken _caller;
    private readonly CancellationTokenRegistration _registration;
    private readonly ConcurrentBag<Deadline> _free = [];
    private readonly List<Deadline> _all = [];
    private readonly bool _bounded;

    public RequestDeadlines(TimeSpan timeout, CancellationToken caller)
    {
        Timeout = timeout;
        _bounded = timeout > TimeSpan.Zero && timeout != System.Threading.Timeout.InfiniteTimeSpan;
        _caller = caller;
        _registration = caller.UnsafeRegister(static state => ((RequestDeadlines)state!).CancelAll(), this);
    }

    public TimeSpan Timeout { get; }

    public Deadline Rent()
    {
        if (!_free.TryTake(out var deadline))
        {
            deadline = new Deadline();
            lock (_all)
                _all.Add(deadline);
            // Added before this check, so the caller's cancellation either finds it in the list or is seen here.
            if (_caller.IsCancellationRequested)
                deadline.Source.Cancel();
        }
        deadline.SentAt = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_bounded)
            deadline.Source.CancelAfter(Timeout);
        return deadline;
    }

    public void Return(Deadline deadline)
    {
        // Reused only when its timer is far from due: a timer firing just as TryReset runs could still
        // cancel the next request that takes the source. A cancelled one is never reused.
        var safe = !_bounded || System.Diagnostics.Stopwatch.GetElapsedTime(deadline.SentAt) < Timeout / 2;
        if (safe && !_caller.IsCancellationRequested && deadline.Source.TryReset())
            _free.Add(deadline);
    }

    private void CancelAll()
    {
        Deadline[] all;
        lock (_all)
            all = [.. _all];
        foreach (var deadline in all)
        {
            try
            {
                deadline.Source.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public void Dispose()
    {
        _registration.Dispose();
        lock (_all)
        {
            foreach (var deadline in _all)
                deadline.Source.Dispose();
        }
    }

    internal sealed class Deadline
    {
        public CancellationTokenSource Source { get; } = new();

        public long SentAt { get; set; }

        public CancellationToken Token => Source.Token;
    }
}

/// <summary>The one place a device token is shortened for logs and reasons: a whole token lets anyone push to that phone.</summary>
public static class DeviceToken
{
    /// <summary>The first 6 characters and an ellipsis; a token too short to hide anything shows none.</summary>
    public static string Mask(string? token) =>
        token is { Length: > 12 } ? string.Concat(token.AsSpan(0, 6), "…") : "…";

    /// <summary>The reason with every occurrence of the token masked, in case a provider echoes it back.</summary>
    internal static string Scrub(string reason, string token) =>
        token.Length > 0 && reason.Contains(token, StringComparison.Ordinal) ? reason.Replace(token, Mask(token), StringComparison.Ordinal) : reason;
}
