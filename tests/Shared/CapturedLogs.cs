using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Loa.Tests.Shared;

/// <summary>
/// Every log line a host writes, at every level, with its structured values, scopes and exceptions:
/// what a log shipper would receive. For asserting what must never be logged.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<string> lines = new();
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<string> Lines => lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner.scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new System.Text.StringBuilder($"{logLevel} {category}: {formatter(state, exception)}");
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                    line.Append(" | ").Append(key).Append('=').Append(value);
            }
            owner.scopes.ForEachScope((scope, text) => text.Append(" | scope: ").Append(scope), line);
            if (exception is not null)
                line.Append(" | ").Append(exception);
            owner.lines.Enqueue(line.ToString());
        }
    }
}
