using System.Data.Common;
using Dapper;
using Loa.Contracts;

namespace Loa.Storage.Campaigns;

public sealed record CampaignRow(
    string Id, string Tenant, string Name, string Kind, string Status, string Definition,
    string? SmsText, string? SmsEncoding, long? SmsParts, long? StartAt, long? ExpiresAt,
    string CreatedBy, long CreatedAt, string UpdatedBy, long UpdatedAt,
    string? SubmittedBy, string? ApprovedBy, long? ApprovedAt, string? RejectedReason,
    long? LaunchedAt, long? PlannedAt, long? StartedAt, long? CompletedAt,
    long PlanList, string PlanAfter,
    string? Corrects = null, string? CorrectedBy = null,
    string? Recurrence = null, long? NextRunAt = null, string? SeriesId = null, long? RunAt = null,
    string? SupersededBy = null, string? ResendOf = null);

/// <summary>
/// Campaign rows and their lifecycle. Every transition is one guarded UPDATE (<c>WHERE status = …</c>)
/// so two callers racing on the same campaign cannot both win; the loser gets false (HTTP 409).
/// </summary>
public sealed class CampaignStore(Database database, TimeProvider time)
{
    private const string Columns = """
        id AS Id, tenant AS Tenant, name AS Name, kind AS Kind, status AS Status, definition AS Definition,
        sms_text AS SmsText, sms_encoding AS SmsEncoding, sms_parts AS SmsParts, start_at AS StartAt, expires_at AS ExpiresAt,
        created_by AS CreatedBy, created_at AS CreatedAt, updated_by AS UpdatedBy, updated_at AS UpdatedAt,
        submitted_by AS SubmittedBy, approved_by AS ApprovedBy, approved_at AS ApprovedAt, rejected_reason AS RejectedReason,
        launched_at AS LaunchedAt, planned_at AS PlannedAt, started_at AS StartedAt, completed_at AS CompletedAt,
        plan_list AS PlanList, plan_after AS PlanAfter, corrects AS Corrects, corrected_by AS CorrectedBy,
        recurrence AS Recurrence, next_run_at AS NextRunAt, series_id AS SeriesId, run_at AS RunAt, superseded_by AS SupersededBy,
        resend_of AS ResendOf
        """;

    // What a cancel (or being superseded) stops: everything that has not ended.
    private static readonly string[] Stoppable =
        [CampaignStatus.Draft, CampaignStatus.PendingApproval, CampaignStatus.Scheduled, CampaignStatus.Running, CampaignStatus.Paused];

    // Longest chain of corrections walked. A correction is always a new row, so a chain has no cycle;
    // the bound only keeps a damaged row from turning a cancel into an endless loop.
    private const int MaxChain = 1000;

    private static readonly Sql Insert = Sql.Both("""
        INSERT INTO campaigns (id, tenant, name, kind, status, definition, sms_text, sms_encoding, sms_parts, start_at, expires_at,
                               created_by, created_at, updated_by, updated_at, corrects, recurrence)
        VALUES (@Id, @Tenant, @Name, @Kind, @Status, @Definition, @SmsText, @SmsEncoding, @SmsParts, @StartAt, @ExpiresAt,
                @CreatedBy, @CreatedAt, @UpdatedBy, @UpdatedAt, @Corrects, @Recurrence)
        """);

    private static readonly Sql Page = new(
        Sqlite: $"""
            SELECT {Columns} FROM campaigns
            WHERE (@Tenant IS NULL OR tenant = @Tenant) AND (@Status IS NULL OR status = @Status) AND (@Series IS NULL OR series_id = @Series) AND id > @After
            ORDER BY id LIMIT @Limit
            """,
        SqlServer: $"""
            SELECT TOP (@Limit) {Columns} FROM campaigns
            WHERE (@Tenant IS NULL OR tenant = @Tenant) AND (@Status IS NULL OR status = @Status) AND (@Series IS NULL OR series_id = @Series) AND id > @After
            ORDER BY id
            """);

