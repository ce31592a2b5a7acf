using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.CampaignApi;
using Loa.CarrierAdapters;
using Loa.CarrierSimulators;
using Loa.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Loa.Perf;

/// <summary>
/// Loa as the runner drives it: the real API host (built by <see cref="LoaApi"/>, as Program.cs and
/// the tests build it) on a free loopback port with a SQLite file in a temp directory, the carrier
/// simulators in the same host, and either the in-process dispatcher on the in-memory bus
/// (<c>embedded</c>) or a standalone dispatcher process on RabbitMQ (<c>rabbitmq</c>).
/// </summary>
public sealed class LoaRun : IAsyncDisposable
{
    public const string Sms = "Cuc ATTT canh bao: khong cung cap ma OTP cho bat ky ai, ke ca nguoi xung la cong an.";
    public static readonly IReadOnlyList<string> Prefixes = ["086", "096", "032", "091", "094", "088", "090", "093", "070", "092", "056", "058", "059"];

    private readonly bool keepData;
    private DispatcherChild? dispatcher;

    private LoaRun(WebApplication app, string directory, Uri baseAddress, string mode, bool keepData)
    {
        App = app;
        Directory = directory;
        BaseAddress = baseAddress;
        Mode = mode;
        this.keepData = keepData;
    }

    public WebApplication App { get; }

    public string Directory { get; }

    public Uri BaseAddress { get; }

    public string Mode { get; }

    public IServiceProvider Services => App.Services;

    public CarrierSimulatorHost Simulators => Services.GetRequiredService<CarrierSimulatorHost>();

    public Database Database => Services.GetRequiredService<Database>();

    public TimeProvider Clock => Services.GetRequiredService<TimeProvider>();

    public int? DispatcherPid => dispatcher?.Pid;

