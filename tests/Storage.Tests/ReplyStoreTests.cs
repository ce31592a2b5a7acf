using Loa.Storage.Replies;
using Loa.Storage.Suppression;
using Loa.Tests.Shared;

namespace Loa.Storage.Tests;

/// <summary>Replies are kept whole; a keyword reply opts the number out in the same write, once.</summary>
public sealed class ReplyStoreTests : IAsyncLifetime
{
    private TempDatabase temp = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync(DatabaseProvider dialect) => temp = await TempDatabase.CreateAsync(dialect);

    public async Task DisposeAsync()
    {
        if (temp is not null)
            await temp.DisposeAsync();
    }

    [Theory, SqliteData, SqlServerData]
    public async Task A_keyword_reply_is_kept_and_opts_the_number_out_once_and_a_plain_reply_is_only_kept(DatabaseProvider dialect)
    {
        await StartAsync(dialect);
        var replies = new ReplyStore(temp.Database);
        var suppression = new SuppressionStore(temp.Database, TimeProvider.System);
        var at = DateTimeOffset.Parse("2026-12-05T03:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

        await replies.RecordAsync("viettel", "+84961234567", "CUCATTT", "Ai gửi tin này vậy?", optOut: false, at);
        await replies.RecordAsync("viettel", "+84961234567", "CUCATTT", "TU CHOI", optOut: true, at.AddMinutes(1));
        await replies.RecordAsync("viettel", "+84961234567", "CUCATTT", "TC", optOut: true, at.AddMinutes(2));
        await replies.RecordAsync("mobifone", "+84901234567", "CUCATTT", new string('x', 2000), optOut: false, at);

        var optOut = await suppression.GetOptOutAsync("+84961234567");
        Assert.NotNull(optOut);
        Assert.Equal(("national", "sms", "carrier:viettel", at.AddMinutes(1).ToUnixTimeMilliseconds()),
            (optOut.Tenant, optOut.Source, optOut.CreatedBy, optOut.CreatedAt));
        Assert.Null(await suppression.GetOptOutAsync("+84901234567"));

        var page = await replies.PageAsync("+84961234567", before: null, limit: 10);
        Assert.Equal(["TC", "TU CHOI", "Ai gửi tin này vậy?"], page.Select(r => r.Text));
        Assert.Equal([true, true, false], page.Select(r => r.OptedOut));
        var older = await replies.PageAsync(null, before: page[1].Id, limit: 10);
        Assert.Equal("Ai gửi tin này vậy?", Assert.Single(older).Text);
        Assert.Equal(ReplyStore.MaxText, Assert.Single(await replies.PageAsync("+84901234567", null, 10)).Text.Length);
    }
}
