using Dapper;

namespace Loa.Storage.Replies;

public sealed record ReplyRow(long Id, string Carrier, string Msisdn, string ToAddress, string Text, bool OptedOut, long ReceivedAt);

/// <summary>
/// Subscribers' replies, kept as they came, and the opt-out a keyword reply makes: both in one
/// transaction, so a reply the carrier was told we took is never half kept.
/// </summary>
public sealed class ReplyStore(Database database)
{
    /// <summary>The longest text kept: ten concatenated parts, more than any subscriber types.</summary>
    public const int MaxText = 1600;

    /// <summary>Who recorded an opt-out that came by SMS: the agency, as it holds for every campaign.</summary>
    public const string OptOutTenant = "national";

    private static readonly Sql InsertReply = Sql.Both("""
        INSERT INTO replies (carrier, msisdn, to_address, text, opted_out, received_at)
        VALUES (@carrier, @msisdn, @to, @text, @optedOut, @at)
        """);

    private static readonly Sql InsertOptOut = new(
        Sqlite: """
            INSERT INTO optouts (msisdn, tenant, source, created_by, created_at) VALUES (@msisdn, @tenant, 'sms', @by, @at)
            ON CONFLICT DO NOTHING
            """,
        SqlServer: """
            INSERT INTO optouts (msisdn, tenant, source, created_by, created_at)
            SELECT @msisdn, @tenant, 'sms', @by, @at WHERE NOT EXISTS (SELECT 1 FROM optouts WHERE msisdn = @msisdn)
            """);

    /// <param name="optOut">The text was an opt-out keyword: the number is opted out (source <c>sms</c>, by <c>carrier:&lt;id&gt;</c>) unless it was already.</param>
    public async Task RecordAsync(string carrier, string msisdn, string to, string text, bool optOut, DateTimeOffset receivedAt, CancellationToken cancellationToken = default)
    {
        var at = receivedAt.ToUnixTimeMilliseconds();
        var kept = text.Length > MaxText ? text[..MaxText] : text;
        await database.WriteAsync(async (connection, transaction) =>
        {
            await connection.ExecuteAsync(database.Text(InsertReply),
                new { carrier, msisdn, to = to.Length > 32 ? to[..32] : to, text = kept, optedOut = optOut, at }, transaction);
            if (optOut)
                await connection.ExecuteAsync(database.Text(InsertOptOut), new { msisdn, tenant = OptOutTenant, by = "carrier:" + carrier, at }, transaction);
            return 0;
        }, cancellationToken);
    }

    /// <summary>The newest replies first, a page at a time (keyset on id), optionally for one number.</summary>
    public async Task<IReadOnlyList<ReplyRow>> PageAsync(string? msisdn, long? before, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var sql = database.IsSqlite
            ? """
              SELECT id AS Id, carrier AS Carrier, msisdn AS Msisdn, to_address AS ToAddress, text AS Text, opted_out AS OptedOut, received_at AS ReceivedAt
              FROM replies WHERE (@msisdn IS NULL OR msisdn = @msisdn) AND (@before IS NULL OR id < @before) ORDER BY id DESC LIMIT @limit
              """
            : """
              SELECT TOP (@limit) id AS Id, carrier AS Carrier, msisdn AS Msisdn, to_address AS ToAddress, text AS Text, CAST(opted_out AS BIGINT) AS OptedOut, received_at AS ReceivedAt
              FROM replies WHERE (@msisdn IS NULL OR msisdn = @msisdn) AND (@before IS NULL OR id < @before) ORDER BY id DESC
              """;
        var rows = await connection.QueryAsync<(long Id, string Carrier, string Msisdn, string ToAddress, string Text, long OptedOut, long ReceivedAt)>(
            sql, new { msisdn, before, limit });
        return rows.Select(r => new ReplyRow(r.Id, r.Carrier, r.Msisdn, r.ToAddress, r.Text, r.OptedOut != 0, r.ReceivedAt)).ToList();
    }
}
