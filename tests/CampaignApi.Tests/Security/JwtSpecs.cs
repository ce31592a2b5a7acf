using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using Loa.Tests.Shared;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Loa.CampaignApi.Tests.Security;

/// <summary>JWT bearer beside API keys, with a symmetric signing key (<c>Loa:Jwt:SigningKey</c>).</summary>
public sealed class JwtSpecs : IAsyncLifetime
{
    private const string Issuer = "https://idp.test.loa";
    private const string Audience = "loa-api";
    private const string SigningKey = "a-test-signing-key-of-at-least-32-bytes!";

    private LoaTestHost loa = null!;

    public async Task InitializeAsync() => loa = await LoaTestHost.StartAsync(s =>
    {
        s["Loa:Jwt:SigningKey"] = SigningKey;
        s["Loa:Jwt:Issuer"] = Issuer;
        s["Loa:Jwt:Audience"] = Audience;
    });

    public async Task DisposeAsync() => await loa.DisposeAsync();

    private static string Token(
        string tenant = "national", string[]? roles = null, string audience = Audience, string key = SigningKey,
        DateTime? expires = null, string subject = "user-1")
    {
        var claims = new List<Claim> { new("sub", subject), new("name", "Nguyen Van A"), new("loa_tenant", tenant) };
        claims.AddRange((roles ?? ["author"]).Select(r => new Claim("roles", r)));
        var notBefore = (expires ?? DateTime.UtcNow.AddMinutes(10)).AddMinutes(-20);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity(claims),
            NotBefore = notBefore,
            IssuedAt = notBefore,
            Expires = expires ?? DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
        });
    }

    [Fact]
    public async Task A_jwt_with_the_author_role_can_upload_a_list_and_keys_keep_working()
    {
        using var jwt = loa.Client(Token(roles: ["author"]));
        var list = await LoaTestHost.UploadListAsync(jwt, LoaTestHost.NumbersCsv(3));
        Assert.Equal(3, list.GetProperty("accepted").GetInt32());

        using var key = loa.Client("dev-author");
        await LoaTestHost.UploadListAsync(key, LoaTestHost.NumbersCsv(3));

        using var noRole = loa.Client(Token(roles: ["operator"]));
        Assert.Equal(HttpStatusCode.Forbidden, (await noRole.PostAsync("/api/v1/lists?name=x", new StringContent("msisdn\n", Encoding.UTF8, "text/csv"))).StatusCode);
    }

    [Fact]
    public async Task An_expired_forged_or_misaddressed_jwt_is_unauthorized()
    {
        foreach (var token in new[]
        {
            Token(expires: DateTime.UtcNow.AddMinutes(-5)),
            Token(key: "another-signing-key-of-at-least-32-bytes"),
            Token(audience: "someone-else"),
            Token(tenant: ""),
        })
        {
            using var client = loa.Client(token);
            var response = await client.GetAsync("/api/v1/campaigns");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task The_tenant_claim_is_honoured()
    {
        using var national = loa.Client(Token(tenant: "national", roles: ["author"]));
        var list = await LoaTestHost.UploadListAsync(national, LoaTestHost.NumbersCsv(3));
        var id = await LoaTestHost.CreateCampaignAsync(national, LoaTestHost.Campaign(list.GetProperty("id").GetString()!));
        Assert.Equal(HttpStatusCode.OK, (await national.GetAsync($"/api/v1/campaigns/{id}")).StatusCode);

        using var hanoi = loa.Client(Token(tenant: "HN", roles: ["author", "approver"], subject: "user-2"));
        Assert.Equal(HttpStatusCode.NotFound, (await hanoi.GetAsync($"/api/v1/campaigns/{id}")).StatusCode);
    }

    [Fact]
    public async Task The_jwt_subject_not_its_display_name_becomes_the_acting_user()
    {
        using var author = loa.Client(Token(roles: ["author"], subject: "idp|4711"));
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3));
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!));
        var campaign = await author.GetStringAsync($"/api/v1/campaigns/{id}");
        Assert.Contains("idp|4711", campaign);
        Assert.DoesNotContain("Nguyen Van A", campaign);
    }

    [Fact]
    public async Task A_jwt_principal_is_recorded_by_issuer_and_subject()
    {
        using var author = loa.Client(Token(roles: ["author"], subject: "idp|4711"));
        var list = await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3));
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list.GetProperty("id").GetString()!));

        var campaign = await author.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/campaigns/{id}");

        Assert.Equal($"jwt:{Issuer}|idp|4711", campaign.GetProperty("createdBy").GetString());
    }

    [Fact]
    public async Task A_jwt_author_is_named_by_its_subject_and_one_recorded_by_hash_is_not_named()
    {
        // The subject holds a '|' as some providers' do: the name is all of it, not what follows the last one.
        using var author = loa.Client(Token(roles: ["author"], subject: "idp|4711"));
        var list = (await LoaTestHost.UploadListAsync(author, LoaTestHost.NumbersCsv(3))).GetProperty("id").GetString()!;
        var id = await LoaTestHost.CreateCampaignAsync(author, LoaTestHost.Campaign(list));
        // Too long for the column, this one is recorded as a hash, from which no subject can be read back.
        using var hashed = loa.Client(Token(roles: ["author"], subject: "u-" + new string('7', 240)));
        var hashedId = await LoaTestHost.CreateCampaignAsync(hashed, LoaTestHost.Campaign(list));

        var campaign = await author.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/campaigns/{id}");
        var unnamed = await hashed.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/campaigns/{hashedId}");

        Assert.Equal("idp|4711", campaign.GetProperty("createdByName").GetString());
        Assert.StartsWith("jwt:sha256:", unnamed.GetProperty("createdBy").GetString(), StringComparison.Ordinal);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, unnamed.GetProperty("createdByName").ValueKind);
    }
}