    private static readonly Sql ClaimDue = new(
        Sqlite: """
            UPDATE campaigns SET status = 'running', started_at = @Now, launched_at = @Now
            WHERE status = 'scheduled' AND start_at <= @Now AND recurrence IS NULL
            RETURNING id
            """,
        SqlServer: """
            UPDATE campaigns SET status = 'running', started_at = @Now, launched_at = @Now
            OUTPUT inserted.id
            WHERE status = 'scheduled' AND start_at <= @Now AND recurrence IS NULL
            """);

    // A launch is lost when no planner took its lease within a grace period, or a planner's lease ran out.
    private static readonly Sql StaleLaunches = new(
        Sqlite: """
            UPDATE campaigns SET launched_at = @Now
            WHERE status = 'running' AND planned_at IS NULL
              AND ((plan_lease_until IS NULL AND launched_at < @Grace) OR plan_lease_until < @Now)
            RETURNING id
            """,
        SqlServer: """
            UPDATE campaigns SET launched_at = @Now
            OUTPUT inserted.id
            WHERE status = 'running' AND planned_at IS NULL
              AND ((plan_lease_until IS NULL AND launched_at < @Grace) OR plan_lease_until < @Now)
            """);

    public async Task InsertAsync(CampaignRow row, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(database.Text(Insert), row);
    }

