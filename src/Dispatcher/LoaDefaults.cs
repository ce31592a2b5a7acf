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
