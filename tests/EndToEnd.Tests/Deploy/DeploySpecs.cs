using System.Diagnostics;

namespace Loa.EndToEnd.Tests.Deploy;

/// <summary>
/// The deploy files validate offline: deploy/check.sh resolves deploy/compose with docker-compose
/// against .env.example and checks it, and renders and checks deploy/k8s. Nothing is started (no
/// Docker engine or cluster here); a compose or manifest change that breaks a reference, drops a
/// setting Loa's production checks require or puts a development secret in fails this spec.
/// </summary>
public sealed class DeploySpecs
{
    [Fact]
    public async Task The_compose_stack_and_the_k8s_manifests_validate_offline()
    {
        var (exitCode, output, errors) = await RunCheckAsync();
        var all = $"{output}\n{errors}";
        Assert.True(exitCode == 0, $"deploy/check.sh exited {exitCode}:\n{all}");

        // The checks ran, not skipped: scripts/test.sh installs docker-compose, and
        // LOA_CHECK_REQUIRE_COMPOSE=1 turns a missing tool into a failure.
        Assert.DoesNotContain("SKIP docker-compose", all, StringComparison.Ordinal);
        Assert.DoesNotContain("SKIP PyYAML", all, StringComparison.Ordinal);
        Assert.Contains("ok   compose: docker-compose config -q with .env.example", output, StringComparison.Ordinal);
        Assert.Matches(@"ok   compose: \d+ services resolve with \.env\.example", output);
        Assert.Matches(@"ok   k8s: \d+ objects \(.*Deployment.*HorizontalPodAutoscaler.*PodDisruptionBudget.*ServiceMonitor\)", output);
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunCheckAsync()
    {
        var check = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot(), "deploy", "check.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        check.Environment["LOA_CHECK_REQUIRE_COMPOSE"] = "1";
        using var process = Process.Start(check)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await output, await errors);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Loa.slnx")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("Loa.slnx not found above " + AppContext.BaseDirectory);
    }
}
