using System.Globalization;

namespace Loa.Perf;

/// <summary>Peak resident set size of a process, as the kernel keeps it (<c>VmHWM</c> in /proc/&lt;pid&gt;/status).</summary>
public static class Memory
{
    public static double? PeakRssMb(string pid = "self")
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                    return kb / 1024.0;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }
}

public static class MemoryReset
{
    /// <summary>Resets a process's peak RSS to its current RSS (writing 5 to /proc/&lt;pid&gt;/clear_refs), so each scenario reports its own peak.</summary>
    public static void ResetPeak(string pid = "self")
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