    public static string NewDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "loa-perf-" + Guid.NewGuid().ToString("n")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        return directory;
    }

    public static string ConnectionString(string directory) => $"Data Source={Path.Combine(directory, "loa.db")}";

    /// <summary>Carrier settings every process agrees on; rates very high unless a scenario says otherwise.</summary>
    public static Dictionary<string, string?> CarrierSettings(int partsPerSecond = 1_000_000, int lanes = 1)
    {
        var s = new Dictionary<string, string?>();
        foreach (var id in CarrierIds.All)
        {
            s[$"Loa:Carriers:{id}:Credential"] = $"perf-{id}-credential";
            s[$"Loa:Carriers:{id}:ReceiptSecret"] = $"perf-{id}-secret";
            s[$"Loa:Carriers:{id}:PartsPerSecond"] = partsPerSecond.ToString(CultureInfo.InvariantCulture);
            s[$"Loa:Carriers:{id}:Lanes"] = lanes.ToString(CultureInfo.InvariantCulture);
            s[$"Loa:Carriers:{id}:MaxBatchSize"] = "500";
        }
        return s;
    }

    /// <param name="adjust">Changes to the settings (carriers, simulators, dispatcher) before the host is built; they reach a standalone dispatcher too.</param>
    public static async Task<LoaRun> StartAsync(
        string mode, Broker? broker, Action<Dictionary<string, string?>>? adjust = null, string? directory = null, TimeProvider? clock = null, bool keepData = false)
    {
        directory ??= NewDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Loa"] = ConnectionString(directory),
            ["Loa:Simulators:Enabled"] = "true",
            ["Loa:Simulators:Port"] = "0",
            ["Loa:Simulators:ReceiptDelay"] = "00:00:00.100",
            ["Loa:Simulators:MaxPartsPerSecond"] = "0", // unlimited: the runner measures Loa, not the simulated carrier
            ["Loa:Simulators:ArrivalsKept"] = "100000",
            // One operator polling progress, one carrier posting receipts: the per-key limits (50/s) would be measured instead of Loa.
            ["Loa:Limits:RequestsPerSecond"] = "1000000",
            ["Loa:Limits:Burst"] = "1000000",
            ["Loa:Limits:ReceiptPostsPerSecond"] = "1000000",
            ["Loa:Lists:MaxRows"] = "20000000",
            ["Loa:Lists:MaxBytes"] = (4L << 30).ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
        };
        foreach (var (k, v) in CarrierSettings())
            settings[k] = v;
        if (mode == "rabbitmq")
        {
            if (broker is null)
                throw new InvalidOperationException("--mode rabbitmq needs a broker: set LOA_TEST_RABBITMQ or install rabbitmq-server for scripts/rabbitmq.sh.");
            settings["Loa:Transport"] = "RabbitMq";
            settings["ConnectionStrings:RabbitMq"] = broker.Uri;
            settings["Loa:Bus:Prefix"] = "perf-" + Guid.NewGuid().ToString("n")[..8];
            settings["Loa:Dispatcher:InProcess"] = "false";
        }
        adjust?.Invoke(settings);

        var app = LoaApi.Build(
            ["--environment", "Development", "--urls", "http://127.0.0.1:0"],
            builder =>
            {
                builder.Configuration.AddInMemoryCollection(settings);
                if (clock is not null)
                    builder.Services.AddSingleton(clock);
            });
        await LoaApi.PrepareAsync(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var run = new LoaRun(app, directory, new Uri(address), mode, keepData);
        if (mode == "rabbitmq")
        {
            // The dispatcher sees exactly what the API host was given, plus where the carriers and the receipt webhook are.
            var env = settings
                .Where(kv => kv.Key.StartsWith("Loa:", StringComparison.Ordinal) || kv.Key.StartsWith("ConnectionStrings:", StringComparison.Ordinal))
                .Where(kv => !kv.Key.StartsWith("Loa:Simulators:", StringComparison.Ordinal) && !kv.Key.StartsWith("Loa:Limits:", StringComparison.Ordinal)
                             && !kv.Key.StartsWith("Loa:Lists:", StringComparison.Ordinal) && kv.Key != "Loa:Dispatcher:InProcess")
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            env["Loa:Simulators:Enabled"] = "false";
            env["Loa:Dispatcher:PublicUrl"] = run.BaseAddress.ToString();
            env["Logging:LogLevel:Default"] = "Warning";
            env["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information";
            env["Logging:LogLevel:MassTransit"] = "Information";
            foreach (var id in CarrierIds.All)
                env[$"Loa:Carriers:{id}:Url"] = (await run.Simulators.GetBaseUrlAsync(id, CancellationToken.None)).ToString();
            // Push apps without a BaseUrl are the push simulator's: the dispatcher reaches it by address, with the credentials it wrote.
            foreach (var (pushApp, provider) in PushAppsOnSimulator(settings))
            {
                var endpoints = await run.Services.GetRequiredService<Loa.CarrierSimulators.Push.PushSimulatorHost>().StartOnceAsync();
                foreach (var (k, v) in endpoints.Settings(pushApp, provider))
                    env[k] = v;
            }
            run.dispatcher = DispatcherChild.Start(env, directory);
            await run.dispatcher.WaitForAsync("Bus started", TimeSpan.FromSeconds(60));
        }
        return run;
    }

    private static IEnumerable<(string App, Loa.CarrierAdapters.Push.PushProvider Provider)> PushAppsOnSimulator(Dictionary<string, string?> settings)
    {
        const string prefix = "Loa:Push:Apps:";
        foreach (var (key, value) in settings)
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal) || !key.EndsWith(":Provider", StringComparison.Ordinal))
                continue;
            var app = key[prefix.Length..^":Provider".Length];
            if (settings.GetValueOrDefault($"{prefix}{app}:BaseUrl") is { Length: > 0 })
                continue;
            yield return (app, Enum.Parse<Loa.CarrierAdapters.Push.PushProvider>(value ?? "Fcm", ignoreCase: true));
        }
    }

    public HttpClient Client(string key)
    {
        var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromMinutes(30),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Streams a generated CSV of <paramref name="count"/> numbers (never held in memory) and returns the list id.</summary>
    public static async Task<string> UploadListAsync(HttpClient author, long count, long offset = 0, IReadOnlyList<string>? prefixes = null, string name = "perf")
    {
        using var content = new CsvContent(count, offset, prefixes ?? Prefixes);
        var response = await author.PostAsync($"/api/v1/lists?name={Uri.EscapeDataString(name)}", content);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"List upload failed: {(int)response.StatusCode} {body}");
        var accepted = body.GetProperty("accepted").GetInt64();
        if (accepted != count)
            throw new InvalidOperationException($"List upload accepted {accepted} of {count}: {body}");
        return body.GetProperty("id").GetString()!;
    }

    /// <summary>Uploads <paramref name="count"/> numbers (timed, the time printed), makes a campaign of them and submits it for approval.</summary>
    public static async Task<(string CampaignId, TimeSpan Upload)> PrepareCampaignAsync(HttpClient author, long count, string kind)
    {
        var upload = Stopwatch.StartNew();
        var list = await UploadListAsync(author, count);
        upload.Stop();
        Console.WriteLine($"  uploaded {count:N0} numbers in {upload.Elapsed.TotalSeconds:0.0} s (streamed CSV)");
        var id = await CreateCampaignAsync(author, list, kind);
        await SubmitAsync(author, id);
        return (id, upload.Elapsed);
    }

    public static async Task<string> CreateCampaignAsync(HttpClient author, string listId, string kind)
    {
        // The create answers with the preview, which reads the list's counters, ported numbers and
        // suppressions: its time is the approver's wait, so it is printed (not a target yet).
        var created = Stopwatch.StartNew();
        var response = await author.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = $"perf {kind}",
            kind,
            channels = new[] { "sms" },
            message = new { sms = Sms },
            audience = new { lists = new[] { listId } },
        });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"Create failed: {(int)response.StatusCode} {body}");
        Console.WriteLine($"  created the {kind} campaign with its preview in {created.Elapsed.TotalSeconds:0.00} s " +
                          $"(preview exact: {(body.GetProperty("preview").TryGetProperty("exact", out var exact) ? exact.ToString() : "n/a")})");
        return body.GetProperty("id").GetString()!;
    }

    public static async Task SubmitAsync(HttpClient author, string id) =>
        (await author.PostAsync($"/api/v1/campaigns/{id}/submit", null)).EnsureSuccessStatusCode();

    public static async Task ApproveAsync(HttpClient approver, string id)
    {
        var approved = await approver.PostAsync($"/api/v1/campaigns/{id}/approve", null);
        if (!approved.IsSuccessStatusCode)
            throw new InvalidOperationException($"Approve failed: {(int)approved.StatusCode} {await approved.Content.ReadAsStringAsync()}");
    }

    public static async Task<JsonElement> ProgressAsync(HttpClient client, string id) =>
        await client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/progress");

    public sealed record CampaignTimes(long? ApprovedAt, long? StartedAt, long? PlannedAt, long? CompletedAt, string Status);

    public async Task<CampaignTimes> TimesAsync(string id)
    {
        await using var connection = await Database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT approved_at, started_at, planned_at, completed_at, status FROM campaigns WHERE id = @id";
        var p = command.CreateParameter();
        p.ParameterName = "@id";
        p.Value = id;
        command.Parameters.Add(p);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        static long? L(System.Data.Common.DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
        return new CampaignTimes(L(reader, 0), L(reader, 1), L(reader, 2), L(reader, 3), reader.GetString(4));
    }

    /// <summary>Peak RSS of each Loa process in MB: this process (API host, and the dispatcher when embedded), and the standalone dispatcher.</summary>
    public (double? Host, double? Dispatcher) PeakRss() =>
        (Memory.PeakRssMb(), dispatcher is null ? null : Memory.PeakRssMb(dispatcher.Pid.ToString(CultureInfo.InvariantCulture)));

    /// <summary>CPU seconds used so far by each Loa process: this one, and the standalone dispatcher.</summary>
    public (double? Host, double? Dispatcher) CpuSeconds() =>
        (ProcessCpu.Seconds(), dispatcher is null ? null : ProcessCpu.Seconds(dispatcher.Pid.ToString(CultureInfo.InvariantCulture)));

    public void ResetPeaks()
    {
        MemoryReset.ResetPeak();
        if (dispatcher is not null)
            MemoryReset.ResetPeak(dispatcher.Pid.ToString(CultureInfo.InvariantCulture));
    }

    public void AssertDispatcherRunning() => dispatcher?.AssertRunning();

    public async ValueTask DisposeAsync()
    {
        if (dispatcher is not null)
            await dispatcher.DisposeAsync();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            try
            {
                await App.StopAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (!keepData)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>A CSV body written as it is sent: <c>msisdn</c> header, then numbers over the given prefixes.</summary>
public sealed class CsvContent : HttpContent
{
    private readonly long count;
    private readonly long offset;
    private readonly IReadOnlyList<string> prefixes;

    public CsvContent(long count, long offset, IReadOnlyList<string> prefixes)
    {
        this.count = count;
        this.offset = offset;
        this.prefixes = prefixes;
        Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
    }

    protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
    {
        var buffer = new byte[64 * 1024];
        var used = Write(buffer, 0, "msisdn\n"u8);
        for (var i = 0L; i < count; i++)
        {
            if (used > buffer.Length - 32)
            {
                await stream.WriteAsync(buffer.AsMemory(0, used));
                used = 0;
            }
            var n = i + offset;
            used = Write(buffer, used, System.Text.Encoding.ASCII.GetBytes(prefixes[(int)(n % prefixes.Count)]));
            var rest = n / prefixes.Count;
            for (var d = 6; d >= 0; d--)
            {
                buffer[used + d] = (byte)('0' + (rest % 10));
                rest /= 10;
            }
            used += 7;
            buffer[used++] = (byte)'\n';
        }
        await stream.WriteAsync(buffer.AsMemory(0, used));
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false; // chunked: the body is generated, never held
    }

    private static int Write(byte[] buffer, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(buffer.AsSpan(at));
        return at + bytes.Length;
    }
}

/// <summary>The standalone dispatcher (<c>dotnet Loa.Dispatcher.dll</c>, next to this runner) configured only through its environment.</summary>
public sealed class DispatcherChild : IAsyncDisposable
{
    private readonly Process process;
    private readonly Lock sync = new();
    private readonly List<string> lines = [];

    private DispatcherChild(Process process) => this.process = process;

    public int Pid => process.Id;

    /// <summary>The runtime variables the container image sets (deploy/compose/Dockerfile, the runtime stage).</summary>
    public static readonly IReadOnlyDictionary<string, string> ImageRuntime = new Dictionary<string, string>
    {
        ["DOTNET_gcServer"] = "1",
        ["MALLOC_ARENA_MAX"] = "2",
    };

    public static DispatcherChild Start(IReadOnlyDictionary<string, string?> settings, string workingDirectory)
    {
        // LOA_PERF_DISPATCHER names another build of it (a published one, ReadyToRun, ...) to measure instead.
        var dll = Environment.GetEnvironmentVariable("LOA_PERF_DISPATCHER") is { Length: > 0 } other
            ? Path.GetFullPath(other)
            : Path.Combine(AppContext.BaseDirectory, "Loa.Dispatcher.dll");
        var start = new ProcessStartInfo(Environment.ProcessPath is { } self && Path.GetFileName(self) == "dotnet" ? self : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("Loa__", StringComparison.OrdinalIgnoreCase) || key.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase))
                start.Environment.Remove(key);
        }
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        // The runtime as the container image runs it (deploy/compose/Dockerfile), so that its memory is what
        // a deployment sees; set either in the runner's environment to measure otherwise.
        foreach (var (key, value) in ImageRuntime)
        {
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(key)))
                start.Environment[key] = value;
        }
        foreach (var (key, value) in settings)
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        var process = new Process { StartInfo = start };
        var child = new DispatcherChild(process);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Console.WriteLine($"  standalone dispatcher started: {dll}, pid {process.Id} ({string.Join(", ", ImageRuntime.Keys.Select(k => $"{k}={start.Environment[k]}"))})");
        return child;
    }

    public async Task WaitForAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (sync)
            {
                if (lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
                    return;
            }
            AssertRunning();
            await Task.Delay(100);
        }
        throw new TimeoutException($"The dispatcher did not write \"{text}\" within {timeout}:\n{Tail()}");
    }

    public void AssertRunning()
    {
        if (process.HasExited)
            throw new InvalidOperationException($"The dispatcher exited with code {process.ExitCode}:\n{Tail()}");
    }

    public string Tail(int count = 40)
    {
        lock (sync)
            return string.Join('\n', lines.Skip(Math.Max(0, lines.Count - count)));
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (sync)
        {
            lines.Add(line);
            if (lines.Count > 5000)
                lines.RemoveRange(0, 1000);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            _ = Broker.Kill(process.Id, 15);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        process.Dispose();
    }
}
