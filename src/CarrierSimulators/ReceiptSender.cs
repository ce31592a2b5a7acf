using System.Collections.Concurrent;
using System.Text.Json;
using Loa.CarrierAdapters;
using Loa.CarrierAdapters.HttpBatch;
using Microsoft.Extensions.Logging;

namespace Loa.CarrierSimulators;

internal enum ReceiptTiming
{
    /// <summary>Posted <see cref="SimulatorBehaviour.ReceiptDelay"/> after the batch was accepted.</summary>
    Usual,

    /// <summary>Posted and acknowledged before the submit's answer is written.</summary>
    Early,

    /// <summary>Held back until a later batch's receipts have been posted.</summary>
    OutOfOrder,
}

/// <summary>What one accepted message's receipt will say, and when and how often it goes.</summary>
internal readonly record struct PlannedReceipt(string CarrierMessageId, string Status, ReceiptTiming Timing, bool Duplicate);

/// <summary>An accepted batch's receipts and where they go.</summary>
internal sealed record ReceiptBatch(string BatchId, Uri ReceiptUrl, string Secret, IReadOnlyList<PlannedReceipt> Receipts)
{
    public PlannedReceipt[] With(ReceiptTiming timing) => Receipts.Where(r => r.Timing == timing).ToArray();
}

/// <summary>
/// Posts the simulated carriers' receipts, signed, to each batch's receipt URL: retried with backoff,
/// bounded in how many are in flight, and dropped (counted as abandoned) once the host stops.
/// </summary>
internal sealed partial class ReceiptSender : IDisposable
{
    private enum PostKind
    {
        Usual,
        Early,
        OutOfOrder,
        Duplicate,
    }

    private readonly SimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationToken _stopping;
    private readonly HttpClient _client;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<Task, byte> _posts = new();

