using System.Collections.Concurrent;
using System.Diagnostics;
using Loa.CampaignApi.Scheduling;
using Loa.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Loa.CampaignApi.Tests.Scheduling;

/// <summary>A SQLite file of its own under the temp directory, migrated like the hosts migrate theirs.</summary>
internal sealed class ScratchDatabase : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "loa-scheduling-" + Guid.NewGuid().ToString("N"));

    public ScratchDatabase()
    {
        Options = new DatabaseOptions
        {
            Provider = DatabaseProvider.Sqlite,
            ConnectionString = $"Data Source={Path.Combine(directory, "loa.db")}",
        };
        Database = new Database(Options);
    }

    public DatabaseOptions Options { get; }

    public Database Database { get; }

    public Task MigrateAsync() => new Migrator(Database, NullLogger<Migrator>.Instance).MigrateAsync();

    public void Dispose()
    {
        // Pooled connections keep the file (and its -wal/-shm) open, which would block the delete on Windows.
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory is not worth failing a test over.
        }
    }
}

/// <summary>Counts the polls; <paramref name="answer"/> decides what poll n returns (or throws).</summary>
internal sealed class CountingLauncher(Func<int, int>? answer = null) : ICampaignLauncher
{
    private int calls;

    public int Calls => Volatile.Read(ref calls);

    public Task<int> LaunchDueAsync(CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref calls);
        return Task.FromResult(answer?.Invoke(call) ?? 0);
    }
}

internal sealed record LogEntry(string Category, LogLevel Level, string Message, Exception? Exception);

/// <summary>Keeps every log entry for assertions and echoes it to the test output for diagnosis.</summary>
internal sealed class LogRecorder(ITestOutputHelper output) : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. entries];

    public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(LogEntry entry)
    {
        entries.Enqueue(entry);
        try
        {
            output.WriteLine($"{entry.Level} {entry.Category}: {entry.Message}{(entry.Exception is null ? "" : " " + entry.Exception)}");
        }
        catch (InvalidOperationException)
        {
            // Quartz's threads may still log after the test has finished; xunit refuses output then.
        }
    }

    private sealed class Recorder(LogRecorder owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add(new LogEntry(category, logLevel, formatter(state, exception), exception));
    }
}

internal static class SchedulingHosts
{
    /// <summary>What a Loa host does, less everything but scheduling: Database singleton, then AddLoaScheduling.</summary>
    public static IHost Build(ScratchDatabase database, ICampaignLauncher launcher, LogRecorder logs, IDictionary<string, string?> settings)
    {
        // No defaults: appsettings or LOA_ variables on the machine running the tests must not change them.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Quartz", LogLevel.Warning);
        builder.Services.AddSingleton(database.Database);
        builder.Services.AddSingleton(launcher);
        builder.Services.AddLoaScheduling(builder.Configuration, database.Options);
        return builder.Build();
    }

    public static Dictionary<string, string?> PollEvery(TimeSpan interval) =>
        new() { [$"{SchedulingOptions.Section}:PollInterval"] = interval.ToString("c", System.Globalization.CultureInfo.InvariantCulture) };

    public static async Task StopAsync(IHost host)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await host.StopAsync(timeout.Token);
        host.Dispose();
    }

    /// <summary>Polls <paramref name="condition"/> every 50 ms until it holds or <paramref name="within"/> has passed.</summary>
    public static async Task<bool> Eventually(Func<bool> condition, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            if (condition())
                return true;
            await Task.Delay(50);
        }
        return condition();
    }
}
