"""Writes BENCHMARKS.md and the bar chart from the results `bench.py` collected."""

import platform
import re
import subprocess

# Targets of the performance milestone, checked in the Targets table.
NGINX_RATIO_TARGET = 0.9
NODE_RATIO_TARGET = 3.0
HALF_RATE_P99_TARGET_MS = 1.0
COLD_START_TARGET_MS = 20.0


def first_line(command):
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable ({error})"
    return (result.stdout + result.stderr).strip().splitlines()[0]


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return [
        ("CPUs (nproc)", first_line(["nproc"])),
        ("CPU model", model),
        ("kernel", platform.release()),
        ("Swift", first_line(["swift", "--version"])),
        ("nginx", first_line(["nginx", "-v"])),
        ("node", first_line(["node", "--version"])),
        ("wrk", re.sub(r" Copyright.*", "", first_line(["wrk", "-v"]))),
        # Other processes share the CPUs, so the load shows how far to trust the run.
        ("load average (1, 5, 15 min) at the end", " ".join(open("/proc/loadavg").read().split()[:3])),
    ]


def ratio_text(entry):
    return ", ".join(f"{value:.2f}x {peer}" for peer, value in entry["ratios"].items())


def write_chart(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    rows, table = results["rows"], results["table"]
    labels = [row.label for row in rows]
    rates = [table[row.key]["rps"] / 1000 for row in rows]
    colours = ["#4c72b0" if row.key.startswith("trellis") else "#999999" for row in rows]
    figure, axes = pyplot.subplots(figsize=(10, 5))
    bars = axes.barh(labels, rates, color=colours)
    axes.invert_yaxis()
    axes.set_xlabel("requests/s (thousands), median of interleaved wrk runs")
    axes.set_title("Trellis and peers, wrk keep-alive, one event loop / one worker")
    for bar, row in zip(bars, rows):
        note = ratio_text(table[row.key])
        text = f"{bar.get_width():.1f}k" + (f"  ({note})" if note else "")
        axes.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, " " + text, va="center", fontsize=9)
    axes.set_xlim(0, max(rates) * 1.6)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)


def verdict(met):
    return "met" if met else "**not met**"


def targets(results):
    table, cold = results["table"], results["cold"]
    decorated, echo = table["trellis-decorated"], table["trellis-echo"]
    p99 = decorated["half"]["p99_ms"]
    return [
        ("decorated hello >= 0.9x nginx", f"{decorated['ratios']['nginx']:.2f}x",
         verdict(decorated["ratios"]["nginx"] >= NGINX_RATIO_TARGET)),
        ("decorated hello >= 3x Node", f"{decorated['ratios']['node']:.2f}x",
         verdict(decorated["ratios"]["node"] >= NODE_RATIO_TARGET)),
        ("echo 1 KiB >= 3x Node", f"{echo['ratios']['node']:.2f}x", verdict(echo["ratios"]["node"] >= NODE_RATIO_TARGET)),
        ("decorated hello p99 at half max rate <= 1 ms", f"{p99:.3f} ms", verdict(p99 <= HALF_RATE_P99_TARGET_MS)),
        ("cold start to first 200 <= 20 ms", f"{cold['median_ms']:.1f} ms", verdict(cold["median_ms"] <= COLD_START_TARGET_MS)),
    ]


def markdown_table(header, body):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in line) + " |" for line in body]
    return "\n".join(lines)


def commands_section(results):
    arguments = results["arguments"]
    server_cpu, wrk_cpu = results["cpus"]
    pin_server = f"taskset -c {server_cpu} " if server_cpu is not None else ""
    pin_wrk = f"taskset -c {wrk_cpu} " if wrk_cpu is not None else ""
    loops = " ".join(results["loops"]) or "(this build has no --loops option: one event loop is its only mode)"
    return f"""```sh
make bench        # runs: swift build -c release; python3 bench/bench.py
# servers (each started once, in a temp folder written by bench/servers.py):
{pin_server}nginx -c TMP/nginx.conf -p TMP           # worker_processes 1, access_log off, return 200
{pin_server}node bench/node/server.js PORT
{pin_server}.build/release/trellis serve --config TMP/trellis-bare.json --port PORT {' '.join(results['loops'])}
{pin_server}.build/release/trellis serve --config TMP/trellis-decorated.json --port PORT {' '.join(results['loops'])}
# load, per row and round (the Lua script sets method, headers and body):
{pin_wrk}wrk -t1 -c{arguments['connections']} -d{arguments['seconds']}s --latency -s TMP/ROW.lua http://127.0.0.1:PORT/PATH
# half-rate p99 (ROW-paced.lua adds `function delay() return {results['pacing_delay_ms']} end`):
{pin_wrk}wrk -t1 -cN -d{arguments['seconds']}s --latency -s TMP/ROW-paced.lua http://127.0.0.1:PORT/PATH
```

Trellis event loops: `{loops}`."""