    /// <param name="stopping">Cancelled when the host stops: a stopped carrier sends nothing more.</param>
    public ReceiptSender(SimulatorOptions options, TimeProvider time, ILogger log, CancellationToken stopping)
    {
        _options = options;
        _time = time;
        _log = log;
        _stopping = stopping;
        _client = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        })
        {
            // Each attempt has its own deadline (ReceiptTimeout); the client-wide one would only interfere.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _slots = new SemaphoreSlim(Math.Max(1, options.MaxConcurrentReceiptPosts));
    }

    /// <summary>Draws each message's status, timing and duplication, in message order, from the carrier's random source.</summary>
    public static PlannedReceipt[] Plan(SimulatedCarrier.Draws draws, string[] carrierMessageIds) =>
        draws.Draw((behaviour, random) =>
        {
            var early = behaviour.EarlyReceiptRatio;
            var outOfOrder = behaviour.OutOfOrderReceiptRatio;
            var plan = new PlannedReceipt[carrierMessageIds.Length];
            for (var i = 0; i < plan.Length; i++)
            {
                var status = behaviour.DrawReceiptStatus(random);
                var timing = ReceiptTiming.Usual;
                if (early + outOfOrder > 0)
                {
                    var point = random.NextDouble();
                    timing = point < early ? ReceiptTiming.Early
                        : point < early + outOfOrder ? ReceiptTiming.OutOfOrder
                        : ReceiptTiming.Usual;
                }
                var duplicate = SimulatedCarrier.Draws.Chance(random, behaviour.DuplicateReceiptRatio);
                plan[i] = new PlannedReceipt(carrierMessageIds[i], status, timing, duplicate);
            }
            return plan;
        });

    /// <summary>The batch's early receipts, posted now; returns once they are acknowledged or given up.</summary>
    public async Task PostEarlyAsync(SimulatedCarrier carrier, ReceiptBatch batch, SimulatorBehaviour behaviour)
    {
        var early = batch.With(ReceiptTiming.Early);
        if (early.Length == 0)
            return;
        try
        {
            var receipts = Render(early, _time.GetUtcNow());
            if (await PostAsync(carrier, batch, receipts, PostKind.Early).ConfigureAwait(false))
                ScheduleDuplicates(carrier, batch, early, receipts, behaviour);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            carrier.Stats.RecordReceiptsAbandoned(early.Length);
        }
        catch (Exception ex)
        {
            carrier.Stats.RecordReceiptsAbandoned(early.Length);
            Log.ReceiptsCrashed(_log, ex, carrier.Id, batch.BatchId);
        }
    }

    /// <summary>The batch's usual and out-of-order receipts, posted in the background after the receipt delay.</summary>
    /// <param name="sequence">The batch's place in the carrier's accept order, which out-of-order receipts wait on.</param>
    public void Schedule(SimulatedCarrier carrier, ReceiptBatch batch, long sequence, SimulatorBehaviour behaviour)
    {
        var usual = batch.With(ReceiptTiming.Usual);
        var held = batch.With(ReceiptTiming.OutOfOrder);
        if (usual.Length + held.Length > 0)
            Track(() => DeliverAsync(carrier, batch, sequence, behaviour, usual, held));
    }

    /// <summary>Waits for posts still running; the caller has cancelled the stopping token, so they end soon.</summary>
    public Task WhenAllPostedAsync(CancellationToken ct) => Task.WhenAll(_posts.Keys).WaitAsync(ct);

    public void Dispose()
    {
        _client.Dispose();
        _slots.Dispose();
    }

    private async Task DeliverAsync(
        SimulatedCarrier carrier, ReceiptBatch batch, long sequence, SimulatorBehaviour behaviour,
        PlannedReceipt[] usual, PlannedReceipt[] held)
    {
        var pending = usual.Length + held.Length;
        try
        {
            if (behaviour.ReceiptDelay > TimeSpan.Zero)
                await Task.Delay(behaviour.ReceiptDelay, _time, _stopping).ConfigureAwait(false);

            // Held receipts keep the time they would have had, so that they arrive visibly out of order.
            var at = _time.GetUtcNow();
            if (usual.Length > 0)
            {
                var receipts = Render(usual, at);
                var posted = await PostAsync(carrier, batch, receipts, PostKind.Usual).ConfigureAwait(false);
                pending -= usual.Length;
                if (posted)
                {
                    carrier.Held.Posted(sequence);
                    ScheduleDuplicates(carrier, batch, usual, receipts, behaviour);
                }
            }

            if (held.Length > 0)
            {
                var receipts = Render(held, at);
                await carrier.Held.WaitForLaterBatchAsync(sequence, behaviour.OutOfOrderHold, _time, _stopping).ConfigureAwait(false);
                var posted = await PostAsync(carrier, batch, receipts, PostKind.OutOfOrder).ConfigureAwait(false);
                pending -= held.Length;
                if (posted)
                    ScheduleDuplicates(carrier, batch, held, receipts, behaviour);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            carrier.Stats.RecordReceiptsAbandoned(pending);
        }
        catch (Exception ex)
        {
            // A receipt post runs unobserved; whatever escapes here would otherwise vanish.
            carrier.Stats.RecordReceiptsAbandoned(pending);
            Log.ReceiptsCrashed(_log, ex, carrier.Id, batch.BatchId);
        }
    }

    private void ScheduleDuplicates(
        SimulatedCarrier carrier, ReceiptBatch batch, PlannedReceipt[] plan, Receipt[] posted, SimulatorBehaviour behaviour)
    {
        // The very receipts already posted, so that the copy says exactly what the original said.
        var again = posted.Where((_, i) => plan[i].Duplicate).ToArray();
        if (again.Length == 0)
            return;
        Track(async () =>
        {
            try
            {
                if (behaviour.DuplicateReceiptDelay > TimeSpan.Zero)
                    await Task.Delay(behaviour.DuplicateReceiptDelay, _time, _stopping).ConfigureAwait(false);
                await PostAsync(carrier, batch, again, PostKind.Duplicate).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                // A copy that never goes is no loss: the original was acknowledged.
            }
            catch (Exception ex)
            {
                Log.ReceiptsCrashed(_log, ex, carrier.Id, batch.BatchId);
            }
        });
    }

    /// <returns>
    /// Whether the receipt URL acknowledged them; the receipts are counted as posted or abandoned either way.
    /// Throws only when the host stops, and then counts nothing.
    /// </returns>
    private async Task<bool> PostAsync(SimulatedCarrier carrier, ReceiptBatch batch, Receipt[] receipts, PostKind kind)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(receipts, WireJson.Options);
        var signature = ReceiptSignature.Sign(body, batch.Secret);
        var attempts = Math.Max(1, _options.ReceiptAttempts);
        string? failure = null;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            failure = await TryPostAsync(batch.ReceiptUrl, body, signature).ConfigureAwait(false);
            if (failure is null)
            {
                Count(carrier.Stats, kind, receipts.Length);
                Log.ReceiptsPosted(_log, carrier.Id, receipts.Length, Describe(kind), batch.BatchId, attempt);
                return true;
            }
            if (attempt < attempts)
            {
                Log.ReceiptAttemptFailed(_log, carrier.Id, batch.BatchId, attempt, failure);
                var backoff = _options.ReceiptRetryDelay * Math.Pow(2, attempt - 1);
                if (backoff > TimeSpan.Zero)
                    await Task.Delay(backoff, _time, _stopping).ConfigureAwait(false);
            }
        }
        // A duplicate that does not get through is still one receipt per message delivered.
        if (kind != PostKind.Duplicate)
            carrier.Stats.RecordReceiptsAbandoned(receipts.Length);
        Log.ReceiptsAbandoned(_log, carrier.Id, receipts.Length, Describe(kind), batch.BatchId, attempts, failure);
        return false;
    }

    private static void Count(CarrierSimulatorStats stats, PostKind kind, int count)
    {
        switch (kind)
        {
            case PostKind.Duplicate:
                stats.RecordDuplicateReceiptsPosted(count);
                return;
            case PostKind.Early:
                stats.RecordEarlyReceiptsPosted(count);
                break;
            case PostKind.OutOfOrder:
                stats.RecordOutOfOrderReceiptsPosted(count);
                break;
        }
        stats.RecordReceiptsPosted(count);
    }

    private static string Describe(PostKind kind) => kind switch
    {
        PostKind.Early => "early",
        PostKind.OutOfOrder => "out-of-order",
        PostKind.Duplicate => "duplicate",
        _ => "usual",
    };

    /// <returns>Null when the receipt URL took the receipts, else what went wrong.</returns>
    private async Task<string?> TryPostAsync(Uri receiptUrl, byte[] body, string signature)
    {
        await _slots.WaitAsync(_stopping).ConfigureAwait(false);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
            if (_options.ReceiptTimeout > TimeSpan.Zero)
                deadline.CancelAfter(_options.ReceiptTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Post, receiptUrl)
            {
                Content = new ByteArrayContent(body),
            };
            request.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
            request.Headers.TryAddWithoutValidation(ReceiptSignature.Header, signature);
            using var response = await _client.SendAsync(request, deadline.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (HttpRequestException ex)
        {
            return $"connection failed ({ex.HttpRequestError})";
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            return "timeout";
        }
        finally
        {
            _slots.Release();
        }
    }

    private static Receipt[] Render(PlannedReceipt[] plan, DateTimeOffset at)
    {
        var receipts = new Receipt[plan.Length];
        for (var i = 0; i < plan.Length; i++)
        {
            var status = plan[i].Status;
            receipts[i] = new Receipt(plan[i].CarrierMessageId, status, at, status == "delivered" ? null : $"simulated {status}");
        }
        return receipts;
    }

    private void Track(Func<Task> work)
    {
        // Task.Run: nothing of the receipt work may run inline before the submit's answer is written.
        var post = Task.Run(work);
        _posts.TryAdd(post, 0);
        post.ContinueWith(
            static (done, posts) => ((ConcurrentDictionary<Task, byte>)posts!).TryRemove(done, out _),
            _posts, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    // Batch ids and counts only: message bodies and numbers never reach the log.
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Simulated {CarrierId} posted {Count} {Kind} receipts for batch {BatchId} (attempt {Attempt})")]
        public static partial void ReceiptsPosted(ILogger logger, string carrierId, int count, string kind, string batchId, int attempt);

        [LoggerMessage(2, LogLevel.Information, "Simulated {CarrierId} receipt post for batch {BatchId} failed (attempt {Attempt}): {Failure}")]
        public static partial void ReceiptAttemptFailed(ILogger logger, string carrierId, string batchId, int attempt, string failure);

        [LoggerMessage(3, LogLevel.Warning, "Simulated {CarrierId} gave up {Count} {Kind} receipts for batch {BatchId} after {Attempts} attempts: {Failure}")]
        public static partial void ReceiptsAbandoned(ILogger logger, string carrierId, int count, string kind, string batchId, int attempts, string? failure);

        [LoggerMessage(4, LogLevel.Error, "Simulated {CarrierId} receipt post for batch {BatchId} crashed")]
        public static partial void ReceiptsCrashed(ILogger logger, Exception exception, string carrierId, string batchId);
    }
}
