"""Starts and stops the servers `make bench` compares: nginx, Node and Trellis, each in a temp folder."""

import json
import os
import socket
import subprocess
import time

# Response body of every hello row, so the peers send the same bytes.
HELLO_BODY = "Hello, world!\n"
# The key the decorated row sends in X-API-Key; the server reads it from this environment variable.
API_KEY_VARIABLE = "TRELLIS_BENCH_API_KEY"
API_KEY = "bench-key-0123456789abcdef"
# Seconds a server may take to accept its first connection before the bench gives up.
START_TIMEOUT = 20.0


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pinned(command, cpu):
    """Prefixes `command` with taskset when a CPU is given and taskset exists."""
    if cpu is None:
        return command
    return ["taskset", "-c", str(cpu)] + command


def wait_for_port(port, process, timeout=START_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"server did not listen on port {port} within {timeout} s")


class Server:
    """One running server process; `stop` ends it with SIGTERM, then SIGKILL after 10 s."""

    def __init__(self, name, command, port, folder, environment=None, cwd=None):
        self.name = name
        self.port = port
        self.log_path = os.path.join(folder, f"{name}.out")
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=environment, cwd=cwd, start_new_session=True)
        log.close()
        wait_for_port(port, self.process)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def nginx_config(folder, port):
    """Returns an nginx config: one worker, access log off, no keep-alive request cap, and `return 200`
    with the hello body."""
    return f"""
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 20000; }}
http {{
    access_log off;
    keepalive_requests 10000000;
    keepalive_timeout 120s;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ default_type text/plain; return 200 "{HELLO_BODY.strip()}\\n"; }}
    }}
}}
"""


def start_nginx(folder, cpu):
    port = free_port()
    path = os.path.join(folder, "nginx.conf")
    with open(path, "w") as file:
        file.write(nginx_config(folder, port))
    return Server("nginx", pinned(["nginx", "-c", path, "-p", folder], cpu), port, folder)


def start_node(folder, cpu):
    port = free_port()
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node", "server.js")
    return Server("node", pinned(["node", script, str(port)], cpu), port, folder)


def trellis_config(folder, decorated, max_connections=20000):
    """Returns a Trellis config whose hello has no decorators, or logging, an API key and a token bucket
    that never rejects.

    Echo never has decorators. Each connection may carry any number of requests, as with the peers.
    """
    hello_chain = []
    if decorated:
        hello_chain = [
            {"type": "logging"},
            {"type": "apiKey", "header": "X-API-Key", "keys": [{"id": "bench", "env": API_KEY_VARIABLE}]},
            # 1e9 tokens refilled at 1e9 per second: no benchmark comes near refusing a request.
            {"type": "rateLimit", "key": "client", "capacity": 1000000000, "refillPerSecond": 1000000000},
        ]
    return {
        "server": {
            "host": "127.0.0.1",
            "limits": {
                "requestsPerConnection": 1000000,
                "maxConnections": max_connections,
                "idleTimeoutSeconds": 300,
            },
        },
        "logging": {"level": "info", "format": "json"},
        "functions": {
            "hello": {"inheritDefaults": False, "decorators": hello_chain},
            "echo": {"inheritDefaults": False, "decorators": []},
        },
        "queue": {"path": os.path.join(folder, "queue.db")},
    }


def loops_arguments(binary):
    """`--loops 1` when this build's `trellis serve --help` mentions --loops, else nothing."""
    result = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True, timeout=30)
    return ["--loops", "1"] if "--loops" in result.stdout + result.stderr else []


def trellis_command(binary, config_path, port, loops=1):
    arguments = loops_arguments(binary)
    if arguments and loops != 1:
        arguments = ["--loops", str(loops)]
    return [binary, "serve", "--config", config_path, "--port", str(port)] + arguments


def write_trellis_config(folder, name, decorated, max_connections=20000):
    path = os.path.join(folder, f"{name}.json")
    with open(path, "w") as file:
        json.dump(trellis_config(folder, decorated, max_connections), file, indent=2)
    return path


def trellis_environment():
    environment = dict(os.environ)
    environment[API_KEY_VARIABLE] = API_KEY
    return environment


def start_trellis(binary, folder, name, decorated, cpu, loops=1):
    """Starts `trellis serve` with `loops` event loops; its standard output, where the logging decorator
    writes, goes to a file."""
    port = free_port()
    config_path = write_trellis_config(folder, name, decorated)
    command = pinned(trellis_command(binary, config_path, port, loops), cpu)
    return Server(name, command, port, folder, environment=trellis_environment(), cwd=folder)
