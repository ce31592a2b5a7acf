using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Loa.Dashboard.Tests;

/// <summary>
/// What every console spec does to a page: open <c>/console</c>, sign in, and check that a screen is translated,
/// labelled and legible; and the screenshots for the docs. Specs bring it in with <c>using static</c>.
/// </summary>
internal static partial class ConsolePage
{
    /// <summary>Set to a folder (e.g. docs; relative to the repository root) to save docs/console-*.png along the flow.</summary>
    private const string ScreenshotVariable = "LOA_CONSOLE_SCREENSHOTS";

    internal static readonly LocatorAssertionsToHaveTextOptions Bounded = new() { Timeout = DashboardWorld.TimeoutMs };
    internal static readonly LocatorAssertionsToContainTextOptions Contains = new() { Timeout = DashboardWorld.TimeoutMs };
    internal static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = DashboardWorld.TimeoutMs };

    /// <summary>A fresh page on <c>/console</c> at 1280×800; every URL it asks for is added to <paramref name="requests"/>.</summary>
    internal static async Task<IPage> OpenConsoleAsync(this DashboardWorld world, List<string> requests)
    {
        var page = await world.NewPageAsync();
        await page.SetViewportSizeAsync(1280, 800);
        page.Request += (_, request) => requests.Add(request.Url);
        var response = await page.GotoAsync("/console");
        Assert.NotNull(response);
        Assert.True(response.Ok, $"GET /console answered {response.Status}");
        return page;
    }

    internal static async Task SignInAsync(IPage page, string key, string? name = null, string button = "Đăng nhập", string label = "Khóa API")
    {
        await page.GetByLabel(label, new() { Exact = true }).FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("who-name")).ToHaveTextAsync(name ?? key, Bounded);
    }

    /// <summary>No string key shows unresolved (⟦key⟧) and no element marked for translation is left empty.</summary>
    internal static async Task AssertTranslatedAsync(IPage page)
    {
        const string Untranslated = "[...document.querySelectorAll('[data-i18n]')].filter(n => !n.textContent.trim()).map(n => n.dataset.i18n)";
        // The strings come from /console/<lang>.json, fetched after the page loads: on a busy machine a page just
        // opened may not have them yet. Wait (bounded) for them, then name whatever is still missing.
        try
        {
            await page.WaitForFunctionAsync($"() => {Untranslated}.length === 0", null, new() { Timeout = DashboardWorld.TimeoutMs });
        }
        catch (TimeoutException)
        {
            // Reported below, with the keys.
        }
        var missing = await page.EvaluateAsync<string[]>($"() => {Untranslated}");
        Assert.Empty(missing);
        var text = await page.EvaluateAsync<string>("() => document.body.innerText");
        Assert.DoesNotContain("⟦", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(PhoneNumber(), text);
    }

    /// <summary>Every visible control has a label, and every visible text meets WCAG AA contrast against what is behind it.</summary>
    internal static async Task AssertAccessibleAsync(IPage page, string screen)
    {
        var unlabelled = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('input, select, textarea, button')]
              .filter(n => n.offsetParent !== null && n.type !== 'hidden')
              .filter(n => !(n.labels?.length) && !n.getAttribute('aria-label') && !n.getAttribute('aria-labelledby') && !(n.tagName === 'BUTTON' && n.textContent.trim()))
              .map(n => n.outerHTML.slice(0, 80))
            """);
        Assert.True(unlabelled.Length == 0, $"{screen}: controls without a label: " + string.Join(" | ", unlabelled));
        var contrast = await page.EvaluateAsync<JsonElement>("""
            () => {
              const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
              const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
              const behind = n => { for (; n; n = n.parentElement) { const c = rgb(getComputedStyle(n).backgroundColor); if (c.length === 3 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
              const out = [];
              let checked = 0;
              for (const n of document.querySelectorAll('main *, header *, nav *')) {
                if (n.offsetParent === null || ![...n.childNodes].some(c => c.nodeType === 3 && c.textContent.trim())) continue;
                checked++;
                const style = getComputedStyle(n);
                const [a, b] = [lum(rgb(style.color).slice(0, 3)), lum(behind(n))];
                const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
                const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
                if (ratio < (large ? 3 : 4.5)) out.push(`${n.tagName}.${n.className} "${n.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
              }
              return { checked, poor: out };
            }
            """);
        var poor = contrast.GetProperty("poor").EnumerateArray().Select(p => p.GetString()).ToList();
        Assert.True(contrast.GetProperty("checked").GetInt32() >= 10, $"{screen}: only {contrast.GetProperty("checked")} texts checked");
        Assert.True(poor.Count == 0, $"{screen}: text below AA contrast: " + string.Join(" | ", poor));
    }

    /// <summary>
    /// Every shown fact of a campaign (a <c>.facts</c> cell, on the console or the dashboard) fits its column: a long
    /// name wraps and a principal id is cut, never drawn over the next column.
    /// </summary>
    internal static async Task AssertFactsFitAsync(IPage page)
    {
        var spilling = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('.facts dd')].filter(n => n.offsetParent !== null && n.scrollWidth > n.clientWidth + 1).map(n => `${n.id}: ${n.textContent}`)");
        Assert.True(spilling.Length == 0, "drawn over the next column: " + string.Join(" | ", spilling));
    }

    internal static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable(ScreenshotVariable) is not { Length: > 0 } folder)
            return;
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(FromRepositoryRoot(folder), $"console-{name}.png"), FullPage = true });
    }

    /// <summary>A path as given, or, when relative, below the repository's root (where Loa.slnx is).</summary>
    internal static string FromRepositoryRoot(string path)
    {
        if (Path.IsPathRooted(path))
            return path;
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Loa.slnx")))
            directory = directory.Parent;
        return Path.Combine(directory?.FullName ?? Environment.CurrentDirectory, path);
    }

    /// <summary>A Vietnamese mobile number, unmasked (masked ones have asterisks in the middle).</summary>
    [GeneratedRegex(@"(\+?84|\b0)\d{9}\b")]
    internal static partial Regex PhoneNumber();
}
