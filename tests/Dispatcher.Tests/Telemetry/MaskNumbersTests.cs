using Loa.Dispatcher.Telemetry;

namespace Loa.Dispatcher.Tests.Telemetry;

public sealed class MaskNumbersTests
{
    [Theory]
    [InlineData("/api/v1/optouts/+84912345678", "/api/v1/optouts/+8491****678")]
    [InlineData("/api/v1/optouts/%2B84912345678", "/api/v1/optouts/+8491****678")]
    [InlineData("/api/v1/optouts/0912345678", "/api/v1/optouts/****")]
    [InlineData("/api/v1/optouts/84912345678/x", "/api/v1/optouts/****/x")]
    [InlineData("/api/v1/campaigns/01JD3S8Y9X/progress", "/api/v1/campaigns/01JD3S8Y9X/progress")]
    [InlineData("/api/v1/campaigns/123/deliveries", "/api/v1/campaigns/123/deliveries")]
    [InlineData("/api/v1/campaigns/01a1b2d75f9cb8611f186/approve", "/api/v1/campaigns/01a1b2d75f9cb8611f186/approve")]
    [InlineData("/api/v1/campaigns/019ad3e412345678901f/progress", "/api/v1/campaigns/019ad3e412345678901f/progress")]
    public void Numbers_in_a_path_are_masked_and_ids_are_left_alone(string path, string expected) =>
        Assert.Equal(expected, TelemetrySetup.MaskNumbers(path));
}
