using System.Net;
using Loa.CarrierAdapters;
using Loa.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Security;

/// <summary>Outside Development the host refuses development settings, naming the setting but not its value.</summary>
public sealed class ProductionStartupSpecs : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "loa-test-" + Guid.NewGuid().ToString("n"));

    public ProductionStartupSpecs() => Directory.CreateDirectory(directory);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open only leaves a temp directory behind.
        }
    }

    private Dictionary<string, string?> GoodSettings()
    {
        var settings = LoaTestHost.BaseSettings(directory);
        settings["Loa:Simulators:Enabled"] = "false";
        foreach (var id in CarrierIds.All)
        {
            settings[$"Loa:Carriers:{id}:Url"] = $"http://127.0.0.1:9/{id}";
            settings[$"Loa:Carriers:{id}:Credential"] = $"prod-credential-{id}-7f3a";
            settings[$"Loa:Carriers:{id}:ReceiptSecret"] = $"prod-receipt-{id}-91c2";
        }
        return settings;
    }

    private static WebApplication Build(Dictionary<string, string?> settings) =>
        LoaApi.Build(["--environment", "Production", "--urls", "http://127.0.0.1:0"],
            builder => builder.Configuration.AddInMemoryCollection(settings));

    private static void AssertRefused(Dictionary<string, string?> settings, string setting, string? secret = null)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Build(settings));
        Assert.Contains(setting, error.Message);
        if (secret is not null)
            Assert.DoesNotContain(secret, error.Message);
    }

    [Fact]
    public void The_host_reads_its_settings_files_once_instead_of_watching_the_directory_its_database_is_written_in()
    {
        using var app = Build(GoodSettings());
        var files = ((IConfigurationBuilder)app.Configuration).Sources.OfType<Microsoft.Extensions.Configuration.Json.JsonConfigurationSource>().ToList();
        Assert.Contains(files, f => f.Path == "appsettings.json");
        Assert.All(files, f => Assert.False(f.ReloadOnChange, f.Path));
    }

    [Fact]
    public void A_development_carrier_credential_is_refused_by_name()
    {
        var settings = GoodSettings();
        settings["Loa:Carriers:viettel:Credential"] = "dev-viettel-credential";
        AssertRefused(settings, "Loa:Carriers:viettel:Credential", "dev-viettel-credential");
    }

    [Fact]
    public void A_test_or_empty_receipt_secret_is_refused_by_name()
    {
        var settings = GoodSettings();
        settings["Loa:Carriers:gmobile:ReceiptSecret"] = "test-gmobile-secret";
        AssertRefused(settings, "Loa:Carriers:gmobile:ReceiptSecret", "test-gmobile-secret");

        settings = GoodSettings();
        settings["Loa:Carriers:mobifone:ReceiptSecret"] = "";
        AssertRefused(settings, "Loa:Carriers:mobifone:ReceiptSecret");
    }

    [Fact]
    public void Simulators_standing_in_for_a_carrier_without_a_url_are_refused_unless_allowed()
    {
        var settings = GoodSettings();
        settings["Loa:Simulators:Enabled"] = "true";
        settings["Loa:Carriers:vinaphone:Url"] = "";
        AssertRefused(settings, "Loa:Carriers:vinaphone:Url");

        settings[Loa.CampaignApi.Security.ProductionChecks.AllowSimulators] = "true";
        using var _ = (IDisposable)Build(settings);
    }

    [Fact]
    public void A_development_key_in_configuration_is_refused_by_name()
    {
        var settings = GoodSettings();
        settings["Loa:Monitoring:ApiKey"] = "dev-operator";
        AssertRefused(settings, "Loa:Monitoring:ApiKey");
    }

    [Fact]
    public async Task Good_settings_start_and_development_keys_from_an_old_database_stop_working()
    {
        var development = await LoaTestHost.StartAsync(directory: directory);
        await development.StopKeepingDataAsync();

        await using var app = Build(GoodSettings());
        await LoaApi.PrepareAsync(app);
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "dev-admin");
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/keys")).StatusCode);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public void An_audit_anchor_without_a_secret_or_with_a_development_one_is_refused_by_name()
    {
        var settings = GoodSettings();
        settings["Loa:Audit:Anchor:Directory"] = Path.Combine(directory, "anchors");
        AssertRefused(settings, "Loa:Audit:Anchor:Secret");

        settings["Loa:Audit:Anchor:Secret"] = "dev-audit-anchor-secret";
        AssertRefused(settings, "Loa:Audit:Anchor:Secret", "dev-audit-anchor-secret");

        settings["Loa:Audit:Anchor:Secret"] = "test-audit-anchor-secret";
        AssertRefused(settings, "Loa:Audit:Anchor:Secret", "test-audit-anchor-secret");
    }
}