def scaling_section(scaling):
    """Returns the loop-scaling table and a sentence per placement on the ratio of 2 loops to 1."""
    lines, notes = [], []
    for placement in scaling.values():
        loops = placement["loops"]
        for count, entry in loops.items():
            lines.append([placement["label"], f"-t{placement['threads']} -c{placement['connections']}", count,
                          f"{entry['rps']:,.0f}", " / ".join(f"{r:,.0f}" for r in entry["rps_runs"]),
                          f"{entry['cpu_us']:.2f}", f"{entry['switches']:.4f}"])
        notes.append(f"{placement['label']}: 2 loops give {loops[2]['rps'] / loops[1]['rps']:.2f}x the req/s of 1 loop.")
    table = markdown_table(
        ["placement", "wrk", "loops", "req/s (median)", "runs (req/s)", "server CPU µs/req", "context switches/req"],
        lines)
    explanation = (
        "This machine has 2 CPUs, so there is no third core for wrk: with wrk pinned to CPU 1 both loops share "
        "CPU 0 and a second loop can only add the cost of spreading connections; unpinned, wrk's load "
        "generator takes roughly the CPU one loop would use. Each loop has its own `SO_REUSEPORT` socket, "
        "so the kernel hashes connections over the loops and no lock is shared on the request path; rate "
        "limits stay exact across loops because every bucket lives in one shared, locked table.")
    return table, " ".join(notes) + "\n\n" + explanation


