using System.Data.Common;
using Dapper;

namespace Loa.Storage.Campaigns;

/// <summary>
/// The one place that decides a running campaign is over, and whether it ended <c>completed</c> or
/// <c>failed</c>. Every writer that moves deliveries (a plan page, a batch's results or end, receipts,
/// the receipt deadline) calls it in its own transaction, after its counters are flushed, for the
/// campaigns it moved: the end is then exact and never lags a separate pass.
/// </summary>
internal sealed class CampaignCompletion(Database database)
{
    // Over when planning is over and nothing is queued or submitted any more: `failed` when it
    // reached nobody it tried to (not one delivered, some failed or expired), so that an alert that
    // went out to no one never reads `completed`; otherwise `completed` (every recipient suppressed
    // or none at all included). Summed over provinces: a campaign running across the upgrade to
    // per-province rows has its earlier moves under province '' and its later ones under the real
    // province, which add up only together. A push fallback still open (push_fallbacks, 0022) holds the
    // campaign open: SMS may yet be owed to those who do not acknowledge, and its sweep asks again when it ends.
    private static readonly Sql Complete = Sql.Both("""
        UPDATE campaigns SET
            status = CASE
                WHEN EXISTS (SELECT 1 FROM campaign_progress WHERE campaign_id = @Id AND status = 'delivered' GROUP BY status HAVING SUM(count) > 0)
                  OR NOT EXISTS (SELECT 1 FROM campaign_progress WHERE campaign_id = @Id AND status IN ('failed', 'expired') GROUP BY status HAVING SUM(count) > 0)
                THEN 'completed' ELSE 'failed' END,
            completed_at = @Now, updated_at = @Now
        WHERE id = @Id AND status = 'running' AND planned_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM campaign_progress
                          WHERE campaign_id = @Id AND status IN ('queued', 'submitted')
                          GROUP BY status HAVING SUM(count) > 0)
          AND NOT EXISTS (SELECT 1 FROM push_fallbacks WHERE campaign_id = @Id AND done_at IS NULL)
        """);

    /// <summary>Ends each of <paramref name="campaignIds"/> that is running, fully planned and has nothing left queued or at a carrier.</summary>
    public async Task EndIfDoneAsync(DbConnection connection, DbTransaction transaction, IEnumerable<string> campaignIds, long now)
    {
        foreach (var id in campaignIds)
            await connection.ExecuteAsync(database.Text(Complete), new { Id = id, Now = now }, transaction);
    }

    public Task EndIfDoneAsync(DbConnection connection, DbTransaction transaction, string campaignId, long now) =>
        EndIfDoneAsync(connection, transaction, [campaignId], now);
}
