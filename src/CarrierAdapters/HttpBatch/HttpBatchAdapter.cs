using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Loa.CarrierAdapters.HttpBatch;

/// <summary>
/// A carrier that speaks the batch interface of api.md over HTTP. Every answer and every failure
/// becomes a <see cref="SubmitOutcome"/>; only the caller's own cancellation escapes as an exception.
/// </summary>
public sealed partial class HttpBatchAdapter : ICarrierAdapter
{
    internal const string NoResultReason = "no result from carrier";
    private const int ExcerptChars = 200;

    private readonly CarrierOptions _options;
    private readonly HttpClient _http;
    private readonly Uri _batchesUrl;
    private readonly TimeProvider _time;

    /// <param name="baseUrl">The carrier's base URL; <c>/sms/batches</c> is appended to its path.</param>
    /// <param name="time">Only for turning an HTTP-date <c>Retry-After</c> into a delay.</param>
    public HttpBatchAdapter(string carrierId, CarrierOptions options, HttpClient http, Uri baseUrl, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(carrierId);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (!baseUrl.IsAbsoluteUri)
            throw new ArgumentException("The carrier base URL must be absolute.", nameof(baseUrl));

        CarrierId = carrierId;
        _options = options;
        _http = http;
        _time = time ?? TimeProvider.System;
        _batchesUrl = BatchesUrl(baseUrl);
    }

    public string CarrierId { get; }

    public async Task<SubmitOutcome> SubmitAsync(CarrierBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);

