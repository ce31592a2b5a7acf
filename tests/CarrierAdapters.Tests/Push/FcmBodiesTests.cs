using System.Text.Json;
using Loa.CarrierAdapters.Push;

namespace Loa.CarrierAdapters.Tests.Push;

/// <summary>The spliced bodies are byte for byte what the serialiser writes for each whole request.</summary>
public sealed class FcmBodiesTests
{
    private static FcmSendRequest Request(string? token, string? topic, string text) => new(new FcmMessage
    {
        Token = token,
        Topic = topic,
        Notification = new FcmNotification("Cảnh báo \"lừa đảo\"", text),
        Data = new Dictionary<string, string> { ["campaign"] = "c-17", ["kind"] = "warning" },
        Android = new FcmAndroidConfig("high", "3600s", "c-17"),
        Apns = new FcmApnsConfig(new Dictionary<string, string> { ["apns-priority"] = "10" }),
    });

    private static byte[] Whole(FcmSendRequest request) => JsonSerializer.SerializeToUtf8Bytes(request, FcmJson.Options);

    [Theory]
    [InlineData("dGVzdA:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx_1234567890.abc", false)]
    [InlineData("a token <with> \"odd\" characters and ư", false)]
    [InlineData("loa-01-vi", true)]
    [InlineData("/topics/loa-79-en", true)]
    public void A_spliced_body_is_the_serialised_request(string to, bool topic)
    {
        var bodies = new FcmBodies(text => Request("", null, text));
        foreach (var text in new[] { "Không cung cấp mã OTP cho bất kỳ ai.", "Do not share your OTP.", "Không cung cấp mã OTP cho bất kỳ ai." })
        {
            var message = new OutgoingMessage("m-1", to, text, SmsEncoding.Ucs2, 1) { Topic = topic };
            var expected = topic ? Whole(Request(null, FcmAdapter.TopicName(to), text)) : Whole(Request(to, null, text));
            Assert.Equal(System.Text.Encoding.UTF8.GetString(expected), System.Text.Encoding.UTF8.GetString(bodies.For(message)));
        }
    }
}
