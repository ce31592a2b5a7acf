using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;

namespace Loa.Storage.Audit;

/// <summary>One thing to put on the record; the store adds id, prev_hash and hash.</summary>
public sealed record AuditEntry(long At, string Who, string Tenant, string Action, string? Target, string? From, int Outcome, string? Details);

public sealed record AuditRow(
    long Id, long At, string Who, string Tenant, string Action, string? Target, string? FromIp, int Outcome, string? Details, string PrevHash, string Hash);

/// <summary>
/// The result of walking the chain: where it first breaks, if it does, and the newest row an anchor
/// outside the database vouches for (null when none was given).
/// </summary>
public sealed record AuditCheck(bool Ok, long Rows, long? BrokenAt, string? Reason, long? AnchoredThrough = null);

/// <summary>The newest row of the chain.</summary>
public sealed record AuditHead(long Id, string Hash);

/// <summary>
/// The append-only, hash-chained audit log. Each row's hash covers its own fields and the hash of the
/// row before, so changing or removing a row breaks the chain from there on. Rows are appended by one
/// writer at a time (a write transaction that reads the last row and inserts the next), so the chain
/// never forks and ids have no gaps.
/// </summary>
public sealed class AuditStore(Database database)
{
    private const string Columns = "id, at, who, tenant, action, target, from_ip, outcome, details, prev_hash, hash";

    private static readonly Sql Last = new(
        Sqlite: "SELECT id AS Id, hash AS Hash FROM audit_log ORDER BY id DESC LIMIT 1",
        // Two writers both reading the same last row would fork the chain; the application lock,
        // held to the end of the transaction, makes them take turns.
        SqlServer: """
            DECLARE @lock INT;
            EXEC @lock = sp_getapplock @Resource = 'loa.audit_log', @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 30000;
            IF @lock < 0 THROW 51001, 'Timed out waiting for the audit_log writer lock', 1;
            SELECT TOP (1) id AS Id, hash AS Hash FROM audit_log ORDER BY id DESC;
            """);

    private static readonly Sql Insert = Sql.Both("""
        INSERT INTO audit_log (id, at, who, tenant, action, target, from_ip, outcome, details, prev_hash, hash)
        VALUES (@Id, @At, @Who, @Tenant, @Action, @Target, @FromIp, @Outcome, @Details, @PrevHash, @Hash)
        """);

    private static readonly Sql Page = new(
        Sqlite: $"SELECT {Columns} FROM audit_log WHERE id > @after ORDER BY id LIMIT @take",
        SqlServer: $"SELECT TOP (@take) {Columns} FROM audit_log WHERE id > @after ORDER BY id");

    private static readonly Sql All = Sql.Both($"SELECT {Columns} FROM audit_log ORDER BY id");

    private static readonly Sql Head = new(
        Sqlite: "SELECT id AS Id, hash AS Hash FROM audit_log ORDER BY id DESC LIMIT 1",
        SqlServer: "SELECT TOP (1) id AS Id, hash AS Hash FROM audit_log ORDER BY id DESC");

    private sealed record LastRow(long Id, string Hash);

