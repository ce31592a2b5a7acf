using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using HdrHistogram;
using Loa.CarrierAdapters.Push;
using Loa.CarrierSimulators.Push;
using Loa.Dispatcher.Devices;
using Loa.Storage;
using Loa.Storage.Geography;
using Loa.Storage.Keys;

namespace Loa.Perf;

/// <summary>
/// Issue 17: N devices planned and sent to the simulated FCM, the simulated phones acknowledging a
/// share of them through the API while it runs; then emergency pushes approved one by one while an
/// awareness push to every device keeps the app's lane saturated. The app's rate is far above what
/// Loa can do (FCM's own quota per project is 10,000/s), so Loa is what is measured.
/// </summary>
public static class PushScenario
{
    /// <summary>The app every device is seeded for: one FCM lane, <c>push-loa</c>.</summary>
    public const string App = "loa";

    private const string AppKey = "perf-app";
    private const string Title = "Canh bao lua dao";
    private const string Body = "Khong cung cap ma OTP cho bat ky ai, ke ca nguoi xung la cong an.";

    public static async Task RunAsync(Args args, Report report, Ceilings ceilings, Broker? broker)
    {
        const string name = "push";
        var n = args.Long("devices", 1_000_000);
        var mode = args.Get("mode", "embedded");
        var streams = args.Int("streams", 100);
        var lanes = args.Int("lanes", 1);
        var receivedShare = args.Double("received", 0.5);
        var openedShare = args.Double("opened", 0.1);
        var k = Math.Max(0, args.Int("emergencies", 10));
        var gap = TimeSpan.FromSeconds(args.Double("gap", 1.0));
        var perEmergency = args.Int("emergency-devices", 100);
        var registrations = args.Int("registrations", 2_000);
        var timeout = TimeSpan.FromSeconds(args.Double("timeout", Math.Clamp(n / 1_000.0, 120, 1_800)));
        Console.WriteLine($"== push: {n:N0} devices of app {App} (FCM simulated, 1,000,000/s allowed, {streams} streams), {lanes} lane(s), phones ack received {receivedShare:P0} / opened {openedShare:P0}; " +
                          $"then {k} emergencies of {perEmergency} devices under an awareness push; mode {mode}, timeout {timeout.TotalSeconds:0} s");

        var sqlite = await ceilings.SqliteAsync();
        var http = await ceilings.HttpAsync();
        var h2 = await ceilings.Http2Async(streams);

        // Awareness is sent only 07:00–22:00 in Vietnam; outside it the saturating campaign needs the
        // host's clock at noon (embedded), or is a warning (a standalone dispatcher keeps the real clock).
        var (clock, bulkKind) = AwarenessClock(mode, report, name);

        await using var loa = await LoaRun.StartAsync(mode, broker, s =>
        {
            s[$"Loa:Push:Apps:{App}:Provider"] = "Fcm";
            s[$"Loa:Push:Apps:{App}:RatePerSecond"] = "1000000";
            s[$"Loa:Push:Apps:{App}:MaxConcurrentStreams"] = streams.ToString(CultureInfo.InvariantCulture);
            s[$"Loa:Push:Apps:{App}:Lanes"] = lanes.ToString(CultureInfo.InvariantCulture);
            s["Loa:Simulators:Push:Behaviour:AcceptUnknownTokens"] = "true"; // the simulator never saw the seeded tokens
        }, clock: clock);
        using var author = loa.Client("dev-author");
        using var approver = loa.Client("dev-approver");
        using var operatorClient = loa.Client("dev-operator");
        await loa.Services.GetRequiredService<ApiKeyStore>().UpsertAsync(AppKey, "perf app", "national", ["app"]);
        using var appClient = loa.Client(AppKey);

        var provinces = loa.Services.GetRequiredService<Provinces>().Units.Select(u => u.Code).ToList();
        var small = provinces[^1]; // the emergencies' province: only perEmergency devices live there

        // Registration through the API, a small separate figure (its own app, so no campaign reaches them).
        var registered = await RegisterAsync(appClient, registrations, provinces[0]);
        report.Add(new Figure(name, $"device registration, POST /api/v1/devices ({registrations:N0}, 4 at once)", registered, "devices/s", "SQLite insert", sqlite.InsertRowsPerSecond));

        var seed = await SeedDevicesAsync(loa, n, provinces, small, perEmergency);
        report.Add(new Figure(name, $"devices seeded straight into SQLite (hashed + protected by DeviceTokens; {n / 1_000_000.0:0.##}M)", n / seed.TotalSeconds, "rows/s", "SQLite insert", sqlite.InsertRowsPerSecond));

        // What an author waits for on every create and read: the campaign with its device preview, warm (the first create pays the JIT).
        await CreateAsync(author, "awareness", null, quiet: true);
        var previews = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var one = Stopwatch.StartNew();
            await CreateAsync(author, "awareness", null, quiet: true);
            previews.Add(one.Elapsed.TotalMilliseconds);
        }
        var preview = previews.Order().ElementAt(2);
        Console.WriteLine($"  create with the device preview: median {preview:0.0} ms of {string.Join(", ", previews.Select(p => p.ToString("0.0", CultureInfo.InvariantCulture)))}");
        report.Add(new Figure(name, $"create a push campaign with its device preview, median of 5 ({n / 1_000_000.0:0.##}M devices)", preview, "ms"));

