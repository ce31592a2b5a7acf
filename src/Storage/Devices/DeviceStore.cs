using Dapper;

namespace Loa.Storage.Devices;

/// <summary>A registered device as the API shows it: never the token, only its hash.</summary>
/// <param name="RefusesAwareness">Its owner refused awareness notifications in the app: awareness pushes skip it (suppressed, opted-out).</param>
public sealed record DeviceRow(
    long Id, string TokenHash, string Platform, string App, string Province, string Language, string? Msisdn,
    string Tenant, string RegisteredBy, long CreatedAt, long UpdatedAt, bool RefusesAwareness);

/// <param name="TokenHash">Lowercase hex SHA-256 of the token: the lookup key.</param>
/// <param name="ProtectedToken">The token as the sender will unprotect it; the store never sees it in clear.</param>
/// <param name="RefusesAwareness">The app says its owner refused awareness notifications; every registration says it afresh.</param>
public sealed record DeviceRegistration(
    string TokenHash, string ProtectedToken, string Platform, string App, string Province, string Language, string? Msisdn,
    string Tenant, string By, bool RefusesAwareness = false);

/// <param name="PreviousTenant">Null when the token was new; else the tenant that held it before this registration.</param>
public sealed record DeviceRegistered(DeviceRow Device, string? PreviousTenant);

/// <summary>
/// The device registry as the API writes it: register (one row per token, found by its hash), and
/// remove. Every statement finds its row through the token hash's unique index, so the request path
/// costs the same at ten devices and at ten million.
/// </summary>
public sealed class DeviceStore(Database database, TimeProvider time)
{
    // The flag as a number in both dialects: SQLite's INTEGER column as is (a CAST would lose its declared
    // type, and the reader would call it bytes), SQL Server's BIT cast.
    private static string Columns(string flag) => $"""
        id AS Id, token_hash AS TokenHash, platform AS Platform, app AS App, province AS Province, language AS Language,
        msisdn AS Msisdn, tenant AS Tenant, registered_by AS RegisteredBy, created_at AS CreatedAt, updated_at AS UpdatedAt,
        {flag} AS RefusesAwareness
        """;

    // SQL Server: the lock is taken by the read, so two first registrations of one token queue here
    // instead of both inserting (one would fail on the key) or deadlocking on their range locks.
    internal static readonly Sql FindForUpdate = new(
        Sqlite: "SELECT id AS Id, tenant AS Tenant, created_at AS CreatedAt FROM devices WHERE token_hash = @hash",
        SqlServer: "SELECT id AS Id, tenant AS Tenant, created_at AS CreatedAt FROM devices WITH (UPDLOCK, HOLDLOCK) WHERE token_hash = @hash");

    private static readonly Sql Insert = Sql.Both("""
        INSERT INTO devices (token_hash, token, platform, app, province, language, msisdn, tenant, registered_by, created_at, updated_at, awareness_opt_out)
        VALUES (@TokenHash, @ProtectedToken, @Platform, @App, @Province, @Language, @Msisdn, @Tenant, @By, @now, @now, @optOut)
        """);

    private static readonly Sql Update = Sql.Both("""
        UPDATE devices SET token = @ProtectedToken, platform = @Platform, app = @App, province = @Province, language = @Language,
            msisdn = @Msisdn, tenant = @Tenant, registered_by = @By, created_at = @createdAt, updated_at = @now,
            awareness_opt_out = @optOut
        WHERE id = @id
        """);

    internal static readonly Sql Find = new(
        Sqlite: $"SELECT {Columns("awareness_opt_out")} FROM devices WHERE token_hash = @hash",
        SqlServer: $"SELECT {Columns("CAST(awareness_opt_out AS BIGINT)")} FROM devices WHERE token_hash = @hash");

    // A province removes only its own devices; national (null) any. Another tenant's row is left as if absent.
    internal static readonly Sql Delete = Sql.Both("DELETE FROM devices WHERE token_hash = @hash AND (@tenant IS NULL OR tenant = @tenant)");

    /// <summary>
    /// Registers a token, or updates the device that already has it: one row per token, ever. The device
    /// belongs to the registering tenant; a token that another tenant held moves to this one and starts
    /// afresh (its creation time is now), so that nothing in the answer tells of the earlier holder.
    /// Only the device itself knows its token, so whoever presents it speaks for the device.
    /// </summary>
    public async Task<DeviceRegistered> RegisterAsync(DeviceRegistration device, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var found = await connection.QuerySingleOrDefaultAsync<Holder>(
            new CommandDefinition(database.Text(FindForUpdate), new { hash = device.TokenHash }, transaction, cancellationToken: cancellationToken));
        if (found is null)
        {
            await connection.ExecuteAsync(new CommandDefinition(database.Text(Insert), Parameters(device, now, now), transaction, cancellationToken: cancellationToken));
        }
        else
        {
            var createdAt = string.Equals(found.Tenant, device.Tenant, StringComparison.Ordinal) ? found.CreatedAt : now;
            var parameters = Parameters(device, now, createdAt);
            parameters.Add("id", found.Id);
            await connection.ExecuteAsync(new CommandDefinition(database.Text(Update), parameters, transaction, cancellationToken: cancellationToken));
        }
        var row = (await connection.QuerySingleAsync<StoredDevice>(
            new CommandDefinition(database.Text(Find), new { hash = device.TokenHash }, transaction, cancellationToken: cancellationToken))).Row;
        await transaction.CommitAsync(cancellationToken);
        return new DeviceRegistered(row, found?.Tenant);
    }

    public async Task<DeviceRow?> FindAsync(string tokenHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<StoredDevice>(
            new CommandDefinition(database.Text(Find), new { hash = tokenHash }, cancellationToken: cancellationToken)))?.Row;
    }

    /// <param name="tenant">The caller's tenant, or null (national) for any.</param>
    /// <returns>False when no such device is the caller's to remove.</returns>
    public async Task<bool> RemoveAsync(string tokenHash, string? tenant, CancellationToken cancellationToken = default) =>
        await database.WriteAsync((connection, transaction) => connection.ExecuteAsync(
            new CommandDefinition(database.Text(Delete), new { hash = tokenHash, tenant }, transaction, cancellationToken: cancellationToken)), cancellationToken) == 1;

    private sealed record Holder(long Id, string Tenant, long CreatedAt);

    // The flag as a number (see Columns): Dapper maps a record's constructor by exact type.
    private sealed record StoredDevice(
        long Id, string TokenHash, string Platform, string App, string Province, string Language, string? Msisdn,
        string Tenant, string RegisteredBy, long CreatedAt, long UpdatedAt, long RefusesAwareness)
    {
        public DeviceRow Row => new(Id, TokenHash, Platform, App, Province, Language, Msisdn, Tenant, RegisteredBy, CreatedAt, UpdatedAt, RefusesAwareness != 0);
    }

    private static DynamicParameters Parameters(DeviceRegistration device, long now, long createdAt)
    {
        var parameters = new DynamicParameters(device);
        parameters.Add("now", now);
        parameters.Add("createdAt", createdAt);
        parameters.Add("optOut", device.RefusesAwareness ? 1 : 0);
        return parameters;
    }
}
