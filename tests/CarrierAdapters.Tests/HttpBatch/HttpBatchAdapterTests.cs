using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Loa.CarrierAdapters.HttpBatch;
using Microsoft.AspNetCore.Http;

namespace Loa.CarrierAdapters.Tests.HttpBatch;

public sealed class HttpBatchAdapterTests : IDisposable
{
    private static readonly Uri ReceiptUrl = new("http://127.0.0.1:9/api/v1/carriers/viettel/receipts");

    private readonly HttpClient _http = new();

    public void Dispose() => _http.Dispose();

    private static CarrierBatch Batch(params OutgoingMessage[] messages) =>
        new("batch-1", "CUCATTT", messages, ReceiptUrl);

    private static OutgoingMessage Message(string id, SmsEncoding encoding = SmsEncoding.Gsm7, int parts = 1) =>
        new(id, "+84912345678", "Canh bao: khong cung cap ma OTP", encoding, parts);

    private HttpBatchAdapter Adapter(Uri baseUrl, TimeSpan? timeout = null, TimeProvider? time = null) =>
        new("viettel", new CarrierOptions { Credential = "cred-1", Timeout = timeout ?? TimeSpan.FromSeconds(5) }, _http, baseUrl, time);

    private static Task Answer(HttpContext context, int status, string body, string contentType = "application/json")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(body);
    }

    [Theory]
    [InlineData("viettel")]
    [InlineData("viettel/")]
    public async Task Submit_posts_the_batch_interface_to_sms_batches_under_the_base_url(string basePath)
    {
        string? path = null, authorization = null, idempotencyKey = null, contentType = null;
        JsonDocument? body = null;
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            path = context.Request.Path;
            authorization = context.Request.Headers.Authorization;
            idempotencyKey = context.Request.Headers["Idempotency-Key"];
            contentType = context.Request.ContentType;
            body = await JsonDocument.ParseAsync(context.Request.Body);
            await Answer(context, 200, """{"results":[{"id":"m1","status":"accepted","carrierMessageId":"c1"},{"id":"m2","status":"accepted","carrierMessageId":"c2"}]}""");
        });
        var adapter = Adapter(new Uri(server.BaseUrl, basePath));

        var outcome = await adapter.SubmitAsync(Batch(Message("m1"), Message("m2", SmsEncoding.Ucs2, parts: 2)), CancellationToken.None);

        Assert.IsType<SubmitOutcome.Completed>(outcome);
        Assert.Equal("/viettel/sms/batches", path);
        Assert.Equal("Bearer cred-1", authorization);
        Assert.Equal("batch-1", idempotencyKey);
        Assert.StartsWith("application/json", contentType);
        var root = body!.RootElement;
        Assert.Equal("batch-1", root.GetProperty("batchId").GetString());
        Assert.Equal("CUCATTT", root.GetProperty("sender").GetString());
        Assert.Equal(ReceiptUrl.AbsoluteUri, root.GetProperty("receiptUrl").GetString());
        var messages = root.GetProperty("messages").EnumerateArray().ToArray();
        Assert.Equal(2, messages.Length);
        Assert.Equal("m1", messages[0].GetProperty("id").GetString());
        Assert.Equal("+84912345678", messages[0].GetProperty("to").GetString());
        Assert.Equal("gsm7", messages[0].GetProperty("encoding").GetString());
        Assert.Equal("ucs2", messages[1].GetProperty("encoding").GetString());
        Assert.Equal(2, messages[1].GetProperty("parts").GetInt32());
        Assert.False(string.IsNullOrEmpty(messages[1].GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Every_message_gets_a_result_in_batch_order_whatever_order_the_carrier_answers_in()
    {
        await using var server = await LoopbackServer.StartAsync(context => Answer(context, 200, """
            {"results":[
              {"id":"m3","status":"rejected","carrierMessageId":null,"error":"blacklisted"},
              {"id":"stranger","status":"accepted","carrierMessageId":"c9"},
              {"id":"m1","status":"accepted","carrierMessageId":"c1"}
            ]}
            """));

        var outcome = await Adapter(server.BaseUrl).SubmitAsync(Batch(Message("m1"), Message("m2"), Message("m3")), CancellationToken.None);

        var results = Assert.IsType<SubmitOutcome.Completed>(outcome).Results;
        Assert.Equal(["m1", "m2", "m3"], results.Select(r => r.Id));
        Assert.Equal(new MessageResult("m1", true, "c1", null), results[0]);
        Assert.Equal(new MessageResult("m2", false, null, "no result from carrier"), results[1]);
        Assert.Equal(new MessageResult("m3", false, null, "blacklisted"), results[2]);
    }

    [Fact]
    public async Task Throttling_with_retry_after_in_seconds_is_throttled()
    {
        await using var server = await LoopbackServer.StartAsync(context =>
        {
            context.Response.Headers.RetryAfter = "7";
            return Answer(context, 429, "slow down", "text/plain");
        });

        var outcome = await Adapter(server.BaseUrl).SubmitAsync(Batch(Message("m1")), CancellationToken.None);

        var throttled = Assert.IsType<SubmitOutcome.Throttled>(outcome);
        Assert.Equal(TimeSpan.FromSeconds(7), throttled.RetryAfter);
        Assert.Contains("429", throttled.Reason);
    }

    [Fact]
    public async Task Throttling_with_retry_after_as_an_http_date_is_throttled_until_that_date()
    {
        var now = new DateTimeOffset(2026, 12, 1, 1, 0, 0, TimeSpan.Zero);
        await using var server = await LoopbackServer.StartAsync(context =>
        {
            context.Response.Headers.RetryAfter = now.AddSeconds(90).ToString("r");
            return Answer(context, 429, "");
        });

        var outcome = await Adapter(server.BaseUrl, time: new FixedClock(now)).SubmitAsync(Batch(Message("m1")), CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(90), Assert.IsType<SubmitOutcome.Throttled>(outcome).RetryAfter);
    }

    [Fact]
    public async Task Server_error_is_transient_with_the_status_and_at_most_200_characters_of_the_body()
    {
        var page = "<html>" + new string('x', 5000) + "</html>";
        await using var server = await LoopbackServer.StartAsync(context => Answer(context, 503, page, "text/html"));

        var outcome = await Adapter(server.BaseUrl).SubmitAsync(Batch(Message("m1")), CancellationToken.None);

        var reason = Assert.IsType<SubmitOutcome.Transient>(outcome).Reason;
        Assert.Contains("503", reason);
        Assert.Contains("<html>xxx", reason);
        Assert.True(reason.Length <= 200 + "HTTP 503 Service Unavailable: ".Length, reason);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(422)]
    public async Task Other_client_errors_reject_the_batch_with_the_status_and_body(int status)
    {
        await using var server = await LoopbackServer.StartAsync(context => Answer(context, status, """{"title":"sender not registered"}"""));

        var outcome = await Adapter(server.BaseUrl).SubmitAsync(Batch(Message("m1")), CancellationToken.None);

        var reason = Assert.IsType<SubmitOutcome.Rejected>(outcome).Reason;
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), reason);
        Assert.Contains("sender not registered", reason);
    }

    [Fact]
    public async Task Reasons_never_carry_a_phone_number_the_carrier_echoes()
    {
        await using var server = await LoopbackServer.StartAsync(context =>
            Answer(context, 400, """{"error":"bad recipient +84912345678 and 0912 345 678"}"""));

        var outcome = await Adapter(server.BaseUrl).SubmitAsync(Batch(Message("m1")), CancellationToken.None);

        var reason = Assert.IsType<SubmitOutcome.Rejected>(outcome).Reason;
        Assert.DoesNotContain("912345678", reason);
        Assert.DoesNotContain("345 678", reason);
        Assert.Contains("bad recipient", reason);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("""{"results":""")]
    [InlineData("""{"something":"else"}""")]
    public async Task Unparseable_200_is_transient(string body)
    {
        await using var server = await LoopbackServer.StartAsync(context => Answer(context, 200, body));

        var outcome = await Adapter(server.BaseUrl).SubmitAsync(Batch(Message("m1")), CancellationToken.None);

        Assert.Contains("200", Assert.IsType<SubmitOutcome.Transient>(outcome).Reason);
    }

    [Fact]
    public async Task No_answer_within_the_carrier_timeout_is_transient()
    {
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
        });
        var started = DateTime.UtcNow;

        var outcome = await Adapter(server.BaseUrl, timeout: TimeSpan.FromMilliseconds(300)).SubmitAsync(Batch(Message("m1")), CancellationToken.None);

        Assert.Contains("timeout", Assert.IsType<SubmitOutcome.Transient>(outcome).Reason);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Caller_cancellation_propagates_instead_of_becoming_an_outcome()
    {
        await using var server = await LoopbackServer.StartAsync(async context =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
        });
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Adapter(server.BaseUrl).SubmitAsync(Batch(Message("m1")), caller.Token));
    }

    [Fact]
    public async Task Connection_refused_is_transient()
    {
        var outcome = await Adapter(ClosedPortUrl()).SubmitAsync(Batch(Message("m1")), CancellationToken.None);

        Assert.Contains("connection failed", Assert.IsType<SubmitOutcome.Transient>(outcome).Reason);
    }

    [Fact]
    public async Task A_server_that_drops_the_connection_is_transient()
    {
        await using var server = await LoopbackServer.StartAsync(context =>
        {
            context.Abort();
            return Task.CompletedTask;
        });

        var outcome = await Adapter(server.BaseUrl).SubmitAsync(Batch(Message("m1")), CancellationToken.None);

        Assert.IsType<SubmitOutcome.Transient>(outcome);
    }

    private static Uri ClosedPortUrl()
    {
        // A port that was free a moment ago and that nobody listens on now.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/viettel");
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
