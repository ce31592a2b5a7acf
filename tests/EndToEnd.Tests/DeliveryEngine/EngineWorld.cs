using System.Globalization;
using System.Text;
using Loa.Tests.Shared;

namespace Loa.EndToEnd.Tests.DeliveryEngine;

/// <summary>Settings and audiences the delivery-engine specs share.</summary>
internal static class EngineWorld
{
    /// <summary>The private broker scripts/test.sh starts; the suite fails (not skips) without it.</summary>
    public static string RabbitMq()
    {
        var rabbit = Environment.GetEnvironmentVariable("LOA_TEST_RABBITMQ");
        Assert.False(string.IsNullOrEmpty(rabbit), "LOA_TEST_RABBITMQ is not set: run the suite with scripts/test.sh, which starts a private RabbitMQ.");
        return rabbit!;
    }

    /// <summary>Carrier secrets, and on RabbitMQ a queue prefix of this test's own.</summary>
    public static Action<Dictionary<string, string?>> Settings(bool rabbitMq, Action<Dictionary<string, string?>>? more = null) => s =>
    {
        foreach (var kv in LoaTestHost.CarrierSecrets())
            s[kv.Key] = kv.Value;
        if (rabbitMq)
        {
            s["Loa:Transport"] = "RabbitMq";
            s["ConnectionStrings:RabbitMq"] = RabbitMq();
            s["Loa:Bus:Prefix"] = "loa-" + Guid.NewGuid().ToString("n")[..8];
        }
        more?.Invoke(s);
    };

    /// <summary>Numbers that all route to Viettel (086), <paramref name="offset"/> keeps two lists apart.</summary>
    public static string ViettelCsv(int count, int offset = 0)
    {
        var csv = new StringBuilder("msisdn\n");
        for (var i = 0; i < count; i++)
            csv.Append("086").Append((offset + i).ToString("D7", CultureInfo.InvariantCulture)).Append('\n');
        return csv.ToString();
    }
}
