using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace Loa.EndToEnd.Tests.Telemetry;

/// <summary>A log record as it left the host: the OpenTelemetry SDK reuses LogRecord objects, so the fields are copied out.</summary>
public sealed record CapturedLog(string Category, string Message, ActivityTraceId TraceId);

/// <summary>
/// What a host exported: its spans through the OpenTelemetry in-memory exporter, and its log
/// records through a processor, both added to the host's own providers.
/// </summary>
public sealed class TelemetryCapture
{
    private readonly LockedList<Activity> spans = new();
    private readonly LockedList<CapturedLog> logs = new();

    public IReadOnlyList<Activity> Spans => spans.Snapshot();

    public IReadOnlyList<CapturedLog> Logs => logs.Snapshot();

    public void AddTo(WebApplicationBuilder builder)
    {
        builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
        builder.Services.ConfigureOpenTelemetryLoggerProvider(l => l.AddProcessor(new LogCopier(logs)));
    }

    private sealed class LogCopier(LockedList<CapturedLog> logs) : BaseProcessor<LogRecord>
    {
        public override void OnEnd(LogRecord data) =>
            logs.Add(new CapturedLog(data.CategoryName ?? "", data.FormattedMessage ?? data.Body ?? "", data.TraceId));
    }

    /// <summary>The exporter writes from whichever thread ends a span.</summary>
    private sealed class LockedList<T> : ICollection<T>
    {
        private readonly List<T> items = [];

        public int Count
        {
            get
            {
                lock (items)
                    return items.Count;
            }
        }

        public bool IsReadOnly => false;

        public IReadOnlyList<T> Snapshot()
        {
            lock (items)
                return items.ToList();
        }

        public void Add(T item)
        {
            lock (items)
                items.Add(item);
        }

        public void Clear()
        {
            lock (items)
                items.Clear();
        }

        public bool Contains(T item)
        {
            lock (items)
                return items.Contains(item);
        }

        public void CopyTo(T[] array, int arrayIndex)
        {
            lock (items)
                items.CopyTo(array, arrayIndex);
        }

        public bool Remove(T item)
        {
            lock (items)
                return items.Remove(item);
        }

        public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
