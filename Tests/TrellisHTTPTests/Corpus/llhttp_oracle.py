#!/usr/bin/env python3
"""Parse each corpus entry with llhttp (through httptools) and print the results as JSON.

Usage: llhttp_oracle.py CORPUS_JSON

The corpus is a JSON array of objects with "name" and "request". "request" contains the raw bytes as a
string whose code points are the byte values (0-255), so "\\r\\n" in the JSON file is CR LF on the wire.

Output: a JSON object mapping each entry name to
  {"outcome": "complete" | "rejected" | "incomplete",
   "messages": [{"method", "target", "headers": [[name, value], ...], "trailers": [...], "body"}]}
where "messages" lists the requests llhttp completed before it stopped. llhttp reports trailer fields
through the same callback as header fields. They are listed apart under "trailers" because Trellis
checks and drops them, so the Swift test compares headers only. Strings are bytes decoded
as UTF-8 with U+FFFD for invalid sequences, the same rule the Swift parser uses for header values.

httptools leaves every llhttp leniency off unless set_dangerous_leniencies() is called, and this
script never calls it, so llhttp runs in strict mode.
"""

import json
import sys

try:
    import httptools
except ImportError:
    sys.stderr.write("The llhttp oracle needs the Python package httptools: run `pip install httptools`.\n")
    sys.exit(3)


def text(data):
    return data.decode("utf-8", errors="replace")


class Recorder:
    """Collects llhttp callbacks into a list of completed messages."""

    def __init__(self):
        self.parser = None
        self.messages = []
        self.current = None

    def on_message_begin(self):
        self.current = {"method": "", "target": b"", "headers": [], "trailers": [], "body": b"",
                        "head_complete": False}

    def on_url(self, url):
        self.current["target"] += url

    def on_header(self, name, value):
        # llhttp drops leading whitespace of a value but may keep trailing SP or HTAB, which RFC 9110
        # section 5.5 excludes from the value, so both parsers are compared on the trimmed value.
        fields = self.current["trailers" if self.current["head_complete"] else "headers"]
        fields.append([text(name), text(value.strip(b" \t"))])

    def on_headers_complete(self):
        self.current["method"] = text(self.parser.get_method())
        self.current["head_complete"] = True

    def on_body(self, body):
        self.current["body"] += body

    def on_message_complete(self):
        message = self.current
        self.messages.append({
            "method": message["method"],
            "target": text(message["target"]),
            "headers": message["headers"],
            "trailers": message["trailers"],
            "body": text(message["body"]),
        })
        self.current = None


def parse(raw):
    recorder = Recorder()
    parser = httptools.HttpRequestParser(recorder)
    recorder.parser = parser
    try:
        parser.feed_data(raw)
    except httptools.HttpParserUpgrade:
        return {"outcome": "upgrade", "messages": recorder.messages}
    except httptools.HttpParserError:
        return {"outcome": "rejected", "messages": recorder.messages}
    outcome = "incomplete" if recorder.current is not None else "complete"
    return {"outcome": outcome, "messages": recorder.messages}


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: llhttp_oracle.py CORPUS_JSON\n")
        return 2
    with open(sys.argv[1], encoding="utf-8") as corpus_file:
        corpus = json.load(corpus_file)
    results = {}
    for entry in corpus:
        raw = entry["request"].encode("latin-1")
        results[entry["name"]] = parse(raw)
    json.dump(results, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
