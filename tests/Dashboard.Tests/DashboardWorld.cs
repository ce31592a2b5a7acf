using Loa.CarrierAdapters;
using Loa.Tests.Shared;
using Microsoft.Playwright;

namespace Loa.Dashboard.Tests;

/// <summary>
/// One Loa host and one browser for the dashboard specs. The carriers are slowed to 15 SMS parts per
/// second each, so that a campaign of a few thousand numbers runs for well over 20 s and its progress
/// can be watched; a few receipts come back failed, so that failures have something to show.
/// </summary>
public sealed class DashboardWorld : IAsyncLifetime
{
    /// <summary>The OS Chromium (Debian's package); Playwright never downloads a browser here.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    public const int PartsPerSecond = 15;

    /// <summary>Bounds every Playwright wait: nothing in these specs should need longer.</summary>
    public const float TimeoutMs = 30_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<IPage, System.Collections.Concurrent.ConcurrentQueue<string>> scriptProblems = new();
    private IPlaywright? playwright;
    private IBrowser? browser;
    private LoaTestHost? loa;

    public LoaTestHost Loa => loa ?? throw new InvalidOperationException("Not started.");

    public IBrowser Browser => browser ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: `apt-get install -y chromium` (scripts/test.sh does this).");
        var starting = LoaTestHost.StartAsync(s =>
        {
            foreach (var kv in LoaTestHost.CarrierSecrets())
                s[kv.Key] = kv.Value;
            foreach (var carrier in CarrierIds.All)
                s[$"Loa:Carriers:{carrier}:PartsPerSecond"] = PartsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture);
            s["Loa:Simulators:Carriers:viettel:DeliveredWeight"] = "97";
            s["Loa:Simulators:Carriers:viettel:FailedWeight"] = "3";
            s["Loa:Simulators:Carriers:mobifone:DeliveredWeight"] = "98";
            s["Loa:Simulators:Carriers:mobifone:ExpiredWeight"] = "2";
            // One push app, for the console's push compose and review (the simulator takes any token).
            s["Loa:Push:Apps:loa:Provider"] = "Fcm";
            s["Loa:Simulators:Push:Behaviour:AcceptUnknownTokens"] = "true";
            // And one app on topics, for the push panel's topic line (only its own spec registers devices for it).
            s["Loa:Push:Apps:news:Provider"] = "Fcm";
            s["Loa:Push:Apps:news:UseTopics"] = "true";
        });
        try
        {
            playwright = await Playwright.CreateAsync();
            browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Timeout = TimeoutMs,
                // No internet here: without these Chromium keeps dialling out to Google's services.
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
        }
        finally
        {
            // Started either way, so that DisposeAsync stops it.
            loa = await starting;
        }
    }

    /// <summary>A fresh browser context (its own session storage) on the Loa origin, every wait bounded.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Loa.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            Locale = "vi-VN",
            TimezoneId = "Asia/Ho_Chi_Minh",
        });
        context.SetDefaultTimeout(TimeoutMs);
        context.SetDefaultNavigationTimeout(TimeoutMs);
        var page = await context.NewPageAsync();
        var seen = scriptProblems.GetOrAdd(page, _ => new());
        page.PageError += (_, error) => seen.Enqueue("uncaught: " + error);
        // CSP refusals and script errors; answers such as 404 and 409 are the API talking, not a defect.
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
                seen.Enqueue(message.Text);
        };
        return page;
    }

    /// <summary>The page threw nothing and the browser refused nothing (e.g. under the Content-Security-Policy).</summary>
    public void AssertNoScriptProblems(IPage page) =>
        Assert.True(scriptProblems.TryGetValue(page, out var seen) && seen.IsEmpty, "script problems: " + string.Join("\n", seen ?? []));

    public async Task DisposeAsync()
    {
        if (browser is not null)
            await browser.DisposeAsync();
        playwright?.Dispose();
        if (loa is not null)
            await loa.DisposeAsync();
    }
}
