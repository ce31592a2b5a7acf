using System.Data.Common;
using Dapper;

namespace Loa.Storage.Progress;

/// <summary>The counters of <c>campaign_push_counts</c> (see 0022_push_fallback.sql).</summary>
public static class PushCounter
{
    /// <summary>Push deliveries a phone said it received (an <c>opened</c> counts here too, once).</summary>
    public const string Received = "received";

    public const string Opened = "opened";

    /// <summary>Fallback SMS deliveries planned for pushes nobody acknowledged in time.</summary>
    public const string Fallback = "fallback";

    /// <summary>Pushes to a device with a linked number that were acknowledged in time: an SMS not sent.</summary>
    public const string Saved = "saved";

    /// <summary>
    /// Topic sends planned for an app on topics (per push-&lt;app&gt; carrier): its deliveries are topics, and
    /// its <see cref="Received"/> counts phones, not deliveries.
    /// </summary>
    public const string Topics = "topics";
}

/// <summary>
/// Moves <c>campaign_push_counts</c> in the caller's transaction, as <see cref="ProgressDeltas"/> moves
/// <c>campaign_progress</c>: the counter and the row it counts commit together, so progress reads a
/// handful of counter rows and never counts acks or deliveries.
/// </summary>
internal static class PushCounts
{
    private static readonly Sql Upsert = new(
        Sqlite: """
            INSERT INTO campaign_push_counts (campaign_id, carrier, counter, count) VALUES (@CampaignId, @Carrier, @Counter, @Delta)
            ON CONFLICT (campaign_id, carrier, counter) DO UPDATE SET count = count + excluded.count
            """,
        SqlServer: """
            MERGE campaign_push_counts WITH (HOLDLOCK) AS t
            USING (SELECT @CampaignId AS campaign_id, @Carrier AS carrier, @Counter AS counter) AS s
            ON t.campaign_id = s.campaign_id AND t.carrier = s.carrier AND t.counter = s.counter
            WHEN MATCHED THEN UPDATE SET count = t.count + @Delta
            WHEN NOT MATCHED THEN INSERT (campaign_id, carrier, counter, count) VALUES (@CampaignId, @Carrier, @Counter, @Delta);
            """);

    public static async Task AddAsync(
        Database database, DbConnection connection, DbTransaction transaction, string campaignId, string carrier,
        IEnumerable<(string Counter, long Delta)> moves, CancellationToken cancellationToken)
    {
        var rows = moves.Where(m => m.Delta != 0)
            .Select(m => new { CampaignId = campaignId, Carrier = carrier, m.Counter, m.Delta }).ToList();
        if (rows.Count > 0)
            await connection.ExecuteAsync(new CommandDefinition(database.Text(Upsert), rows, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>A campaign's counters, per carrier and counter (a few rows).</summary>
    public static async Task<IReadOnlyList<(string Carrier, string Counter, long Count)>> ReadAsync(
        Database database, string campaignId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<(string, string, long)>(new CommandDefinition(
            "SELECT carrier, counter, count FROM campaign_push_counts WHERE campaign_id = @campaignId",
            new { campaignId }, cancellationToken: cancellationToken))).AsList();
    }
}
