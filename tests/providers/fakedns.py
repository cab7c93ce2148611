"""What the fake DNS provider APIs of the integration tests share (Python 3 standard library only).

Each fake (route53_fake.py, gcloud_fake.py, azuredns_fake.py) answers on 127.0.0.1 the way the provider's public
API documentation describes, keeps its zones in memory, and:
  - logs one line per request ("METHOD PATH?QUERY -> STATUS") and per event (a change, a poll, a token) to --log;
    no header value and no secret is ever written there;
  - answers the first N requests matching a rule with 429 (or another status) and Retry-After, on demand;
  - mirrors every TXT set under _acme-challenge of a public zone into a real DNS server with nsupdate (delete the
    TXT RRset, add each current value, one send), so pebble can validate what the API holds;
  - can play a concurrent writer once: just before the next write that touches a name, it adds a value there.

Control endpoints (no authentication: loopback test fixtures): GET /_fake/state (the zones, values unquoted),
POST /_fake/throttle {"method", "path" (a regular expression), "count", "retry_after", "status"},
POST /_fake/race {"name", "value"}, POST /_fake/seed {"zone", "name", "values", "ttl"}.
"""

import argparse
import json
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def norm(name):
    """A DNS name in lower case with its final dot."""
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


def in_zone(name, zone):
    name, zone = norm(name), norm(zone)
    return name == zone or name.endswith("." + zone)


def reversed_key(name):
    """The order of names by their labels from the top: example.test. < a.example.test. < b.example.test."""
    return tuple(reversed(norm(name).rstrip(".").split(".")))


class Zone:
    def __init__(self, zid, name, private=False):
        self.id = zid
        self.name = norm(name)
        self.private = private
        self.rrsets = {}            # (name, type) -> {"ttl": int, "values": [raw TXT strings]}

    def get(self, name, rtype="TXT"):
        return self.rrsets.get((norm(name), rtype))

    def put(self, name, rtype, ttl, values):
        if values:
            self.rrsets[(norm(name), rtype)] = {"ttl": int(ttl), "values": list(values)}
        else:
            self.rrsets.pop((norm(name), rtype), None)

    def state(self):
        sets = [{"name": n, "type": t, "ttl": s["ttl"], "values": s["values"]}
                for (n, t), s in sorted(self.rrsets.items(), key=lambda kv: (reversed_key(kv[0][0]), kv[0][1]))]
        return {"id": self.id, "name": self.name, "private": self.private, "rrsets": sets}


class Fake:
    """The state and the services every fake provider has; a subclass adds handle()."""

    name = "fake"

    def __init__(self, args):
        self.args = args
        self.lock = threading.RLock()
        self.zones = []
        self.throttles = []
        self.races = []
        self.log_file = open(args.log, "a", buffering=1) if args.log else None

    # ---- bookkeeping ----

    def log(self, line):
        if self.log_file:
            self.log_file.write(time.strftime("%H:%M:%S ") + line + "\n")

    def zone_by_id(self, zid):
        return next((z for z in self.zones if z.id == zid), None)

    def state(self):
        with self.lock:
            return {"zones": [z.state() for z in self.zones]}

    # ---- the mirror in DNS ----

    def publish(self, zone, name):
        """Mirrors the TXT set at name into the DNS server (public zones, _acme-challenge names only)."""
        if zone.private or "_acme-challenge" not in name or not self.args.nsupdate_server:
            return
        s = zone.get(name)
        values = s["values"] if s else []
        lines = ["server 127.0.0.1 %d" % self.args.nsupdate_port, "zone " + zone.name, "update delete %s TXT" % name]
        for v in values:
            lines.append('update add %s %d TXT "%s"' % (name, s["ttl"], v.replace("\\", "\\\\").replace('"', '\\"')))
        lines.append("send")
        try:
            r = subprocess.run(["nsupdate", "-t", "5", "-y", self.args.nsupdate_key], input="\n".join(lines) + "\n",
                               capture_output=True, text=True, timeout=20)
            ok = r.returncode == 0
            why = (r.stdout + r.stderr).strip().replace("\n", " ")
        except (OSError, subprocess.SubprocessError) as e:
            ok, why = False, str(e)
        self.log("PUBLISH %s %s%s" % (name, " ".join(values) if values else "(none)",
                                      "" if ok else " FAILED: " + why))

    # ---- test controls ----

    def throttled(self, method, path):
        """The rule that answers this request with an error, or None (a rule is used up after count requests)."""
        with self.lock:
            for t in self.throttles:
                if t["count"] > 0 and t.get("method", method) == method and re.search(t["path"], path):
                    t["count"] -= 1
                    return t
        return None

    def race(self, zone, name):
        """Plays the concurrent writer once: adds a value at name just before a write touches it."""
        with self.lock:
            for r in list(self.races):
                if norm(r["name"]) == norm(name) and in_zone(name, zone.name):
                    self.races.remove(r)
                    s = zone.get(name)
                    values = (s["values"] if s else []) + [r["value"]]
                    zone.put(name, "TXT", s["ttl"] if s else 300, values)
                    self.log("RACE added %s at %s before the write" % (r["value"], norm(name)))
                    self.publish(zone, norm(name))

    def control(self, method, path, body):
        if method == "GET" and path == "/_fake/state":
            return 200, self.state()
        data = json.loads(body or b"{}")
        with self.lock:
            if path == "/_fake/throttle":
                data.setdefault("status", 429)
                self.throttles.append(data)
                return 200, {"ok": True}
            if path == "/_fake/race":
                self.races.append(data)
                return 200, {"ok": True}
            if path == "/_fake/seed":
                z = next((z for z in self.zones if z.name == norm(data["zone"]) and not z.private), None)
                if not z:
                    return 404, {"error": "no such zone"}
                z.put(data["name"], "TXT", data.get("ttl", 300), data["values"])
                self.log("SEED %s %s" % (norm(data["name"]), " ".join(data["values"])))
                self.publish(z, norm(data["name"]))
                return 200, {"ok": True}
        return 404, {"error": "unknown control"}

    # ---- what a subclass provides ----

    def handle(self, req):
        """Returns (status, headers dict, body bytes) for req (a Request)."""
        raise NotImplementedError

    def throttle_answer(self, rule):
        return rule["status"], {"Content-Type": "application/json"}, json.dumps(
            {"error": {"code": rule["status"], "message": "Too many requests"}}).encode()


