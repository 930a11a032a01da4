#!/usr/bin/env python3
"""Crash test for Trellis's durable event path.

Posts signed webhook events to a real `trellis serve`, kills the server with SIGKILL at random moments
several times, restarts it on the same queue database, and checks that:
  - every event that got a 202 is delivered at least once (it reaches the deploy-audit file),
  - an event is delivered more than once only if a kill could have caught its batch in flight
    (at most kills x batch size duplicates),
  - a request repeated with the same Idempotency-Key after a restart gets the first call's ids.

Only 127.0.0.1 is contacted, on a port the server picks itself. Every loop is bounded.
Usage: crash_test.py [--binary PATH] [--kills N] [--seed N]
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SECRET = b"crash-test-webhook-secret-0123456789abcdef"
BATCH_ITEMS = 20
EVENTS_PER_REQUEST = 5


def start_server(binary, workdir, log):
    process = subprocess.Popen(
        [binary, "serve", "--config", os.path.join(workdir, "crash.json"), "--port", "0"],
        cwd=workdir, stdout=subprocess.PIPE, stderr=log,
        env=dict(os.environ, TRELLIS_DEPLOY_LOG=os.path.join(workdir, "audit.ndjson")))
    deadline = time.time() + 60
    while time.time() < deadline:
        line = process.stdout.readline().decode(errors="replace")
        if not line:
            break
        log.write(line.encode())
        if "(port " in line:
            port = int(line.rsplit("(port ", 1)[1].split(")")[0])
            threading.Thread(target=drain, args=(process.stdout, log), daemon=True).start()
            return process, port
    process.kill()
    raise RuntimeError("trellis serve did not print its port within 60 s; see the server log")


def drain(stream, log):
    for line in iter(stream.readline, b""):
        log.write(line)


def post(port, body, key, timeout=5):
    signature = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", "/events/deployments", body=body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": signature, "Idempotency-Key": key})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def delivered_ids(workdir):
    path = os.path.join(workdir, "audit.ndjson")
    counts = {}
    if not os.path.exists(path):
        return counts
    with open(path, encoding="utf-8") as audit:
        for line in audit:
            line = line.strip()
            if line:
                event_id = json.loads(line)["eventId"]
                counts[event_id] = counts.get(event_id, 0) + 1
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=".build/debug/trellis")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    arguments = parser.parse_args()
    binary = os.path.abspath(arguments.binary)
    rng = random.Random(arguments.seed)
    workdir = tempfile.mkdtemp(prefix="trellis-crash-")
    config = {
        "server": {"port": 0, "shutdownGraceSeconds": 2},
        "logging": {"format": "json", "level": "warning"},
        "queue": {"path": os.path.join(workdir, "queue.db")},
        "triggers": {"deployments": {
            "kind": "webhook", "target": "deploy-audit",
            "signature": {"scheme": "hub", "secret": SECRET.decode()},
            "batch": {"maxItems": BATCH_ITEMS, "maxWaitSeconds": 0.02},
            "retry": {"maxAttempts": 100, "baseDelaySeconds": 0.05, "maxDelaySeconds": 0.5},
        }},
    }
    with open(os.path.join(workdir, "crash.json"), "w", encoding="utf-8") as file:
        json.dump(config, file)
    log = open(os.path.join(workdir, "server.log"), "ab")
    print(f"crash test: seed {arguments.seed}, {arguments.kills} kills, work folder {workdir}")

    accepted = {}   # Idempotency-Key -> ids
    failures = []
    sequence = 0
    process, port = start_server(binary, workdir, log)
    for round_number in range(arguments.kills + 1):
        run_for = rng.uniform(0.3, 0.8)
        stop_at = time.time() + run_for
        while time.time() < stop_at:
            sequence += 1
            key = f"request-{sequence}"
            body = json.dumps([{"n": sequence, "i": i} for i in range(EVENTS_PER_REQUEST)]).encode()
            try:
                status, reply = post(port, body, key)
            except (OSError, http.client.HTTPException):
                continue
            if status == 202:
                accepted[key] = (body, reply["ids"])
        if round_number == arguments.kills:
            break
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        process, port = start_server(binary, workdir, log)
        # An accept repeated with its key after the restart must return the stored ids.
        key = rng.choice(sorted(accepted))
        body, ids = accepted[key]
        status, reply = post(port, body, key)
        if status != 202 or reply.get("ids") != ids or reply.get("duplicate") is not True:
            failures.append(f"repeat of {key} after restart got {status} {reply}, expected 202 with ids {ids} and duplicate true")

    expected = {event_id for _, ids in accepted.values() for event_id in ids}
    deadline = time.time() + 60
    counts = delivered_ids(workdir)
    while time.time() < deadline and not expected <= counts.keys():
        time.sleep(0.2)
        counts = delivered_ids(workdir)
    process.send_signal(signal.SIGTERM)
    try:
        exit_status = process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        exit_status = "killed after 15 s"
    if exit_status != 0:
        failures.append(f"server exited with {exit_status} after SIGTERM, expected 0")

    missing = expected - counts.keys()
    if missing:
        failures.append(f"{len(missing)} of {len(expected)} accepted events were never delivered, e.g. {sorted(missing)[:3]}")
    duplicates = sum(count - 1 for event_id, count in counts.items() if count > 1)
    bound = arguments.kills * BATCH_ITEMS
    if duplicates > bound:
        failures.append(f"{duplicates} duplicate deliveries, more than the in-flight bound of {bound} ({arguments.kills} kills x {BATCH_ITEMS})")
    print(f"crash test: {len(accepted)} requests accepted ({len(expected)} events), {sum(counts.values())} deliveries, "
          f"{duplicates} duplicates (bound {bound}), {arguments.kills} SIGKILLs")
    for failure in failures:
        print(f"FAILED: {failure}")
    log.close()
    if not failures:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"crash test: {0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
