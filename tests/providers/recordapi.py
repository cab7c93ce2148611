"""What the fake per-record DNS APIs of the integration tests share (cloudflare.py, digitalocean.py, hetzner.py,
httpreq.py): an HTTP server on 127.0.0.1 that keeps zones and records in memory, answers the first N requests of
chosen paths with 429 + Retry-After, logs every request (never a header value) as one JSON line, pages listings in
small pages, and mirrors the TXT records it holds at _acme-challenge names into a real DNS server (acme-dnsd) by
RFC 2136 UPDATE with nsupdate, so a CA can validate what the API was asked to create.

A provider subclasses FakeAPI: seed() fills the state, auth() checks the request's credentials as the provider
documents, route() answers. Secrets come from the environment (FAKE_*), never from the command line.
GET /_fake/state (no credentials) answers {"zones": [...], "records": [...]} for the test to inspect.
"""
import argparse
import json
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


BAD_JSON = object()      # the body a route gets when the request's was not JSON


class Reply:
    """An answer: status, JSON document (or None for an empty body) and extra headers."""

    def __init__(self, status, doc=None, headers=None):
        self.status = status
        self.doc = doc
        self.headers = headers or {}


class Publisher:
    """Mirrors the TXT values at one name into acme-dnsd: delete the RRset, add each value, in one signed UPDATE."""

    def __init__(self, dns_port, key_file, zone):
        self.dns_port = dns_port
        self.key_file = key_file
        self.zone = zone

    def publish(self, fqdn, values):
        if not self.dns_port:
            return
        lines = ["server 127.0.0.1 %d" % self.dns_port, "zone %s" % self.zone, "update delete %s. TXT" % fqdn]
        lines += ['update add %s. 1 TXT "%s"' % (fqdn, v) for v in values]
        lines.append("send")
        out = subprocess.run(["nsupdate", "-t", "5", "-k", self.key_file], input="\n".join(lines) + "\n",
                             capture_output=True, text=True, timeout=20)
        if out.returncode != 0:
            raise RuntimeError("nsupdate failed for %s: %s" % (fqdn, out.stderr.strip()))


def strip_quotes(content):
    """A TXT content as DNS serves it: one pair of surrounding quotes taken off."""
    if len(content) >= 2 and content[0] == '"' and content[-1] == '"':
        return content[1:-1]
    return content


