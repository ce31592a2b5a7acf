using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit.Abstractions;

namespace Loa.EndToEnd.Tests.Processes;

/// <summary>
/// The standalone dispatcher (src/Dispatcher) as an OS process of its own, started with
/// <c>dotnet Loa.Dispatcher.dll</c> and configured only through its environment, as it is deployed.
/// Its output is kept, quoted in every failure this class reports, and written to the test's
/// output when it is disposed; a process still running then is killed, so none outlives its test.
/// </summary>
public sealed class DispatcherProcess : IAsyncDisposable
{
    private const int MaxLinesShown = 2000;
    private const int SigTerm = 15;

    // A test host that ends without disposing (an aborted run, a crash in the runner) would leave
    // dispatchers consuming from the broker; they are killed when the test host exits.
    private static readonly ConcurrentDictionary<Process, byte> Live = new();

    static DispatcherProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var process in Live.Keys)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
    };

    private readonly Process process;
    private readonly ITestOutputHelper? testOutput;
    private readonly Lock sync = new();
    private readonly List<string> lines = [];
    private int disposed;

    private DispatcherProcess(string name, Process process, ITestOutputHelper? testOutput)
    {
        Name = name;
        this.process = process;
        this.testOutput = testOutput;
    }

    /// <summary>
    /// The dispatcher as built for the configuration the tests were built in: the project reference
    /// puts it, with its runtimeconfig and deps files, next to the test assembly.
    /// </summary>
    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "Loa.Dispatcher.dll");

    public string Name { get; }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>Everything the process wrote so far, stdout and stderr in arrival order.</summary>
    public string Output
    {
        get
        {
            lock (sync)
                return string.Join('\n', lines);
        }
    }

    /// <summary>
    /// Starts the dispatcher. <paramref name="settings"/> use configuration keys
    /// (<c>Loa:Dispatcher:SendLease</c>) and reach the process as environment variables
    /// (<c>Loa__Dispatcher__SendLease</c>); no Loa or connection-string variable of the test
    /// process leaks through, so the process sees exactly these.
    /// </summary>
    public static DispatcherProcess Start(
        string name, IReadOnlyDictionary<string, string?> settings, string workingDirectory, ITestOutputHelper? testOutput = null)
    {
        if (!File.Exists(DllPath) || !File.Exists(Path.ChangeExtension(DllPath, ".runtimeconfig.json")))
            throw new FileNotFoundException($"The dispatcher is not built next to the tests (expected {DllPath} and its runtimeconfig.json).", DllPath);

        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(DllPath);
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("Loa__", StringComparison.OrdinalIgnoreCase) || key.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase))
                start.Environment.Remove(key);
        }
        // One line per entry, with the UTC time as the test's own notes have it, so that the
        // events of several processes and the test can be put in order.
        // The test carriers use development-style secrets, which the dispatcher refuses outside Development.
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        // appsettings.Loa.json keeps MassTransit and the HTTP client at Warning; their lines are how a spec
        // knows the process consumes ("Bus started") and counts its submits, and more lines to search for numbers.
        start.Environment["Logging__LogLevel__MassTransit"] = "Information";
        start.Environment["Logging__LogLevel__System.Net.Http.HttpClient"] = "Information";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        start.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        start.Environment["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true";
        foreach (var (key, value) in settings)
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var dispatcher = new DispatcherProcess(name, process, testOutput);
        process.OutputDataReceived += (_, e) => dispatcher.Append(e.Data, stderr: false);
        process.ErrorDataReceived += (_, e) => dispatcher.Append(e.Data, stderr: true);
        process.Start();
        Live.TryAdd(process, 0);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        dispatcher.Note($"started as pid {process.Id}: {start.FileName} {DllPath}");
        return dispatcher;
    }

    /// <summary>Waits until the bus is up: from then on the process consumes the planner queue and its lanes.</summary>
    public Task WaitUntilReadyAsync(TimeSpan timeout) => WaitForOutputAsync("Bus started", timeout);

    /// <summary>Waits (bounded) until the output holds <paramref name="text"/>; fails at once if the process exits first.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
                return;
            if (process.HasExited)
                throw new InvalidOperationException($"{Name} exited with code {process.ExitCode} before writing \"{text}\".\n{Tail()}");
            if (waited.Elapsed > timeout)
                throw new TimeoutException($"{Name} did not write \"{text}\" within {timeout}.\n{Tail()}");
            await Task.Delay(100);
        }
    }

    /// <summary>Fails, quoting the output, if the process has exited (it should still be serving).</summary>
    public void AssertRunning()
    {
        if (process.HasExited)
            throw new InvalidOperationException($"{Name} exited unexpectedly with code {process.ExitCode}.\n{Tail()}");
    }

    /// <summary>SIGKILL of the process and any children: no shutdown code runs, as in a crash or an OOM kill.</summary>
    public void Kill()
    {
        if (process.HasExited)
            return;
        Note("gets SIGKILL");
        process.Kill(entireProcessTree: true);
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            throw new TimeoutException($"{Name} (pid {process.Id}) was still running 10 s after SIGKILL.");
    }

    /// <summary>
    /// A graceful stop (SIGTERM, as systemd or Kubernetes sends), bounded by <paramref name="timeout"/>;
    /// a process that does not exit in time is killed and the stop fails. Returns the exit code.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!process.HasExited)
        {
            Note("gets SIGTERM");
            if (OperatingSystem.IsWindows() || SendSignal(process.Id, SigTerm) != 0)
                process.Kill(entireProcessTree: true); // no SIGTERM to send: the stop is a kill
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
                throw new TimeoutException($"{Name} did not stop within {timeout} of SIGTERM and was killed.\n{Tail()}");
            }
        }
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        try
        {
            if (!process.HasExited)
            {
                Note("is still running at the end of the test");
                Kill();
            }
            // The output's last lines are read after the exit; wait for them, but not for ever.
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Note("output did not close within 10 s of the exit");
            }
            Note($"exited with code {process.ExitCode}");
            testOutput?.WriteLine($"===== {Name} =====\n{Tail(MaxLinesShown)}");
        }
        finally
        {
            Live.TryRemove(process, out _);
            process.Dispose();
        }
    }

    /// <summary>The last <paramref name="count"/> lines of output, for failure messages.</summary>
    public string Tail(int count = 60)
    {
        lock (sync)
        {
            var skipped = Math.Max(0, lines.Count - count);
            var tail = string.Join('\n', lines.Skip(skipped));
            return skipped == 0 ? tail : $"[{skipped} earlier lines of {Name} not shown]\n{tail}";
        }
    }

    private void Append(string? line, bool stderr)
    {
        if (line is null)
            return;
        lock (sync)
            lines.Add(stderr ? "[stderr] " + line : line);
    }

    private void Note(string what)
    {
        lock (sync)
            lines.Add($"{DateTime.UtcNow:HH:mm:ss.fff} test: {Name} {what}");
    }

    /// <summary>
    /// The dotnet host that runs the tests (testhost may run under its own apphost, so not always
    /// this process), found from the running runtime: &lt;root&gt;/shared/Microsoft.NETCore.App/&lt;version&gt;/.
    /// </summary>
    private static string DotnetHost()
    {
        var executable = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } self && Path.GetFileName(self) == executable)
            return self;
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
            return hostPath;
        var runtime = new DirectoryInfo(Path.GetDirectoryName(typeof(object).Assembly.Location)!);
        var root = runtime.Parent?.Parent?.Parent;
        if (root is not null && File.Exists(Path.Combine(root.FullName, executable)))
            return Path.Combine(root.FullName, executable);
        return executable; // from PATH
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
