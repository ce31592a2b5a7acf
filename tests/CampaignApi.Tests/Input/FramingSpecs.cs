using System.Text;
using Loa.CarrierAdapters.HttpBatch;

namespace Loa.CampaignApi.Tests.Input;

/// <summary>
/// A request body whose chunked framing Kestrel cannot parse is the client's error on every route
/// that reads a body: 400, never 500, and nothing written. Sent over a raw socket to the real Kestrel
/// (the in-memory test server does not parse framing).
/// </summary>
public sealed class FramingSpecs(InputHost host) : IClassFixture<InputHost>
{
    /// <summary>Bodies that break chunked framing: each name says how.</summary>
    private static readonly string[] BrokenChunks =
    [
        "FFFFFFFFFFFFFFFF\r\nmsisdn\r\n0\r\n\r\n", // a chunk size that overflows
        "zz\r\nmsisdn\r\n0\r\n\r\n", // a chunk size that is not hex
        "6\r\nmsisdnXX\r\n0\r\n\r\n", // chunk data longer than its size says
    ];

    private static readonly (string Route, string ContentType)[] BodyRoutes =
    [
        ("/api/v1/lists?name=framing", "text/csv"),
        ("/api/v1/optouts", "text/csv"),
        ("/api/v1/campaigns", "application/json"),
        ("/api/v1/alerts/cap", "application/cap+xml"),
        ("/api/v1/keys", "application/json"),
        ("/api/v1/campaigns/none/reject", "application/json"),
        ("/api/v1/carriers/viettel/receipts", "application/json"),
    ];

    [Fact]
    public async Task A_chunk_size_of_FFFFFFFFFFFFFFFF_in_a_list_upload_is_a_400()
    {
        var answer = await SendAsync("/api/v1/lists?name=framing", "text/csv", "FFFFFFFFFFFFFFFF\r\nmsisdn\r\n0\r\n\r\n");

        Assert.Equal(400, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
    }

    [Fact]
    public async Task Every_broken_chunked_body_on_every_route_that_reads_one_is_a_400_and_writes_nothing()
    {
        var before = await host.RowCountsAsync();
        var wrong = new List<string>();
        var audited = 0;
        foreach (var (route, contentType) in BodyRoutes)
        {
            foreach (var body in BrokenChunks)
            {
                var answer = await SendAsync(route, contentType, body);
                if (answer.Status != 400)
                    wrong.Add($"{route} {body.Split('\r')[0]} → {answer.Status?.ToString() ?? "no answer"}");
                if (!route.Contains("/receipts", StringComparison.Ordinal))
                    audited++;
            }
        }

        Assert.True(wrong.Count == 0, "not 400:\n" + string.Join("\n", wrong));
        var after = await host.RowCountsAsync();
        Assert.Empty(InputHost.Changed(before, after, "audit_log"));
        Assert.Equal(before["audit_log"] + audited, after["audit_log"]);
    }

    private Task<RawAnswer> SendAsync(string route, string contentType, string body)
    {
        var headers = new Dictionary<string, string>();
        if (route.Contains("/receipts", StringComparison.Ordinal))
            headers[ReceiptSignature.Header] = ReceiptSignature.Sign(Encoding.UTF8.GetBytes("[]"), "dev-viettel-receipt-secret");
        return RawHttp.SendAsync(
            host.Loa.BaseAddress, RawHttp.Chunked("POST", host.Loa.BaseAddress, route, InputHost.EveryRole, contentType, body, headers), TimeSpan.FromSeconds(20));
    }
}
