using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace Loa.Dispatcher;

/// <summary>
/// The settings both hosts start from, whatever files they were deployed with. Loa's own defaults
/// live in the options classes (<c>CarrierOptions</c>, <c>DispatcherOptions</c>, …); what only a file
/// can say (log levels) is in <c>appsettings.Loa.json</c>, shipped beside both hosts' assemblies and
/// read first, so that a host's appsettings.json, the environment and the command line override it.
/// </summary>
public static class LoaDefaults
{
    public const string FileName = "appsettings.Loa.json";

    /// <summary>
    /// A host's arguments with <c>hostBuilder:reloadConfigOnChange</c> off unless the caller turns it on again
    /// (a later argument wins). Loa reads its settings at start, and the reload's watcher covers the content
    /// root and everything under it: with the SQLite file below the working directory (<c>data/loa.db</c>, the
    /// embedded default) every write of the WAL woke the watcher's thread, a few per cent of a busy
    /// dispatcher's CPU spent on nothing.
    /// </summary>
    public static string[] HostArgs(string[] args) => ["--hostBuilder:reloadConfigOnChange=false", .. args];

    public static IConfigurationManager AddLoaDefaults(this IConfigurationManager configuration)
    {
        configuration.Sources.Insert(0, new JsonConfigurationSource
        {
            FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
            Path = FileName,
            Optional = false,
        });
        return configuration;
    }
}
