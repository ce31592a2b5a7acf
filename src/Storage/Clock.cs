namespace Loa.Storage;

/// <summary>Times in the database are unix milliseconds (UTC).</summary>
public static class Clock
{
    public static long Ms(this TimeProvider time) => time.GetUtcNow().ToUnixTimeMilliseconds();

    public static long Ms(this DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    public static DateTimeOffset? At(long? ms) => ms is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(ms.Value);
}
