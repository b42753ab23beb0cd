using System.Globalization;

namespace Chronoq.LoadGen;

/// <summary>
/// CPU time (user + system) of processes on this machine, read from /proc/PID/stat, so a run can
/// say where the CPU per operation went: this load generator, the server, and PostgreSQL. On two
/// shared cores the CPU per operation decides the throughput, and it is far less noisy than a
/// rate measured while other work runs.
/// </summary>
internal static class ProcessCpu
{
    // USER_HZ: the unit of /proc/PID/stat's times. 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    /// <summary>CPU seconds used so far by <paramref name="pid"/>.</summary>
    public static double Seconds(int pid) => Ticks(Fields(pid), children: false) / TicksPerSecond;

    /// <summary>
    /// CPU seconds used so far by a PostgreSQL cluster: its postmaster, every live child (backends,
    /// WAL writer, checkpointer, autovacuum) and the children that exited (reaped by the postmaster).
    /// </summary>
    public static double ClusterSeconds(int postmasterPid)
    {
        var ticks = Ticks(Fields(postmasterPid), children: true);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == postmasterPid)
            {
                continue;
            }

            try
            {
                var fields = Fields(pid);
                if (long.Parse(fields[1], CultureInfo.InvariantCulture) == postmasterPid)
                {
                    ticks += Ticks(fields, children: false);
                }
            }
            catch (IOException)
            {
                // Exited while we looked: its time went to the postmaster's reaped-children total.
            }
        }

        return ticks / TicksPerSecond;
    }

    /// <summary>The fields after the command name (which may hold spaces): [0] is the state, [1] the parent.</summary>
    private static string[] Fields(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    // utime, stime, cutime, cstime are stat fields 14-17, i.e. [11]-[14] after the name.
    private static long Ticks(string[] fields, bool children)
    {
        var own = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return children ? own + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture) : own;
    }
}
