using System.Text.Json;
using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Audit;

namespace Loa.CampaignApi.Audit;

/// <summary>
/// Puts on the record what Loa does by itself, with no request to carry it (a scheduled report's generation):
/// the same chain and anchor as <see cref="AuditTrail"/>, under a <c>system:</c> principal that no key or token can be.
/// </summary>
public sealed partial class SystemAudit(AuditStore store, AuditAnchor anchor, TimeProvider time, ILogger<SystemAudit> logger)
{
    /// <summary>Who a Quartz firing acts as.</summary>
    public const string Scheduler = "system:scheduler";

    public async Task RecordAsync(string who, string tenant, string action, string? target, int outcome, IReadOnlyDictionary<string, object?> details)
    {
        var entry = new AuditEntry(time.Ms(), who, tenant, action, target, null, outcome, JsonSerializer.Serialize(details, LoaJson.Options));
        AuditRow row;
        try
        {
            row = await store.AppendAsync(entry, CancellationToken.None);
        }
        catch (Exception exception)
        {
            // What was done is done; the log is the record of last resort, as for a request's row.
            LogNotWritten(exception, entry.Who, entry.Action, entry.Target, entry.Outcome, entry.Details);
            return;
        }
        try
        {
            await anchor.AppendedAsync(row, CancellationToken.None);
        }
        catch (Exception exception)
        {
            LogAnchorLate(exception, row.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Audit row not written: {Who} {Action} {Target} → {Outcome} {Details}")]
    private partial void LogNotWritten(Exception exception, string who, string action, string? target, int outcome, string? details);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit anchor not written after row {Id}")]
    private partial void LogAnchorLate(Exception exception, long id);
}
