using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loa.Storage.Keys;
using Loa.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace Loa.CampaignApi.Tests.Security;

/// <summary>Bearer keys made, listed and revoked through the API (role admin).</summary>
public sealed class KeysApiSpecs : IAsyncLifetime
{
    private LoaTestHost loa = null!;

    public async Task InitializeAsync() => loa = await LoaTestHost.StartAsync();

    public async Task DisposeAsync() => await loa.DisposeAsync();

    private static async Task<JsonElement> CreateAsync(HttpClient admin, object request)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/keys", request);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {body}");
        return body;
    }

    [Fact]
    public async Task A_new_key_is_shown_once_stored_as_its_hash_and_works_at_once()
    {
        using var admin = loa.Client("dev-admin");
        var created = await CreateAsync(admin, new { name = "cap gateway", tenant = "national", roles = new[] { "author" } });

        var key = created.GetProperty("key").GetString()!;
        Assert.StartsWith("loa_", key);
        Assert.True(Convert.FromBase64String(Base64(key["loa_".Length..])).Length >= 32);
        Assert.Equal("cap gateway", created.GetProperty("name").GetString());
        Assert.Equal("national", created.GetProperty("tenant").GetString());
        Assert.Equal(["author"], created.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        var id = created.GetProperty("id").GetString()!;

        using var author = loa.Client(key);
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(2));
        Assert.False(string.IsNullOrEmpty(list.GetProperty("id").GetString()));

        var page = await admin.GetStringAsync("/api/v1/keys?limit=500");
        Assert.Contains(id, page);
        Assert.DoesNotContain(key, page);
        Assert.DoesNotContain(key, await admin.GetStringAsync($"/api/v1/keys/{id}"));

        // Only the hash is stored.
        var store = loa.Services.GetRequiredService<ApiKeyStore>();
        Assert.Equal(id, (await store.FindAsync(key))!.Id);
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(loa.Directory, "loa.db")}");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key_hash FROM api_keys WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        Assert.Equal(ApiKeyStore.Hash(key), (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_revoked_key_stops_working_at_once_and_an_unknown_key_is_unauthorized()
    {
        using var admin = loa.Client("dev-admin");
        var created = await CreateAsync(admin, new { name = "to revoke", tenant = "HN", roles = new[] { "author" } });
        using var author = loa.Client(created.GetProperty("key").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await author.GetAsync("/api/v1/campaigns")).StatusCode); // now cached

        var id = created.GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/keys/{id}")).StatusCode);

        var refused = await author.GetAsync("/api/v1/campaigns");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var view = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/keys/{id}");
        Assert.NotEqual(JsonValueKind.Null, view.GetProperty("revokedAt").ValueKind);

        using var stranger = loa.Client(Loa.CampaignApi.Security.KeysApi.NewKey());
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/api/v1/campaigns")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/v1/keys/no-such-key")).StatusCode);
    }

    [Fact]
    public async Task Only_admins_manage_keys()
    {
        using var author = loa.Client("dev-author");
        Assert.Equal(HttpStatusCode.Forbidden, (await author.GetAsync("/api/v1/keys")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await author.PostAsJsonAsync("/api/v1/keys", new { name = "x", tenant = "national", roles = new[] { "admin" } })).StatusCode);
    }

    [Fact]
    public async Task Bad_requests_get_field_errors()
    {
        using var admin = loa.Client("dev-admin");
        var response = await admin.PostAsJsonAsync("/api/v1/keys",
            new { name = new string('x', 101), tenant = "hanoi", roles = new[] { "author", "root", "carrier:nokia" } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("name", out _));
        Assert.True(errors.TryGetProperty("tenant", out _));
        Assert.Equal(2, errors.GetProperty("roles").GetArrayLength());

        var empty = await admin.PostAsJsonAsync("/api/v1/keys", new { name = " ", tenant = "HN", roles = Array.Empty<string>() });
        var emptyErrors = (await empty.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(emptyErrors.TryGetProperty("name", out _));
        Assert.True(emptyErrors.TryGetProperty("roles", out _));

        await CreateAsync(admin, new { name = "viettel receipts", tenant = "national", roles = new[] { "carrier:viettel", "app" } });
    }

    [Fact]
    public async Task A_province_admin_manages_only_its_own_province()
    {
        using var national = loa.Client("dev-admin");
        var hnAdmin = await CreateAsync(national, new { name = "hn admin", tenant = "HN", roles = new[] { "admin" } });
        var thKey = await CreateAsync(national, new { name = "th author", tenant = "TH", roles = new[] { "author" } });
        using var hn = loa.Client(hnAdmin.GetProperty("key").GetString()!);

        var other = await hn.PostAsJsonAsync("/api/v1/keys", new { name = "x", tenant = "TH", roles = new[] { "author" } });
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        Assert.True((await other.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("tenant", out _));
        Assert.Equal(HttpStatusCode.BadRequest,
            (await hn.PostAsJsonAsync("/api/v1/keys", new { name = "x", tenant = "national", roles = new[] { "author" } })).StatusCode);
        await CreateAsync(hn, new { name = "hn author", tenant = "HN", roles = new[] { "author" } });

        var page = await hn.GetFromJsonAsync<JsonElement>("/api/v1/keys?limit=500");
        Assert.All(page.GetProperty("items").EnumerateArray(), k => Assert.Equal("01", k.GetProperty("tenant").GetString()));
        var thId = thKey.GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.NotFound, (await hn.DeleteAsync($"/api/v1/keys/{thId}")).StatusCode);
        using var th = loa.Client(thKey.GetProperty("key").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await th.GetAsync("/api/v1/campaigns")).StatusCode);
    }

    [Fact]
    public async Task A_key_name_is_unique_among_a_tenants_active_keys_and_another_tenant_may_reuse_it()
    {
        using var admin = loa.Client("dev-admin");
        var first = await CreateAsync(admin, new { name = "cap gateway", tenant = "national", roles = new[] { "author" } });

        foreach (var name in new[] { "cap gateway", "CAP Gateway", " cap gateway " })
        {
            var again = await admin.PostAsJsonAsync("/api/v1/keys", new { name, tenant = "national", roles = new[] { "author" } });
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            var problem = await again.Content.ReadFromJsonAsync<JsonElement>();
            Assert.EndsWith("/duplicate", problem.GetProperty("type").GetString());
            Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        }
        // Per tenant: a province answering 409 for a national name would tell it that name exists.
        await CreateAsync(admin, new { name = "cap gateway", tenant = "HN", roles = new[] { "author" } });
        // A revoked key gives its name up for its replacement.
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/keys/{first.GetProperty("id").GetString()}")).StatusCode);
        await CreateAsync(admin, new { name = "cap gateway", tenant = "national", roles = new[] { "author" } });

        var named = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/keys?limit=500")).GetProperty("items").EnumerateArray()
            .Where(k => k.GetProperty("name").GetString() == "cap gateway" && k.GetProperty("revokedAt").ValueKind == JsonValueKind.Null)
            .Select(k => k.GetProperty("tenant").GetString()).Order().ToList();
        Assert.Equal(["01", "national"], named);
    }

    [Fact]
    public async Task Listing_pages_by_key()
    {
        using var admin = loa.Client("dev-admin");
        for (var i = 0; i < 3; i++)
            await CreateAsync(admin, new { name = $"paged {i}", tenant = "HG", roles = new[] { "operator" } });
        var seen = new List<string>();
        string? next = null;
        do
        {
            var page = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/keys?limit=2&after={next}");
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(k => k.GetProperty("id").GetString()!));
            next = page.GetProperty("next").GetString();
        }
        while (next is not null);
        Assert.Equal(seen.Distinct().Count(), seen.Count);
        Assert.True(seen.Count >= 3 + 6); // ours and the six development keys
    }

    private static string Base64(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - s.Length % 4) % 4);
    }
}
