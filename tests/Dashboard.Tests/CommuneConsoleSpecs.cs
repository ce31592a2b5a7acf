using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Loa.Tests.Shared;
using Microsoft.Playwright;
using static Loa.Dashboard.Tests.ConsolePage;
using static Microsoft.Playwright.Assertions;

namespace Loa.Dashboard.Tests;

/// <summary>
/// The console's commune table screen (issue 19), in Chromium against a real Loa host: a national admin loads
/// the table from a file, sees what was loaded and the lists uploaded before it that it contradicts, has a bad
/// file refused line by line with nothing loaded, and clears the table behind a confirmation; a province admin
/// reads it without the controls that only a national admin may use. Every spec leaves the table empty, as the
/// other console specs on this host expect it.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class CommuneConsoleSpecs(DashboardWorld world)
{
    /// <summary>More than one page of the screen (200): three communes of Hà Nội, one of Thanh Hóa, 201 of Hồ Chí Minh.</summary>
    private static readonly string Table = "code,name,province\n00004,Phường Ba Đình,HN\n00008,Phường Ngọc Hà,01\n00025,Phường Giảng Võ,01\n14950,Xã Thử,38\n"
        + string.Concat(Enumerable.Range(1, 201).Select(n => $"{26000 + n:D5},Phường Thử {n},79\n"));

    private const int TableRows = 205;

    private static FilePayload Csv(string name, string text) => new() { Name = name, MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(text) };

    /// <summary>
    /// Empties the table through the API, whatever it holds: the host is every console spec's, and a table left
    /// loaded would refuse the communes of their list uploads.
    /// </summary>
    private static async Task ClearTableAsync(HttpClient admin)
    {
        var size = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes?limit=1")).GetProperty("loaded").GetInt32();
        using var cleared = await admin.DeleteAsync($"/api/v1/geography/communes?confirm={size}");
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
    }

    [Fact]
    public async Task A_national_admin_loads_the_table_sees_the_lists_it_contradicts_has_a_bad_file_refused_by_line_and_clears_it()
    {
        var loa = world.Loa;
        var origin = loa.BaseAddress.GetLeftPart(UriPartial.Authority);
        using var admin = loa.Client("dev-admin");
        using var author = loa.Client("dev-author");
        try
        {
            // Uploaded while no table is loaded, so checked for form only: 99999 is no commune of the table, and
            // 00008 is Hà Nội's, not Thanh Hóa's.
            const string listName = "Hộ dân phường Ba Đình (tải trước khi có bảng)";
            var list = await LoaTestHost.UploadListAsync(author,
                $"msisdn,province,commune\n{LoaTestHost.Number(7001)},01,00004\n{LoaTestHost.Number(7002)},01,99999\n{LoaTestHost.Number(7003)},38,00008\n", listName);
            Assert.Equal(3, list.GetProperty("accepted").GetInt32());
            var listId = list.GetProperty("id").GetString()!;

            var requests = new List<string>();
            var page = await world.OpenConsoleAsync(requests);
            await SignInAsync(page, "dev-admin");
            await page.GetByRole(AriaRole.Link, new() { Name = "Xã, phường", Exact = true }).ClickAsync();
            await Expect(page.GetByTestId("communes-state")).ToHaveTextAsync("Chưa nạp bảng xã, phường: mã xã, phường chỉ được kiểm tra theo dạng (5 chữ số).", Bounded);
            await Expect(page.GetByTestId("communes-review-summary")).ToHaveTextAsync("Chưa nạp bảng: chưa có gì để đối chiếu.", Bounded);
            await Expect(page.GetByTestId("communes-count")).ToHaveTextAsync("Bảng trống.", Bounded);
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Xóa bảng", Exact = true })).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });

            // The load: how many, by province, and the list above named for its owner to upload again.
            await page.GetByLabel("Tệp bảng xã, phường (CSV)").SetInputFilesAsync(Csv("xa-phuong.csv", Table));
            await page.GetByRole(AriaRole.Button, new() { Name = "Nạp bảng", Exact = true }).ClickAsync();
            await Expect(page.GetByTestId("communes-accepted")).ToHaveTextAsync("205", Bounded);
            await Expect(page.GetByTestId("communes-by-province").Locator("tr")).ToHaveTextAsync(["Hà Nội3", "Thanh Hóa1", "Hồ Chí Minh201"], new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(page.GetByTestId("communes-state")).ToHaveTextAsync($"Đã nạp bảng: {TableRows} xã, phường.", Bounded);
            var review = page.GetByTestId("communes-review-rows").Locator("tr", new() { HasText = listId });
            await Expect(review.Locator("th")).ToHaveTextAsync(listName, Bounded);
            await Expect(review.Locator("td")).ToHaveTextAsync([listId, "Trung ương", "1", "1"], new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(page.GetByTestId("communes-review-summary")).ToContainTextAsync("Cần xem lại", Contains);

            // The table a page at a time, never all of it at once; a province's in one page, counted.
            await Expect(page.GetByTestId("commune-rows").Locator("tr")).ToHaveCountAsync(200, new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(page.GetByTestId("communes-count")).ToHaveTextAsync($"Đang hiện 200 trong {TableRows} xã, phường, theo mã; bấm “Xem thêm” để xem tiếp.", Bounded);
            await page.GetByRole(AriaRole.Button, new() { Name = "Xem thêm" }).ClickAsync();
            await Expect(page.GetByTestId("commune-rows").Locator("tr")).ToHaveCountAsync(TableRows, new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(page.GetByTestId("communes-count")).ToHaveTextAsync($"Cả bảng: {TableRows} xã, phường.", Bounded);
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Xem thêm" })).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
            await page.GetByLabel("Lọc theo tỉnh").SelectOptionAsync(new SelectOptionValue { Label = "Hà Nội" });
            await Expect(page.GetByTestId("communes-count")).ToHaveTextAsync("Hà Nội: 3 xã, phường.", Bounded);
            await Expect(page.GetByTestId("commune-rows").Locator("tr")).ToHaveTextAsync(
                ["00004Phường Ba ĐìnhHà Nội", "00008Phường Ngọc HàHà Nội", "00025Phường Giảng VõHà Nội"], new() { Timeout = DashboardWorld.TimeoutMs });
            await AssertTranslatedAsync(page);
            await AssertAccessibleAsync(page, "communes, loaded");
            await ScreenshotAsync(page, "communes");

            // In English, a bad file: every bad cell by its line, and the table in use stays as it was.
            await page.GetByTestId("lang").SelectOptionAsync("en");
            await Expect(page.GetByTestId("communes-state")).ToHaveTextAsync($"A commune table is loaded: {TableRows} communes.", Bounded);
            await page.GetByLabel("Commune table file (CSV)").SetInputFilesAsync(Csv("wrong.csv",
                "code,name,province\n00004,Phường Ba Đình,01\n1234,Ngắn,01\n00004,Lặp lại,01\n00010,Xã Sai,XX\n"));
            await page.GetByRole(AriaRole.Button, new() { Name = "Load the table", Exact = true }).ClickAsync();
            await Expect(page.GetByTestId("communes-error")).ToHaveTextAsync(
                "Invalid input (400): Nothing was loaded: the table is replaced whole, by a file with no bad row. The table in use stays as it was.", Bounded);
            var errors = page.GetByTestId("communes-errors").Locator("tr");
            await Expect(errors).ToHaveCountAsync(3, new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(errors.Nth(0).Locator("td")).ToHaveTextAsync(["3", "Code", "A commune code is 5 digits, as the statistics office numbers it (e.g. 00004)."], new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(errors.Nth(1).Locator("td")).ToHaveTextAsync(["4", "Code", "Commune 00004 is already on line 2."], new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(errors.Nth(2).Locator("td")).ToHaveTextAsync(["5", "Province", "No province has this code (any form of province code Loa reads will do)."], new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(page.GetByTestId("communes-result")).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
            var kept = await admin.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes?limit=1000");
            Assert.Equal(TableRows, kept.GetProperty("items").GetArrayLength());
            await AssertTranslatedAsync(page);
            await AssertAccessibleAsync(page, "communes, a file refused");

            // Back in Vietnamese, the admin clears the table it read; another admin has loaded a smaller one meanwhile,
            // which is not removed unseen: the screen shows the table as it is now, and clearing that one is confirmed again.
            await page.GetByTestId("lang").SelectOptionAsync("vi");
            await Expect(page.GetByTestId("communes-state")).ToHaveTextAsync($"Đã nạp bảng: {TableRows} xã, phường.", Bounded);
            using (var meanwhile = await admin.PutAsync("/api/v1/geography/communes", new StringContent(Table[..Table.IndexOf("26001", StringComparison.Ordinal)], Encoding.UTF8, "text/csv")))
                Assert.Equal(HttpStatusCode.OK, meanwhile.StatusCode);
            await page.GetByRole(AriaRole.Button, new() { Name = "Xóa bảng", Exact = true }).ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await Expect(dialog).ToContainTextAsync("Xóa bảng xã, phường?", Contains);
            await Expect(dialog).ToContainTextAsync($"{TableRows} xã, phường trong bảng sẽ bị xóa.", Contains);
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Xóa bảng", Exact = true }).ClickAsync();
            await Expect(page.GetByTestId("communes-error")).ToContainTextAsync("Không thực hiện được ở trạng thái hiện tại (409)", Contains);
            await Expect(page.GetByTestId("communes-state")).ToHaveTextAsync("Đã nạp bảng: 4 xã, phường.", Bounded);
            await page.GetByRole(AriaRole.Button, new() { Name = "Xóa bảng", Exact = true }).ClickAsync();
            await Expect(dialog).ToContainTextAsync("4 xã, phường trong bảng sẽ bị xóa.", Contains);
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Xóa bảng", Exact = true }).ClickAsync();
            await Expect(page.GetByTestId("communes-state")).ToHaveTextAsync("Chưa nạp bảng xã, phường: mã xã, phường chỉ được kiểm tra theo dạng (5 chữ số).", Bounded);
            await Expect(page.GetByTestId("communes-review-summary")).ToHaveTextAsync("Chưa nạp bảng: chưa có gì để đối chiếu.", Bounded);
            await Expect(page.GetByTestId("communes-count")).ToHaveTextAsync("Bảng không có xã, phường nào của Hà Nội.", Bounded);
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Xóa bảng", Exact = true })).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(page.GetByTestId("communes-error")).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
            Assert.Empty((await admin.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes")).GetProperty("items").EnumerateArray());
            await AssertTranslatedAsync(page);
            world.AssertNoScriptProblems(page);
            await page.Context.CloseAsync();

            Assert.NotEmpty(requests);
            Assert.All(requests, url => Assert.StartsWith(origin + "/", url, StringComparison.Ordinal));
        }
        finally
        {
            await ClearTableAsync(admin);
        }
    }

    [Fact]
    public async Task A_province_admin_reads_the_screen_without_the_load_and_clear_controls_and_a_load_it_forces_is_refused_as_outside_its_tenant()
    {
        var loa = world.Loa;
        using var admin = loa.Client("dev-admin");
        var name = $"qtv-ha-noi-{Guid.NewGuid():n}"[..20];
        var created = await admin.PostAsJsonAsync("/api/v1/keys", new { name, tenant = "01", roles = new[] { "admin" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        try
        {
            var requests = new List<string>();
            var page = await world.OpenConsoleAsync(requests);
            await SignInAsync(page, key, name);
            await page.GetByRole(AriaRole.Link, new() { Name = "Xã, phường", Exact = true }).ClickAsync();
            await Expect(page.GetByTestId("communes-review-summary")).ToHaveTextAsync("Chưa nạp bảng: chưa có gì để đối chiếu.", Bounded);
            await Expect(page.GetByText("Chỉ quản trị viên trung ương được nạp hoặc xóa bảng.", new() { Exact = false })).ToBeVisibleAsync(Visible);
            await Expect(page.GetByLabel("Tệp bảng xã, phường (CSV)")).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Nạp bảng", Exact = true })).ToBeHiddenAsync(new() { Timeout = DashboardWorld.TimeoutMs });

            // The API decides, not the page: a form shown by hand still loads nothing, and says why in the reader's language.
            await page.EvaluateAsync("() => { document.getElementById('communes-form').hidden = false; }");
            await page.GetByLabel("Tệp bảng xã, phường (CSV)").SetInputFilesAsync(Csv("xa-phuong.csv", Table));
            await page.GetByRole(AriaRole.Button, new() { Name = "Nạp bảng", Exact = true }).ClickAsync();
            await Expect(page.GetByTestId("communes-error")).ToContainTextAsync("Ngoài phạm vi đơn vị của bạn (403)", Contains);
            Assert.Empty((await admin.GetFromJsonAsync<JsonElement>("/api/v1/geography/communes")).GetProperty("items").EnumerateArray());
            await AssertTranslatedAsync(page);
            world.AssertNoScriptProblems(page);
            await page.Context.CloseAsync();
            Assert.All(requests, url => Assert.StartsWith(loa.BaseAddress.GetLeftPart(UriPartial.Authority) + "/", url, StringComparison.Ordinal));
        }
        finally
        {
            await ClearTableAsync(admin);
        }
    }
}