def write_markdown(results, path):
    rows, table, micro, cold, idle = results["rows"], results["table"], results["micro"], results["cold"], results["idle"]
    arguments = results["arguments"]
    server_cpu, wrk_cpu = results["cpus"]
    pinning = (f"servers pinned to CPU {server_cpu} and wrk to CPU {wrk_cpu} with `taskset`"
               if server_cpu is not None else "no CPU pinning (fewer than 2 CPUs or no taskset)")

    throughput = markdown_table(
        ["row", "req/s (median)", "runs (req/s)", "p50 ms", "p99 ms", "ratio", "server CPU µs/req",
         "context switches/req", "errors"],
        [[row.label, f"{table[row.key]['rps']:,.0f}", " / ".join(f"{r:,.0f}" for r in table[row.key]["rps_runs"]),
          f"{table[row.key]['p50_ms']:.3f}", f"{table[row.key]['p99_ms']:.3f}", ratio_text(table[row.key]) or "–",
          f"{table[row.key]['cpu_us']:.2f}", f"{table[row.key]['switches']:.4f}",
          table[row.key]["errors"]] for row in rows])
    half = markdown_table(
        ["row", "target req/s", "achieved req/s", "connections", "p50 ms", "p99 ms", "runs (p99 ms)", "errors"],
        [[row.label, f"{table[row.key]['half']['target_rps']:,.0f}", f"{table[row.key]['half']['rps']:,.0f}",
          table[row.key]["half"]["connections"], f"{table[row.key]['half']['p50_ms']:.3f}",
          f"{table[row.key]['half']['p99_ms']:.3f}",
          " / ".join(f"{p:.3f}" for p in table[row.key]["half"]["p99_runs_ms"]),
          table[row.key]["half"]["errors"]] for row in rows])
    micro_table = markdown_table(
        ["group", "benchmark", "median", "unit", "all repetitions"],
        [[m["group"], m["name"], f"{m['value']:,.1f}", m["unit"], ", ".join(f"{s:,.1f}" for s in m["samples"])]
         for m in micro])
    target_table = markdown_table(["target", "measured", "status"], targets(results))
    costs_table = markdown_table(
        ["config", "instructions/request", "malloc/request", "swift_allocObject/request"],
        [[name, f"{costs['instructions']:,.0f}", f"{costs['malloc']:.1f}", f"{costs['swift_allocObject']:.1f}"]
         for name, costs in (("hello, no decorators", results["costs"]["bare"]),
                             ("hello, logging + API key + token bucket", results["costs"]["decorated"]))])
    scaling_table, scaling_note = scaling_section(results["scaling"])
    machine_table = markdown_table(["", ""], machine())

    text = f"""# Benchmarks

Generated by `make bench` (`bench/bench.py`); rerun it to refresh every number on this page. The
numbers come from one run on the machine below. Other people were using it at the same time, so
the numbers are noisy. Compare rows of the same run, not runs of different days.

## Machine

{machine_table}

## Targets

{target_table}

## Throughput at max rate

wrk keep-alive, `-t1 -c{arguments['connections']} -d{arguments['seconds']}s`, {pinning}. Each row ran
{arguments['rounds']} times, the rows interleaved round by round after a 2 s warm-up each; the table shows
the median req/s and the median of the runs' p50 and p99. The ratio column divides a Trellis row's
median by nginx `return 200` and by Node's hello (hello rows) or Node's echo (echo row). Errors are
non-2xx responses plus socket errors over all runs. The hello body is `Hello, world!\\n` (14 bytes) on
every server; the echo rows POST the same 1 KiB JSON object with `Content-Type: application/json`.
Server CPU and context switches are read from `/proc/PID/stat` and `/proc/PID/task/*/status` before
and after each run, summed over the server's threads and child processes (nginx serves from a worker
child), divided by the requests wrk completed, median over the runs. CPU per request compares the
servers' efficiency even when a neighbour's load moves the req/s figures.

{throughput}

![req/s per row](bench/chart.png)

## p99 latency at half the max rate

wrk2 is not packaged in Debian, so the pacing is approximate: each connection waits
{results['pacing_delay_ms']} ms (a wrk Lua `delay()`) before each request, and the connection count is
calibrated with up to 3 runs of 2 s so that the achieved rate lands within 5% of half of the row's
median max rate (when none does, the count the last run suggests is used). Then
{results['half_rate_runs']} runs of {arguments['seconds']} s at that count give the medians below (each
column's median on its own) and the errors summed over them. wrk
times each request from its own send, so a stall delays later requests without showing in their
latency (coordinated omission); these p99 figures are therefore a lower bound on what an open-loop
load generator would report.

{half}

## Cost per request (callgrind)

`bench/profile/profile.py` runs the release server under `valgrind --tool=callgrind` once with no
request and once while one keep-alive client sends {results['arguments']['profile_requests']:,}
sequential GETs of `hello`; the difference divided by the request count is one request's cost, startup
and shutdown cancelled out. Instruction counts are exact for a build and its input, so they compare
builds where wall-clock figures on a shared machine cannot. Kernel time (the syscalls) is not counted.

{costs_table}

## Event loop scaling

`hello` without decorators, `trellis serve --loops 1` against `--loops 2`, {arguments['rounds']}
interleaved rounds of {arguments['seconds']} s after a 1 s warm-up, median req/s.

{scaling_table}

{scaling_note}

## Microbenchmarks (`trellis-bench`)

Release build, ContinuousClock, one untimed warm-up run, then 7 timed repetitions (5 for the
million-key pass), median reported; the one-run rows (first take of a million keys, memory per key)
cannot be repeated without rebuilding the table. Memory per key is the process RSS delta from
`/proc/self/statm` across the first take of 1M IPv4-address keys (small strings, no heap buffer per
key). The log-line row goes through `Logger` and `StreamLogSink` in JSON format to /dev/null; the
`write(2)` row beside it is the syscall alone, so the difference is the formatting cost.

{micro_table}

## Cold start and memory

- Cold start, process start to the first `200` for `GET /function/hello` (the client retries
  0.5 ms after each refused connect or reply other than 200), median of {len(cold['times_ms'])}: **{cold['median_ms']:.1f} ms**
  (runs: {', '.join(f"{t:.1f}" for t in cold['times_ms'])} ms).
- Idle RSS 0.5 s after the first response (VmRSS from `/proc/PID/status`, median): **{cold['idle_rss_kib']:,} KiB**.
- {idle['connections']:,} idle keep-alive connections, each opened from one Python process with
  non-blocking sockets and used for one GET (answered: {idle['answered']:,}; server descriptors open:
  {idle['server_descriptors']:,}): RSS {idle['rss_before_kib']:,} KiB before, {idle['rss_after_kib']:,} KiB
  after, **{idle['kib_per_connection']:.2f} KiB per connection**. The server ran with
  `maxConnections` {idle['connections'] + 1000:,} and the script raised its `RLIMIT_NOFILE`, which the server inherits.

## Method

{commands_section(results)}
"""
    with open(path, "w") as file:
        file.write(text)
