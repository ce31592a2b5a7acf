using System.Security.Cryptography;
using System.Text;
using Loa.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Loa.Dispatcher.Devices;

/// <summary>
/// What Loa keeps of a push token, a secret that lets anyone who holds it notify the phone: its
/// SHA-256 to find the device by, and a Data Protection payload the sender will unprotect. Never the
/// token in clear, and never the whole token in a log, an audit row, a trace or an answer.
/// </summary>
public sealed class DeviceTokens(IDataProtectionProvider protection)
{
    /// <summary>The Data Protection purpose; the sender must unprotect with the same one (and the same key ring).</summary>
    public const string Purpose = "Loa.Devices.Token";

    private readonly IDataProtector protector = protection.CreateProtector(Purpose);

    public string Protect(string token) => protector.Protect(token);

    public string Unprotect(string protectedToken) => protector.Unprotect(protectedToken);

    /// <summary>Lowercase hex SHA-256 of the token's UTF-8 bytes: the device's key in the registry.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>The hash's first 12 hex digits: enough to find a device in the registry from a log line or an audit row.</summary>
    public static string HashPrefix(string tokenHash) => tokenHash[..12];

    /// <summary>What a log line may show of a token: its first 6 characters (the rest is the secret).</summary>
    public static string Start(string token) => token.Length <= 6 ? token : token[..6] + "…";
}

public static class DevicesSetup
{
    public const string KeysDirectoryKey = "Loa:Devices:KeysDirectory";

    /// <summary>
    /// The device registry's services, and the Data Protection key ring its tokens are protected with
    /// (the API protects a token when a device registers, the send lane unprotects it), kept on disk: the default (a per-user profile directory, or memory in a container) would lose
    /// the keys with the container, and every stored token with them.
    /// </summary>
    public static IServiceCollection AddLoaDevices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDataProtection()
            .SetApplicationName("Loa")
            .PersistKeysToFileSystem(new DirectoryInfo(KeysDirectory(configuration)));
        services.TryAddSingleton<DeviceTokens>();
        return services;
    }

    /// <summary>
    /// <c>Loa:Devices:KeysDirectory</c>; else <c>keys</c> beside the SQLite file, so that the keys go
    /// where the database goes (and its backups); else, on SQL Server, <c>data/keys</c>.
    /// </summary>
    public static string KeysDirectory(IConfiguration configuration)
    {
        if (configuration[KeysDirectoryKey] is { Length: > 0 } configured)
            return Path.GetFullPath(configured);
        var database = StorageSetup.ReadOptions(configuration);
        if (database.Provider == DatabaseProvider.Sqlite)
        {
            var file = new SqliteConnectionStringBuilder(database.ConnectionString).DataSource;
            if (!string.IsNullOrEmpty(file) && file != ":memory:")
                return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".", "keys");
        }
        return Path.GetFullPath(Path.Combine("data", "keys"));
    }
}
