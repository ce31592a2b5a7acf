using Loa.Dispatcher;
using Loa.Storage;
using Loa.Storage.Routing;

// The standalone dispatcher: planner, send lanes and sweeper, on RabbitMQ, with no HTTP surface.
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddLoaDispatcher(builder.Configuration);
var host = builder.Build();
await DispatcherHost.PrepareAsync(host.Services);
await host.RunAsync();