    public async Task<AuditRow> AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await Database.BeginWriteAsync(connection, cancellationToken);
        var last = await connection.QuerySingleOrDefaultAsync<LastRow>(
            new CommandDefinition(database.Text(Last), transaction: transaction, cancellationToken: cancellationToken));
        var row = new AuditRow(
            (last?.Id ?? 0) + 1, entry.At, entry.Who, entry.Tenant, entry.Action, entry.Target, entry.From, entry.Outcome, entry.Details, last?.Hash ?? "", "");
        row = row with { Hash = Hash(row) };
        await connection.ExecuteAsync(new CommandDefinition(database.Text(Insert), row, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return row;
    }

    /// <summary>Oldest first, keyset by id.</summary>
    public async Task<IReadOnlyList<AuditRow>> PageAsync(long after, int take, CancellationToken cancellationToken = default)
    {
        // Read by hand rather than by Dapper: outcome comes back as Int64 from SQLite and Int32 from SQL Server.
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(
            new CommandDefinition(database.Text(Page), new { after, take }, cancellationToken: cancellationToken));
        var rows = new List<AuditRow>(take);
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(Read(reader));
        return rows;
    }

    /// <summary>The newest row, or null for an empty log.</summary>
    public async Task<AuditHead?> HeadAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<AuditHead>(new CommandDefinition(database.Text(Head), cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Walks the whole chain one row at a time (a reader, never a list), and names the first row that
    /// does not fit: a gap in the ids, a prev_hash that is not the previous row's hash, a hash that is
    /// not the hash of the row's own fields, or one that is not the hash <paramref name="anchored"/>
    /// (checkpoints kept outside the database) holds for that row; and, past the end, an anchored row
    /// that is no longer there.
    /// </summary>
    public async Task<AuditCheck> VerifyAsync(IReadOnlyDictionary<long, string>? anchored = null, CancellationToken cancellationToken = default)
    {
        var anchoredThrough = anchored is { Count: > 0 } ? anchored.Keys.Max() : (long?)null;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = database.Text(All);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        long rows = 0, previousId = 0;
        var previousHash = "";
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = Read(reader);
            rows++;
            if (row.Id != previousId + 1)
                return Broken(rows, row.Id, previousId == 0 ? $"The log starts at id {row.Id}: rows before it are missing." : $"Rows between {previousId} and {row.Id} are missing.");
            if (!string.Equals(row.PrevHash, previousHash, StringComparison.Ordinal))
                return Broken(rows, row.Id, previousId == 0 ? "The first row's prev_hash is not empty." : $"prev_hash is not the hash of row {previousId}.");
            if (!string.Equals(row.Hash, Hash(row), StringComparison.Ordinal))
                return Broken(rows, row.Id, "hash does not match the row's fields: the row was changed.", anchoredThrough);
            if (anchored is not null && anchored.TryGetValue(row.Id, out var anchoredHash) && !string.Equals(row.Hash, anchoredHash, StringComparison.Ordinal))
                return Broken(rows, row.Id, "hash is not the one anchored for this row: the chain was rewritten at or before it.", anchoredThrough);
            previousId = row.Id;
            previousHash = row.Hash;
        }
        if (anchoredThrough > previousId)
            return Broken(rows, previousId + 1, $"The log ends at row {previousId} but row {anchoredThrough} was anchored: its newest rows were cut off.", anchoredThrough);
        return new AuditCheck(true, rows, null, null, anchoredThrough);
    }

    private static AuditCheck Broken(long rows, long id, string reason, long? anchoredThrough = null) => new(false, rows, id, reason, anchoredThrough);

    private static AuditRow Read(DbDataReader reader)
    {
        static string? Text(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
        return new AuditRow(
            reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), Text(reader, 5), Text(reader, 6),
            Convert.ToInt32(reader.GetValue(7), CultureInfo.InvariantCulture), Text(reader, 8), reader.GetString(9), reader.GetString(10));
    }

    /// <summary>
    /// SHA-256, lowercase hex, over the UTF-8 bytes of the JSON array
    /// <c>[id, at, who, tenant, action, target, from, outcome, details, prevHash]</c> (compact, strings
    /// escaped as System.Text.Json's default encoder does, nulls as <c>null</c>). An array rather than a
    /// joined string, so that no choice of field values can make two different rows read the same.
    /// </summary>
    public static string Hash(AuditRow row)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            json.WriteNumberValue(row.Id);
            json.WriteNumberValue(row.At);
            json.WriteStringValue(row.Who);
            json.WriteStringValue(row.Tenant);
            json.WriteStringValue(row.Action);
            WriteNullable(json, row.Target);
            WriteNullable(json, row.FromIp);
            json.WriteNumberValue(row.Outcome);
            WriteNullable(json, row.Details);
            json.WriteStringValue(row.PrevHash);
            json.WriteEndArray();
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    private static void WriteNullable(Utf8JsonWriter json, string? value)
    {
        if (value is null)
            json.WriteNullValue();
        else
            json.WriteStringValue(value);
    }
}
