namespace Loa.EndToEnd.Tests;

/// <summary>
/// Tests that push whole campaigns through the delivery engine: RabbitMQ, dispatcher hosts and
/// dispatcher processes. They run one at a time and apart from every other test, because each
/// one alone keeps the machine's few cores busy, and the rates they measure at the carrier would
/// otherwise measure the neighbours too.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DeliveryEngineCollection
{
    public const string Name = "Delivery engine";

    /// <summary>
    /// The test broker's amqp:// URI. A test that needs it fails (never skips) without it, so that
    /// a run without a broker cannot pass by testing less.
    /// </summary>
    public static string RabbitMqAddress()
    {
        var rabbit = Environment.GetEnvironmentVariable("LOA_TEST_RABBITMQ");
        Assert.False(string.IsNullOrEmpty(rabbit), "LOA_TEST_RABBITMQ is not set: run the suite with scripts/test.sh, which starts a private RabbitMQ (or `bash scripts/rabbitmq.sh` and export the line it prints).");
        return rabbit!;
    }
}
