using System.Data.Common;
using System.Text.Json;
using Dapper;

namespace Loa.Storage.Templates;

public sealed record TemplateRow(
    string Id, string Tenant, string Title, string Kind, string? Sms, string? SmsUnaccented, string? PushTitle, string? PushBody,
    string Tags, string CreatedBy, long CreatedAt, string? UpdatedBy, long? UpdatedAt)
{
    public IReadOnlyList<string> TagList => JsonSerializer.Deserialize<List<string>>(Tags) ?? [];
}

/// <summary>One province's campaign that joined a national one, with what it reached so far (from its progress counters).</summary>
public sealed record JoinedCampaign(string CampaignId, string Tenant, string Status, long Total, long Delivered);

/// <summary>
/// The template library, and the links from a campaign to the template it was made from and to the
/// national campaign it joins. A national template ('national' tenant) is read by every province.
/// </summary>
public sealed class TemplateStore(Database database)
{
    public const string National = "national";

    private const string Columns = """
        id AS Id, tenant AS Tenant, title AS Title, kind AS Kind, sms AS Sms, sms_unaccented AS SmsUnaccented,
        push_title AS PushTitle, push_body AS PushBody, tags AS Tags, created_by AS CreatedBy, created_at AS CreatedAt,
        updated_by AS UpdatedBy, updated_at AS UpdatedAt
        """;

    private static readonly Sql Page = new(
        Sqlite: $"""
            SELECT {Columns} FROM templates
            WHERE deleted_at IS NULL AND (@Tenant IS NULL OR tenant = @Tenant OR tenant = 'national') AND id > @After
            ORDER BY id LIMIT @Limit
            """,
        SqlServer: $"""
            SELECT TOP (@Limit) {Columns} FROM templates
            WHERE deleted_at IS NULL AND (@Tenant IS NULL OR tenant = @Tenant OR tenant = 'national') AND id > @After
            ORDER BY id
            """);

    // What a national campaign's joiners reached: a few counter rows per joined campaign, never the deliveries.
    private static readonly Sql Joined = Sql.Both("""
        SELECT l.campaign_id AS CampaignId, c.tenant AS Tenant, c.status AS Status,
               COALESCE((SELECT SUM(p.count) FROM campaign_progress p WHERE p.campaign_id = l.campaign_id), 0) AS Total,
               COALESCE((SELECT SUM(p.count) FROM campaign_progress p WHERE p.campaign_id = l.campaign_id AND p.status = 'delivered'), 0) AS Delivered
        FROM campaign_links l JOIN campaigns c ON c.id = l.campaign_id
        WHERE l.joins = @Id
        ORDER BY c.tenant, l.campaign_id
        """);

    public async Task InsertAsync(TemplateRow row, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO templates (id, tenant, title, kind, sms, sms_unaccented, push_title, push_body, tags, created_by, created_at)
            VALUES (@Id, @Tenant, @Title, @Kind, @Sms, @SmsUnaccented, @PushTitle, @PushBody, @Tags, @CreatedBy, @CreatedAt)
            """, row, cancellationToken: cancellationToken));
    }

    /// <summary>The template unless deleted; whether the caller may see it is the caller's to decide.</summary>
    public async Task<TemplateRow?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<TemplateRow>(new CommandDefinition(
            $"SELECT {Columns} FROM templates WHERE id = @id AND deleted_at IS NULL", new { id }, cancellationToken: cancellationToken));
    }

    /// <param name="tenant">null for a national caller (every template); a province sees its own and the national ones.</param>
    public async Task<IReadOnlyList<TemplateRow>> PageAsync(string? tenant, string after, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<TemplateRow>(new CommandDefinition(
            database.Text(Page), new { Tenant = tenant, After = after, Limit = limit }, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<bool> UpdateAsync(TemplateRow row, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE templates SET title = @Title, kind = @Kind, sms = @Sms, sms_unaccented = @SmsUnaccented, push_title = @PushTitle,
                push_body = @PushBody, tags = @Tags, updated_by = @UpdatedBy, updated_at = @UpdatedAt
            WHERE id = @Id AND deleted_at IS NULL
            """, row, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> DeleteAsync(string id, long now, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE templates SET deleted_at = @now WHERE id = @id AND deleted_at IS NULL", new { id, now }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>In the campaign's own insert transaction: where it came from.</summary>
    public static Task LinkAsync(DbConnection connection, DbTransaction transaction, string campaignId, string tenant, string? templateId, string? joins, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO campaign_links (campaign_id, template_id, joins, tenant) VALUES (@campaignId, @templateId, @joins, @tenant)",
            new { campaignId, templateId, joins, tenant }, transaction, cancellationToken: cancellationToken));

    /// <summary>The template a campaign was made from, if any.</summary>
    public async Task<(string? TemplateId, string? Joins)> LinkOfAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<LinkRow>(new CommandDefinition(
            "SELECT template_id AS TemplateId, joins AS Joins FROM campaign_links WHERE campaign_id = @campaignId", new { campaignId }, cancellationToken: cancellationToken));
        return (row?.TemplateId, row?.Joins);
    }

    private sealed record LinkRow(string? TemplateId, string? Joins);

    public async Task<IReadOnlyList<JoinedCampaign>> JoinedAsync(string nationalCampaignId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // Read by hand: SQLite gives the sums no declared type, and Dapper would see BLOB columns.
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            database.Text(Joined), new { Id = nationalCampaignId }, cancellationToken: cancellationToken));
        var rows = new List<JoinedCampaign>();
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new JoinedCampaign(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4)));
        return rows;
    }
}
