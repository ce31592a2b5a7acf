using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Loa.Perf;

/// <summary>
/// The RabbitMQ broker for <c>--mode rabbitmq</c> and the publish ceiling: <c>LOA_TEST_RABBITMQ</c>
/// when set, else a private broker started with <c>scripts/rabbitmq.sh</c> (stopped again at the end).
/// </summary>
public sealed class Broker : IAsyncDisposable
{
    private readonly Process? script;

    private Broker(string uri, Process? script)
    {
        Uri = uri;
        this.script = script;
    }

    public string Uri { get; }

    public bool Started => script is not null;

    public static string? FromEnvironment() =>
        Environment.GetEnvironmentVariable("LOA_TEST_RABBITMQ") is { Length: > 0 } uri ? uri : null;

    /// <summary>The broker from the environment, or a private one (null when rabbitmq-server is not installed).</summary>
    public static async Task<Broker?> GetAsync(bool startIfMissing)
    {
        if (FromEnvironment() is { } uri)
            return new Broker(uri, null);
        if (!startIfMissing)
            return null;
        var scriptPath = Path.Combine(Repo.Root, "scripts", "rabbitmq.sh");
        if (!File.Exists("/usr/lib/rabbitmq/bin/rabbitmq-server"))
        {
            Console.WriteLine("  rabbitmq-server is not installed (apt-get install --no-install-recommends rabbitmq-server); no broker.");
            return null;
        }
        var start = new ProcessStartInfo("bash", [scriptPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(deadline - DateTime.UtcNow);
            if (line is null)
                break;
            const string prefix = "export LOA_TEST_RABBITMQ=";
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                Console.WriteLine($"  started a private broker (scripts/rabbitmq.sh, pid {process.Id}): {line[prefix.Length..]}");
                return new Broker(line[prefix.Length..], process);
            }
        }
        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException("scripts/rabbitmq.sh did not print LOA_TEST_RABBITMQ within 120 s.");
    }

    public async ValueTask DisposeAsync()
    {
        if (script is null || script.HasExited)
            return;
        // SIGTERM: the script's trap stops the broker and deletes its directory.
        _ = Kill(script.Id, 15);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        try
        {
            await script.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            script.Kill(entireProcessTree: true);
        }
        script.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static extern int Kill(int pid, int signal);
}

internal static class Repo
{
    /// <summary>The repository root: the first parent of the current directory (or of the binary) holding Loa.slnx.</summary>
    public static string Root { get; } = Find(Directory.GetCurrentDirectory()) ?? Find(AppContext.BaseDirectory) ?? Directory.GetCurrentDirectory();

    private static string? Find(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Loa.slnx")))
                return dir.FullName;
        }
        return null;
    }
}
