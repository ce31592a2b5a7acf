using System.Data.Common;
using Dapper;
using Loa.Contracts;

using Loa.Storage.Suppression;

namespace Loa.Storage.Progress;

/// <summary>
/// The counters kept beside the delivery rows, moved in the same transaction as the rows they count,
/// so that progress, reports, failure reasons and throughput are exact and read without counting
/// deliveries: per campaign × carrier × province × status (<c>campaign_progress</c>), per campaign ×
/// carrier × failure reason (<c>campaign_failures</c>), and per campaign × 10-second bucket the moves
/// into submitted, delivered and failed (<c>campaign_throughput</c>). Whether a campaign is over is
/// not decided here: each writer asks <see cref="Loa.Storage.Campaigns.CampaignCompletion"/> in its own transaction.
/// </summary>
internal sealed class ProgressDeltas(Database database)
{
    public const long BucketMs = 10_000;

    /// <summary>Longest reason kept in <c>campaign_failures</c> (its key; the delivery row keeps up to 400).</summary>
    public const int ReasonLength = 200;

    private static readonly Sql Upsert = new(
        Sqlite: """
            INSERT INTO campaign_progress (campaign_id, carrier, province, status, count) VALUES (@CampaignId, @Carrier, @Province, @Status, @Delta)
            ON CONFLICT (campaign_id, carrier, province, status) DO UPDATE SET count = count + excluded.count
            """,
        SqlServer: """
            MERGE campaign_progress WITH (HOLDLOCK) AS t
            USING (SELECT @CampaignId AS campaign_id, @Carrier AS carrier, @Province AS province, @Status AS status) AS s
            ON t.campaign_id = s.campaign_id AND t.carrier = s.carrier AND t.province = s.province AND t.status = s.status
            WHEN MATCHED THEN UPDATE SET count = t.count + @Delta
            WHEN NOT MATCHED THEN INSERT (campaign_id, carrier, province, status, count) VALUES (@CampaignId, @Carrier, @Province, @Status, @Delta);
            """);

    private static readonly Sql UpsertFailure = new(
        Sqlite: """
            INSERT INTO campaign_failures (campaign_id, carrier, reason, count) VALUES (@CampaignId, @Carrier, @Reason, @Delta)
            ON CONFLICT (campaign_id, carrier, reason) DO UPDATE SET count = count + excluded.count
            """,
        SqlServer: """
            MERGE campaign_failures WITH (HOLDLOCK) AS t
            USING (SELECT @CampaignId AS campaign_id, @Carrier AS carrier, @Reason AS reason) AS s
            ON t.campaign_id = s.campaign_id AND t.carrier = s.carrier AND t.reason = s.reason
            WHEN MATCHED THEN UPDATE SET count = t.count + @Delta
            WHEN NOT MATCHED THEN INSERT (campaign_id, carrier, reason, count) VALUES (@CampaignId, @Carrier, @Reason, @Delta);
            """);

    private static readonly Sql UpsertThroughput = new(
        Sqlite: """
            INSERT INTO campaign_throughput (campaign_id, bucket_start, submitted, delivered, failed)
            VALUES (@CampaignId, @Bucket, @Submitted, @Delivered, @Failed)
            ON CONFLICT (campaign_id, bucket_start) DO UPDATE SET
                submitted = submitted + excluded.submitted, delivered = delivered + excluded.delivered, failed = failed + excluded.failed
            """,
        SqlServer: """
            MERGE campaign_throughput WITH (HOLDLOCK) AS t
            USING (SELECT @CampaignId AS campaign_id, @Bucket AS bucket_start) AS s
            ON t.campaign_id = s.campaign_id AND t.bucket_start = s.bucket_start
            WHEN MATCHED THEN UPDATE SET submitted = t.submitted + @Submitted, delivered = t.delivered + @Delivered, failed = t.failed + @Failed
            WHEN NOT MATCHED THEN INSERT (campaign_id, bucket_start, submitted, delivered, failed) VALUES (@CampaignId, @Bucket, @Submitted, @Delivered, @Failed);
            """);

    private readonly Dictionary<(string CampaignId, string Carrier, string Province, string Status), long> deltas = [];
    private readonly Dictionary<(string CampaignId, string Carrier, string Reason), long> failures = [];
    private readonly Dictionary<string, (long Submitted, long Delivered, long Failed)> throughput = [];

    // A campaign's kind never changes: read once per process for the metrics' kind label, not in
    // every receipt and result transaction.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Kinds = new();

    // For the metrics, reported only once the transaction has committed.
    private readonly Dictionary<(string CampaignId, string Carrier, string Status), long> entered = [];
    private readonly List<(string Carrier, double Seconds)> receiptLatencies = [];
    private List<(string Carrier, string Kind, string Status, long Count)> toReport = [];

    /// <summary>
    /// Moves <paramref name="count"/> deliveries from one status to another (from null: new rows).
    /// A move into failed needs the reason, the error text stored on the delivery rows.
    /// </summary>
    public void Move(string campaignId, string carrier, string province, string? from, string to, long count = 1, string? reason = null)
    {
        if (count == 0)
            return;
        if (from is not null)
            Count(campaignId, carrier, province, from, -count);
        Add(campaignId, carrier, province, to, count, reason);
    }

