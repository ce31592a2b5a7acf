using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Loa.CarrierAdapters.HttpBatch;
using Loa.Storage;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Input;

/// <summary>
/// A few hundred malformed requests, generated from a fixed seed, to every route the app maps (read
/// from its endpoint data source, so a new route is fuzzed too): broken and mistyped JSON, unreadable
/// CSV, broken and out-of-range CAP XML, odd headers, hostile route and query values, and chunked
/// framing Kestrel cannot parse, over loopback only. None may be answered 5xx, no table but the audit
/// log may gain or lose a row, and the audit log gains exactly one refused (4xx) row per request it records.
/// </summary>
public sealed partial class FuzzSpecs(InputHost host) : IClassFixture<InputHost>
{
    private const int Seed = 14;
    private const int BodiesPerRoute = 8;
    private const int ValuesPerParameter = 4;

    // Route and query values: none of them names a thing that exists or a valid number.
    private static readonly string[] HostileValues =
    [
        "%00", "..%2F..%2Fetc%2Fpasswd", new string('x', 300), "null", "-1", "0", "99999999999999999999999", "%FF%FE",
        "%F0%9F%98%80", "'%3B%20DROP%20TABLE%20lists%3B--", "%7Bid%7D", "+84", "1e308", "true", "%20",
    ];

    private static readonly string[] QueryNames =
        ["limit", "after", "from", "to", "unmask", "name", "minutes", "status", "series", "groupBy", "period", "format"];

    private static readonly string[] QueryValues =
        ["-1", "0001-01-01", "9999-12-31T23:59:59%2B14:00", "%00", "abc", "2147483648", "true", "", new string('9', 400), "month,quarter,%00"];

    [Fact]
    public async Task A_few_hundred_malformed_requests_to_every_route_get_no_5xx_and_write_nothing_but_refusals_to_the_audit_log()
    {
        var random = new Random(Seed);
        var routes = host.Loa.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST"]).Select(m => (Method: m, Pattern: e.RoutePattern)))
            .OrderBy(r => r.Pattern.RawText, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)
            .ToList();
        Assert.True(routes.Count >= 30, $"only {routes.Count} routes found");
        using var client = host.Loa.Client(InputHost.EveryRole);
        var before = await host.RowCountsAsync();
        var lastAudit = await LastAuditIdAsync();
        var served = new List<string>();
        var audited = 0;
        // What the model expects on the trail, by the route the request was aimed at: on a mismatch, the message names the routes.
        var expectedByRoute = new Dictionary<string, int>(StringComparer.Ordinal);
        var route = "";
        var sent = 0;

        // Kestrel answers a request it cannot parse at all (a NUL in the path) itself, with no body: the
        // app never saw it, so it is not audited. Every refusal of the API's own is a problem document
        // (the OpenAPI document's and the dashboard's routes answer a missing file in their own way).
        void Record(string method, string url, int? status, string? answeredAs, string? contentType = null, byte[]? body = null)
        {
            sent++;
            var shown = body is null ? "" : $" [{contentType}] {Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 80))}";
            if (status is null or >= 500)
                served.Add($"{method} {url}{shown} → {status?.ToString(CultureInfo.InvariantCulture) ?? "no answer"}");
            else if (status >= 400 && answeredAs is not (null or "application/problem+json") && url.StartsWith("/api/v1", StringComparison.Ordinal))
                served.Add($"{method} {url}{shown} → {status} as {answeredAs}, not a problem");
            else if (answeredAs is not null && Audited(method, url, status.Value, contentType))
            {
                audited++;
                expectedByRoute[route] = expectedByRoute.GetValueOrDefault(route) + 1;
            }
        }

        foreach (var (method, pattern) in routes)
        {
            route = $"{method} /{(pattern.RawText ?? "").Trim('/')}";
            foreach (var path in Paths(pattern, random))
            {
                var url = path + Query(random);
                var changes = method is "POST" or "PUT" or "PATCH" or "DELETE";
                foreach (var (contentType, body) in changes ? Bodies(random).Take(BodiesPerRoute).Select(b => ((string?)b.ContentType, (byte[]?)b.Body)) : [(null, null)])
                {
                    using var request = new HttpRequestMessage(new HttpMethod(method), url);
                    if (body is not null)
                    {
                        request.Content = new ByteArrayContent(body);
                        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                        request.Headers.TryAddWithoutValidation(ReceiptSignature.Header, ReceiptSignature.Sign(body, "dev-viettel-receipt-secret"));
                    }
                    OddHeaders(request, random);
                    using var response = await client.SendAsync(request);
                    Record(method, url, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, contentType, body);
                }
                if (changes)
                {
                    var framing = BrokenFraming[random.Next(BrokenFraming.Length)];
                    var raw = RawHttp.Chunked(method, host.Loa.BaseAddress, url, InputHost.EveryRole, "application/json", framing);
                    var answer = await RawHttp.SendAsync(host.Loa.BaseAddress, raw, TimeSpan.FromSeconds(20));
                    Record(method + " (chunked)", url, answer.Status, answer.ContentType?.Split(';')[0], "application/json"); // what RawHttp.Chunked sent
                }
            }
        }

        Assert.True(served.Count == 0, $"{served.Count} of {sent} malformed requests were answered 5xx, not at all, or without a problem:\n" + string.Join("\n", served));
        Assert.InRange(sent, 300, 2_000);
        var after = await host.RowCountsAsync();
        Assert.Empty(InputHost.Changed(before, after, "audit_log"));
        await using var connection = await host.Loa.Services.GetRequiredService<Database>().OpenAsync();
        if (before["audit_log"] + audited != after["audit_log"])
        {
            // Rows whose route did not match (404/405) are named by their path; they count under "unmatched".
            var recorded = (await connection.QueryAsync<(string Action, long Count)>(
                "SELECT action, COUNT(*) FROM audit_log WHERE id > @lastAudit GROUP BY action", new { lastAudit })).ToList();
            var byRoute = recorded.ToDictionary(r => r.Action, r => (int)r.Count, StringComparer.Ordinal);
            var differing = expectedByRoute.Keys.Union(byRoute.Keys)
                .Where(k => expectedByRoute.GetValueOrDefault(k) != byRoute.GetValueOrDefault(k))
                .Select(k => $"{k}: expected {expectedByRoute.GetValueOrDefault(k)}, recorded {byRoute.GetValueOrDefault(k)}");
            Assert.Fail($"audit rows: expected {audited}, recorded {after["audit_log"] - before["audit_log"]}; by route:\n" + string.Join("\n", differing));
        }
        var outcomes = (await connection.QueryAsync<int>("SELECT outcome FROM audit_log WHERE id > @lastAudit", new { lastAudit })).AsList();
        Assert.All(outcomes, outcome => Assert.InRange(outcome, 400, 499));
    }

