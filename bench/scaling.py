"""Throughput of `hello` (no decorators) with 1 and 2 event loops, in two CPU placements.

- pinned: the server on CPU 0 and wrk on CPU 1 (`-t1`), as in the main table. Both loops then share
  one core, so this shows what a second loop costs when there is no core for it.
- shared: server and wrk unpinned (wrk `-t2`, twice the connections), so the scheduler spreads the
  server's loops and wrk's threads over every CPU. On a 2-CPU machine wrk competes with the loops for
  the same cores, which bounds the gain.

Loop counts alternate within each round so that load from other processes hits both alike."""

import os
import statistics
import subprocess

import procstat
import servers
import wrk

LOOP_COUNTS = (1, 2)


def placements(connections):
    """Lists (key, label, server CPU, wrk CPU, wrk threads, connections) for each placement."""
    return [
        ("pinned", "server CPU 0, wrk CPU 1", 0, 1, 1, connections),
        ("shared", "server and wrk unpinned", None, None, 2, connections * 2),
    ]


def run_wrk(url, script, threads, connections, seconds, cpu):
    argv = wrk.command(url, script, connections, seconds, cpu)
    argv[argv.index("-t1")] = f"-t{threads}"
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr}")
    return wrk.parse(result.stdout)


def run(binary, folder, rounds, seconds, connections):
    """Returns {placement: {"label", "threads", "connections", "loops": {n: {"rps", "rps_runs", "cpu_us",
    "switches"}}}}. The pinned placement is skipped on a machine with fewer than 2 CPUs."""
    cpus_available = os.cpu_count() or 1
    script = wrk.lua_script(folder, "scaling-hello")
    results = {}
    for key, label, server_cpu, wrk_cpu, threads, placement_connections in placements(connections):
        if cpus_available < 2 and key == "pinned":
            continue
        runs = {loops: [] for loops in LOOP_COUNTS}
        for _ in range(rounds):
            for loops in LOOP_COUNTS:
                server = servers.start_trellis(binary, folder, f"scaling-{key}-{loops}", False, server_cpu, loops)
                try:
                    url = f"http://127.0.0.1:{server.port}/function/hello"
                    run_wrk(url, script, threads, placement_connections, 1, wrk_cpu)  # warm-up
                    before = procstat.sample(server.process.pid)
                    result = run_wrk(url, script, threads, placement_connections, seconds, wrk_cpu)
                    result["cpu_us"], result["switches"] = procstat.per_request(
                        before, procstat.sample(server.process.pid), result["requests"])
                    runs[loops].append(result)
                    print(f"scaling {key} loops {loops}: {result['rps']:.0f} req/s, "
                          f"{result['cpu_us']:.2f} us CPU and {result['switches']:.3f} switches per request", flush=True)
                finally:
                    server.stop()
        results[key] = {"label": label, "threads": threads, "connections": placement_connections, "loops": {
            loops: {"rps": statistics.median(r["rps"] for r in runs[loops]), "rps_runs": [r["rps"] for r in runs[loops]],
                    "cpu_us": statistics.median(r["cpu_us"] for r in runs[loops]),
                    "switches": statistics.median(r["switches"] for r in runs[loops])}
            for loops in LOOP_COUNTS}}
    return results
