using System.Globalization;
using Dapper;
using Loa.Storage.Devices;
using Loa.Storage.Planning;
using Loa.Storage.Suppression;
using Loa.Tests.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Loa.Storage.Tests;

/// <summary>
/// A re-send by SMS of a campaign that pushed reads the numbers linked to its push deliveries in the outcomes
/// named: each number once, with the facts the planner and the preview suppress by, passing over devices without
/// a number, topic sends, and numbers the original texted; a device pruned for its dead token keeps its number.
/// The planner's pages and the preview's stream must name the same numbers.
/// </summary>
public sealed class ResendLinkedTests : IAsyncLifetime
{
    private const string Campaign = "01RESENDLINKED000000000000";
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-12-05T03:00:00Z", CultureInfo.InvariantCulture);
    private readonly FakeTimeProvider time = new(Start);
    private TempDatabase temp = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    private async Task StartAsync(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        var devices = new DeviceStore(temp.Database, time);
        // (device, its number, how its push ended)
        var pushes = new List<(string Recipient, string Status, string? Error)>();
        foreach (var (hash, msisdn, status) in new[]
        {
            ("a", "+84869920001", "failed"),   // opted out
            ("b1", "+84869920002", "failed"),  // b1 and b2: one number, two phones
            ("b2", "+84869920002", "failed"),
            ("c", (string?)null, "failed"),    // no number: nobody to text
            ("d", "+84869920004", "delivered"),
            ("e", "+84869920005", "failed"),   // the original texted this number
            ("f", "+84869920006", "expired"),
            ("g", "+84869920007", "failed"),   // pruned below: its number is kept there
            ("h", "+84869920008", "failed"),   // at the awareness cap
        })
        {
            var id = (await devices.RegisterAsync(new DeviceRegistration(hash, "p-" + hash, "android", "loa", "01", "vi", msisdn, "national", "key:t"))).Device.Id;
            pushes.Add((id.ToString(CultureInfo.InvariantCulture), status, null));
        }
        pushes.Add(("loa-01-vi", "failed", "UNAVAILABLE")); // a topic send: no device, no number
        await using var connection = await temp.Database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO campaigns (id, tenant, name, kind, status, definition, sms_text, sms_parts, created_by, created_at, updated_by, updated_at, planned_at)
            VALUES (@Campaign, 'national', 'pushed', 'awareness', 'completed', '{}', 'SMS', 1, 'a', 0, 'a', 0, 0)
            """, new { Campaign });
        foreach (var (recipient, status, error) in pushes)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, status, error, final_at)
                VALUES (@Campaign, @recipient, 'push', 'push-loa', '01', @status, @error, 0)
                """, new { Campaign, recipient, status, error = error ?? (status == "failed" ? "UNREGISTERED" : null) });
        }
        await connection.ExecuteAsync(
            "INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, status, final_at) VALUES (@Campaign, '+84869920005', 'sms', 'viettel', '01', 'delivered', 0)",
            new { Campaign });
        var g = pushes[7].Recipient;
        await connection.ExecuteAsync("DELETE FROM devices WHERE id = @id", new { id = long.Parse(g, CultureInfo.InvariantCulture) });
        await connection.ExecuteAsync("INSERT INTO pruned_devices (id, msisdn, pruned_at) VALUES (@id, '+84869920007', 0)", new { id = long.Parse(g, CultureInfo.InvariantCulture) });
        await connection.ExecuteAsync(
            "INSERT INTO awareness_contacts (msisdn, at, campaign_id) VALUES ('+84869920008', @at, 'x1'), ('+84869920008', @at, 'x2')",
            new { at = Start.ToUnixTimeMilliseconds() - 1000 });
        await new SuppressionStore(temp.Database, time).OptOutAsync("+84869920001", "national", "test", "spec");
    }

    [Theory, SqliteData, SqlServerData]
    public async Task The_planners_pages_and_the_previews_stream_name_each_linked_number_once_with_its_facts(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var resends = new ResendPages(temp.Database);
        var failed = ResendStates.Of(["failed"]);
        var checks = new SuppressionChecks(OptOuts: true, CapPerDay: 2, CapSince: Start.ToUnixTimeMilliseconds() - 86_400_000);

        // Pages of 3 deliveries: bounded by the campaign's 10 push rows.
        var planned = new List<string>();
        var optedOut = new HashSet<string>();
        var capped = new HashSet<string>();
        var after = "";
        for (var turn = 0; turn < 10; turn++)
        {
            var (page, last, read) = await resends.ReadLinkedAsync(Campaign, failed, after, 3, checks);
            planned.AddRange(page.Members.Select(m => m.Msisdn));
            optedOut.UnionWith(page.OptedOut);
            capped.UnionWith(page.Capped);
            Assert.All(page.Members, m => Assert.Equal("01", m.Province));
            if (read < 3)
                break;
            after = last!;
        }
        // Two phones of one number are two rows here: the delivery index keeps the first when the page is written.
        Assert.Equal(["+84869920001", "+84869920002", "+84869920002", "+84869920007", "+84869920008"], planned.Order(StringComparer.Ordinal));
        Assert.Equal(["+84869920001"], optedOut);
        Assert.Equal(["+84869920008"], capped);

        var streamed = new List<LinkedNumber>();
        await foreach (var number in resends.LinkedNumbersAsync(Campaign, failed, checks.CapPerDay, checks.CapSince))
            streamed.Add(number);
        Assert.Equal(
            ["+84869920001 out", "+84869920002 -", "+84869920007 -", "+84869920008 capped"],
            streamed.Select(n => $"{n.Msisdn} {(n.OptedOut ? "out" : n.Capped ? "capped" : "-")}"));

        // Expired alone: the one device that expired.
        var expired = new List<string?>();
        await foreach (var number in resends.LinkedNumbersAsync(Campaign, ResendStates.Of(["expired"]), 0, 0))
            expired.Add(number.Msisdn);
        Assert.Equal(["+84869920006"], expired);
    }

    [Theory, SqliteData, SqlServerData]
    public async Task Through_push_each_device_of_a_number_the_sms_missed_is_read_once_except_one_the_push_reached(DatabaseProvider dialect)
    {
        temp = await TempDatabase.CreateAsync(dialect);
        var devices = new DeviceStore(temp.Database, time);
        var ids = new Dictionary<string, string>();
        foreach (var (hash, msisdn) in new[] { ("n1a", "+84869940001"), ("n1b", "+84869940001"), ("n1c", "+84869940001"), ("n2", "+84869940002"), ("n3", "+84869940003") })
            ids[hash] = (await devices.RegisterAsync(new DeviceRegistration(hash, "p-" + hash, "android", "loa", "01", "vi", msisdn, "national", "key:t",
                RefusesAwareness: hash == "n1c"))).Device.Id.ToString(CultureInfo.InvariantCulture);
        await using var connection = await temp.Database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO campaigns (id, tenant, name, kind, status, definition, sms_text, sms_parts, created_by, created_at, updated_by, updated_at, planned_at)
            VALUES (@Campaign, 'national', 'texted', 'warning', 'completed', '{}', 'SMS', 1, 'a', 0, 'a', 0, 0)
            """, new { Campaign });
        // The SMS missed numbers 1 and 2 and reached 3; the push reached n1a, failed on n1b, never tried n1c.
        foreach (var (recipient, channel, carrier, status) in new[]
        {
            ("+84869940001", "sms", "viettel", "failed"), ("+84869940002", "sms", "viettel", "failed"), ("+84869940003", "sms", "viettel", "delivered"),
            (ids["n1a"], "push", "push-loa", "delivered"), (ids["n1b"], "push", "push-loa", "failed"),
        })
        {
            await connection.ExecuteAsync(
                "INSERT INTO deliveries (campaign_id, recipient, channel, carrier, province, status, error, final_at) VALUES (@Campaign, @recipient, @channel, @carrier, '01', @status, @error, 0)",
                new { Campaign, recipient, channel, carrier, status, error = status == "failed" ? "refused" : null });
        }
        var resends = new ResendPages(temp.Database);
        var failed = ResendStates.Of(["failed"]);

        // A page of one number: a number's devices come whole with it; bounded by the two numbers.
        var paged = new List<string>();
        var after = "";
        for (var turn = 0; turn < 5; turn++)
        {
            var (found, last, read) = await resends.ReadDevicesAsync(Campaign, failed, after, 1);
            paged.AddRange(found.Select(d => $"{d.Id.ToString(CultureInfo.InvariantCulture)} {d.Msisdn} {d.App} {d.Province} {d.RefusesAwareness}"));
            if (read < 1)
                break;
            after = last!;
        }
        var expected = new[] { "n1b", "n1c", "n2" }.Select(h => ids[h]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, paged.Select(p => p.Split(' ')[0]).Order(StringComparer.Ordinal));
        Assert.All(paged, p => Assert.Contains(" loa 01 ", p, StringComparison.Ordinal));
        // The owner's refusal of awareness comes with each device, for an awareness re-send to suppress it.
        Assert.Equal([ids["n1c"]], paged.Where(p => p.EndsWith(" True", StringComparison.Ordinal)).Select(p => p.Split(' ')[0]));

        var streamed = new List<string>();
        await foreach (var device in resends.DevicesOfNumbersAsync(Campaign, failed))
            streamed.Add(device.Id.ToString(CultureInfo.InvariantCulture) + (device.RefusesAwareness ? " refuses" : ""));
        Assert.Equal(expected.Select(id => id == ids["n1c"] ? id + " refuses" : id).Order(StringComparer.Ordinal), streamed.Order(StringComparer.Ordinal));
    }
}
