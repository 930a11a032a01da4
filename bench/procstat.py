"""CPU time and context switches of a server process tree, read from /proc (proc(5)).

The bench samples them before and after each wrk run and divides the difference by the requests wrk
completed, which gives server CPU microseconds and context switches per request. Both count every
thread of the process and of its descendants (nginx serves from a worker child of its master)."""

import os

CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def descendants(pid):
    """Lists `pid` and every process below it, from /proc/PID/task/TID/children."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending.extend(int(child) for child in children.read().split())
        except OSError:
            continue
    return found


def sample(pid):
    """Returns (CPU seconds, context switches) summed over the tree below `pid`. Processes that exit
    while being read are skipped."""
    seconds, switches = 0.0, 0
    for process in descendants(pid):
        try:
            # Fields 14 and 15 of /proc/PID/stat: utime and stime in clock ticks, all threads included.
            # The command name (field 2) may hold spaces, so the fields are counted after its ')'.
            with open(f"/proc/{process}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            seconds += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS_PER_SECOND
            for task in os.listdir(f"/proc/{process}/task"):
                with open(f"/proc/{process}/task/{task}/status") as status:
                    for line in status:
                        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                            switches += int(line.split()[1])
        except OSError:
            continue
    return seconds, switches


def per_request(before, after, requests):
    """Returns (CPU microseconds, context switches) per request between two samples."""
    if requests <= 0:
        return float("nan"), float("nan")
    return (after[0] - before[0]) * 1e6 / requests, (after[1] - before[1]) / requests
