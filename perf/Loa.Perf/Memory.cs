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

/// <summary>
/// A process's CPU time (user + system) from <c>/proc/&lt;pid&gt;/stat</c>. Throughput alone cannot say whether a
/// run was bound by the CPU or by waiting: CPU seconds per unit of work, against the same unit of a raw ceiling,
/// can, and they hold even when the machine is shared.
/// </summary>
public static class ProcessCpu
{
    private const double TicksPerSecond = 100; // USER_HZ: 100 on every Linux this runs on

    public static double? Seconds(string pid = "self")
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state); utime is field 14, stime field 15.
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