class FakeAPI:
    """The state and the request plumbing; a provider fills in seed(), auth() and route()."""

    prefix = ""
    page_default = 20

    def __init__(self, args):
        self.args = args
        self.lock = threading.RLock()
        self.zones = []         # dicts with at least "id", "name"
        self.records = []       # dicts with "id", "zone_id", "type", "name" (full, no final dot), "content", "ttl"
        self.page_size = args.page_size
        self.throttles = []     # [method, compiled path regex, answers left]
        for spec in args.throttle:
            what, n = spec.rsplit("=", 1)
            method, regex = what.split(" ", 1)
            self.throttles.append([method, re.compile(regex), int(n)])
        self.log = open(args.log, "a", buffering=1) if args.log else None
        self.publisher = Publisher(args.dns_port, args.tsig_key_file, args.publish_zone)
        self.seed()
        for name in sorted({r["name"] for r in self.records if r["type"] == "TXT"}):
            self.sync(name)

    # ---- what a provider defines ----
    def seed(self):
        pass

    def auth(self, method, path, headers):
        """The Reply refusing the request's credentials, or the name of the credential it used (for the log)."""
        return "ok"

    def route(self, method, path, query, body, base):
        return Reply(404, {"message": "no route"})

    def too_many(self):
        return Reply(429, {"message": "rate limited"}, {"Retry-After": "1"})

    def serves(self, zone):
        """Whether the records of zone are served (mirrored into DNS)."""
        return zone["name"] == self.args.publish_zone

    # ---- state ----
    @staticmethod
    def new_id():
        return uuid.uuid4().hex

    def zone_by_id(self, zid):
        return next((z for z in self.zones if z["id"] == zid), None)

    def zone_by_name(self, name):
        return next((z for z in self.zones if z["name"] == name.lower().rstrip(".")), None)

    def add_record(self, zone, rtype, name, content, ttl, **extra):
        rec = dict(id=extra.pop("id", None) or self.new_id(), zone_id=zone["id"], type=rtype,
                   name=name.lower().rstrip("."), content=content, ttl=ttl, **extra)
        self.records.append(rec)
        if rtype == "TXT":
            self.sync(rec["name"])
        return rec

    def delete_record(self, rec):
        self.records.remove(rec)
        if rec["type"] == "TXT":
            self.sync(rec["name"])

    def sync(self, name):
        """Publishes the TXT values at name of the served zones, when name is a challenge name."""
        if not name.startswith("_acme-challenge.") or not name.endswith(self.args.publish_zone):
            return
        values = [strip_quotes(r["content"]) for r in self.records
                  if r["name"] == name and r["type"] == "TXT" and self.serves(self.zone_by_id(r["zone_id"]))]
        self.publisher.publish(name, values)

    def page(self, items, query, per_page_key="per_page", page_key="page"):
        """The requested page of items: (slice, page, per_page, last_page). Pages are at most --page-size long."""
        try:
            per_page = int(query.get(per_page_key, [self.page_default])[0])
            page = int(query.get(page_key, ["1"])[0])
        except ValueError:
            per_page, page = self.page_default, 1
        per_page = max(1, min(per_page, self.page_size))
        page = max(1, page)
        last = max(1, (len(items) + per_page - 1) // per_page)
        return items[(page - 1) * per_page:page * per_page], page, per_page, last

    def state(self):
        return {"zones": self.zones, "records": self.records}

    # ---- requests ----
    def throttled(self, method, path):
        for t in self.throttles:
            if t[0] == method and t[1].search(path) and t[2] > 0:
                t[2] -= 1
                return True
        return False

    def handle(self, method, path, query, body, headers, base):
        if not path.startswith(self.prefix):
            return Reply(404, {"message": "not under " + self.prefix}), "none"
        path = path[len(self.prefix):] or "/"
        if self.throttled(method, path):
            return self.too_many(), "throttled"
        verdict = self.auth(method, path, headers)
        if isinstance(verdict, Reply):
            return verdict, "refused"
        try:
            doc = json.loads(body) if body else None
        except ValueError:
            doc = BAD_JSON
        with self.lock:
            return self.route(method, path, query, doc, base), verdict

    def log_request(self, method, path, query, status, auth, doc):
        if self.log:
            self.log.write(json.dumps({"t": round(time.time(), 3), "method": method, "path": path, "query": query,
                                       "status": status, "auth": auth, "body": doc}) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, reply):
        body = b"" if reply.doc is None else (json.dumps(reply.doc) + "\n").encode()
        self.send_response(reply.status)
        if reply.doc is not None:
            self.send_header("Content-Type", "application/json")
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def any(self):
        api = self.server.api
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path == "/_fake/state":
            with api.lock:
                return self.answer(Reply(200, api.state()))
        base = "http://%s" % self.headers.get("Host", "127.0.0.1")
        try:
            reply, auth = api.handle(self.command, url.path, query, body, self.headers, base)
        except Exception as e:  # the test must see it, and the client an error
            print("fake %s: %s %s: %r" % (api.__class__.__name__, self.command, self.path, e), file=sys.stderr)
            reply, auth = Reply(500, {"message": "fake server error"}), "error"
        try:
            logged = json.loads(body) if body else None
        except ValueError:
            logged = body.decode("latin-1")
        api.log_request(self.command, url.path, url.query, reply.status, auth, logged)
        self.answer(reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = any


def main(cls):
    p = argparse.ArgumentParser(description=cls.__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--log", help="request log, one JSON object per line")
    p.add_argument("--page-size", type=int, default=2, help="the most entries one page holds")
    p.add_argument("--throttle", action="append", default=[], metavar="'METHOD REGEX=N'",
                   help="answer the first N requests whose path (after the API prefix) matches with 429")
    p.add_argument("--dns-port", type=int, default=0, help="acme-dnsd's port, to mirror TXT records into")
    p.add_argument("--tsig-key-file", help="nsupdate -k key file for acme-dnsd")
    p.add_argument("--publish-zone", default="example.test")
    cls.add_args(p) if hasattr(cls, "add_args") else None
    args = p.parse_args()
    api = cls(args)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.api = api
    server.serve_forever()
