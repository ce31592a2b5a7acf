using System.Globalization;
using System.Text;

namespace Loa.Perf;

/// <summary>One measured figure, with the raw ceiling it depends on (same run) and the target it answers to.</summary>
public sealed record Figure(
    string Scenario,
    string Name,
    double Value,
    string Unit,
    string? CeilingName = null,
    double? Ceiling = null,
    string? Target = null,
    bool? Met = null,
    bool LowerIsBetter = false)
{
    /// <summary>Value over ceiling for rates; ceiling over value for latencies (1.0 = as good as the raw machine).</summary>
    public double? Ratio => Ceiling is { } c && c > 0 && Value > 0 ? (LowerIsBetter ? c / Value : Value / c) : null;
}

/// <summary>Collects figures and notes as scenarios run; prints them as they come and as one table at the end.</summary>
public sealed class Report
{
    private readonly List<Figure> figures = [];
    private readonly List<string> notes = [];
    private readonly Lock sync = new();

    public IReadOnlyList<Figure> Figures
    {
        get
        {
            lock (sync)
                return figures.ToList();
        }
    }

    public void Add(Figure figure)
    {
        lock (sync)
            figures.Add(figure);
        Console.WriteLine($"  = {figure.Scenario}: {figure.Name} {Format(figure.Value)} {figure.Unit}"
                          + (figure.Ceiling is { } c ? $"  (ceiling {figure.CeilingName} {Format(c)}, ratio {figure.Ratio:0.00})" : "")
                          + (figure.Target is { } t ? $"  target {t}: {(figure.Met == true ? "met" : figure.Met == false ? "NOT met" : "n/a")}" : ""));
    }

    public void Note(string note)
    {
        lock (sync)
            notes.Add(note);
        Console.WriteLine("  note: " + note);
    }

    public static string Format(double v) =>
        Math.Abs(v) >= 1000 ? v.ToString("#,0", CultureInfo.InvariantCulture)
        : Math.Abs(v) >= 10 ? v.ToString("0.0", CultureInfo.InvariantCulture)
        : v.ToString("0.00", CultureInfo.InvariantCulture);

    public string Table()
    {
        var rows = new List<string[]> { new[] { "scenario", "figure", "value", "unit", "ceiling (same run)", "ratio", "target", "met" } };
        foreach (var f in Figures)
        {
            rows.Add([
                f.Scenario, f.Name, Format(f.Value), f.Unit,
                f.Ceiling is { } c ? $"{f.CeilingName} {Format(c)}" : "",
                f.Ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "",
                f.Target ?? "",
                f.Met switch { true => "yes", false => "NO", null => "" },
            ]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var sb = new StringBuilder();
        for (var i = 0; i < rows.Count; i++)
        {
            sb.Append("| ").AppendJoin(" | ", rows[i].Select((cell, j) => cell.PadRight(widths[j]))).Append(" |\n");
            if (i == 0)
                sb.Append("| ").AppendJoin(" | ", widths.Select(w => new string('-', w))).Append(" |\n");
        }
        lock (sync)
        {
            foreach (var note in notes)
                sb.Append("- ").Append(note).Append('\n');
        }
        return sb.ToString();
    }
}
