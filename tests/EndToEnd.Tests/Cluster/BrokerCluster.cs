using System.Diagnostics;
using Xunit.Abstractions;

namespace Loa.EndToEnd.Tests.Cluster;

/// <summary>
/// The three-node RabbitMQ cluster scripts/rabbitmq-cluster.sh started for the suite:
/// <c>LOA_TEST_RABBITMQ_CLUSTER</c> is the amqp URI naming its nodes, <c>LOA_TEST_RABBITMQ_CLUSTER_CTL</c>
/// the command that kills, stops and starts them. Without either a spec fails (never skips), so that a
/// run without the cluster cannot pass by testing less.
/// </summary>
public sealed class BrokerCluster(ITestOutputHelper output)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(200);

    public string Address { get; } = Required("LOA_TEST_RABBITMQ_CLUSTER");

    private string Control { get; } = Required("LOA_TEST_RABBITMQ_CLUSTER_CTL");

    /// <summary>SIGKILL of node <paramref name="node"/> (1 to 3): no clean shutdown, as in a crash.</summary>
    public Task KillAsync(int node) => RunAsync("kill", node.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Starts node <paramref name="node"/> again and waits (bounded) until it runs and has rejoined.</summary>
    public async Task RestartAsync(int node)
    {
        var n = node.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await RunAsync("start", n);
        await RunAsync("wait", n);
    }

    public Task StopAllAsync() => RunAsync("stop-all");

    /// <summary>Starts the three nodes together (each waits for its peers' tables at boot) and waits until all run.</summary>
    public async Task StartAllAsync()
    {
        await RunAsync("start-all");
        await RunAsync("wait-all");
    }

    /// <summary>Brings back any node an earlier spec left down, so each spec starts on a whole cluster.</summary>
    public Task EnsureWholeAsync() => RunAsync("ensure");

    private async Task RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Control)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not run {Control}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{Control} {string.Join(' ', arguments)}' did not finish within {CommandTimeout}.");
        }
        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} test: cluster {string.Join(' ', arguments)} took {clock.Elapsed.TotalSeconds:F1} s");
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"'{Control} {string.Join(' ', arguments)}' exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }

    private static string Required(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        Assert.False(string.IsNullOrEmpty(value), $"{variable} is not set: run the suite with scripts/test.sh, which starts a private three-node RabbitMQ cluster (or `bash scripts/rabbitmq-cluster.sh` and export the lines it prints).");
        return value!;
    }
}