    /// <summary>The re-sends made of a campaign (the other end of their <c>resend_of</c>), oldest first; served by ix_campaigns_resend_of.</summary>
    public async Task<IReadOnlyList<string>> ResendsAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT id FROM campaigns WHERE resend_of = @id ORDER BY id", new { id }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Inserts a re-send (a draft whose <c>ResendOf</c> names the original), its link in the same transaction.</summary>
    public Task InsertResendAsync(CampaignRow resend, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resend.ResendOf);
        return InsertAsync(resend, (connection, transaction, ct) => connection.ExecuteAsync(new CommandDefinition(
            "UPDATE campaigns SET resend_of = @ResendOf WHERE id = @Id", new { resend.Id, resend.ResendOf }, transaction, cancellationToken: ct)), cancellationToken);
    }

    /// <summary>Inserts a correction (a draft whose <c>Corrects</c> names the original) and points the original at it, in one transaction.</summary>
    public Task InsertCorrectionAsync(CampaignRow correction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(correction.Corrects);
        return InsertAsync(correction, (connection, transaction, ct) => connection.ExecuteAsync(new CommandDefinition(
            "UPDATE campaigns SET corrected_by = @Id WHERE id = @Corrects", new { correction.Id, correction.Corrects }, transaction, cancellationToken: ct)), cancellationToken);
    }

    /// <summary>
    /// Inserts the campaign and, in the same transaction, whatever <paramref name="alongside"/> writes
    /// (another aggregate's row that must exist exactly when the campaign does). If either fails,
    /// neither is kept.
    /// </summary>
    public async Task InsertAsync(
        CampaignRow row, Func<DbConnection, DbTransaction, CancellationToken, Task> alongside, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(database.Text(Insert), row, transaction, cancellationToken: cancellationToken));
        await alongside(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<CampaignRow?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<CampaignRow>($"SELECT {Columns} FROM campaigns WHERE id = @id", new { id });
    }

    /// <summary>
    /// Whether a province may join <paramref name="row"/> (docs/api.md, "Joining a national campaign"): national,
    /// submitted and not ended, not superseded by a correction, and not one run of a series (the series itself
    /// is joinable). The same rule as the listing below, for a <c>joins</c> that names a campaign directly.
    /// </summary>
    public static bool IsJoinable(CampaignRow row) =>
        row.Tenant == "national"
        && row.Status is CampaignStatus.PendingApproval or CampaignStatus.Scheduled or CampaignStatus.Running or CampaignStatus.Paused
        && row.SupersededBy is null && row.SeriesId is null;

    // National campaigns a province may join alongside: IsJoinable, as one keyset page.
    private static readonly Sql Joinable = new(
        Sqlite: $"""
            SELECT {Columns} FROM campaigns
            WHERE tenant = 'national' AND status IN ('pending_approval', 'scheduled', 'running', 'paused')
              AND superseded_by IS NULL AND series_id IS NULL AND id > @After
            ORDER BY id LIMIT @Limit
            """,
        SqlServer: $"""
            SELECT TOP (@Limit) {Columns} FROM campaigns
            WHERE tenant = 'national' AND status IN ('pending_approval', 'scheduled', 'running', 'paused')
              AND superseded_by IS NULL AND series_id IS NULL AND id > @After
            ORDER BY id
            """);

    /// <param name="tenant">null for a national caller, who sees every tenant.</param>
    /// <summary>Just the status: lanes look again right before a submit.</summary>
    public async Task<string?> StatusAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string>("SELECT status FROM campaigns WHERE id = @id", new { id });
    }

    /// <param name="series">Only the runs of this recurring campaign, when given.</param>
    public async Task<IReadOnlyList<CampaignRow>> PageAsync(string? tenant, string? status, string after, int limit, CancellationToken cancellationToken = default, string? series = null)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<CampaignRow>(database.Text(Page), new { Tenant = tenant, Status = status, Series = series, After = after, Limit = limit })).ToList();
    }

    /// <summary>National campaigns open to joining, oldest first, paged by id: never a province's own.</summary>
    public async Task<IReadOnlyList<CampaignRow>> JoinablePageAsync(string after, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<CampaignRow>(database.Text(Joinable), new { After = after, Limit = limit })).ToList();
    }

    public Task<bool> SubmitAsync(string id, string by, CancellationToken cancellationToken = default) =>
        TransitionAsync(id, [CampaignStatus.Draft], "status = 'pending_approval', submitted_by = @By, rejected_reason = NULL", new { By = by }, cancellationToken);

    public Task<bool> RejectAsync(string id, string by, string reason, CancellationToken cancellationToken = default) =>
        TransitionAsync(id, [CampaignStatus.PendingApproval], "status = 'draft', rejected_reason = @Reason, updated_by = @By", new { By = by, Reason = reason }, cancellationToken);

    /// <summary>Approves; the campaign runs now when its start time has come, else waits as <c>scheduled</c>.</summary>
    public async Task<bool> ApproveAsync(string id, string by, bool startNow, CancellationToken cancellationToken = default) =>
        await ApproveSupersedingAsync(id, by, startNow, cancellationToken) is not null;

    /// <summary>
    /// Approves, and when the campaign is a correction supersedes every campaign it corrects (the one
    /// it names, and the ones that one corrects, up the chain) in the same transaction: each is
    /// cancelled unless it already ended, and names this campaign in <c>superseded_by</c>. A crash can
    /// then never leave an approved correction beside a running original.
    /// </summary>
    /// <returns>null when it was not pending approval; else the campaigns this approval superseded (none for a campaign that corrects nothing).</returns>
    public async Task<IReadOnlyList<string>?> ApproveSupersedingAsync(string id, string by, bool startNow, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var approved = await connection.ExecuteAsync(
            startNow
                ? "UPDATE campaigns SET status = 'running', approved_by = @By, approved_at = @Now, started_at = @Now, launched_at = @Now, updated_at = @Now WHERE id = @Id AND status = 'pending_approval'"
                : "UPDATE campaigns SET status = 'scheduled', approved_by = @By, approved_at = @Now, updated_at = @Now WHERE id = @Id AND status = 'pending_approval'",
            new { Id = id, By = by, Now = now }, transaction);
        if (approved == 0)
            return null;

        var corrected = new List<string>();
        var next = await connection.ExecuteScalarAsync<string?>("SELECT corrects FROM campaigns WHERE id = @id", new { id }, transaction);
        while (next is not null && next != id && !corrected.Contains(next) && corrected.Count < MaxChain)
        {
            corrected.Add(next);
            next = await connection.ExecuteScalarAsync<string?>("SELECT corrects FROM campaigns WHERE id = @next", new { next }, transaction);
        }
        if (corrected.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return [];
        }
        // One already superseded keeps the correction that superseded it first.
        await connection.ExecuteAsync(
            """
            UPDATE campaigns SET status = 'cancelled', superseded_by = @Id, updated_by = @By, updated_at = @Now, completed_at = @Now
            WHERE id IN @Corrected AND status IN @Stoppable AND superseded_by IS NULL
            """,
            new { Id = id, By = by, Now = now, Corrected = corrected, Stoppable }, transaction);
        // One that already ended keeps its status; it only says what replaced it.
        await connection.ExecuteAsync(
            "UPDATE campaigns SET superseded_by = @Id, updated_at = @Now WHERE id IN @Corrected AND status NOT IN @Stoppable AND superseded_by IS NULL",
            new { Id = id, Now = now, Corrected = corrected, Stoppable }, transaction);
        // Batches a pause set aside go back to the outbox, where the lanes close them as superseded.
        await connection.ExecuteAsync(
            "UPDATE batches SET status = 'pending', published_at = NULL, next_attempt_at = NULL WHERE campaign_id IN @Corrected AND status = 'held'",
            new { Corrected = corrected }, transaction);
        var superseded = (await connection.QueryAsync<string>(
            "SELECT id FROM campaigns WHERE id IN @Corrected AND superseded_by = @Id", new { Id = id, Corrected = corrected }, transaction)).AsList();
        await transaction.CommitAsync(cancellationToken);
        return superseded;
    }

    /// <summary>
    /// Cancels, and gives the batches a pause had set aside back to the outbox, where the lanes close
    /// them as cancelled without sending anything.
    /// </summary>
    public async Task<bool> CancelAsync(string id, string by, CancellationToken cancellationToken = default) =>
        (await CancelManyAsync([id], by, cancellationToken)).Count == 1;

    /// <summary>
    /// Cancels each of <paramref name="ids"/> that has not ended, in one transaction, as <see cref="CancelAsync"/> does one.
    /// </summary>
    /// <returns>Those it cancelled; the others had already ended.</returns>
    public async Task<IReadOnlyList<string>> CancelManyAsync(IReadOnlyList<string> ids, string by, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        var cancelled = new List<string>();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            var changed = await connection.ExecuteAsync(
                "UPDATE campaigns SET status = 'cancelled', updated_by = @By, completed_at = @Now, updated_at = @Now WHERE id = @Id AND status IN @Stoppable",
                new { Id = id, By = by, Now = now, Stoppable }, transaction);
            if (changed == 1)
                cancelled.Add(id);
        }
        if (cancelled.Count > 0)
        {
            await connection.ExecuteAsync(
                "UPDATE batches SET status = 'pending', published_at = NULL, next_attempt_at = NULL WHERE campaign_id IN @cancelled AND status = 'held'",
                new { cancelled }, transaction);
        }
        await transaction.CommitAsync(cancellationToken);
        return cancelled;
    }

    /// <summary>
    /// The chain of corrections <paramref name="id"/> belongs to: the first campaign (the one that
    /// corrects nothing), every correction of it, and every correction of those (CAP Updates link the
    /// same way). Walked by <c>corrects</c>, not <c>corrected_by</c>, which names only the newest
    /// correction when there are several. Empty when there is no such campaign.
    /// </summary>
    public async Task<IReadOnlyList<CampaignRow>> ChainAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var root = id;
        var seen = new HashSet<string>(StringComparer.Ordinal) { id };
        for (var i = 0; i < MaxChain; i++)
        {
            var up = await connection.ExecuteScalarAsync<string?>("SELECT corrects FROM campaigns WHERE id = @root", new { root });
            if (up is null || !seen.Add(up))
                break;
            root = up;
        }
        var members = new HashSet<string>(StringComparer.Ordinal) { root };
        var frontier = new List<string> { root };
        for (var depth = 0; depth < MaxChain && frontier.Count > 0; depth++)
        {
            frontier = (await connection.QueryAsync<string>("SELECT id FROM campaigns WHERE corrects IN @frontier", new { frontier }))
                .Where(members.Add).ToList();
        }
        return (await connection.QueryAsync<CampaignRow>($"SELECT {Columns} FROM campaigns WHERE id IN @members ORDER BY id", new { members })).AsList();
    }

    /// <summary>Marks <paramref name="correctionId"/> as the correction of <paramref name="originalId"/>, both ways (CAP Update).</summary>
    public async Task LinkCorrectionAsync(string originalId, string correctionId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        await connection.ExecuteAsync("UPDATE campaigns SET corrects = @originalId WHERE id = @correctionId", new { originalId, correctionId }, transaction);
        await connection.ExecuteAsync("UPDATE campaigns SET corrected_by = @correctionId WHERE id = @originalId", new { originalId, correctionId }, transaction);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Holds a running campaign: lanes put its batches aside as they reach them.</summary>
    public Task<bool> PauseAsync(string id, string by, CancellationToken cancellationToken = default) =>
        TransitionAsync(id, [CampaignStatus.Running], "status = 'paused', updated_by = @By", new { By = by }, cancellationToken);

    public Task<bool> ResumeAsync(string id, string by, CancellationToken cancellationToken = default) =>
        TransitionAsync(id, [CampaignStatus.Paused], "status = 'running', updated_by = @By", new { By = by }, cancellationToken);

    /// <summary>Approves a recurring campaign: it becomes a scheduled series whose first run is at <paramref name="firstRunAt"/>.</summary>
    public Task<bool> ApproveSeriesAsync(string id, string by, DateTimeOffset firstRunAt, CancellationToken cancellationToken = default) =>
        TransitionAsync(id, [CampaignStatus.PendingApproval], "status = 'scheduled', approved_by = @By, approved_at = @Now, next_run_at = @Next",
            new { By = by, Next = firstRunAt.ToUnixTimeMilliseconds() }, cancellationToken);

    /// <summary>
    /// Turns every due occurrence of a scheduled series into a run (a campaign row of its own, already
    /// approved, running) and moves the series to its next occurrence, which <paramref name="next"/>
    /// computes from the cron after a given time (null: no more). A series past its last occurrence
    /// completes. Returns the runs to launch. Occurrences missed while Loa was down make one run, not many.
    /// </summary>
    public async Task<IReadOnlyList<string>> ClaimDueRunsAsync(Func<string, DateTimeOffset, DateTimeOffset?> next, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var runs = new List<string>();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var due = (await connection.QueryAsync<CampaignRow>(
            $"SELECT {Columns} FROM campaigns WHERE status = 'scheduled' AND recurrence IS NOT NULL AND next_run_at <= @nowMs",
            new { nowMs }, transaction)).AsList();
        foreach (var series in due)
        {
            var runAt = series.NextRunAt!.Value;
            var following = next(series.Recurrence!, now > DateTimeOffset.FromUnixTimeMilliseconds(runAt) ? now : DateTimeOffset.FromUnixTimeMilliseconds(runAt));
            var followingMs = following?.ToUnixTimeMilliseconds();
            if (followingMs is { } f && series.ExpiresAt is { } end && f >= end)
                followingMs = null;
            // A run stops retrying when the next one starts, or when the series expires.
            long? runExpires = (followingMs, series.ExpiresAt) switch
            {
                ({ } a, { } b) => Math.Min(a, b),
                ({ } a, null) => a,
                (null, var b) => b,
            };
            var runId = Guid.CreateVersion7().ToString("n");
            var inserted = await connection.ExecuteAsync(
                """
                INSERT INTO campaigns (id, tenant, name, kind, status, definition, sms_text, sms_encoding, sms_parts, start_at, expires_at,
                                       created_by, created_at, updated_by, updated_at, submitted_by, approved_by, approved_at,
                                       launched_at, started_at, series_id, run_at)
                SELECT @runId, tenant, name, kind, 'running', definition, sms_text, sms_encoding, sms_parts, @runAt, @runExpires,
                       created_by, @nowMs, updated_by, @nowMs, submitted_by, approved_by, approved_at,
                       @nowMs, @nowMs, id, @runAt
                FROM campaigns WHERE id = @Id
                  AND NOT EXISTS (SELECT 1 FROM campaigns WHERE series_id = @Id AND run_at = @runAt)
                """,
                new { runId, runAt, runExpires, nowMs, series.Id }, transaction);
            if (inserted == 1)
                runs.Add(runId);
            await connection.ExecuteAsync(
                followingMs is null
                    ? "UPDATE campaigns SET next_run_at = NULL, status = 'completed', completed_at = @nowMs, updated_at = @nowMs WHERE id = @Id AND next_run_at = @runAt"
                    : "UPDATE campaigns SET next_run_at = @followingMs, updated_at = @nowMs WHERE id = @Id AND next_run_at = @runAt",
                new { series.Id, runAt, followingMs, nowMs }, transaction);
        }
        await transaction.CommitAsync(cancellationToken);
        return runs;
    }

    /// <summary>Moves every scheduled campaign whose start time has come to <c>running</c>; returns their ids.</summary>
    public async Task<IReadOnlyList<string>> ClaimDueAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var ids = (await connection.QueryAsync<string>(database.Text(ClaimDue), new { Now = time.Ms() }, transaction)).ToList();
        await transaction.CommitAsync(cancellationToken);
        return ids;
    }

    /// <summary>Running campaigns whose launch message was lost (or whose planner died); marks them relaunched.</summary>
    public async Task<IReadOnlyList<string>> TakeStaleLaunchesAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var ids = (await connection.QueryAsync<string>(
            database.Text(StaleLaunches), new { Now = now, Grace = now - (long)grace.TotalMilliseconds }, transaction)).ToList();
        await transaction.CommitAsync(cancellationToken);
        return ids;
    }

    /// <summary>
    /// Takes the planning lease: only one planner works on a campaign at a time, and a planner that
    /// dies loses the lease so that another resumes from the stored keyset position.
    /// </summary>
    public async Task<CampaignRow?> LeasePlanningAsync(string id, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var now = time.Ms();
        await using var connection = await database.OpenAsync(cancellationToken);
        var taken = await connection.ExecuteAsync(
            """
            UPDATE campaigns SET plan_lease_until = @Until
            WHERE id = @Id AND status = 'running' AND planned_at IS NULL AND (plan_lease_until IS NULL OR plan_lease_until < @Now)
            """,
            new { Id = id, Now = now, Until = now + (long)lease.TotalMilliseconds });
        return taken == 0 ? null : await connection.QuerySingleOrDefaultAsync<CampaignRow>($"SELECT {Columns} FROM campaigns WHERE id = @id", new { id });
    }

    private async Task<bool> TransitionAsync(string id, string[] from, string set, object extra, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters(extra);
        parameters.Add("Id", id);
        parameters.Add("From", from);
        parameters.Add("Now", time.Ms());
        await using var connection = await database.OpenAsync(cancellationToken);
        // `set` is always one of the constant fragments above, never caller input.
        var changed = await connection.ExecuteAsync($"UPDATE campaigns SET {set}, updated_at = @Now WHERE id = @Id AND status IN @From", parameters);
        return changed == 1;
    }
}
