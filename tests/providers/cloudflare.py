#!/usr/bin/env python3
"""A fake Cloudflare API v4 (https://api.cloudflare.com/client/v4) for the integration tests, as its documentation
describes it: zones listed by exact name (GET /zones?name=), DNS records listed, created and deleted under
/zones/{id}/dns_records, answers {"success","errors":[{"code","message"}],"messages","result"[,"result_info"]},
pages by page/per_page with result_info.total_pages.

Credentials: FAKE_CF_DNS_TOKEN (Zone.DNS edit, and Zone read unless FAKE_CF_ZONE_TOKEN is set, which then alone
reads zones), and FAKE_CF_EMAIL + FAKE_CF_KEY (the global key). A malformed header is 400 with code 6003 and the
header's 61xx code in error_chain; an unknown token 403 code 9109; an unknown key 403 code 9103; a token without the
permission 403 code 10000.

Seed: zone example.test twice, once active (account "ours") and once pending (account "other": an unfinished
sign-up of the same name, whose records nobody serves and which must never be written), and other.test. At
_acme-challenge.example.test the active zone holds someone else's TXT "someone-elses-value", the pending one
"pending-twin-value"; www.example.test has an A and a TXT record.
"""
import os
import re

from recordapi import BAD_JSON, FakeAPI, Reply, main

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,}$")


def errors(code, message, chain=None):
    e = {"code": code, "message": message}
    if chain:
        e["error_chain"] = [{"code": c, "message": m} for c, m in chain]
    return {"success": False, "errors": [e], "messages": [], "result": None}


def ok(result, info=None):
    doc = {"success": True, "errors": [], "messages": [], "result": result}
    if info:
        doc["result_info"] = info
    return doc


