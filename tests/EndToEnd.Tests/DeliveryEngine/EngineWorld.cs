using System.Globalization;
using System.Text;
using Loa.Tests.Shared;

namespace Loa.EndToEnd.Tests.DeliveryEngine;

/// <summary>Settings and audiences the delivery-engine specs share.</summary>
internal static class EngineWorld
{
    /// <summary>Carrier secrets, and on RabbitMQ a queue prefix of this test's own.</summary>
    public static Action<Dictionary<string, string?>> Settings(bool rabbitMq, Action<Dictionary<string, string?>>? more = null) => s =>
    {
        foreach (var kv in LoaTestHost.CarrierSecrets())
            s[kv.Key] = kv.Value;
        if (rabbitMq)
        {
            s["Loa:Transport"] = "RabbitMq";
            s["ConnectionStrings:RabbitMq"] = DeliveryEngineCollection.RabbitMqAddress();
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