    /// <summary>What the audit trail records (src/CampaignApi/Audit/AuditTrail.cs): changes and unmasked reads under /api/v1; of carrier receipts and push acks, only refusals.</summary>
    private static bool Audited(string method, string url, int status, string? contentType)
    {
        var path = url.Split('?')[0];
        if (!path.StartsWith("/api/v1/", StringComparison.OrdinalIgnoreCase) && path != "/api/v1")
            return false;
        var changes = !method.StartsWith("GET", StringComparison.Ordinal);
        // As the trail reads it: every value of unmask joined, so "unmask=true&unmask=1" is no unmasked read.
        var query = url.Contains('?') ? Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(url[url.IndexOf('?')..]) : [];
        var unmask = bool.TryParse(query.GetValueOrDefault("unmask").ToString(), out var asked) && asked;
        if (!changes && !unmask)
            return false;
        // An ack whose body is declared as another media type is refused (415) by routing, before its endpoint says
        // "refusals only", so it is recorded; JSON in a charset nobody reads, or a Content-Type that is no media type at
        // all (routing then lets the endpoint decide), gets its 415 from the endpoint, and is not.
        if (AcksPath().IsMatch(path))
        {
            var declaredOther = Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
                && !media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);
            return status is 401 or 403 || (status == 415 && declaredOther);
        }
        return !ReceiptsPath().IsMatch(path) || status is 401 or 403;
    }

    private async Task<long> LastAuditIdAsync()
    {
        await using var connection = await host.Loa.Services.GetRequiredService<Database>().OpenAsync();
        return await connection.ExecuteScalarAsync<long?>("SELECT MAX(id) FROM audit_log") ?? 0;
    }

    /// <summary>The route's path with each parameter given hostile values (a few combinations); the path as is when it has none.</summary>
    private static IEnumerable<string> Paths(Microsoft.AspNetCore.Routing.Patterns.RoutePattern pattern, Random random)
    {
        var raw = "/" + (pattern.RawText ?? "").Trim('/');
        if (pattern.Parameters.Count == 0)
            return [raw];
        return Enumerable.Range(0, ValuesPerParameter).Select(_ => Parameter().Replace(raw, m =>
        {
            // A carrier's receipts are fuzzed with a real carrier id too, so that the signed body is read.
            if (m.Groups[1].Value == "carrierId" && random.Next(2) == 0)
                return "viettel";
            return HostileValues[random.Next(HostileValues.Length)];
        })).Distinct();
    }

    private static string Query(Random random)
    {
        var count = random.Next(0, 4);
        var parts = Enumerable.Range(0, count).Select(_ => $"{QueryNames[random.Next(QueryNames.Length)]}={QueryValues[random.Next(QueryValues.Length)]}");
        return count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private static readonly string[] BrokenFraming =
    [
        "FFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n",
        "-1\r\n{}\r\n0\r\n\r\n",
        "zz\r\n{}\r\n0\r\n\r\n",
        "2\r\n{}XX\r\n0\r\n\r\n",
        "2;" + new string('e', 20_000) + "\r\n{}\r\n0\r\n\r\n",
    ];

    /// <summary>Malformed bodies of every kind the API reads, each with the content type it claims (not always its own).</summary>
    private static IEnumerable<(string ContentType, byte[] Body)> Bodies(Random random)
    {
        var kinds = new Func<Random, (string, byte[])>[] { Json, MistypedCampaign, Csv, Cap, Garbage };
        while (true)
            yield return kinds[random.Next(kinds.Length)](random);
    }

    private static readonly string[] JsonTypes = ["application/json", "application/json; charset=utf-8", "application/json; charset=utf-999", "text/plain", "application/json; charset=\"\""];

    private static (string, byte[]) Json(Random random)
    {
        string[] documents =
        [
            "", "null", "[null]", "[]", "{}", "\"x\"", "1e999", "{", "[[[[", "{\"name\":", "{\"a\":1,,}", "[{\"messageId\":null,\"status\":null}]",
            new string('[', 5_000) + new string(']', 5_000),
            "{\"name\":\"" + new string('x', 200_000) + "\"}",
            "{\"name\":\"\\ud800\"}", "{\"roles\":[null],\"name\":null,\"tenant\":null}", "{\"reason\":null}", "{\"message\":null}",
            "[{\"messageId\":\"m\",\"status\":\"delivered\",\"at\":\"0001-01-01T00:00:00+14:00\"}]",
        ];
        var text = documents[random.Next(documents.Length)];
        return (JsonTypes[random.Next(JsonTypes.Length)], Encoding.UTF8.GetBytes(text));
    }

    // Every field of a campaign, each replaced in turn by a value of a type it cannot have (or a date out of range).
    private static readonly string[] CampaignFields =
        ["name", "kind", "channels", "message", "message.sms", "audience", "audience.lists", "audience.provinces", "audience.carriers",
         "audience.devices", "schedule", "schedule.startAt", "schedule.expiresAt", "schedule.recurrence", "schedule.window", "options", "options.maxSmsParts"];

    private static readonly string[] WrongValues =
        ["1", "[1]", "{\"x\":1}", "[null]", "\"9999-12-31T23:59:59+14:00\"", "\"0001-01-01T00:00:00-14:00\"", "-99999999999999999999", "[[]]"];

    private static (string, byte[]) MistypedCampaign(Random random)
    {
        var field = CampaignFields[random.Next(CampaignFields.Length)];
        var wrong = WrongValues[random.Next(WrongValues.Length)];
        string Value(string name, string valid) => name == field ? wrong : valid;
        var json = $$"""
            {"name":{{Value("name", "\"Fuzz\"")}},"kind":{{Value("kind", "\"warning\"")}},"channels":{{Value("channels", "[\"sms\"]")}},
             "message":{{Value("message", $$"""{"sms":{{Value("message.sms", "\"x\"")}}}""")}},
             "audience":{{Value("audience", $$"""{"lists":{{Value("audience.lists", "[\"none\"]")}},"provinces":{{Value("audience.provinces", "[\"HN\"]")}},"carriers":{{Value("audience.carriers", "[\"viettel\"]")}},"devices":{{Value("audience.devices", "false")}}}""")}},
             "schedule":{{Value("schedule", $$"""{"startAt":{{Value("schedule.startAt", "\"2030-01-01T08:00:00+07:00\"")}},"expiresAt":{{Value("schedule.expiresAt", "\"2030-02-01T08:00:00+07:00\"")}},"recurrence":{{Value("schedule.recurrence", "\"0 0 8 1 * ?\"")}},"window":{{Value("schedule.window", "{\"from\":\"08:00\",\"to\":\"20:00\"}")}}}""")}},
             "options":{{Value("options", $$"""{"maxSmsParts":{{Value("options.maxSmsParts", "3")}}}""")}}}
            """;
        // "none" names no list, so even a mistyped field the binding tolerates cannot make a valid campaign.
        return ("application/json", Encoding.UTF8.GetBytes(json));
    }

    private static readonly string[] CsvTypes = ["text/csv", "text/csv; charset=utf-8", "text/csv; charset=nope", "text/plain"];

    /// <summary>CSV no upload can accept: no msisdn column, or a quote opened on the last line and never closed, or a record over the reader's buffer.</summary>
    private static (string, byte[]) Csv(Random random)
    {
        var csv = new StringBuilder();
        switch (random.Next(4))
        {
            case 0:
                csv.Append("phone,province\n0912345678,HN\n");
                break;
            case 1:
                csv.Append("msisdn,name\n");
                for (var i = random.Next(0, 20); i > 0; i--)
                    csv.Append(RandomText(random, 30, '"')).Append('\n');
                csv.Append("\"unterminated,").Append(RandomText(random, 50, '"'));
                break;
            case 2:
                csv.Append("msisdn\n0912345678,").Append('x', 70_000).Append('\n');
                break;
            default:
                csv.Append(string.Join(',', Enumerable.Repeat("c", 40_000))).Append('\n');
                break;
        }
        return (CsvTypes[random.Next(CsvTypes.Length)], Encoding.UTF8.GetBytes(csv.ToString()));
    }

    private static readonly string CapSample = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Alerts", "Samples", "exercise.xml"));

    private static readonly string[] CapSamples = ["billion-laughs.xml", "external-dtd.xml", "internal-dtd.xml", "xxe.xml", "invalid-fields.xml", "missing-identifier.xml"];

    /// <summary>CAP no intake can accept: cut short, a time out of range, an element emptied, or a refused sample (DTDs, entities).</summary>
    private static (string, byte[]) Cap(Random random)
    {
        var xml = random.Next(5) switch
        {
            0 => CapSample[..random.Next(0, CapSample.Length - 12)],
            1 => CapSample.Replace("2026-11-23T09:00:00+07:00", "9999-12-31T23:59:59+07:00", StringComparison.Ordinal),
            2 => CapSample.Replace("</info>", "<expires>0001-01-01T00:00:00+14:00</expires></info>", StringComparison.Ordinal),
            3 => CapSample.Replace("ATTT-DRILL-0001", "", StringComparison.Ordinal),
            _ => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Alerts", "Samples", CapSamples[random.Next(CapSamples.Length)])),
        };
        return (random.Next(2) == 0 ? "application/cap+xml" : "application/xml; charset=utf-16", Encoding.UTF8.GetBytes(xml));
    }

    private static (string, byte[]) Garbage(Random random)
    {
        var bytes = new byte[random.Next(1, 2_000)];
        random.NextBytes(bytes);
        string[] types = ["application/json", "text/csv", "application/cap+xml", "application/octet-stream", "multipart/form-data; boundary=x", ";;;charset"];
        return (types[random.Next(types.Length)], bytes);
    }

    private static string RandomText(Random random, int length, char without)
    {
        var text = new StringBuilder(length);
        while (text.Length < length)
        {
            var c = (char)random.Next(1, 0x2FF);
            if (c != without && !char.IsSurrogate(c))
                text.Append(c);
        }
        return text.ToString();
    }

    /// <summary>Now and then an odd header: a strange Accept, a broken key, a bogus encoding, an idempotency key of the wrong shape.</summary>
    private static void OddHeaders(HttpRequestMessage request, Random random)
    {
        switch (random.Next(8))
        {
            case 0:
                request.Headers.TryAddWithoutValidation("Accept", "text/csv;q=abc, */*;q=-1, application/json;q=1e9");
                break;
            case 1:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", new string('k', 4_000));
                break;
            case 2:
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", "%%%");
                break;
            case 3:
                request.Content?.Headers.TryAddWithoutValidation("Content-Encoding", "gzip");
                break;
            case 4:
                request.Headers.TryAddWithoutValidation("Idempotency-Key", new string('~', 300));
                break;
            default:
                break;
        }
    }

    [GeneratedRegex(@"\{\*{0,2}([A-Za-z]+)[^}]*\}")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"^/api/v1/carriers/[^/]+/receipts$", RegexOptions.IgnoreCase)]
    private static partial Regex ReceiptsPath();

    [GeneratedRegex(@"^/api/v1/devices/[^/]+/acks$", RegexOptions.IgnoreCase)]
    private static partial Regex AcksPath();
}
