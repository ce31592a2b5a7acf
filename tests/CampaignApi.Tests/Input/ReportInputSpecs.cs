using System.Net;
using System.Text.Json;

namespace Loa.CampaignApi.Tests.Input;

/// <summary>A report over dates outside 2000–2100 is a field error, not an arithmetic overflow.</summary>
public sealed class ReportInputSpecs(InputHost host) : IClassFixture<InputHost>
{
    [Theory]
    [InlineData("from=0001-01-01", "from")]
    [InlineData("from=0001-01-01T00:00:00%2B14:00", "from")]
    [InlineData("from=2026-01-01&to=9999-12-31", "to")]
    [InlineData("from=1999-12-31&to=2026-01-01", "from")]
    public async Task A_report_date_outside_2000_to_2100_is_a_field_error(string query, string field)
    {
        using var operatorClient = host.Loa.Client("dev-operator");

        var response = await operatorClient.GetAsync($"/api/v1/reports/deliveries?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await InputHost.ProblemAsync(response);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }
}
