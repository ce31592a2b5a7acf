using System.Net;
using System.Text;
using Loa.CarrierAdapters.HttpBatch;

namespace Loa.CampaignApi.Tests.Input;

/// <summary>A validly signed receipt post with a null item is the carrier's error: 400 naming the item, nothing applied.</summary>
public sealed class ReceiptInputSpecs(InputHost host) : IClassFixture<InputHost>
{
    [Theory]
    [InlineData("[null]", "[0]")]
    [InlineData("""[{"messageId":"never-sent-1","status":"delivered"},null]""", "[1]")]
    public async Task A_signed_receipt_post_with_a_null_item_is_a_400_naming_the_item(string json, string field)
    {
        using var carrier = new HttpClient { BaseAddress = host.Loa.BaseAddress };
        var body = Encoding.UTF8.GetBytes(json);
        using var signed = new ByteArrayContent(body);
        signed.Headers.ContentType = new("application/json");
        signed.Headers.Add(ReceiptSignature.Header, ReceiptSignature.Sign(body, "dev-viettel-receipt-secret"));
        var before = await host.RowCountsAsync();

        var response = await carrier.PostAsync("/api/v1/carriers/viettel/receipts", signed);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await InputHost.ProblemAsync(response);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Empty(InputHost.Changed(before, await host.RowCountsAsync()));
    }
}
