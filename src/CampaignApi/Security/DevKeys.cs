using Loa.Storage.Keys;

namespace Loa.CampaignApi.Security;

/// <summary>
/// The development keys of api.md. They exist only in Development; in any other environment they
/// are revoked at start, so a database copied from a developer's machine cannot carry them along, and
/// the host does not start while one of them still works.
/// </summary>
public static class DevKeys
{
    public static readonly IReadOnlyList<(string Key, string Tenant, string[] Roles)> All =
    [
        ("dev-author", Roles.National, [Roles.Author]),
        ("dev-approver", Roles.National, [Roles.Approver]),
        ("dev-operator", Roles.National, [Roles.Operator]),
        ("dev-admin", Roles.National, [Roles.Admin]),
        ("dev-hn-author", "01", [Roles.Author]),
        ("dev-hn-approver", "01", [Roles.Approver]),
    ];

    public static async Task ApplyAsync(ApiKeyStore keys, bool development, CancellationToken cancellationToken = default)
    {
        if (development)
        {
            foreach (var (key, tenant, roles) in All)
                await keys.UpsertAsync(key, key, tenant, roles, cancellationToken);
        }
        else
        {
            // By name and by secret: a development key renamed in the database is still a known secret.
            await keys.RevokeByNameAsync(All.Select(k => k.Key), cancellationToken);
            await keys.RevokeByKeyAsync(All.Select(k => k.Key), cancellationToken);
            foreach (var (key, _, _) in All)
            {
                if (await keys.FindAsync(key, cancellationToken) is not null)
                    throw new InvalidOperationException($"Refusing to start: the development key named {key} is still valid after revoking it.");
            }
        }
    }
}
