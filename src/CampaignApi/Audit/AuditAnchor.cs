using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Loa.Contracts;
using Loa.Storage;
using Loa.Storage.Audit;
using Microsoft.Extensions.Options;

namespace Loa.CampaignApi.Audit;

/// <summary><c>Loa:Audit:Anchor</c>: signed checkpoints of the audit chain's head, kept outside the database.</summary>
public sealed class AuditAnchorOptions
{
    public const string Section = "Loa:Audit:Anchor";

    /// <summary>Only in Development, when no secret is set.</summary>
    public const string DevelopmentSecret = "dev-audit-anchor-secret";

    /// <summary>Where the checkpoints go; anchoring is off when empty. Best a volume the database's owner cannot write.</summary>
    public string? Directory { get; set; }

    /// <summary>The HMAC-SHA256 key that signs each checkpoint.</summary>
    public string? Secret { get; set; }

    /// <summary>A checkpoint at least every this many rows…</summary>
    public int EveryRows { get; set; } = 100;

    /// <summary>… and of the newest row at least this often, when the log has grown.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    public bool IsEnabled => !string.IsNullOrWhiteSpace(Directory);
}

/// <summary>One checkpoint: the chain's row <c>id</c> had <c>hash</c> at <c>at</c> (unix ms), signed.</summary>
public sealed record AuditAnchorPoint(long Id, string Hash, long At, string Mac);

/// <summary>The checkpoints read back: each row id anchored with its hash, and what could not be trusted.</summary>
public sealed record AuditAnchors(IReadOnlyDictionary<long, string> Hashes, IReadOnlyList<string> Problems);

/// <summary>
/// Anchors the audit chain outside the database. The chain alone shows an edited or removed row,
/// but not its newest rows cut off (the last hash is stored nowhere else), nor a chain rewritten
/// whole with fresh hashes. So every <see cref="AuditAnchorOptions.EveryRows"/> rows, and every
/// <see cref="AuditAnchorOptions.Interval"/> when the log has grown, a line <c>{id, hash, at, mac}</c>
/// is appended to <c>audit-anchors.jsonl</c>, the MAC an HMAC-SHA256 under a configured secret. Verify
/// then also needs every anchored row to be there with the anchored hash.
/// </summary>
public sealed class AuditAnchor(IOptions<AuditAnchorOptions> options, IHostEnvironment environment, AuditStore store, TimeProvider time)
{
    public const string FileName = "audit-anchors.jsonl";

    private readonly SemaphoreSlim gate = new(1, 1);
    private long lastId = -1;
    private long lastAt;

    public bool IsEnabled => options.Value.IsEnabled;

    private string Path => System.IO.Path.Combine(options.Value.Directory!, FileName);

    private byte[] Key
    {
        get
        {
            var secret = options.Value.Secret;
            if (string.IsNullOrEmpty(secret))
            {
                // Production checks refuse this outside Development; here is the last line of that defence.
                secret = environment.IsDevelopment()
                    ? AuditAnchorOptions.DevelopmentSecret
                    : throw new InvalidOperationException($"{AuditAnchorOptions.Section}:Secret is required when {AuditAnchorOptions.Section}:Directory is set.");
            }
            return Encoding.UTF8.GetBytes(secret);
        }
    }

    /// <summary>After each appended row: a checkpoint when enough rows or time have passed since the last.</summary>
    public async Task AppendedAsync(AuditRow row, CancellationToken cancellationToken = default)
    {
        if (!IsEnabled)
            return;
        await gate.WaitAsync(cancellationToken);
        try
        {
            await LoadAsync(cancellationToken);
            var settings = options.Value;
            if (row.Id - lastId >= Math.Max(1, settings.EveryRows) || time.Ms() - lastAt >= (long)settings.Interval.TotalMilliseconds)
                await WriteAsync(row.Id, row.Hash, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The newest row, when it is newer than the last checkpoint (the timer's turn).</summary>
    public async Task AnchorHeadAsync(CancellationToken cancellationToken = default)
    {
        if (!IsEnabled)
            return;
        await gate.WaitAsync(cancellationToken);
        try
        {
            await LoadAsync(cancellationToken);
            if (await store.HeadAsync(cancellationToken) is { } head && head.Id > lastId)
                await WriteAsync(head.Id, head.Hash, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Every checkpoint in the file. A line that does not parse or whose MAC is wrong is a problem, not
    /// skipped: it is someone's edit. A last line without its newline is a write cut short by a crash, and ignored.
    /// </summary>
    public async Task<AuditAnchors> ReadAsync(CancellationToken cancellationToken = default)
    {
        var hashes = new Dictionary<long, string>();
        var problems = new List<string>();
        if (!IsEnabled || !File.Exists(Path))
            return new AuditAnchors(hashes, problems);
        var text = await File.ReadAllTextAsync(Path, cancellationToken);
        var lines = text.Split('\n');
        var key = Key;
        // The piece after the last '\n' is empty for a complete file, or a torn write.
        for (var i = 0; i < lines.Length - 1; i++)
        {
            if (lines[i].Length == 0)
                continue;
            AuditAnchorPoint? point = null;
            try
            {
                point = JsonSerializer.Deserialize<AuditAnchorPoint>(lines[i], LoaJson.Options);
            }
            catch (JsonException)
            {
                // reported below
            }
            if (point is null || point.Hash is null || point.Mac is null
                || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(Mac(key, point.Id, point.Hash, point.At)), FromHex(point.Mac)))
            {
                problems.Add($"Line {i + 1} of {FileName} is not signed with the configured secret: the anchors were edited.");
                continue;
            }
            if (hashes.TryGetValue(point.Id, out var other) && other != point.Hash)
                problems.Add($"Line {i + 1} of {FileName} anchors row {point.Id} with another hash than an earlier line.");
            hashes[point.Id] = point.Hash;
        }
        return new AuditAnchors(hashes, problems);
    }

    private static byte[] FromHex(string hex)
    {
        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            return [];
        }
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (lastId >= 0)
            return;
        var anchors = await ReadAsync(cancellationToken);
        lastId = anchors.Hashes.Count == 0 ? 0 : anchors.Hashes.Keys.Max();
        lastAt = time.Ms();
    }

    private async Task WriteAsync(long id, string hash, CancellationToken cancellationToken)
    {
        var at = time.Ms();
        var line = JsonSerializer.Serialize(new AuditAnchorPoint(id, hash, at, Mac(Key, id, hash, at)), LoaJson.Options) + "\n";
        System.IO.Directory.CreateDirectory(options.Value.Directory!);
        // One write of one short line in append mode: checkpoints of several instances sharing the
        // directory do not interleave, and a crash leaves at most a torn last line.
        await using (var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 4096, FileOptions.WriteThrough))
        {
            await file.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
        }
        lastId = id;
        lastAt = at;
    }

    private static string Mac(byte[] key, long id, string hash, long at) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"loa-audit-anchor/1\n{id}\n{hash}\n{at}"))));
}

/// <summary>Anchors the newest row every <see cref="AuditAnchorOptions.Interval"/>, so that a quiet log's last rows are covered too.</summary>
public sealed class AuditAnchorTimer(AuditAnchor anchor, IOptions<AuditAnchorOptions> options, TimeProvider time, ILogger<AuditAnchorTimer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!anchor.IsEnabled)
            return;
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await anchor.AnchorHeadAsync(stoppingToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Data.Common.DbException)
            {
                logger.LogError(e, "Audit anchor not written; trying again in {Interval}", options.Value.Interval);
            }
        }
    }
}
