using System.Collections.Concurrent;
using System.Text.Json;
using Loa.CarrierAdapters.HttpBatch;
using Loa.CarrierAdapters.Tests.HttpBatch;
using Microsoft.AspNetCore.Http;

namespace Loa.CarrierAdapters.Tests.Simulators;

/// <summary>
/// Stands in for Loa's receipt webhook (<c>POST /api/v1/carriers/{carrierId}/receipts</c>): checks the
/// signature on the raw body with the carrier's secret before reading anything, and records what came.
/// </summary>
internal sealed class ReceiptReceiver : IAsyncDisposable
{
    private readonly LoopbackServer _server;
    private readonly ConcurrentQueue<(string CarrierId, Receipt Receipt)> _receipts = new();
    private readonly ConcurrentQueue<ReceivedPost> _accepted = new();
    private int _posts;
    private int _badSignatures;
    private int _failuresLeft;

    private ReceiptReceiver(LoopbackServer server) => _server = server;

    public IReadOnlyList<(string CarrierId, Receipt Receipt)> Receipts => _receipts.ToArray();

    public int Posts => Volatile.Read(ref _posts);

    /// <summary>The posts that were acknowledged, in the order they were (each recorded before its 202 went out).</summary>
    public IReadOnlyList<ReceivedPost> AcceptedPosts => _accepted.ToArray();

    public int BadSignatures => Volatile.Read(ref _badSignatures);

    /// <summary>Answers the next <paramref name="count"/> posts with 503, whatever they carry.</summary>
    public void FailNext(int count) => Volatile.Write(ref _failuresLeft, count);

    public Uri ReceiptUrl(string carrierId) => new(_server.BaseUrl, $"/api/v1/carriers/{carrierId}/receipts");

    public static async Task<ReceiptReceiver> StartAsync(Func<string, string> secretOf)
    {
        ReceiptReceiver? receiver = null;
        var server = await LoopbackServer.StartAsync(context => receiver!.Receive(context, secretOf));
        receiver = new ReceiptReceiver(server);
        return receiver;
    }

    private async Task Receive(HttpContext context, Func<string, string> secretOf)
    {
        Interlocked.Increment(ref _posts);
        var segments = context.Request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (context.Request.Method != "POST" || segments is not ["api", "v1", "carriers", var carrierId, "receipts"])
        {
            context.Response.StatusCode = 404;
            return;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();

        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            context.Response.StatusCode = 503;
            return;
        }
        if (!ReceiptSignature.Verify(body, context.Request.Headers[ReceiptSignature.Header], secretOf(carrierId)))
        {
            Interlocked.Increment(ref _badSignatures);
            context.Response.StatusCode = 401;
            return;
        }

        var receipts = JsonSerializer.Deserialize<Receipt[]>(body, WireJson.Options) ?? [];
        lock (_accepted)
        {
            // One lock, so that the order of posts and the order of receipts agree.
            foreach (var receipt in receipts)
                _receipts.Enqueue((carrierId, receipt));
            _accepted.Enqueue(new ReceivedPost(_accepted.Count + 1, carrierId, body, receipts));
        }
        context.Response.StatusCode = 202;
        await context.Response.WriteAsJsonAsync(new { accepted = receipts.Length, unknown = 0 });
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <param name="Number">1 for the first acknowledged post, and so on.</param>
/// <param name="Body">The raw bytes as signed and sent.</param>
internal sealed record ReceivedPost(int Number, string CarrierId, byte[] Body, Receipt[] Receipts);
