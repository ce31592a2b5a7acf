using Loa.Storage.Keys;

namespace Loa.CampaignApi.Security;

/// <summary>
/// Labels for recorded principal ids (a campaign's <c>createdBy</c>, <c>approvedBy</c>…), read once for a
/// whole answer. Absent when no label is known: a key id with no key behind it, or a hashed token id.
/// </summary>
public sealed class PrincipalLabels(IReadOnlyDictionary<string, string> labels)
{
    public string? Of(string? recorded) => recorded is not null && labels.TryGetValue(recorded, out var label) ? label : null;
}

/// <summary>
/// What people read beside a principal id: a key's name (from the keys store, one query for all the ids
/// of an answer), a token's subject, a CAP sender. Shown, never compared: the id stays the identity, and
/// two keys may carry one name. A key of another tenant gives its name and nothing else; a revoked key
/// keeps its name, as what it did stays done.
/// </summary>
public sealed class PrincipalNames(ApiKeyStore keys)
{
    public async Task<PrincipalLabels> ForAsync(IEnumerable<string?> recorded, CancellationToken ct)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var keyIds = new List<string>();
        foreach (var principal in recorded.OfType<string>().Distinct(StringComparer.Ordinal))
        {
            if (Roles.KeyIdOf(principal) is { } keyId)
                keyIds.Add(keyId);
            else if (Roles.LabelOf(principal) is { } label)
                labels[principal] = label;
        }
        foreach (var (keyId, name) in await keys.NamesAsync(keyIds, ct))
            labels[Roles.KeyPrincipal(keyId)] = name;
        return new PrincipalLabels(labels);
    }
}