    /// <summary>New delivery rows in <paramref name="status"/>; see <see cref="Move"/> for the reason.</summary>
    public void Add(string campaignId, string carrier, string province, string status, long count, string? reason = null)
    {
        if (count == 0)
            return;
        Count(campaignId, carrier, province, status, count);
        if (count < 0)
            return;
        var metric = (campaignId, carrier, status.StartsWith(SuppressionReason.ProgressPrefix, StringComparison.Ordinal) ? DeliveryStatus.Suppressed : status);
        entered[metric] = entered.GetValueOrDefault(metric) + count;
        if (status == DeliveryStatus.Failed)
        {
            var key = (campaignId, carrier, Reason(reason));
            failures[key] = failures.GetValueOrDefault(key) + count;
        }
        if (status is DeliveryStatus.Submitted or DeliveryStatus.Delivered or DeliveryStatus.Failed)
        {
            var (submitted, delivered, failed) = throughput.GetValueOrDefault(campaignId);
            throughput[campaignId] = status switch
            {
                DeliveryStatus.Submitted => (submitted + count, delivered, failed),
                DeliveryStatus.Delivered => (submitted, delivered + count, failed),
                _ => (submitted, delivered, failed + count),
            };
        }
    }

    /// <summary>A final receipt applied to a delivery submitted <paramref name="seconds"/> before it.</summary>
    public void ReceiptApplied(string carrier, double seconds) => receiptLatencies.Add((carrier, Math.Max(0, seconds)));

    /// <summary>After the commit: what this transaction moved goes to the metrics (a rolled-back move never does).</summary>
    public void Committed()
    {
        foreach (var (carrier, kind, status, count) in toReport)
        {
            DeliveryMetrics.Deliveries.Add(count,
                new KeyValuePair<string, object?>("carrier", carrier), new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("status", status));
        }
        foreach (var (carrier, seconds) in receiptLatencies)
            DeliveryMetrics.ReceiptLatency.Record(seconds, new KeyValuePair<string, object?>("carrier", carrier));
        toReport = [];
        receiptLatencies.Clear();
    }

    /// <summary>Writes the counters in the caller's transaction.</summary>
    /// <returns>The campaigns whose counters moved: those whose end <see cref="Loa.Storage.Campaigns.CampaignCompletion"/> is asked about next.</returns>
    public async Task<IReadOnlyList<string>> FlushAsync(DbConnection connection, DbTransaction transaction, long now)
    {
        var moved = deltas.Keys.Select(k => k.CampaignId).Distinct(StringComparer.Ordinal).ToList();
        var rows = deltas.Where(d => d.Value != 0)
            .Select(d => new { d.Key.CampaignId, d.Key.Carrier, d.Key.Province, d.Key.Status, Delta = d.Value })
            .ToList();
        if (rows.Count > 0)
            await connection.ExecuteAsync(database.Text(Upsert), rows, transaction);
        if (failures.Count > 0)
        {
            await connection.ExecuteAsync(database.Text(UpsertFailure),
                failures.Select(f => new { f.Key.CampaignId, f.Key.Carrier, f.Key.Reason, Delta = f.Value }).ToList(), transaction);
        }
        if (throughput.Count > 0)
        {
            var bucket = Bucket(now);
            await connection.ExecuteAsync(database.Text(UpsertThroughput),
                throughput.Select(t => new { CampaignId = t.Key, Bucket = bucket, t.Value.Submitted, t.Value.Delivered, t.Value.Failed }).ToList(), transaction);
        }
        if (entered.Count > 0)
        {
            var unknown = entered.Keys.Select(k => k.CampaignId).Distinct().Where(id => !Kinds.ContainsKey(id)).ToList();
            if (unknown.Count > 0)
            {
                if (Kinds.Count > 10_000)
                    Kinds.Clear(); // bounded: a long-lived dispatcher sees campaigns come and go
                foreach (var (id, kind) in await connection.QueryAsync<(string Id, string Kind)>(
                             "SELECT id, kind FROM campaigns WHERE id IN @unknown", new { unknown }, transaction))
                    Kinds[id] = kind;
            }
            toReport.AddRange(entered.Select(e => (e.Key.Carrier, Kinds.GetValueOrDefault(e.Key.CampaignId, "unknown"), e.Key.Status, e.Value)));
        }
        entered.Clear();
        deltas.Clear();
        failures.Clear();
        throughput.Clear();
        return moved;
    }

    /// <summary>The start of the 10-second bucket holding <paramref name="ms"/> (unix ms).</summary>
    public static long Bucket(long ms) => ms - (((ms % BucketMs) + BucketMs) % BucketMs);

    /// <summary>The reason as <c>campaign_failures</c> keys it: at most 200 characters, never a split surrogate pair.</summary>
    public static string Reason(string? error)
    {
        if (string.IsNullOrEmpty(error))
            return "unknown";
        if (error.Length <= ReasonLength)
            return error;
        var cut = char.IsHighSurrogate(error[ReasonLength - 1]) ? ReasonLength - 1 : ReasonLength;
        return error[..cut];
    }

    private void Count(string campaignId, string carrier, string province, string status, long count)
    {
        var key = (campaignId, carrier, province, status);
        deltas[key] = deltas.GetValueOrDefault(key) + count;
    }
}