        var phones = loa.Services.GetRequiredService<PushSimulatorHost>();
        phones.Acknowledge(loa.BaseAddress, AppKey, receivedShare, openedShare);
        var fcm = phones.Stats(PushProvider.Fcm);
        loa.ResetPeaks();

        // 1. Every device, as a warning (urgent, any hour): approve -> last notification accepted, acks applied meanwhile.
        var id = await CreateAsync(author, "warning", null);
        await LoaRun.SubmitAsync(author, id);
        var approvedAt = loa.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var watch = Stopwatch.StartNew();
        var cpuAtApprove = loa.CpuSeconds();
        (double? Host, double? Dispatcher)? cpuAtLast = null;
        var wallAtLast = 0.0;
        await LoaRun.ApproveAsync(approver, id);
        var status = "";
        long accepted = 0, received = 0, opened = 0, acked = 0;
        long? firstAckMs = null, lastAckMs = null, completedWatchMs = null;
        var lastPrint = TimeSpan.Zero;
        var quietSince = Stopwatch.StartNew();
        var simAcks = 0L;
        while (watch.Elapsed < timeout)
        {
            await Task.Delay(250);
            loa.AssertDispatcherRunning();
            var p = await LoaRun.ProgressAsync(operatorClient, id);
            status = p.GetProperty("status").GetString()!;
            // Null until the first notification is accepted.
            if (p.TryGetProperty("push", out var push) && push.ValueKind == JsonValueKind.Object)
            {
                accepted = push.GetProperty("accepted").GetInt64();
                (received, opened) = (push.GetProperty("received").GetInt64(), push.GetProperty("opened").GetInt64());
            }
            var nowMs = (long)watch.Elapsed.TotalMilliseconds;
            if (cpuAtLast is null && accepted >= n)
            {
                cpuAtLast = loa.CpuSeconds();
                wallAtLast = watch.Elapsed.TotalSeconds;
            }
            if (received + opened > acked)
            {
                firstAckMs ??= nowMs;
                lastAckMs = nowMs;
                acked = received + opened;
                quietSince.Restart();
            }
            var sim = fcm.Snapshot();
            if (sim.AcksPosted + sim.AcksFailed != simAcks)
            {
                simAcks = sim.AcksPosted + sim.AcksFailed;
                quietSince.Restart();
            }
            if (status == "completed")
                completedWatchMs ??= nowMs;
            if (watch.Elapsed - lastPrint >= TimeSpan.FromSeconds(5))
            {
                lastPrint = watch.Elapsed;
                var (host, dispatcher) = loa.PeakRss();
                Console.WriteLine($"  {watch.Elapsed.TotalSeconds,6:0.0} s {status}: total {p.GetProperty("total").GetInt64():N0} accepted {accepted:N0} received {received:N0} opened {opened:N0} " +
                                  $"(simulator: accepted {sim.Accepted:N0}, acks posted {sim.AcksPosted:N0} failed {sim.AcksFailed:N0})  peak RSS host {host:0} MB" +
                                  (dispatcher is { } d ? $" dispatcher {d:0} MB" : ""));
            }
            // Done once completed and the phones have fallen silent (opened comes 2.2 s after the push).
            if (status == "completed" && quietSince.Elapsed > TimeSpan.FromSeconds(3))
                break;
        }
        var times = await loa.TimesAsync(id);
        var (hostRss, dispatcherRss) = loa.PeakRss();
        var fcmAfter = fcm.Snapshot();
        var arrivals = fcm.Arrivals.Where(a => a.Campaign == id).ToList();
        var lastAccepted = arrivals.Count > 0 ? arrivals.Max(a => a.At.ToUnixTimeMilliseconds()) : (long?)null;
        if (status != "completed")
            report.Note($"push: campaign not completed within {timeout.TotalSeconds:0} s ({accepted:N0} of {n:N0} accepted); rates below are partial");
        else if (accepted != n)
            report.Note($"push: completed with {accepted:N0} accepted of {n:N0}");
        if (fcmAfter.Duplicates > 0)
            report.Note($"push: the simulated FCM took {fcmAfter.Duplicates:N0} notifications twice for the same device and campaign");

