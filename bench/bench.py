"""`make bench`: nginx, Node and Trellis side by side under wrk, microbenchmarks, cold start and
memory; writes BENCHMARKS.md and bench/chart.png.

Servers are pinned to CPU 0 and wrk to CPU 1 with taskset when the machine has at least 2 CPUs.
Every row runs once per round and the rounds interleave the rows, so a noisy neighbour spreads over
all rows instead of one. The table shows the median over the rounds."""

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import procstat
import report
import rows as row_catalog
import scaling
import servers
import startup
import wrk

# Pause per request on each connection in the half-rate runs, in milliseconds (wrk's delay()).
PACING_DELAY_MS = 1
# The maximum number of connections a half-rate run may open.
MAX_PACED_CONNECTIONS = 4000
# Calibration runs per half-rate row, and how far from the target rate a calibration run may land.
CALIBRATION_RUNS = 3
CALIBRATION_TOLERANCE = 0.05
# Measured half-rate runs per row after calibration. One run's p99 moves by tenths of a millisecond on
# a shared machine, so the table shows the medians.
HALF_RATE_RUNS = 3


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trellis", default=".build/release/trellis", help="release trellis binary")
    parser.add_argument("--micro", default=".build/release/trellis-bench", help="release trellis-bench binary")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per row (default 3)")
    parser.add_argument("--seconds", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections at max rate (default 50)")
    parser.add_argument("--cold-starts", type=int, default=10, help="cold starts measured (default 10)")
    parser.add_argument("--idle-connections", type=int, default=10000, help="idle keep-alive connections (default 10000)")
    parser.add_argument("--profile-requests", type=int, default=10000, help="requests per callgrind run (default 10000)")
    parser.add_argument("--output", default="BENCHMARKS.md", help="report path")
    parser.add_argument("--chart", default="bench/chart.png", help="chart path")
    return parser.parse_args()


def cpu_plan():
    """(server CPU, wrk CPU), or (None, None) when there are too few CPUs to separate them."""
    if (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        return 0, 1
    return None, None


def check_row(row, port):
    """Sends the row's request once and stops the bench unless it gets 200, so no row measures errors."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request(row.method, row.path, body=row.body, headers=row.headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{row.label}: {row.method} {row.path} returned {response.status}, expected 200")


def start_servers(running, binary, folder, server_cpu):
    """Fills `running` one server at a time, so the caller can stop those that started when one fails."""
    running["nginx"] = servers.start_nginx(folder, server_cpu)
    running["node"] = servers.start_node(folder, server_cpu)
    running["trellis-bare"] = servers.start_trellis(binary, folder, "trellis-bare", False, server_cpu)
    running["trellis-decorated"] = servers.start_trellis(binary, folder, "trellis-decorated", True, server_cpu)


def max_rate(rows, running, scripts, arguments, wrk_cpu):
    """Runs every row once per round, interleaved, and returns each row's wrk results."""
    runs = {row.key: [] for row in rows}
    for row in rows:
        wrk.run(url(running, row), scripts[row.key], arguments.connections, 2, wrk_cpu)  # warm-up
    for round_number in range(arguments.rounds):
        for row in rows:
            pid = running[row.server].process.pid
            before = procstat.sample(pid)
            result = wrk.run(url(running, row), scripts[row.key], arguments.connections, arguments.seconds, wrk_cpu)
            result["cpu_us"], result["switches"] = procstat.per_request(before, procstat.sample(pid), result["requests"])
            runs[row.key].append(result)
            print(f"round {round_number + 1} {row.label}: {result['rps']:.0f} req/s, "
                  f"p50 {result['p50_ms']:.3f} ms, p99 {result['p99_ms']:.3f} ms", flush=True)
    return runs


def half_rate(row, running, folder, target_rps, seconds, wrk_cpu):
    """p99 at about `target_rps`: each connection pauses PACING_DELAY_MS before every request, and the
    connection count is calibrated by 2 s runs, up to CALIBRATION_RUNS of them, until the achieved rate
    is within CALIBRATION_TOLERANCE of the target. Then HALF_RATE_RUNS runs of `seconds` each give
    the medians."""
    script = wrk.lua_script(folder, row.key + "-paced", row.method, row.headers, row.body, PACING_DELAY_MS)
    connections = max(1, round(target_rps * (PACING_DELAY_MS + 0.1) / 1000))
    for _ in range(CALIBRATION_RUNS):
        calibration = wrk.run(url(running, row), script, connections, 2, wrk_cpu)
        if calibration["rps"] <= 0 or abs(calibration["rps"] / target_rps - 1) <= CALIBRATION_TOLERANCE:
            break
        connections = max(1, min(MAX_PACED_CONNECTIONS, round(connections * target_rps / calibration["rps"])))
    results = [wrk.run(url(running, row), script, connections, seconds, wrk_cpu) for _ in range(HALF_RATE_RUNS)]
    return {
        "rps": statistics.median(r["rps"] for r in results),
        "p50_ms": statistics.median(r["p50_ms"] for r in results),
        "p99_ms": statistics.median(r["p99_ms"] for r in results),
        "p99_runs_ms": [r["p99_ms"] for r in results],
        "errors": sum(r["non_2xx"] + r["socket_errors"] for r in results),
        "connections": connections,
        "target_rps": target_rps,
    }


def url(running, row):
    return f"http://127.0.0.1:{running[row.server].port}{row.path}"


def summarise(rows, runs):
    table = {}
    for row in rows:
        results = runs[row.key]
        table[row.key] = {
            "rps": statistics.median(r["rps"] for r in results),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": statistics.median(r["p99_ms"] for r in results),
            "rps_runs": [r["rps"] for r in results],
            "cpu_us": statistics.median(r["cpu_us"] for r in results),
            "switches": statistics.median(r["switches"] for r in results),
            "errors": sum(r["non_2xx"] + r["socket_errors"] for r in results),
        }
    for row in rows:
        table[row.key]["ratios"] = {peer: table[row.key]["rps"] / table[other]["rps"] for peer, other in row.peers.items()}
    return table


def micro_results(binary):
    output = subprocess.run([binary], capture_output=True, text=True, check=True, timeout=600).stdout
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def profile_results(binary, requests):
    """Runs bench/profile/profile.py (callgrind) and returns instructions and allocations per request as
    {config: {"instructions": n, "malloc": n, "swift_allocObject": n}}."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "profile", "profile.py")
    output = subprocess.run([sys.executable, script, "--binary", binary, "--requests", str(requests)],
                            capture_output=True, text=True, check=True, timeout=900).stdout
    results = {}
    for line in output.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[0] in ("bare", "decorated"):
            results[fields[0]] = {"instructions": float(fields[1].replace(",", "")),
                                  "malloc": float(fields[2]), "swift_allocObject": float(fields[3])}
    if set(results) != {"bare", "decorated"}:
        raise RuntimeError("profile.py printed no bare and decorated rows:\n" + output)
    return results


def main():
    arguments = parse_arguments()
    # The servers run in a temp folder, so the binaries need paths that do not depend on the working directory.
    arguments.trellis = os.path.abspath(arguments.trellis)
    arguments.micro = os.path.abspath(arguments.micro)
    server_cpu, wrk_cpu = cpu_plan()
    rows = row_catalog.all_rows()
    with tempfile.TemporaryDirectory(prefix="trellis-bench-") as folder:
        running = {}
        try:
            start_servers(running, arguments.trellis, folder, server_cpu)
            for row in rows:
                check_row(row, running[row.server].port)
            scripts = {row.key: wrk.lua_script(folder, row.key, row.method, row.headers, row.body) for row in rows}
            runs = max_rate(rows, running, scripts, arguments, wrk_cpu)
            table = summarise(rows, runs)
            for row in rows:
                paced = half_rate(row, running, folder, table[row.key]["rps"] / 2, arguments.seconds, wrk_cpu)
                table[row.key]["half"] = paced
                print(f"half rate {row.label}: {paced['rps']:.0f} req/s over {paced['connections']} connections, "
                      f"p99 {paced['p99_ms']:.3f} ms", flush=True)
        finally:
            for server in running.values():
                server.stop()
        loops = servers.loops_arguments(arguments.trellis)

        print("microbenchmarks (trellis-bench)...", flush=True)
        micro = micro_results(arguments.micro)
        print("cold start...", flush=True)
        cold = startup.cold_starts(arguments.trellis, folder, arguments.cold_starts, server_cpu)
        print(f"cold start median {cold['median_ms']:.1f} ms, idle RSS {cold['idle_rss_kib']} KiB", flush=True)
        print(f"{arguments.idle_connections} idle connections...", flush=True)
        idle = startup.idle_connections(arguments.trellis, folder, arguments.idle_connections, server_cpu)
        print(f"idle connections: {idle}", flush=True)
        print("event loop scaling...", flush=True)
        loop_scaling = scaling.run(arguments.trellis, folder, arguments.rounds, arguments.seconds, arguments.connections)
    print(f"callgrind, {arguments.profile_requests} requests per config...", flush=True)
    costs = profile_results(arguments.trellis, arguments.profile_requests)

    results = {
        "rows": rows, "table": table, "micro": micro, "cold": cold, "idle": idle, "arguments": vars(arguments),
        "scaling": loop_scaling, "costs": costs,
        "cpus": (server_cpu, wrk_cpu), "loops": loops, "pacing_delay_ms": PACING_DELAY_MS, "half_rate_runs": HALF_RATE_RUNS,
    }
    report.write_chart(results, arguments.chart)
    report.write_markdown(results, arguments.output)
    print(f"wrote {arguments.output} and {arguments.chart}")


if __name__ == "__main__":
    sys.exit(main())
