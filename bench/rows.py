"""The rows of the throughput table: which server, which request, and which peer each is compared to."""

import json

import servers

# A JSON object of exactly 1 KiB (1024 bytes), the body of both echo rows.
def one_kib_json():
    base = {"id": 42, "name": "bench", "tags": ["a", "b", "c"], "values": list(range(40)), "pad": ""}
    text = json.dumps(base, separators=(",", ":"))
    base["pad"] = "x" * (1024 - len(text))
    text = json.dumps(base, separators=(",", ":"))
    assert len(text.encode()) == 1024, len(text)
    return text


class Row:
    """One benchmark row. `server` names a key of the running servers; `peers` maps a ratio column
    (`nginx`, `node`) to the row it divides by."""

    def __init__(self, key, label, server, path, method="GET", headers=None, body=None, peers=None):
        self.key = key
        self.label = label
        self.server = server
        self.path = path
        self.method = method
        self.headers = headers or {}
        self.body = body
        self.peers = peers or {}


def all_rows():
    body = one_kib_json()
    json_headers = {"Content-Type": "application/json"}
    hello_peers = {"nginx": "nginx", "node": "node-hello"}
    return [
        Row("nginx", "nginx return 200 (1 worker)", "nginx", "/"),
        Row("node-hello", "Node http hello", "node", "/hello"),
        Row("trellis-hello", "Trellis hello, no decorators", "trellis-bare", "/function/hello", peers=hello_peers),
        Row("trellis-decorated", "Trellis hello, logging + API key + token bucket", "trellis-decorated",
            "/function/hello", headers={"X-API-Key": servers.API_KEY}, peers=hello_peers),
        Row("node-echo", "Node echo, 1 KiB JSON", "node", "/echo", "POST", json_headers, body),
        Row("trellis-echo", "Trellis echo, 1 KiB JSON", "trellis-bare", "/function/echo", "POST", json_headers, body,
            peers={"node": "node-echo"}),
    ]