        var started = times.StartedAt ?? approvedAt;
        var planSeconds = times.PlannedAt is { } planned ? (planned - started) / 1000.0 : double.NaN;
        var endSeconds = (lastAccepted ?? times.CompletedAt ?? approvedAt + (long)watch.Elapsed.TotalMilliseconds) - approvedAt;
        var acceptedRate = accepted / (endSeconds / 1000.0);
        var ackSeconds = firstAckMs is { } fa && lastAckMs is { } la && la > fa ? (la - fa) / 1000.0 : double.NaN;
        var submit = await SubmitTimeAsync(loa, "push-" + App);
        Console.WriteLine($"  approve->started {started - approvedAt} ms; planned after {planSeconds:0.0} s; last accepted at {endSeconds / 1000.0:0.0} s; " +
                          $"completed after {((times.CompletedAt ?? 0) - approvedAt) / 1000.0:0.0} s; acks from {firstAckMs / 1000.0:0.0} s to {lastAckMs / 1000.0:0.0} s " +
                          $"(received {received:N0}, opened {opened:N0}; the phones posted {fcmAfter.AcksPosted:N0}, failed {fcmAfter.AcksFailed:N0})");
        if (submit is { } st)
        {
            var batches = Math.Max(1, (long)Math.Ceiling(accepted / 500.0));
            Console.WriteLine($"  the adapter's submit calls (loa_submit_duration_seconds, push-{App}): {st.Count:N0} batches, {st.Sum:0.0} s in all, " +
                              $"mean {st.Sum / Math.Max(1, st.Count) * 1000:0.0} ms per batch; that is {st.Sum / (endSeconds / 1000.0):P0} of approve -> last accepted " +
                              $"({batches:N0} batches of 500 expected)");
        }

