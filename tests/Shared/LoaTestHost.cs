using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Loa.CampaignApi;
using Loa.CarrierAdapters;
using Loa.CarrierSimulators;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loa.Tests.Shared;

/// <summary>
/// The real API host as a user runs it (Kestrel on a free loopback port, a SQLite file in a temp
/// directory, the bus, the dispatcher and the carrier simulators), built through the same
/// <see cref="LoaApi"/> code as Program.cs. On SQL Server (<see cref="SqlServerTarget"/>) the database is
/// one created for the host beside LOA_SQLSERVER's, named in the directory's <see cref="SqlServerFile"/>
/// so that a restarted host and a standalone dispatcher (<see cref="BaseSettings"/>) find the same one.
/// </summary>
public sealed class LoaTestHost : IAsyncDisposable
{
    private bool keepData;
    private bool disposed;

    private LoaTestHost(WebApplication app, string directory, Uri baseAddress)
    {
        App = app;
        Directory = directory;
        BaseAddress = baseAddress;
    }

    public WebApplication App { get; }

    public string Directory { get; }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>In a host's directory, the connection string of its SQL Server database; absent on SQLite.</summary>
    public const string SqlServerFile = "sqlserver.connection";

    public static Dictionary<string, string?> BaseSettings(string directory)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Loa"] = $"Data Source={Path.Combine(directory, "loa.db")}",
            ["Loa:Simulators:Enabled"] = "true",
            ["Loa:Simulators:Port"] = "0",
            ["Loa:Simulators:ReceiptDelay"] = "00:00:00.050",
            ["Loa:Scheduling:PollInterval"] = "00:00:00.500",
            ["Loa:Dispatcher:SweepInterval"] = "00:00:00.500",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var sqlServer = Path.Combine(directory, SqlServerFile);
        if (File.Exists(sqlServer))
        {
            settings["Loa:Database"] = nameof(Loa.Storage.DatabaseProvider.SqlServer);
            settings["ConnectionStrings:Loa"] = File.ReadAllText(sqlServer);
        }
        return settings;
    }

    /// <param name="directory">An earlier host's directory, to restart on its database; a new temp directory when null.</param>
    /// <param name="clock">The host's TimeProvider (e.g. a <see cref="ShiftedClock"/>); the system clock when null.</param>
    /// <param name="logs">Receives every log line of the host, at every level, besides the usual providers.</param>
    /// <param name="configure">Last say over the host's services (e.g. an in-memory telemetry exporter).</param>
    /// <param name="database">The dialect of a new host's database; a restarted host keeps its directory's.</param>
    public static async Task<LoaTestHost> StartAsync(
        Action<Dictionary<string, string?>>? adjust = null, string? directory = null, TimeProvider? clock = null, CapturedLogs? logs = null,
        Action<WebApplicationBuilder>? configure = null, Loa.Storage.DatabaseProvider database = Loa.Storage.DatabaseProvider.Sqlite)
    {
        if (directory is null)
        {
            directory = Path.Combine(Path.GetTempPath(), "loa-test-" + Guid.NewGuid().ToString("n"));
            System.IO.Directory.CreateDirectory(directory);
            if (database == Loa.Storage.DatabaseProvider.SqlServer)
            {
                var (_, connectionString) = await TempDatabase.CreateSqlServerDatabaseAsync();
                await File.WriteAllTextAsync(Path.Combine(directory, SqlServerFile), connectionString);
            }
        }
        System.IO.Directory.CreateDirectory(directory);
        var settings = BaseSettings(directory);
        adjust?.Invoke(settings);
        var app = LoaApi.Build(
            ["--environment", "Development", "--urls", "http://127.0.0.1:0"],
            builder =>
            {
                builder.Configuration.AddInMemoryCollection(settings);
                if (clock is not null)
                    builder.Services.AddSingleton(clock);
                if (logs is not null)
                {
                    builder.Logging.AddProvider(logs);
                    builder.Logging.AddFilter<CapturedLogs>(_ => true);
                }
                configure?.Invoke(builder);
            });
        await LoaApi.PrepareAsync(app);
        await app.StartAsync();
        await WaitForBusAsync(app.Services.GetRequiredService<IBusControl>(), TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoaTestHost(app, directory, new Uri(address));
    }

    /// <summary>
    /// The host serves before its bus has declared and bound its queues (a deployment waits for
    /// /readyz the same way): a spec that acted at once could see its first batches go round by the sweeper.
    /// </summary>
    private static async Task WaitForBusAsync(IBusControl bus, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var health = bus.CheckHealth();
        while (health.Status != BusHealthStatus.Healthy)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"The bus was not ready after {timeout.TotalSeconds:0} s: {health.Description}");
            await Task.Delay(50);
            health = bus.CheckHealth();
        }
    }

    public HttpClient Client(string key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public CarrierSimulatorHost Simulators => Services.GetRequiredService<CarrierSimulatorHost>();

    // Prefixes every carrier has in service and libphonenumber accepts as mobile.
    private static readonly string[] Prefixes = ["086", "096", "032", "091", "094", "088", "090", "093", "070", "092", "056", "058", "059"];

    /// <summary>The <paramref name="n"/>th number of <see cref="NumbersCsv"/>'s default list, in national form (086…).</summary>
    public static string Number(int n) =>
        Prefixes[n % Prefixes.Length] + (n / Prefixes.Length).ToString("D7", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// A CSV of <paramref name="count"/> valid numbers spread over the five carriers' prefixes, or
    /// over <paramref name="prefixes"/> when given.
    /// </summary>
    public static string NumbersCsv(int count, string? province = null, int offset = 0, IReadOnlyList<string>? prefixes = null)
    {
        prefixes ??= Prefixes;
        var csv = new StringBuilder(province is null ? "msisdn\n" : "msisdn,province\n");
        for (var i = 0; i < count; i++)
        {
            var n = i + offset;
            csv.Append(prefixes[n % prefixes.Count]).Append((n / prefixes.Count).ToString("D7", System.Globalization.CultureInfo.InvariantCulture));
            if (province is not null)
                csv.Append(',').Append(province);
            csv.Append('\n');
        }
        return csv.ToString();
    }

    public static async Task<JsonElement> UploadListAsync(HttpClient client, string csv, string name = "test list")
    {
        using var content = new StringContent(csv, Encoding.UTF8, "text/csv");
        var response = await client.PostAsync($"/api/v1/lists?name={Uri.EscapeDataString(name)}", content);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"List upload failed: {(int)response.StatusCode} {body}");
        return body;
    }

    public static object Campaign(string listId, string kind = "warning", string sms = "Cuc ATTT canh bao: khong cung cap ma OTP cho bat ky ai.") => new
    {
        name = "Cảnh báo thử nghiệm",
        kind,
        channels = new[] { "sms" },
        message = new { sms },
        audience = new { lists = new[] { listId } },
    };

    public static async Task<string> CreateCampaignAsync(HttpClient author, object campaign)
    {
        var response = await author.PostAsJsonAsync("/api/v1/campaigns", campaign);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"Create failed: {(int)response.StatusCode} {body}");
        return body.GetProperty("id").GetString()!;
    }

    public static async Task SubmitAndApproveAsync(HttpClient author, HttpClient approver, string id)
    {
        (await author.PostAsync($"/api/v1/campaigns/{id}/submit", null)).EnsureSuccessStatusCode();
        var approved = await approver.PostAsync($"/api/v1/campaigns/{id}/approve", null);
        if (!approved.IsSuccessStatusCode)
            throw new InvalidOperationException($"Approve failed: {(int)approved.StatusCode} {await approved.Content.ReadAsStringAsync()}");
    }

    /// <summary>Polls progress until the campaign reaches <paramref name="status"/> or the time runs out (bounded).</summary>
    public static Task<JsonElement> WaitForStatusAsync(HttpClient client, string id, string status, TimeSpan timeout) =>
        WaitForAnyStatusAsync(client, id, [status], timeout);

    /// <summary>Polls progress until the campaign has run its course: <c>completed</c>, or <c>failed</c> having reached nobody.</summary>
    public static Task<JsonElement> WaitForEndAsync(HttpClient client, string id, TimeSpan timeout) =>
        WaitForAnyStatusAsync(client, id, ["completed", "failed"], timeout);

    private static async Task<JsonElement> WaitForAnyStatusAsync(HttpClient client, string id, IReadOnlyCollection<string> statuses, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement progress = default;
        while (DateTime.UtcNow < deadline)
        {
            progress = await client.GetFromJsonAsync<JsonElement>($"/api/v1/campaigns/{id}/progress");
            if (statuses.Contains(progress.GetProperty("status").GetString()))
                return progress;
            await Task.Delay(250);
        }
        throw new TimeoutException($"Campaign {id} did not reach {string.Join(" or ", statuses)} within {timeout}: {progress}");
    }

    public static IReadOnlyDictionary<string, string?> CarrierSecrets()
    {
        var settings = new Dictionary<string, string?>();
        foreach (var id in CarrierIds.All)
        {
            settings[$"Loa:Carriers:{id}:Credential"] = $"test-{id}-credential";
            settings[$"Loa:Carriers:{id}:ReceiptSecret"] = $"test-{id}-secret";
        }
        return settings;
    }

    /// <summary>Stops the host but keeps its directory, so that a new host can start on the same database.</summary>
    public async Task StopKeepingDataAsync()
    {
        keepData = true;
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
            return;
        disposed = true;
        await App.StopAsync();
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (keepData)
            return;
        var sqlServer = Path.Combine(Directory, SqlServerFile);
        if (File.Exists(sqlServer))
            await TempDatabase.DropSqlServerDatabaseAsync(
                new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(await File.ReadAllTextAsync(sqlServer)).InitialCatalog);
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open only leaves a temp directory behind.
        }
    }
}
