#!/usr/bin/env python3
"""Measures Trellis's event path on this machine: events per second accepted durably through
POST /events/{trigger} (each 202 means fsynced), and events per second drained by batch invocations.

It starts `trellis serve` (release build by default) on 127.0.0.1 with a config of its own in a
temporary folder, drives it with Python's http.client over keep-alive connections, and prints a
Markdown table. Only 127.0.0.1 is contacted; every phase has a time limit.
Usage: event_throughput.py [--binary PATH] [--seconds N] [--clients N]
"""
import argparse
import http.client
import json
import os
import subprocess
import tempfile
import threading
import time

ROW = {"date": "2012/01/01", "precipitation": "0.0", "temp_max": "12.8", "temp_min": "5.0", "wind": "4.7",
       "weather": "drizzle"}


def start(binary, workdir, config):
    path = os.path.join(workdir, "bench.json")
    with open(path, "w", encoding="utf-8") as file:
        json.dump(config, file)
    process = subprocess.Popen([binary, "serve", "--config", path, "--port", "0"], cwd=workdir,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = process.stdout.readline().decode(errors="replace")
        if "(port " in line:
            threading.Thread(target=lambda: [None for _ in iter(process.stdout.readline, b"")], daemon=True).start()
            return process, int(line.rsplit("(port ", 1)[1].split(")")[0])
        if not line:
            break
    process.kill()
    raise RuntimeError("trellis serve did not start")


def metric(port, name):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    connection.close()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def accept_phase(port, clients, seconds, per_request):
    body = json.dumps([ROW] * per_request).encode()
    counts = [0] * clients
    stop_at = time.time() + seconds

    def client(index):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.time() < stop_at:
            connection.request("POST", "/events/bench", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            if response.status == 202:
                counts[index] += per_request
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start_time = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts), time.time() - start_time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=".build/release/trellis")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--drain-events", type=int, default=50000)
    arguments = parser.parse_args()
    binary = os.path.abspath(arguments.binary)
    workdir = tempfile.mkdtemp(prefix="trellis-bench-")
    base = {"server": {"port": 0}, "logging": {"level": "warning", "format": "json"},
            "queue": {"path": os.path.join(workdir, "queue.db")}}
    rows = []

    # Accepting: the bench trigger targets a function whose worker drains concurrently.
    config = dict(base, triggers={"bench": {"kind": "queue", "target": "weather-stats", "batch": {"maxItems": 500}}})
    process, port = start(binary, workdir, config)
    for per_request in (1, 10, 100):
        accepted, elapsed = accept_phase(port, arguments.clients, arguments.seconds, per_request)
        rows.append((f"accept, {per_request} event(s) per POST, {arguments.clients} clients", accepted / elapsed))
    process.terminate()
    process.wait(timeout=30)

    # Draining: store events while no worker runs (the trigger targets another function name later),
    # then start a server whose worker drains them and time it.
    os.remove(os.path.join(workdir, "queue.db"))
    for suffix in ("-wal", "-shm"):
        if os.path.exists(os.path.join(workdir, "queue.db" + suffix)):
            os.remove(os.path.join(workdir, "queue.db" + suffix))
    data_path = os.path.join(workdir, "events.json")
    with open(data_path, "w", encoding="utf-8") as file:
        json.dump([ROW] * arguments.drain_events, file)
    with open(os.path.join(workdir, "bench.json"), "w", encoding="utf-8") as file:
        json.dump(config, file)
    subprocess.run([binary, "events", "send", "bench", "--data", "@" + data_path, "--config",
                    os.path.join(workdir, "bench.json")], cwd=workdir, check=True, stdout=subprocess.DEVNULL)
    start_time = time.time()
    process, port = start(binary, workdir, config)
    drained = 0.0
    while time.time() - start_time < 300:
        drained = metric(port, 'trellis_trigger_succeeded_total{trigger="bench"}')
        if drained >= arguments.drain_events:
            break
        time.sleep(0.05)
    elapsed = time.time() - start_time
    rows.append((f"drain {arguments.drain_events} events, batches of up to 500, from server start", drained / elapsed))
    process.terminate()
    process.wait(timeout=30)

    print("| phase | events/s |")
    print("|---|---|")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} |")


if __name__ == "__main__":
    main()