        var label = $"{n / 1_000_000.0:0.##}M {mode}{(lanes > 1 ? $", {lanes} lanes" : "")}";
        report.Add(new Figure(name, $"planning devices ({label})", n / planSeconds, "devices/s", "SQLite insert", sqlite.InsertRowsPerSecond));
        report.Add(new Figure(name, $"notifications accepted end to end, approve -> last accepted ({label})", acceptedRate, "notifications/s",
            $"h2c {streams} streams", h2, ">= 50,000/s", acceptedRate >= 50_000));
        report.Add(new Figure(name, $"the same, against SQLite insert ({label})", acceptedRate, "notifications/s", "SQLite insert", sqlite.InsertRowsPerSecond));
        report.Add(new Figure(name, $"acks applied while sending, received + opened ({received:N0} + {opened:N0}, {label})", (received + opened) / ackSeconds, "acks/s",
            "small GET p50 as req/s", 1000 / Math.Max(0.001, http.GetP50Ms)));
        report.Add(new Figure(name, $"peak RSS, this process ({(mode == "embedded" ? "API + dispatcher + simulators + runner" : "API + simulators + runner")}, {label})",
            hostRss ?? 0, "MB", null, null, LowerIsBetter: true));
        if (dispatcherRss is { } dr)
            report.Add(new Figure(name, $"peak RSS, standalone dispatcher ({label})", dr, "MB", null, null, "<= 256 MB", dr <= 256, LowerIsBetter: true));

        if (cpuAtLast is { } cpuEnd)
            ReportCpu(report, name, label, mode, accepted, wallAtLast, cpuAtApprove, cpuEnd, ceilings.Http2CpuMicros(streams));

