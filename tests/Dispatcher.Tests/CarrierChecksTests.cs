using Loa.CarrierAdapters;
using Microsoft.Extensions.Configuration;

namespace Loa.Dispatcher.Tests;

/// <summary>What a standalone dispatcher refuses to start with outside Development.</summary>
public sealed class CarrierChecksTests
{
    private static Dictionary<string, string?> Good() => CarrierIds.All.SelectMany(id => new[]
    {
        new KeyValuePair<string, string?>($"Loa:Carriers:{id}:Url", $"https://sms.{id}.example/api"),
        new KeyValuePair<string, string?>($"Loa:Carriers:{id}:Credential", $"c-{Guid.NewGuid():n}"),
        new KeyValuePair<string, string?>($"Loa:Carriers:{id}:ReceiptSecret", $"s-{Guid.NewGuid():n}"),
    }).ToDictionary();

    private static List<string> Find(Dictionary<string, string?> settings, bool requireUrls = true) =>
        CarrierChecks.Find(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), requireUrls).ToList();

    [Fact]
    public void Real_settings_pass() => Assert.Empty(Find(Good()));

    [Theory]
    [InlineData("Credential", "dev-viettel-credential")]
    [InlineData("Credential", "")]
    [InlineData("ReceiptSecret", "test-viettel-secret")]
    [InlineData("ReceiptSecret", "  ")]
    [InlineData("Url", "")]
    public void A_development_default_or_missing_setting_is_named_but_its_value_never_is(string setting, string value)
    {
        var settings = Good();
        settings[$"Loa:Carriers:viettel:{setting}"] = value;
        var problem = Assert.Single(Find(settings));
        Assert.Contains($"Loa:Carriers:viettel:{setting}", problem);
        if (value.Trim().Length > 0)
            Assert.DoesNotContain(value, problem);
    }

    [Fact]
    public void The_API_host_may_leave_urls_to_its_simulators_on_staging()
    {
        var settings = Good();
        settings["Loa:Carriers:gmobile:Url"] = null;
        Assert.Empty(Find(settings, requireUrls: false));
    }

    private static Dictionary<string, string?> OnSmpp(Dictionary<string, string?> settings)
    {
        foreach (var key in settings.Keys.Where(k => k.StartsWith("Loa:Carriers:mobifone:", StringComparison.Ordinal)).ToList())
            settings.Remove(key);
        settings["Loa:Carriers:mobifone:Adapter"] = "Smpp";
        settings["Loa:Carriers:mobifone:Smpp:Host"] = "smsc.mobifone.example";
        settings["Loa:Carriers:mobifone:Smpp:SystemId"] = "cucattt";
        settings["Loa:Carriers:mobifone:Smpp:Password"] = "Xk9#q2Lm";
        return settings;
    }

    [Fact]
    public void A_carrier_on_SMPP_needs_its_bind_settings_not_the_HTTP_ones() => Assert.Empty(Find(OnSmpp(Good())));

    [Theory]
    [InlineData("SystemId", "")]
    [InlineData("Password", "")]
    [InlineData("Password", "dev-pass")]
    [InlineData("Password", "a-much-too-long-password")]
    [InlineData("Host", " ")]
    public void A_carrier_on_SMPP_with_a_missing_or_development_bind_setting_is_named_but_its_value_never_is(string setting, string value)
    {
        var settings = OnSmpp(Good());
        settings[$"Loa:Carriers:mobifone:Smpp:{setting}"] = value;
        var problem = Assert.Single(Find(settings));
        Assert.Contains($"Loa:Carriers:mobifone:Smpp:{setting}", problem);
        if (value.Trim().Length > 0)
            Assert.DoesNotContain(value, problem);
    }
}
