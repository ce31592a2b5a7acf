using System.Net.Http.Json;
using System.Text.Json;
using Loa.Tests.Shared;

namespace Loa.CampaignApi.Tests.Audiences;

/// <summary>
/// A list says which target groups and communes it holds, counted at upload, so that an author targets
/// them by choice instead of from memory (the console offers them).
/// </summary>
public sealed class ListGroupsSpecs
{
    [Fact]
    public async Task A_list_counts_its_members_under_each_tag_and_commune_it_holds()
    {
        await using var loa = await LoaTestHost.StartAsync();
        using var author = loa.Client("dev-author");
        var csv = "msisdn,province,commune,tags\n"
            + $"{LoaTestHost.Number(0)},01,00004,student;elderly\n"
            + $"{LoaTestHost.Number(1)},01,00004,student\n"
            + $"{LoaTestHost.Number(2)},01,00007,Elderly\n"
            + $"{LoaTestHost.Number(3)},01,,\n"
            + $"{LoaTestHost.Number(4)},01,00007,civil-servant\n";
        var id = (await LoaTestHost.UploadListAsync(author, csv)).GetProperty("id").GetString()!;

        var details = await author.GetFromJsonAsync<JsonElement>($"/api/v1/lists/{id}");

        // A member in two groups counts in both; one without tags or commune in neither.
        Assert.Equal([("civil-servant", 1L), ("elderly", 2L), ("student", 2L)],
            details.GetProperty("byTag").EnumerateObject().Select(p => (p.Name, p.Value.GetInt64())));
        Assert.Equal([("00004", 2L), ("00007", 2L)],
            details.GetProperty("byCommune").EnumerateObject().Select(p => (p.Name, p.Value.GetInt64())));

        // A plain list holds no groups: both empty, not missing.
        var plain = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3, offset: 50))).GetProperty("id").GetString()!;
        var plainDetails = await author.GetFromJsonAsync<JsonElement>($"/api/v1/lists/{plain}");
        Assert.Empty(plainDetails.GetProperty("byTag").EnumerateObject());
        Assert.Empty(plainDetails.GetProperty("byCommune").EnumerateObject());
    }
}
