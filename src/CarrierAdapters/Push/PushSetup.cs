using System.Security.Cryptography;
using Google.Apis.Auth.OAuth2;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Loa.CarrierAdapters.Push;

public static class PushSetup
{
    /// <summary>
    /// Push apps by name (<c>Loa:Push:Apps:&lt;app&gt;</c>, named <see cref="PushAppOptions"/>), the HTTP/2
    /// client they share and the <see cref="PushAdapterFactory"/>. An app whose settings cannot work
    /// (unknown provider, missing credential settings, unreadable key files, topics on APNs) stops the
    /// host at start, naming the setting. Safe to call twice.
    /// </summary>
    public static IServiceCollection AddLoaPush(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(Registered)))
            return services;
        services.AddSingleton<Registered>();

        var section = configuration.GetSection(PushAppOptions.Section);
        var apps = section.GetChildren().Select(c => c.Key).ToArray();
        services.AddSingleton(new PushApps(apps));
        foreach (var app in apps)
        {
            services.AddOptions<PushAppOptions>(app)
                .Bind(section.GetSection(app), binder => binder.ErrorOnUnknownConfiguration = false)
                .ValidateOnStart();
        }
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PushAppOptions>, PushSettingsValidation>());

        services.AddHttpClient(PushAdapterFactory.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // One connection carries ~100-1000 streams (the server says how many); beyond that a
                // second one opens instead of requests queueing.
                EnableMultipleHttp2Connections = true,
                // Long-lived connections are what Apple asks for; a quarter hour still follows DNS.
                PooledConnectionLifetime = TimeSpan.FromMinutes(15),
                KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            })
            // The handler (and its HTTP/2 connections) lives with the host rather than being rotated every two minutes.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // APNs puts the device token in the request path (/3/device/{token}): HttpClient's request
            // logging would write it whole at Information, whatever the adapters mask.
            .RemoveAllLoggers();
        services.TryAddSingleton(sp => new PushAdapterFactory(
            sp.GetRequiredService<IOptionsMonitor<PushAppOptions>>(),
            sp.GetRequiredService<IHttpClientFactory>(),
            sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>(),
            sp.GetService<TimeProvider>()));
        return services;
    }

    private sealed class Registered;
}

/// <summary>The push apps configured under <c>Loa:Push:Apps</c>, by name.</summary>
public sealed record PushApps(IReadOnlyList<string> Names);

/// <summary>Refuses to start a host whose push app cannot send, naming the setting to fix.</summary>
internal sealed class PushSettingsValidation(PushApps apps) : IValidateOptions<PushAppOptions>
{
    public ValidateOptionsResult Validate(string? name, PushAppOptions options)
    {
        if (name is null || !apps.Names.Contains(name, StringComparer.OrdinalIgnoreCase))
            return ValidateOptionsResult.Skip;
        var problems = Problems(name, options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    internal static List<string> Problems(string app, PushAppOptions options)
    {
        var key = $"{PushAppOptions.Section}:{app}";
        var problems = new List<string>();
        void Required(string setting, string? value, string why)
        {
            if (string.IsNullOrWhiteSpace(value))
                problems.Add($"{key}:{setting} is required {why}.");
        }

        if (!Enum.IsDefined(options.Provider))
        {
            problems.Add($"{key}:Provider is '{options.Provider}'; it must be Fcm or Apns.");
            return problems;
        }
        if (!string.IsNullOrWhiteSpace(options.BaseUrl)
            && (!Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https")))
            problems.Add($"{key}:BaseUrl '{options.BaseUrl}' must be an absolute http or https URL.");
        if (options.RatePerSecond < 0)
            problems.Add($"{key}:RatePerSecond must be at least 0 (0 takes the provider's default).");
        if (options.MaxConcurrentStreams < 1)
            problems.Add($"{key}:MaxConcurrentStreams must be at least 1.");
        if (options.Lanes is < 1 or > 64)
            problems.Add($"{key}:Lanes must be 1 to 64.");
        if (options.Timeout <= TimeSpan.Zero)
            problems.Add($"{key}:Timeout must be above 0.");

        if (options.Provider == PushProvider.Fcm)
        {
            Required(nameof(options.ProjectId), options.ProjectId, "for FCM (the Firebase project id)");
            Required(nameof(options.ServiceAccountFile), options.ServiceAccountFile, "for FCM (the service account JSON)");
            if (!string.IsNullOrWhiteSpace(options.ServiceAccountFile))
                Readable(options.ServiceAccountFile, $"{key}:{nameof(options.ServiceAccountFile)}", problems,
                    path => CredentialFactory.FromFile<ServiceAccountCredential>(path));
            if (options.UseTopics && app.Length > Loa.Contracts.PushTopics.MaxAppLength)
                problems.Add($"{key}:UseTopics is true, but topics are named '<app>-<province>-<language>' and a topic send's recipient holds at most 16 characters: the app's name must be at most {Loa.Contracts.PushTopics.MaxAppLength} characters.");
        }
        else
        {
            Required(nameof(options.TeamId), options.TeamId, "for APNs (the JWT's iss)");
            Required(nameof(options.KeyId), options.KeyId, "for APNs (the JWT's kid)");
            Required(nameof(options.KeyFile), options.KeyFile, "for APNs (the .p8 signing key)");
            Required(nameof(options.BundleId), options.BundleId, "for APNs (apns-topic)");
            if (options.UseTopics)
                problems.Add($"{key}:UseTopics is true, but APNs has no topics; send to devices, or use FCM for topics.");
            if (!string.IsNullOrWhiteSpace(options.KeyFile))
                Readable(options.KeyFile, $"{key}:{nameof(options.KeyFile)}", problems, path =>
                {
                    using var ec = ECDsa.Create();
                    ec.ImportFromPem(File.ReadAllText(path));
                });
        }
        return problems;
    }

    private static void Readable(string path, string setting, List<string> problems, Action<string> read)
    {
        try
        {
            read(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException
                                       or CryptographicException or ArgumentException)
        {
            // The message names the file and what is wrong with it, never the key material.
            problems.Add($"{setting} '{path}' cannot be used: {ex.GetType().Name}: {ex.Message}");
        }
    }
}