class Request:
    def __init__(self, handler, method):
        self.method = method
        self.raw_path = handler.path
        u = urllib.parse.urlsplit(handler.path)
        self.path = u.path
        self.raw_query = u.query
        self.query = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        self.headers = handler.headers
        n = int(handler.headers.get("Content-Length") or 0)
        self.body = handler.rfile.read(n) if n else b""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake = None

    def log_message(self, fmt, *args):  # the request log is ours; stderr stays quiet
        pass

    def answer(self, status, headers, body):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def dispatch(self, method):
        fake = self.fake
        req = Request(self, method)
        if req.path.startswith("/_fake/"):
            try:
                status, doc = fake.control(method, req.path, req.body)
            except (ValueError, KeyError) as e:
                status, doc = 400, {"error": str(e)}
            return self.answer(status, {"Content-Type": "application/json"}, json.dumps(doc).encode())
        rule = fake.throttled(method, req.path)
        if rule:
            status, headers, body = fake.throttle_answer(rule)
            headers = dict(headers)
            headers["Retry-After"] = str(rule.get("retry_after", 1))
            fake.log("%s %s -> %d (throttled, Retry-After %s)" % (method, req.raw_path, status, headers["Retry-After"]))
            return self.answer(status, headers, body)
        try:
            status, headers, body = fake.handle(req)
        except Exception as e:  # a bug of the fake must show in the test, not hang it
            fake.log("%s %s -> 500 (fake error: %r)" % (method, req.raw_path, e))
            return self.answer(500, {"Content-Type": "text/plain"}, b"fake error")
        fake.log("%s %s -> %d" % (method, req.raw_path, status))
        self.answer(status, headers, body)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PATCH(self):
        self.dispatch("PATCH")


def common_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--log", help="request and event log")
    p.add_argument("--nsupdate-server", action="store_true", help="mirror _acme-challenge TXT sets into DNS")
    p.add_argument("--nsupdate-port", type=int, default=53)
    p.add_argument("--nsupdate-key", default="", help="hmac-sha256:NAME:SECRET for nsupdate -y")
    p.add_argument("--pending-polls", type=int, default=2, help="polls a change stays pending")
    return p


def serve(fake):
    Handler.fake = fake
    server = ThreadingHTTPServer(("127.0.0.1", fake.args.port), Handler)
    server.daemon_threads = True
    fake.log("%s fake listening on 127.0.0.1:%d" % (fake.name, fake.args.port))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def json_answer(status, doc, extra=None):
    headers = {"Content-Type": "application/json; charset=utf-8"}
    headers.update(extra or {})
    return status, headers, json.dumps(doc).encode()


if __name__ == "__main__":
    sys.exit("fakedns.py is a module: run route53_fake.py, gcloud_fake.py or azuredns_fake.py")
