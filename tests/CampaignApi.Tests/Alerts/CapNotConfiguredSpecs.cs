using System.Net;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Alerts;

/// <summary>A Loa without <c>Loa:Cap:Lists</c> does not guess an audience.</summary>
public sealed class CapNotConfiguredSpecs : IAsyncLifetime
{
    private LoaTestHost loa = null!;

    public async Task InitializeAsync() => loa = await LoaTestHost.StartAsync();

    public async Task DisposeAsync() => await loa.DisposeAsync();

    [Fact]
    public async Task Without_configured_lists_an_alert_is_answered_422_naming_the_setting()
    {
        using var author = loa.Client("dev-author");
        await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(5, "HN")); // lists exist, but none is named for CAP
        var before = await CapHost.CampaignCountAsync(author);

        var problem = await CapHost.PostExpectingAsync(author, CapDocument.Load("actual-extreme.xml"), HttpStatusCode.UnprocessableEntity);

        Assert.EndsWith("/cap-not-configured", problem.GetProperty("type").GetString());
        Assert.Contains("Loa:Cap:Lists", problem.GetProperty("detail").GetString());
        Assert.Equal(before, await CapHost.CampaignCountAsync(author));
        // Nothing was recorded either: once configured, the same alert is still new.
        await CapHost.PostExpectingAsync(author, CapDocument.Load("actual-extreme.xml"), HttpStatusCode.UnprocessableEntity);
    }
}