class Cloudflare(FakeAPI):
    """A fake Cloudflare API v4."""

    prefix = "/client/v4"

    def seed(self):
        self.dns_token = os.environ.get("FAKE_CF_DNS_TOKEN", "")
        self.zone_token = os.environ.get("FAKE_CF_ZONE_TOKEN", "")
        self.email = os.environ.get("FAKE_CF_EMAIL", "")
        self.key = os.environ.get("FAKE_CF_KEY", "")
        active = {"id": self.new_id(), "name": "example.test", "status": "active", "paused": False, "type": "full",
                  "account": {"id": "ours", "name": "ours"}}
        twin = {"id": self.new_id(), "name": "example.test", "status": "pending", "paused": False, "type": "full",
                "account": {"id": "other", "name": "other"}}
        other = {"id": self.new_id(), "name": "other.test", "status": "active", "paused": False, "type": "full",
                 "account": {"id": "ours", "name": "ours"}}
        self.zones = [twin, active, other]
        self.add_record(active, "TXT", "_acme-challenge.example.test", "someone-elses-value", 120)
        self.add_record(twin, "TXT", "_acme-challenge.example.test", "pending-twin-value", 120)
        self.add_record(active, "A", "www.example.test", "192.0.2.1", 300)
        self.add_record(active, "TXT", "www.example.test", "v=spf1 -all", 300)

    def serves(self, zone):
        return zone["status"] == "active" and super().serves(zone)

    def too_many(self):
        return Reply(429, errors(971, "Please wait and consider throttling your request speed"),
                     {"Retry-After": "1"})

    # ---- credentials ----
    def permissions(self, headers):
        """(credential name, set of permissions, None) or (None, None, refusing Reply)."""
        authz = headers.get("Authorization")
        email, key = headers.get("X-Auth-Email"), headers.get("X-Auth-Key")
        if authz is not None:
            m = re.match(r"^Bearer (\S+)$", authz)
            if not m or not TOKEN_RE.match(m.group(1)):
                return None, None, Reply(400, errors(6003, "Invalid request headers",
                                               [(6111, "Invalid format for Authorization header")]))
            token = m.group(1)
            if token == self.dns_token:
                return "dns-token", ({"dns"} if self.zone_token else {"dns", "zone"}), None
            if self.zone_token and token == self.zone_token:
                return "zone-token", {"zone"}, None
            return None, None, Reply(403, errors(9109, "Invalid access token"))
        if email is not None or key is not None:
            if not key or not re.match(r"^[0-9a-f]{37}$", key):
                return None, None, Reply(400, errors(6003, "Invalid request headers",
                                               [(6103, "Invalid format for X-Auth-Key header")]))
            if self.key and key == self.key and email == self.email:
                return "global-key", {"dns", "zone"}, None
            return None, None, Reply(403, errors(9103, "Unknown X-Auth-Key or X-Auth-Email"))
        return None, None, Reply(400, errors(6003, "Invalid request headers",
                                       [(6111, "Invalid format for Authorization header")]))

    def auth(self, method, path, headers):
        used, perms, refused = self.permissions(headers)
        if refused:
            return refused
        need = "zone" if path.rstrip("/") == "/zones" else "dns"
        return used if need in perms else Reply(403, errors(10000, "Authentication error"))

    # ---- routes ----
    def listing(self, items, query):
        part, page, per_page, last = self.page(items, query)
        return Reply(200, ok(part, {"page": page, "per_page": per_page, "count": len(part),
                                    "total_count": len(items), "total_pages": last if items else 0}))

    def record_view(self, rec):
        zone = self.zone_by_id(rec["zone_id"])
        return {"id": rec["id"], "zone_id": zone["id"], "zone_name": zone["name"], "name": rec["name"],
                "type": rec["type"], "content": rec["content"], "proxiable": False, "proxied": False,
                "ttl": rec["ttl"], "locked": False}

    def route(self, method, path, query, body, base):
        if method == "GET" and path.rstrip("/") == "/zones":
            name = query.get("name", [None])[0]
            zones = [z for z in self.zones if name is None or z["name"] == name.lower()]
            return self.listing(zones, query)
        m = re.match(r"^/zones/([0-9a-f]{32})/dns_records(?:/([0-9a-f]{32}))?$", path)
        zone = self.zone_by_id(m.group(1)) if m else None
        if not zone:
            return Reply(404 if m else 400, errors(7003, "Could not route to %s, perhaps your object identifier is "
                                                         "invalid?" % path))
        rid = m.group(2)
        if method == "GET" and not rid:
            recs = [self.record_view(r) for r in self.records if r["zone_id"] == zone["id"]
                    and all(r[k] == query[k][0] for k in ("type", "name", "content") if k in query)]
            return self.listing(recs, query)
        if method == "POST" and not rid:
            return self.create(zone, body)
        if method == "DELETE" and rid:
            rec = next((r for r in self.records if r["id"] == rid and r["zone_id"] == zone["id"]), None)
            if not rec:
                return Reply(404, errors(81044, "Record does not exist."))
            self.delete_record(rec)
            return Reply(200, ok({"id": rid}))
        return Reply(405, errors(10405, "Method not allowed"))

    def create(self, zone, body):
        if body is BAD_JSON or not isinstance(body, dict):
            return Reply(400, errors(9207, "Request body is invalid."))
        name = str(body.get("name", "")).lower().rstrip(".")
        content, ttl = body.get("content"), body.get("ttl", 1)
        if body.get("type") != "TXT" or not isinstance(content, str) or not content:
            return Reply(400, errors(9005, "Content for TXT record is invalid."))
        if not (name == zone["name"] or name.endswith("." + zone["name"])):
            return Reply(400, errors(9007, "%s is not in zone %s" % (name, zone["name"])))
        if not isinstance(ttl, int) or not (ttl == 1 or 60 <= ttl <= 86400):
            return Reply(400, errors(9021, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for automatic"))
        if any(r["zone_id"] == zone["id"] and r["type"] == "TXT" and r["name"] == name and r["content"] == content
               for r in self.records):
            return Reply(400, errors(81058, "An identical record already exists."))
        return Reply(200, ok(self.record_view(self.add_record(zone, "TXT", name, content, ttl))))


if __name__ == "__main__":
    main(Cloudflare)
