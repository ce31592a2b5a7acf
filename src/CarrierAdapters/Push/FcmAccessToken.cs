using Google.Apis.Auth.OAuth2;

namespace Loa.CarrierAdapters.Push;

/// <summary>
/// FCM's OAuth2 access token for one service account, from Google.Apis.Auth: a JWT-bearer grant
/// signed with the account's key and posted to the file's <c>token_uri</c> (Google's, or a
/// simulator's). The library caches the token, refreshes it in the background from 3¾ minutes
/// before it expires (callers wait for the new one only in its last minute), and lets concurrent
/// callers share one refresh; the clock is ours so that tests can move time.
/// </summary>
public sealed class FcmAccessToken
{
    /// <summary>The one scope the HTTP v1 send call needs.</summary>
    public const string Scope = "https://www.googleapis.com/auth/firebase.messaging";

    private readonly ServiceAccountCredential _credential;
    private readonly SemaphoreSlim _renewing = new(1, 1);

    private FcmAccessToken(ServiceAccountCredential credential) => _credential = credential;

    /// <summary>The service account's <c>project_id</c>, if its file names one.</summary>
    public string? ProjectId => _credential.ProjectId;

    /// <summary>Where tokens are asked for (the file's <c>token_uri</c>).</summary>
    public string TokenServerUrl => _credential.TokenServerUrl;

    /// <exception cref="InvalidOperationException">The file is not a service account JSON with a private key.</exception>
    public static FcmAccessToken FromServiceAccountFile(string path, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        // Parsed by the library itself, which keeps token_uri, so that it can point at a simulator.
        var parsed = CredentialFactory.FromFile<ServiceAccountCredential>(path);
        var initializer = new ServiceAccountCredential.Initializer(parsed.Id, parsed.TokenServerUrl ?? GoogleAuthConsts.OidcTokenUrl)
        {
            Key = parsed.Key,
            KeyId = parsed.KeyId,
            ProjectId = parsed.ProjectId,
            // With scopes (and without UseJwtAccessWithScopes) the library asks token_uri for a real
            // access token instead of signing itself a self-made JWT that only Google accepts.
            Scopes = [Scope],
            Clock = new Clock(time ?? TimeProvider.System),
        };
        return new FcmAccessToken(new ServiceAccountCredential(initializer));
    }

    /// <summary>The cached token, fetched or refreshed first when it is missing or near its expiry.</summary>
    public Task<string> GetAsync(CancellationToken cancellationToken) =>
        _credential.GetAccessTokenForRequestAsync(authUri: null, cancellationToken);

    /// <summary>
    /// After FCM refused <paramref name="rejected"/> (401): fetches a new token, unless another
    /// request already replaced it, so that a hundred refused streams cause one refresh.
    /// </summary>
    public async Task RenewAsync(string rejected, CancellationToken cancellationToken)
    {
        await _renewing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_credential.Token?.AccessToken is not { } current || current == rejected)
                await _credential.RequestAccessTokenAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _renewing.Release();
        }
    }

    private sealed class Clock(TimeProvider time) : Google.Apis.Util.IClock
    {
        public DateTime Now => time.GetLocalNow().DateTime;

        public DateTime UtcNow => time.GetUtcNow().UtcDateTime;
    }
}
