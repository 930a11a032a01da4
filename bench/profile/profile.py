#!/usr/bin/env python3
"""Instructions and heap allocations per request of `trellis serve`, counted by callgrind.

For each config (bare `hello`, and `hello` behind logging, API-key auth and a token bucket) the server
runs under `valgrind --tool=callgrind` twice: once started and stopped with no request, and once while
one keep-alive connection sends N sequential requests. The difference divided by N is the cost of one
request, with startup and shutdown cancelled out. Counts are exact for a given build and input, so they
compare builds where wall-clock numbers on a shared machine cannot.

Valgrind 3.19 kills the server in rt_sigsuspend, so the server runs with the LD_PRELOAD shim in
sigsuspend_shim.c (see the comment there). Usage: profile.py --binary .build/release/trellis [-n N].
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = [("bare", "bare.json"), ("decorated", "decorated.json")]
# The API key whose SHA-256 decorated.json lists.
API_KEY = "secret-key"
# Functions whose calls are counted as heap allocations.
ALLOCATORS = ["malloc", "swift_allocObject"]
STARTUP_TIMEOUT_SECONDS = 120


def build_shim(folder):
    library = os.path.join(folder, "sigsuspend_shim.so")
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", library, os.path.join(HERE, "sigsuspend_shim.c")], check=True)
    return library


def drive(port, count):
    """Sends `count` GET requests on one keep-alive connection, one at a time; returns how many got 200."""
    request = (f"GET /function/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {API_KEY}\r\n\r\n").encode()
    succeeded = 0
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        for _ in range(count):
            connection.sendall(request)
            while True:
                end = pending.find(b"\r\n\r\n")
                if end >= 0:
                    head = pending[:end].decode("latin-1")
                    length = 0
                    for line in head.split("\r\n")[1:]:
                        name, _, value = line.partition(":")
                        if name.strip().lower() == "content-length":
                            length = int(value)
                    if len(pending) >= end + 4 + length:
                        succeeded += head.startswith("HTTP/1.1 200")
                        pending = pending[end + 4 + length:]
                        break
                chunk = connection.recv(65536)
                if not chunk:
                    raise RuntimeError("the server closed the connection")
                pending += chunk
    return succeeded


def read_costs(path):
    """Returns (total instructions, {allocator: calls}) from a callgrind output file."""
    names = {}
    calls = {name: 0 for name in ALLOCATORS}
    total = None
    callee = None
    with open(path, errors="replace") as lines:
        for line in lines:
            if line.startswith(("fn=", "cfn=")):
                match = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line.strip())
                if match:
                    kind, number, name = match.groups()
                    if name:
                        names[number] = name
                    callee = names.get(number) if kind == "cfn" else None
            elif line.startswith("calls=") and callee is not None:
                count = int(line.split("=")[1].split()[0])
                for name in ALLOCATORS:
                    if callee == name or callee.startswith(name + "'"):
                        calls[name] += count
            elif line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
    if total is None:
        raise RuntimeError(f"{path} has no totals line")
    return total, calls


def run(binary, config, shim, count, folder, tag):
    output = os.path.join(folder, f"{tag}.callgrind")
    log_path = os.path.join(folder, f"{tag}.stdout")
    environment = dict(os.environ, LD_PRELOAD=shim)
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={output}", binary, "serve", "--config", config],
            stdout=log, stderr=subprocess.STDOUT, env=environment)
    try:
        port = None
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while port is None:
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"the server did not start; see {log_path}")
            match = re.search(r"\(port (\d+)\)", open(log_path, errors="replace").read())
            port = int(match.group(1)) if match else None
            time.sleep(0.2)
        succeeded = drive(port, count) if count else 0
        if succeeded != count:
            raise RuntimeError(f"{tag}: {succeeded} of {count} requests got 200")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=STARTUP_TIMEOUT_SECONDS)
    return read_costs(output)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/trellis", help="the trellis executable (a release build)")
    parser.add_argument("-n", "--requests", type=int, default=10000, help="requests per measured run (default 10000)")
    parser.add_argument("--keep", help="folder to keep the callgrind files in (default: a temporary one)")
    arguments = parser.parse_args()
    if arguments.requests < 1:
        parser.error("--requests must be at least 1")
    folder = arguments.keep or tempfile.mkdtemp(prefix="trellis-profile-")
    os.makedirs(folder, exist_ok=True)
    shim = build_shim(folder)
    binary = os.path.abspath(arguments.binary)
    print(f"{'config':<10} {'instructions/req':>17} {'malloc/req':>11} {'swift_allocObject/req':>22}")
    for name, config_file in CONFIGS:
        config = os.path.join(HERE, config_file)
        idle_total, idle_calls = run(binary, config, shim, 0, folder, f"{name}-idle")
        busy_total, busy_calls = run(binary, config, shim, arguments.requests, folder, f"{name}-busy")
        per_request = lambda busy, idle: (busy - idle) / arguments.requests
        print(f"{name:<10} {per_request(busy_total, idle_total):>17,.0f}"
              f" {per_request(busy_calls['malloc'], idle_calls['malloc']):>11.1f}"
              f" {per_request(busy_calls['swift_allocObject'], idle_calls['swift_allocObject']):>22.1f}")
        sys.stdout.flush()
    print(f"callgrind files: {folder} (open with callgrind_annotate or kcachegrind)")


if __name__ == "__main__":
    main()
