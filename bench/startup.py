"""Cold start and memory of `trellis serve`: time from process start to the first 200, idle RSS, and
RSS with many idle keep-alive connections."""

import os
import resource
import selectors
import socket
import statistics
import subprocess
import time

import servers

# How long one start may take before the bench gives up on it, in seconds.
START_TIMEOUT = 20.0
# The pause after a refused connect or a reply other than 200, in seconds. A client that retries with no pause slows the
# server's start. On this 2-CPU VM the start took about 35 ms that way with the server pinned to
# CPU 0, and 9 ms with this pause. The pause adds at most half a millisecond to the figure.
RETRY_PAUSE = 0.0005
REQUEST = b"GET /function/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def resident_kib(pid):
    """VmRSS of `pid` in KiB, from /proc/<pid>/status."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no VmRSS line")


def open_descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def first_ok(port, process, deadline):
    """Polls the port until a GET of hello returns 200, pausing `RETRY_PAUSE` after each failure."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"trellis exited with status {process.returncode} during start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as connection:
                connection.sendall(REQUEST)
                reply = connection.recv(64)
                if reply.startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(RETRY_PAUSE)
    raise RuntimeError(f"no 200 from port {port} within {START_TIMEOUT} s")


def cold_starts(binary, folder, runs, cpu):
    """Returns per-run milliseconds to the first 200 and the idle RSS in KiB after each start."""
    config_path = servers.write_trellis_config(folder, "cold-start", decorated=False)
    times_ms, idle_kib = [], []
    for _ in range(runs):
        port = servers.free_port()
        command = servers.pinned(servers.trellis_command(binary, config_path, port), cpu)
        with open(os.path.join(folder, "cold-start.out"), "ab") as log:
            started = time.monotonic()
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
            try:
                first_ok(port, process, started + START_TIMEOUT)
                times_ms.append((time.monotonic() - started) * 1000)
                # Half a second for work the server does just after its first response.
                time.sleep(0.5)
                idle_kib.append(resident_kib(process.pid))
            finally:
                process.terminate()
                process.wait(timeout=15)
    return {"times_ms": times_ms, "median_ms": statistics.median(times_ms),
            "idle_rss_kib": statistics.median(idle_kib)}


def raise_descriptor_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise RuntimeError(f"need {needed} file descriptors, the hard limit is {hard}: raise it with ulimit -Hn")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def idle_connections(binary, folder, count, cpu):
    """Opens `count` keep-alive connections, sends one GET on each and reads its response, then
    measures the server's RSS with all of them idle and open."""
    # The client opens `count` sockets, and the server, which inherits this limit, accepts as many.
    raise_descriptor_limit(count + 1024)
    config_path = servers.write_trellis_config(folder, "idle", decorated=False, max_connections=count + 1000)
    port = servers.free_port()
    command = servers.pinned(servers.trellis_command(binary, config_path, port), cpu)
    log = open(os.path.join(folder, "idle.out"), "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    log.close()
    sockets = []

    try:
        servers.wait_for_port(port, process)
        first_ok(port, process, time.monotonic() + START_TIMEOUT)
        time.sleep(0.5)
        before_kib = resident_kib(process.pid)

        selector = selectors.DefaultSelector()
        for _ in range(count):
            connection = socket.socket()
            connection.setblocking(False)
            connection.connect_ex(("127.0.0.1", port))
            sockets.append(connection)
            selector.register(connection, selectors.EVENT_WRITE)
        answered = exchange(selector, count)

        time.sleep(1.0)
        after_kib = resident_kib(process.pid)
        descriptors = open_descriptors(process.pid)
        return {"connections": count, "answered": answered, "server_descriptors": descriptors,
                "rss_before_kib": before_kib, "rss_after_kib": after_kib,
                "kib_per_connection": (after_kib - before_kib) / count}
    finally:
        for connection in sockets:
            connection.close()
        process.terminate()
        process.wait(timeout=15)


def exchange(selector, count, timeout=60.0):
    """Sends REQUEST on each socket once it is writable and reads until its response head arrives.

    Returns how many sockets got a 200 before `timeout` seconds passed."""
    answered = finished = 0
    received = {}
    deadline = time.monotonic() + timeout
    while finished < count and time.monotonic() < deadline:
        for key, events in selector.select(timeout=1.0):
            connection = key.fileobj
            if events & selectors.EVENT_WRITE:
                connection.send(REQUEST)
                selector.modify(connection, selectors.EVENT_READ)
                continue
            try:
                data = connection.recv(4096)
            except BlockingIOError:
                continue
            received[connection] = received.get(connection, b"") + data
            if b"\r\n\r\n" in received[connection] or not data:
                selector.unregister(connection)
                finished += 1
                if received[connection].startswith(b"HTTP/1.1 200"):
                    answered += 1
    return answered
