using System.Data.Common;
using Dapper;

namespace Loa.Storage.Deliveries;

/// <summary>
/// Per campaign × carrier × status counters, moved in the same transaction as the delivery rows
/// they count, so that progress is exact and read without counting deliveries.
/// </summary>
internal sealed class ProgressDeltas(Database database)
{
    private static readonly Sql Upsert = new(
        Sqlite: """
            INSERT INTO campaign_progress (campaign_id, carrier, status, count) VALUES (@CampaignId, @Carrier, @Status, @Delta)
            ON CONFLICT (campaign_id, carrier, status) DO UPDATE SET count = count + excluded.count
            """,
        SqlServer: """
            MERGE campaign_progress WITH (HOLDLOCK) AS t
            USING (SELECT @CampaignId AS campaign_id, @Carrier AS carrier, @Status AS status) AS s
            ON t.campaign_id = s.campaign_id AND t.carrier = s.carrier AND t.status = s.status
            WHEN MATCHED THEN UPDATE SET count = t.count + @Delta
            WHEN NOT MATCHED THEN INSERT (campaign_id, carrier, status, count) VALUES (@CampaignId, @Carrier, @Status, @Delta);
            """);

    // Completed when planning is over and nothing is queued or submitted any more.
    private static readonly Sql Complete = Sql.Both("""
        UPDATE campaigns SET status = 'completed', completed_at = @Now, updated_at = @Now
        WHERE id = @Id AND status = 'running' AND planned_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM campaign_progress
                          WHERE campaign_id = @Id AND status IN ('queued', 'submitted') AND count > 0)
        """);

    private readonly Dictionary<(string CampaignId, string Carrier, string Status), long> deltas = [];

    public void Move(string campaignId, string carrier, string? from, string to, long count = 1)
    {
        if (count == 0)
            return;
        if (from is not null)
            Add(campaignId, carrier, from, -count);
        Add(campaignId, carrier, to, count);
    }

    public void Add(string campaignId, string carrier, string status, long count)
    {
        var key = (campaignId, carrier, status);
        deltas[key] = deltas.GetValueOrDefault(key) + count;
    }

    public IEnumerable<string> Campaigns => deltas.Keys.Select(k => k.CampaignId).Distinct();

    public async Task FlushAsync(DbConnection connection, DbTransaction transaction, long now)
    {
        var rows = deltas.Where(d => d.Value != 0)
            .Select(d => new { d.Key.CampaignId, d.Key.Carrier, d.Key.Status, Delta = d.Value })
            .ToList();
        if (rows.Count > 0)
            await connection.ExecuteAsync(database.Text(Upsert), rows, transaction);
        foreach (var campaign in Campaigns.ToList())
            await CompleteIfDoneAsync(connection, transaction, campaign, now);
        deltas.Clear();
    }

    public Task CompleteIfDoneAsync(DbConnection connection, DbTransaction transaction, string campaignId, long now) =>
        connection.ExecuteAsync(database.Text(Complete), new { Id = campaignId, Now = now }, transaction);
}
