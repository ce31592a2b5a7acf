using Dapper;

namespace Loa.Storage.Devices;

/// <summary>
/// Which devices a push campaign reaches: its apps, provinces (the tenant's own, or those named, or all)
/// and languages, each already checked and canonical. The planner and the preview take the same filter,
/// so that the preview is what the run does.
/// </summary>
public sealed record DeviceFilter(IReadOnlyList<string> Apps, IReadOnlyList<string> Provinces, IReadOnlyList<string> Languages)
{
    /// <summary>The languages a device may read (DevicesApi refuses any other).</summary>
    public static readonly IReadOnlyList<string> AllLanguages = ["vi", "en"];

    /// <summary>
    /// The filter of a campaign's device audience: the apps it names among those configured (all
    /// configured when it names none; devices register their app in lower case), the provinces it names
    /// or every province, kept to the tenant's own for a province campaign, and the languages it names or both.
    /// </summary>
    /// <param name="tenantProvince">The campaign's province (canonical), or null for a national campaign.</param>
    public static DeviceFilter Of(
        IReadOnlyList<string>? apps, IReadOnlyList<string>? provinces, IReadOnlyList<string>? languages,
        string? tenantProvince, IEnumerable<string> configuredApps, IEnumerable<string> allProvinces)
    {
        var configured = configuredApps.Select(a => a.ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var named = apps is { Count: > 0 } ? apps.OfType<string>().Select(a => a.Trim().ToLowerInvariant()).ToHashSet(StringComparer.Ordinal) : null;
        var areas = (provinces is { Count: > 0 } ? provinces.OfType<string>() : allProvinces)
            .Where(p => tenantProvince is null || string.Equals(p, tenantProvince, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal).ToList();
        var spoken = languages is { Count: > 0 } ? languages.OfType<string>().Select(l => l.Trim().ToLowerInvariant()).ToHashSet(StringComparer.Ordinal) : null;
        return new DeviceFilter(
            configured.Where(a => named is null || named.Contains(a)).ToList(),
            areas,
            AllLanguages.Where(l => spoken is null || spoken.Contains(l)).ToList());
    }

    /// <summary>
    /// Every (app, province, language) the filter names, in a fixed order: each is one range of
    /// <c>ix_devices_audience</c>, so the planner's keyset position is (this index, last id) and each page is one seek.
    /// </summary>
    public IReadOnlyList<DeviceSlice> Slices() =>
        [.. from app in Apps from province in Provinces from language in Languages select new DeviceSlice(app, province, language)];
}

public sealed record DeviceSlice(string App, string Province, string Language);

/// <param name="Id">The device's id: a push delivery's recipient (never the token).</param>
/// <param name="Msisdn">The linked number (E.164) or null: a test campaign reaches only devices linked to a test number.</param>
/// <param name="AwarenessOptOut">1 when the owner refused awareness notifications (SQLite's INTEGER column as is; SQL Server's BIT cast to BIGINT).</param>
public sealed record AudienceDevice(long Id, string Province, string? Msisdn, long AwarenessOptOut = 0)
{
    public bool RefusesAwareness => AwarenessOptOut != 0;
}

/// <summary>A count of devices of one app, province and language (preview), and how many of them refused awareness.</summary>
public sealed record DeviceCount(string App, string Province, string Language, long Devices, long OptedOut = 0);

/// <summary>
/// The device registry as the planner and the preview read it: keyset pages of one slice
/// (app, province, language) in id order, along <c>ix_devices_audience</c>, never OFFSET and never the
/// whole audience; and the counts per slice the preview shows.
/// </summary>
public sealed class DeviceAudience(Database database)
{
    internal static readonly Sql Page = new(
        Sqlite: """
            SELECT id AS Id, province AS Province, msisdn AS Msisdn, awareness_opt_out AS AwarenessOptOut FROM devices
            WHERE app = @App AND province = @Province AND language = @Language AND id > @After
            ORDER BY id LIMIT @Limit
            """,
        SqlServer: """
            SELECT TOP (@Limit) id AS Id, province AS Province, msisdn AS Msisdn, CAST(awareness_opt_out AS BIGINT) AS AwarenessOptOut FROM devices
            WHERE app = @App AND province = @Province AND language = @Language AND id > @After
            ORDER BY id
            """);

    // Whether a slice has any device: one seek into ix_devices_audience, whatever the slice holds.
    internal static readonly Sql Any = new(
        Sqlite: "SELECT EXISTS (SELECT 1 FROM devices WHERE app = @App AND province = @Province AND language = @Language)",
        SqlServer: "SELECT CASE WHEN EXISTS (SELECT 1 FROM devices WHERE app = @App AND province = @Province AND language = @Language) THEN 1 ELSE 0 END");

    // The counters the triggers of 0034_device_counts.sql keep: at most 68 rows an app (34 provinces, two
    // languages), exact, whatever the registry holds. Provinces and languages outside the filter are dropped by the caller.
    internal static readonly Sql CountByApp = Sql.Both("""
        SELECT province AS Province, language AS Language, devices AS Devices, opted_out AS OptedOut FROM device_counts
        WHERE app = @App
        """);

    // Test campaigns only: the allow-list is a handful of numbers, so the app's rows are probed for them.
    private static readonly Sql CountLinkedByApp = new(
        Sqlite: """
            SELECT province AS Province, language AS Language, COUNT(*) AS Devices, 0 AS OptedOut FROM devices
            WHERE app = @App AND msisdn IN (SELECT value FROM json_each(@Numbers)) GROUP BY province, language
            """,
        SqlServer: """
            SELECT province AS Province, language AS Language, COUNT_BIG(*) AS Devices, CAST(0 AS BIGINT) AS OptedOut FROM devices
            WHERE app = @App AND msisdn IN (SELECT CAST(value AS VARCHAR(16)) FROM OPENJSON(@Numbers)) GROUP BY province, language
            """);

    /// <summary>Up to <paramref name="limit"/> devices of one slice after id <paramref name="after"/>, in id order.</summary>
    public async Task<IReadOnlyList<AudienceDevice>> PageAsync(DeviceSlice slice, long after, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<AudienceDevice>(new CommandDefinition(database.Text(Page),
            new { slice.App, slice.Province, slice.Language, After = after, Limit = limit }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>
    /// Whether any device of the slice is registered: an app on topics is sent the slice's topic only then
    /// (LaunchCampaignConsumer), so a topic nobody registered for is not a delivery that reached no one.
    /// </summary>
    public async Task<bool> AnyAsync(DeviceSlice slice, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(database.Text(Any),
            new { slice.App, slice.Province, slice.Language }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>
    /// The devices the filter reaches, per app, province and language; with <paramref name="linkedTo"/>,
    /// only those linked to one of these numbers.
    /// </summary>
    public async Task<IReadOnlyList<DeviceCount>> CountAsync(DeviceFilter filter, IReadOnlyCollection<string>? linkedTo = null, CancellationToken cancellationToken = default)
    {
        var provinces = filter.Provinces.ToHashSet(StringComparer.Ordinal);
        var languages = filter.Languages.ToHashSet(StringComparer.Ordinal);
        var counts = new List<DeviceCount>();
        await using var connection = await database.OpenAsync(cancellationToken);
        foreach (var app in filter.Apps)
        {
            var rows = linkedTo is null
                ? await connection.QueryAsync<(string Province, string Language, long Devices, long OptedOut)>(new CommandDefinition(
                    database.Text(CountByApp), new { App = app }, cancellationToken: cancellationToken))
                : await connection.QueryAsync<(string Province, string Language, long Devices, long OptedOut)>(new CommandDefinition(
                    database.Text(CountLinkedByApp), new { App = app, Numbers = JsonRows.Of(linkedTo) }, cancellationToken: cancellationToken));
            // A counter emptied by removals stays at 0: left out, as a count of the rows would never name it.
            counts.AddRange(rows.Where(r => r.Devices > 0 && provinces.Contains(r.Province) && languages.Contains(r.Language))
                .Select(r => new DeviceCount(app, r.Province, r.Language, r.Devices, r.OptedOut)));
        }
        return counts;
    }
}
