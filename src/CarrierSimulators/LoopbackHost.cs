using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Loa.CarrierSimulators;

/// <summary>
/// The one way a simulator builds its Kestrel server: an empty builder (it reads no appsettings, environment
/// or command line, so a simulator never picks up the surrounding app's URLs or Kestrel settings), the host's
/// logging, routing, a short shutdown, and no Server header. The caller says where it listens.
/// </summary>
internal static class LoopbackHost
{
    public static WebApplicationBuilder CreateBuilder(Type owner, ILoggerFactory loggerFactory, Action<KestrelServerOptions> listen)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = owner.Assembly.GetName().Name });
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddRoutingCore();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            listen(kestrel);
        });
        return builder;
    }
}