        if (k > 0)
            await EmergenciesAsync(loa, report, author, approver, operatorClient, fcm, bulkKind, small, k, gap, http, mode, name);
        phones.Acknowledge(null, null, 0, 0);
    }

    /// <summary>
    /// CPU per notification, approve -> every notification accepted (as seen by the 250 ms progress poll), per
    /// process, against the CPU one bare h2c request costs client and server together. Cores busy near this
    /// machine's count say the run was bound by CPU, not by waiting. In embedded mode this process also holds the
    /// simulated FCM and the phones posting their acks; with <c>--mode rabbitmq</c> the standalone dispatcher's
    /// figure is Loa's sending side alone (planning, lane, adapter, results).
    /// </summary>
    private static void ReportCpu(Report report, string name, string label, string mode, long accepted, double wallSeconds,
        (double? Host, double? Dispatcher) start, (double? Host, double? Dispatcher) end, double? h2cCpuMicros)
    {
        if (accepted <= 0 || wallSeconds <= 0)
            return;
        void One(string what, double? from, double? to)
        {
            if (from is not { } f || to is not { } t)
                return;
            var seconds = t - f;
            Console.WriteLine($"  CPU, {what}: {seconds:0.0} s over {wallSeconds:0.0} s, {seconds / wallSeconds:0.00} of {Environment.ProcessorCount} cores busy");
            report.Add(new Figure(name, $"CPU per notification, {what} ({label})", seconds / accepted * 1e6, "µs",
                "h2c request CPU", h2cCpuMicros, LowerIsBetter: true));
        }
        One(mode == "embedded" ? "this process (API, dispatcher, simulated FCM and phones, runner)" : "this process (API, simulated FCM and phones, runner)", start.Host, end.Host);
        One("standalone dispatcher", start.Dispatcher, end.Dispatcher);
        if (end.Dispatcher is { } d && start.Dispatcher is { } s0 && d > s0)
        {
            // What the dispatcher's own work would allow on this machine's cores with nothing else on them.
            var alone = accepted / (d - s0) * Environment.ProcessorCount;
            report.Add(new Figure(name, $"notifications/s the dispatcher's CPU allows on {Environment.ProcessorCount} cores of its own ({label})", alone, "notifications/s",
                null, null, ">= 10,000/s (FCM's quota per project)", alone >= 10_000));
        }
    }

    /// <summary>
    /// An awareness push to every device keeps the lane busy; k emergency pushes to the small province are
    /// approved one after another: approve -> the first of the emergency's notifications at the simulated FCM.
    /// </summary>
    private static async Task EmergenciesAsync(
        LoaRun loa, Report report, HttpClient author, HttpClient approver, HttpClient operatorClient, PushStats fcm,
        string bulkKind, string small, int k, TimeSpan gap, HttpCeiling http, string mode, string name)
    {
        var emergencies = new List<string>();
        for (var i = 0; i < k; i++)
        {
            var e = await CreateAsync(author, "emergency", small);
            await LoaRun.SubmitAsync(author, e);
            emergencies.Add(e);
        }
        var bulk = await CreateAsync(author, bulkKind, null);
        await LoaRun.SubmitAsync(author, bulk);
        var before = fcm.Snapshot().Accepted;
        await LoaRun.ApproveAsync(approver, bulk);
        // Saturated: the bulk push has been sending for two seconds.
        var warm = Stopwatch.StartNew();
        while (fcm.Snapshot().Accepted == before && warm.Elapsed < TimeSpan.FromSeconds(120))
            await Task.Delay(20);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var bulkStarted = fcm.Snapshot().Accepted;

        var histogram = new LongHistogram(600_000_000L, 3);
        var measured = 0;
        var unsaturated = 0;
        foreach (var e in emergencies)
        {
            loa.AssertDispatcherRunning();
            var sending = (await LoaRun.ProgressAsync(operatorClient, bulk)).GetProperty("status").GetString() == "running";
            var t0 = loa.Clock.GetUtcNow().ToUnixTimeMilliseconds();
            await LoaRun.ApproveAsync(approver, e);
            long? first = null;
            var until = Stopwatch.StartNew();
            // The simulator stamps each campaign's first notification; polling it copies nothing (copying its
            // last 10,000 arrivals every 5 ms took this process's CPU from the lane it measures).
            while ((first = fcm.FirstArrivalOf(e)?.ToUnixTimeMilliseconds()) is null && until.Elapsed < TimeSpan.FromSeconds(60))
                await Task.Delay(5);
            if (first is null)
                throw new TimeoutException($"emergency push {e} reached the simulated FCM within 60 s");
            var ms = first.Value - t0;
            if (!sending)
                unsaturated++;
            histogram.RecordValue(Math.Max(0, ms) * 1000);
            measured++;
            Console.WriteLine($"  emergency push {measured}: approve -> first notification at the simulated FCM {ms} ms{(sending ? "" : " (bulk no longer running)")}");
            await Task.Delay(gap);
        }
        var bulkSent = fcm.Snapshot().Accepted - bulkStarted;
        await operatorClient.PostAsync($"/api/v1/campaigns/{bulk}/cancel", null);
        if (unsaturated > 0)
            report.Note($"push: {unsaturated} of {measured} emergencies were approved after the {bulkKind} push had stopped running (too few devices to keep the lane busy)");
        var label = $"{measured} under a {bulkKind} push to every device, {mode}";
        report.Add(new Figure(name, $"emergency approve -> first send p50 ({label})", histogram.GetValueAtPercentile(50) / 1000.0, "ms", "HTTP batch RTT p50", http.BatchP50Ms, LowerIsBetter: true));
        report.Add(new Figure(name, $"emergency approve -> first send p99 ({label})", histogram.GetValueAtPercentile(99) / 1000.0, "ms", "HTTP batch RTT p50", http.BatchP50Ms,
            "<= 1000 ms", histogram.GetValueAtPercentile(99) / 1000.0 <= 1000, LowerIsBetter: true));
        Console.WriteLine($"  the {bulkKind} push sent {bulkSent:N0} notifications while the emergencies were measured");
    }

    private static (TimeProvider? Clock, string BulkKind) AwarenessClock(string mode, Report report, string name)
    {
        var vietnam = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7));
        var inWindow = vietnam.TimeOfDay >= TimeSpan.FromHours(7) && vietnam.TimeOfDay < TimeSpan.FromHours(21.5);
        if (inWindow)
            return (null, "awareness");
        if (mode == "embedded")
        {
            var noon = new DateTimeOffset(DateOnly.FromDateTime(vietnam.DateTime).ToDateTime(new TimeOnly(12, 0)), TimeSpan.FromHours(7));
            report.Note($"{name}: {vietnam:HH:mm} in Vietnam is outside the awareness window; the host's clock was shifted to 12:00 Vietnam time");
            return (new ShiftedClock(noon - vietnam), "awareness");
        }
        report.Note($"{name}: {vietnam:HH:mm} in Vietnam is outside the awareness window; the saturating push is a WARNING, not awareness");
        return (null, "warning");
    }

    private static async Task<string> CreateAsync(HttpClient author, string kind, string? province, bool quiet = false)
    {
        var created = Stopwatch.StartNew();
        var response = await author.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = $"perf push {kind}",
            kind,
            channels = new[] { "push" },
            message = new { push = new { title = Title, body = Body } },
            audience = province is null ? (object)new { devices = true } : new { devices = true, provinces = new[] { province } },
        });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"Create failed: {(int)response.StatusCode} {body}");
        if (province is null && !quiet)
            Console.WriteLine($"  created the {kind} push with its preview in {created.Elapsed.TotalSeconds:0.00} s");
        return body.GetProperty("id").GetString()!;
    }

    /// <summary>Devices registered through <c>POST /api/v1/devices</c>, four at once, as apps would: devices/s.</summary>
    private static async Task<double> RegisterAsync(HttpClient app, int count, string province)
    {
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count && watch.Elapsed < TimeSpan.FromSeconds(60))
            {
                var response = await app.PostAsJsonAsync("/api/v1/devices", new
                {
                    token = $"reg{i:D9}:APA91b{new string('r', 140)}", platform = "android", app = "perf-registration", province, language = "vi",
                });
                if (!response.IsSuccessStatusCode)
                    throw new InvalidOperationException($"Registration failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }));
        var done = Math.Min(count, next);
        var perSecond = done / watch.Elapsed.TotalSeconds;
        Console.WriteLine($"  registered {done:N0} devices through the API in {watch.Elapsed.TotalSeconds:0.0} s ({perSecond:N0}/s)");
        return perSecond;
    }

    /// <summary>
    /// Writes N devices of app <see cref="App"/> into the running host's SQLite file as
    /// <c>DeviceStore.RegisterAsync</c> writes a new one (same columns; the token hashed by
    /// <see cref="DeviceTokens.Hash"/> and protected by the host's own <see cref="DeviceTokens"/>, so its key
    /// ring), 10,000 per write turn: registering a million through the API would measure the API.
    /// The first <paramref name="inSmall"/> devices are in <paramref name="small"/>, the rest spread over
    /// the other provinces; one in twenty reads English, one in five is an iPhone.
    /// </summary>
    private static async Task<TimeSpan> SeedDevicesAsync(LoaRun loa, long n, IReadOnlyList<string> provinces, string small, int inSmall)
    {
        const int chunk = 10_000;
        var tokens = loa.Services.GetRequiredService<DeviceTokens>();
        var others = provinces.Where(p => p != small).ToArray();
        var now = loa.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var watch = Stopwatch.StartNew();
        var protectTime = TimeSpan.Zero;
        var insertTime = TimeSpan.Zero;

        byte[] Rows(long from, int count)
        {
            var hashes = new string[count];
            var protectedTokens = new string[count];
            Parallel.For(0, count, i =>
            {
                var token = Token(from + i);
                hashes[i] = DeviceTokens.Hash(token);
                protectedTokens[i] = tokens.Protect(token);
            });
            var buffer = new ArrayBufferWriter<byte>(count * 400);
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartArray();
                for (var i = 0; i < count; i++)
                {
                    var d = from + i;
                    json.WriteStartArray();
                    json.WriteStringValue(hashes[i]);
                    json.WriteStringValue(protectedTokens[i]);
                    json.WriteStringValue(d % 5 == 4 ? "ios" : "android");
                    json.WriteStringValue(d < inSmall ? small : others[d % others.Length]);
                    json.WriteStringValue(d % 20 == 19 ? "en" : "vi");
                    json.WriteEndArray();
                }
                json.WriteEndArray();
            }
            return buffer.WrittenSpan.ToArray();
        }

        var pending = Task.Run(() => Rows(0, (int)Math.Min(chunk, n)));
        for (long from = 0; from < n; from += chunk)
        {
            var t = Stopwatch.StartNew();
            var rows = await pending;
            protectTime += t.Elapsed; // only the part the insert did not hide
            var count = (int)Math.Min(chunk, n - from);
            var nextFrom = from + chunk;
            pending = nextFrom < n ? Task.Run(() => Rows(nextFrom, (int)Math.Min(chunk, n - nextFrom))) : Task.FromResult(Array.Empty<byte>());
            t.Restart();
            await using (var connection = await loa.Database.OpenAsync())
            await using (var tx = await Database.BeginWriteAsync(connection))
            {
                await using var command = connection.CreateCommand();
                command.Transaction = tx;
                command.CommandText = """
                    INSERT INTO devices (token_hash, token, platform, app, province, language, msisdn, tenant, registered_by, created_at, updated_at)
                    SELECT j.value->>0, j.value->>1, j.value->>2, @app, j.value->>3, j.value->>4, NULL, 'national', 'perf-seed', @now, @now
                    FROM json_each(CAST(@rows AS TEXT)) j
                    """;
                Add(command, "@app", App);
                Add(command, "@now", now);
                Add(command, "@rows", rows);
                var inserted = await command.ExecuteNonQueryAsync();
                if (inserted != count)
                    throw new InvalidOperationException($"Seeding inserted {inserted} devices of {count}");
                await tx.CommitAsync();
            }
            insertTime += t.Elapsed;
        }
        Console.WriteLine($"  seeded {n:N0} devices in {watch.Elapsed.TotalSeconds:0.0} s ({n / watch.Elapsed.TotalSeconds:N0}/s): " +
                          $"waiting for hash + protect {protectTime.TotalSeconds:0.0} s (the rest overlapped the inserts), inserts {insertTime.TotalSeconds:0.0} s; " +
                          $"{inSmall} in province {small}");
        return watch.Elapsed;
    }

    /// <summary>An FCM-like registration token, 152 characters, unique per device.</summary>
    public static string Token(long device) => $"perf{device:D9}:APA91b" + new string('x', 133);

    private static void Add(System.Data.Common.DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }

    /// <summary>The sum and count of <c>loa_submit_duration_seconds</c> for one carrier, read from the host's /metrics.</summary>
    private static async Task<(double Sum, long Count)?> SubmitTimeAsync(LoaRun loa, string carrier)
    {
        if (loa.Mode != "embedded")
            return null; // the standalone dispatcher's lanes are not in the API host's metrics
        using var client = new HttpClient { BaseAddress = loa.BaseAddress };
        string text;
        try
        {
            text = await client.GetStringAsync("/metrics");
        }
        catch (HttpRequestException)
        {
            return null;
        }
        double sum = 0;
        long count = 0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.Contains($"carrier=\"{carrier}\"", StringComparison.Ordinal))
                continue;
            // "name{labels} value [timestamp]"
            var value = line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0];
            if (line.StartsWith("loa_submit_duration_seconds_sum", StringComparison.Ordinal))
                sum += double.Parse(value, CultureInfo.InvariantCulture);
            else if (line.StartsWith("loa_submit_duration_seconds_count", StringComparison.Ordinal))
                count += (long)double.Parse(value, CultureInfo.InvariantCulture);
        }
        return count > 0 ? (sum, count) : null;
    }
}
