"""Runs wrk with a generated Lua script and parses its `--latency` output."""

import os
import re
import subprocess

UNIT_TO_MILLISECONDS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def lua_script(folder, name, method="GET", headers=None, body=None, delay_ms=None):
    """Writes the request (and an optional fixed pause before each request) as a wrk Lua script."""
    lines = [f'wrk.method = "{method}"']
    for key, value in (headers or {}).items():
        lines.append(f'wrk.headers["{key}"] = "{value}"')
    if body is not None:
        lines.append(f"wrk.body = [[{body}]]")
    if delay_ms is not None:
        # wrk calls delay() before each request on a connection and waits that many milliseconds.
        lines.append(f"function delay() return {int(delay_ms)} end")
    path = os.path.join(folder, f"{name}.lua")
    with open(path, "w") as file:
        file.write("\n".join(lines) + "\n")
    return path


def command(url, script, connections, seconds, cpu):
    base = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, url]
    return (["taskset", "-c", str(cpu)] if cpu is not None else []) + base


def to_milliseconds(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * UNIT_TO_MILLISECONDS[match.group(2)]


def parse(output):
    """Returns requests/s, completed requests, p50 and p99 in ms, and the count of non-2xx/3xx responses
    and socket errors."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    if not (rate and p50 and p99):
        raise ValueError("wrk output lacks Requests/sec or latency percentiles:\n" + output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    requests = re.search(r"^\s*(\d+) requests in", output, re.M)
    return {
        "requests": int(requests.group(1)) if requests else 0,
        "rps": float(rate.group(1)),
        "p50_ms": to_milliseconds(p50.group(1)),
        "p99_ms": to_milliseconds(p99.group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    }


def run(url, script, connections, seconds, cpu):
    argv = command(url, script, connections, seconds, cpu)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr}")
    return parse(result.stdout)