        using var request = new HttpRequestMessage(HttpMethod.Post, _batchesUrl);
        // "Bearer " with nothing after it is not a valid header; a carrier without a credential gets none.
        if (!string.IsNullOrEmpty(_options.Credential))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Credential);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", batch.BatchId);
        // JsonContent writes straight into the request stream: no intermediate string or byte[] of the batch.
        request.Content = JsonContent.Create(ToWire(batch), options: WireJson.Options);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (_options.Timeout > TimeSpan.Zero && _options.Timeout != Timeout.InfiniteTimeSpan)
            timeout.CancelAfter(_options.Timeout);

        try
        {
            // Headers first, so that the per-call timeout also covers reading the body.
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token)
                .ConfigureAwait(false);
            return await MapAsync(batch, response, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested
                                   && ex is OperationCanceledException or HttpRequestException or IOException)
        {
            // Whatever broke once the caller gave up is the caller's cancellation, not a carrier fault.
            throw new OperationCanceledException("The submit was cancelled by the caller.", ex, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Our own deadline, or HttpClient.Timeout if that is the shorter one: either way the
            // carrier may or may not have taken the batch, and the idempotency key covers the retry.
            return new SubmitOutcome.Transient($"timeout: no complete answer within {Describe(EffectiveTimeout())}");
        }
        catch (HttpRequestException ex)
        {
            var status = ex.StatusCode is { } code ? $" (HTTP {(int)code})" : "";
            return new SubmitOutcome.Transient($"connection failed ({ex.HttpRequestError}){status}: {Excerpt(ex.Message)}");
        }
        catch (IOException ex)
        {
            return new SubmitOutcome.Transient($"connection failed while reading the answer: {Excerpt(ex.Message)}");
        }
    }

    private async Task<SubmitOutcome> MapAsync(CarrierBatch batch, HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;

        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            var excerpt = await ReadExcerptAsync(response, ct).ConfigureAwait(false);
            return new SubmitOutcome.Throttled(RetryAfter(response), WithExcerpt("HTTP 429 Too Many Requests", excerpt));
        }

        if (status is >= 200 and < 300)
            return await ReadResultsAsync(batch, response, ct).ConfigureAwait(false);

        var body = await ReadExcerptAsync(response, ct).ConfigureAwait(false);
        var reason = WithExcerpt($"HTTP {status} {response.ReasonPhrase}".TrimEnd(), body);

        // 408 is the carrier saying "timeout", which architecture.md files under transient.
        return status >= 500 || response.StatusCode == HttpStatusCode.RequestTimeout
            ? new SubmitOutcome.Transient(reason)
            : new SubmitOutcome.Rejected(reason);
    }

    private static async Task<SubmitOutcome> ReadResultsAsync(CarrierBatch batch, HttpResponseMessage response, CancellationToken ct)
    {
        var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        // Only the head of the body is kept, for the reason if it does not parse.
        var head = new HeadCapturingStream(stream, ExcerptChars * 4);
        BatchResponse? answer;
        try
        {
            answer = await JsonSerializer.DeserializeAsync<BatchResponse>(head, WireJson.Options, ct).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            var where = ex.Path is null ? "" : $" at {ex.Path}";
            return new SubmitOutcome.Transient(
                WithExcerpt($"HTTP {(int)response.StatusCode} with an unparseable body{where}", Excerpt(head.Head)));
        }

        if (answer?.Results is null)
            return new SubmitOutcome.Transient(
                WithExcerpt($"HTTP {(int)response.StatusCode} without results", Excerpt(head.Head)));

        return new SubmitOutcome.Completed(Match(batch.Messages, answer.Results));
    }

    /// <summary>One result per message of the batch, in the batch's order.</summary>
    private static MessageResult[] Match(IReadOnlyList<OutgoingMessage> messages, IReadOnlyList<BatchResponseResult> answers)
    {
        var results = new MessageResult[messages.Count];

        // Carriers normally answer in the order they were asked; only fall back to a lookup when not.
        var inOrder = answers.Count == messages.Count;
        for (var i = 0; inOrder && i < messages.Count; i++)
        {
            if (answers[i] is { } answer && answer.Id == messages[i].Id)
                results[i] = ToResult(messages[i].Id, answer);
            else
                inOrder = false;
        }
        if (inOrder)
            return results;

        var byId = new Dictionary<string, BatchResponseResult>(answers.Count, StringComparer.Ordinal);
        foreach (var answer in answers)
        {
            // Ids we did not send are ignored; a repeated id keeps the carrier's first word on it.
            if (answer?.Id is { } id)
                byId.TryAdd(id, answer);
        }
        for (var i = 0; i < messages.Count; i++)
        {
            var id = messages[i].Id;
            results[i] = byId.TryGetValue(id, out var answer)
                ? ToResult(id, answer)
                : new MessageResult(id, Accepted: false, CarrierMessageId: null, Error: NoResultReason);
        }
        return results;
    }

    private static MessageResult ToResult(string id, BatchResponseResult answer)
    {
        if (string.Equals(answer.Status, "accepted", StringComparison.OrdinalIgnoreCase))
            return new MessageResult(id, Accepted: true, answer.CarrierMessageId, Error: null);

        var error = !string.IsNullOrWhiteSpace(answer.Error) ? Excerpt(answer.Error)
            : answer.Status is { Length: > 0 } status ? $"status '{Excerpt(status)}'"
            : "rejected without a reason";
        return new MessageResult(id, Accepted: false, answer.CarrierMessageId, error);
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    private TimeSpan EffectiveTimeout()
    {
        var own = _options.Timeout > TimeSpan.Zero ? _options.Timeout : Timeout.InfiniteTimeSpan;
        var client = _http.Timeout;
        if (own == Timeout.InfiniteTimeSpan)
            return client;
        return client == Timeout.InfiniteTimeSpan || own <= client ? own : client;
    }

    private static string Describe(TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan ? "the allowed time"
        : span.TotalSeconds >= 1 ? $"{span.TotalSeconds:0.###} s"
        : $"{span.TotalMilliseconds:0} ms";

    private static BatchRequest ToWire(CarrierBatch batch)
    {
        var messages = new BatchRequestMessage[batch.Messages.Count];
        for (var i = 0; i < messages.Length; i++)
        {
            var m = batch.Messages[i];
            messages[i] = new BatchRequestMessage(m.Id, m.To, m.Text, WireEncoding(m.Encoding), m.Parts);
        }
        var receiptUrl = batch.ReceiptUrl ?? throw new ArgumentException("A batch over HttpBatch needs the address receipts are posted to.", nameof(batch));
        return new BatchRequest(batch.BatchId, batch.Sender, messages, receiptUrl.AbsoluteUri);
    }

    internal static string WireEncoding(SmsEncoding encoding) => encoding switch
    {
        SmsEncoding.Gsm7 => "gsm7",
        SmsEncoding.Ucs2 => "ucs2",
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Unknown SMS encoding."),
    };

    internal static Uri BatchesUrl(Uri baseUrl)
    {
        // new Uri(base, "sms/batches") would drop the last path segment of a base without a
        // trailing slash (".../viettel" + "sms/batches" = ".../sms/batches"), so join paths by hand.
        var builder = new UriBuilder(baseUrl);
        builder.Path = builder.Path.TrimEnd('/') + "/sms/batches";
        return builder.Uri;
    }

    private static async Task<string> ReadExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(ExcerptChars * 4);
        try
        {
            // Only the head is read: an error page can be large and is not worth more than its start.
            var filled = 0;
            int read;
            while (filled < ExcerptChars * 4
                   && (read = await stream.ReadAsync(buffer.AsMemory(filled, ExcerptChars * 4 - filled), ct).ConfigureAwait(false)) > 0)
                filled += read;
            return Excerpt(buffer.AsSpan(0, filled));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string WithExcerpt(string what, string excerpt) =>
        excerpt.Length == 0 ? what : $"{what}: {excerpt}";

    // Spelled out: inside Loa.CarrierAdapters, "Encoding" is our SMS encoding namespace, not System.Text's.
    private static string Excerpt(ReadOnlySpan<byte> utf8) => Excerpt(System.Text.Encoding.UTF8.GetString(utf8));

    /// <summary>
    /// At most 200 characters on one line, with anything that looks like a phone number masked:
    /// reasons are stored and shown, and a carrier may echo the recipient back in an error.
    /// </summary>
    internal static string Excerpt(string text)
    {
        var oneLine = Whitespace().Replace(text, " ").Trim();
        var masked = PhoneLike().Replace(oneLine, "[number]");
        if (masked.Length <= ExcerptChars)
            return masked;
        var cut = ExcerptChars - 1;
        if (char.IsHighSurrogate(masked[cut - 1]))
            cut--;
        return masked[..cut] + "…";
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    // Nine or more digits, optionally after '+' and split by single spaces: a mobile number in
    // national or E.164 form. Dots and dashes are left alone so that IP addresses and dates survive.
    [GeneratedRegex(@"\+?\d(?: ?\d){8,}")]
    private static partial Regex PhoneLike();

    /// <summary>Passes reads through and remembers the first bytes, for an excerpt when parsing fails.</summary>
    private sealed class HeadCapturingStream(Stream inner, int capacity) : Stream
    {
        private readonly byte[] _head = new byte[capacity];
        private int _length;

        public ReadOnlySpan<byte> Head => _head.AsSpan(0, _length);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            Capture(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            Capture(buffer.AsSpan(offset, read));
            return read;
        }

        private void Capture(ReadOnlySpan<byte> bytes)
        {
            var take = Math.Min(bytes.Length, _head.Length - _length);
            if (take <= 0)
                return;
            bytes[..take].CopyTo(_head.AsSpan(_length));
            _length += take;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
