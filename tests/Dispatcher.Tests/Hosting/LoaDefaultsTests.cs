using Loa.Dispatcher;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Hosting;

namespace Loa.Dispatcher.Tests.Hosting;

/// <summary>
/// Both hosts read their settings files once: a watcher on the content root would wake on every write of a
/// SQLite file below it (the embedded default keeps <c>data/loa.db</c> under the working directory).
/// </summary>
public sealed class LoaDefaultsTests
{
    private static List<JsonConfigurationSource> SettingsFiles(string[] args) =>
        Host.CreateApplicationBuilder(LoaDefaults.HostArgs(args)).Configuration.Sources.OfType<JsonConfigurationSource>().ToList();

    [Fact]
    public void A_host_built_with_Loas_arguments_does_not_watch_its_settings_files()
    {
        var files = SettingsFiles([]);
        Assert.Contains(files, f => f.Path == "appsettings.json");
        Assert.All(files, f => Assert.False(f.ReloadOnChange, f.Path));
    }

    [Fact]
    public void An_operator_who_asks_for_reloading_on_the_command_line_gets_it()
    {
        var files = SettingsFiles(["--hostBuilder:reloadConfigOnChange=true"]);
        Assert.Contains(files, f => f.Path == "appsettings.json" && f.ReloadOnChange);
    }
}
