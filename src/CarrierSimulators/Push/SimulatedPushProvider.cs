using System.Security.Cryptography;
using System.Text.Json;

namespace Loa.CarrierSimulators.Push;

/// <summary>What the faults say about one request, before the provider looks at its content.</summary>
internal enum PushAdmission
{
    Taken,
    Throttled,
    ServerError,
    Error,
}

/// <summary>One simulated provider's current behaviour, random source, per-second count and stats.</summary>
internal sealed class SimulatedPushProvider(string name, PushBehaviour behaviour, TimeProvider time)
{
    private readonly Lock _window = new();
    private long _second = long.MinValue;
    private int _inSecond;
    private volatile State _state = new(behaviour, NewRandom(behaviour));

    public string Name { get; } = name;

    public PushStats Stats { get; } = new();

    public PushBehaviour Behaviour
    {
        get => _state.Behaviour;
        set => _state = new State(value, NewRandom(value));
    }

    /// <summary>The behaviour and random source for one request; they stay together while it runs.</summary>
    public State Current => _state;

    public PushAdmission Admit(State state)
    {
        var b = state.Behaviour;
        double serverError, error;
        lock (state.Random)
        {
            serverError = state.Random.NextDouble();
            error = state.Random.NextDouble();
        }
        if (serverError < b.ServerErrorRatio)
            return PushAdmission.ServerError;
        if (b.MaxPerSecond > 0)
        {
            var second = time.GetUtcNow().ToUnixTimeSeconds();
            lock (_window)
            {
                if (second != _second)
                {
                    _second = second;
                    _inSecond = 0;
                }
                if (_inSecond >= b.MaxPerSecond)
                    return PushAdmission.Throttled;
                _inSecond++;
            }
        }
        return error < b.ErrorRatio ? PushAdmission.Error : PushAdmission.Taken;
    }

    private static Random NewRandom(PushBehaviour behaviour) => behaviour.Seed is { } seed ? new Random(seed) : new Random();

    internal sealed record State(PushBehaviour Behaviour, Random Random);
}

/// <summary>The compact JWS pieces the simulators check: header, claims, and whether the signature holds.</summary>
internal static class Jws
{
    public static bool TryRead(string jwt, out JsonElement header, out JsonElement claims, out byte[] signingInput, out byte[] signature)
    {
        header = claims = default;
        signingInput = signature = [];
        var parts = jwt.Split('.');
        if (parts.Length != 3)
            return false;
        try
        {
            header = JsonDocument.Parse(Base64Url(parts[0])).RootElement.Clone();
            claims = JsonDocument.Parse(Base64Url(parts[1])).RootElement.Clone();
            signature = Base64Url(parts[2]);
            signingInput = System.Text.Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}");
            return header.ValueKind == JsonValueKind.Object && claims.ValueKind == JsonValueKind.Object;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return false;
        }
    }

    public static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static long? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    public static bool VerifyRs256(RSAParameters key, byte[] data, byte[] signature)
    {
        using var rsa = RSA.Create(key);
        return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    public static bool VerifyEs256(ECParameters key, byte[] data, byte[] signature)
    {
        using var ec = ECDsa.Create(key);
        return ec.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", 0 => "", _ => throw new FormatException("Bad base64url length.") };
        return Convert.FromBase64String(padded);
    }
}
