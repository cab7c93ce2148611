#!/usr/bin/env python3
"""A fake Hetzner DNS API (https://dns.hetzner.com/api/v1) for the integration tests, as its documentation
describes it: GET /zones?name= (exact name; "zone not found" is a 404), GET /records?zone_id=, POST /records,
DELETE /records/{id}; lists paged by page/per_page with meta.pagination (page, per_page, last_page, total_entries).

Credentials: header "Auth-API-Token: FAKE_HETZNER_KEY"; anything else is 401 {"message": "Invalid authentication
credentials"}. Record names are relative to the zone ("@" for the apex). 429 carries Retry-After.

Seed: zones other-example.test (whose name ends in ours, but not at a label) and example.test, the latter with
someone else's TXT at _acme-challenge ("someone-elses-value"), an NS, an A and a TXT at www, and a TXT at
_acme-challenge.www ("another-foreign-value"): more records than a page holds.
"""
import os
import random
import re
import string

from recordapi import BAD_JSON, FakeAPI, Reply, main


def error(status, message):
    return Reply(status, {"error": {"message": message, "code": status}})


class Hetzner(FakeAPI):
    """A fake Hetzner DNS API."""

    prefix = "/api/v1"
    page_default = 100

    def seed(self):
        self.key = os.environ.get("FAKE_HETZNER_KEY", "")
        for name in ("other-example.test", "example.test"):
            self.zones.append({"id": self.new_id(), "name": name, "ttl": 86400, "status": "verified",
                               "records_count": 0})
        z = self.zone_by_name("example.test")
        self.add_record(z, "NS", "example.test", "hydrogen.ns.hetzner.com.", 86400)
        self.add_record(z, "TXT", "_acme-challenge.example.test", "someone-elses-value", 120)
        self.add_record(z, "A", "www.example.test", "192.0.2.1", 300)
        self.add_record(z, "TXT", "www.example.test", "v=spf1 -all", 300)
        self.add_record(z, "TXT", "_acme-challenge.www.example.test", "another-foreign-value", 120)

    @staticmethod
    def new_id():
        return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(22))

    def too_many(self):
        return Reply(429, {"message": "API rate limit exceeded"}, {"Retry-After": "1",
                                                                    "X-RateLimit-Limit-Minute": "60",
                                                                    "X-RateLimit-Remaining-Minute": "0"})

    def auth(self, method, path, headers):
        if self.key and headers.get("Auth-API-Token") == self.key:
            return "key"
        return Reply(401, {"message": "Invalid authentication credentials"})

    def listing(self, key, items, query):
        part, page, per_page, last = self.page(items, query)
        return Reply(200, {key: part, "meta": {"pagination": {
            "page": page, "per_page": per_page, "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if page < last else None, "last_page": last, "total_entries": len(items)}}})

    def record_view(self, rec):
        zone = self.zone_by_id(rec["zone_id"])
        rel = "@" if rec["name"] == zone["name"] else rec["name"][:-len(zone["name"]) - 1]
        return {"id": rec["id"], "type": rec["type"], "name": rel, "value": rec["content"], "zone_id": zone["id"],
                "ttl": rec["ttl"], "created": "2024-01-01 00:00:00 +0000 UTC",
                "modified": "2024-01-01 00:00:00 +0000 UTC"}

    def route(self, method, path, query, body, base):
        if method == "GET" and path == "/zones":
            name = query.get("name", [None])[0]
            zones = [z for z in self.zones if name is None or z["name"] == name.lower()]
            if name is not None and not zones:
                return error(404, "zone not found")
            return self.listing("zones", zones, query)
        if method == "GET" and path == "/records":
            zid = query.get("zone_id", [None])[0]
            if zid is not None and not self.zone_by_id(zid):
                return error(404, "zone not found")
            recs = [self.record_view(r) for r in self.records if zid is None or r["zone_id"] == zid]
            return self.listing("records", recs, query)
        if method == "POST" and path == "/records":
            return self.create(body)
        m = re.match(r"^/records/([A-Za-z0-9]+)$", path)
        if method == "DELETE" and m:
            rec = next((r for r in self.records if r["id"] == m.group(1)), None)
            if not rec:
                return error(404, "record not found")
            self.delete_record(rec)
            return Reply(200, {})
        return error(404, "not found")

    def create(self, body):
        if body is BAD_JSON or not isinstance(body, dict):
            return error(400, "invalid JSON")
        zone = self.zone_by_id(str(body.get("zone_id")))
        rel, value, ttl = body.get("name"), body.get("value"), body.get("ttl", 86400)
        if not zone:
            return error(422, "zone_id: zone not found")
        if body.get("type") != "TXT" or not isinstance(value, str) or not value:
            return error(422, "value: invalid TXT value")
        if not isinstance(rel, str) or not re.match(r"^(@|[a-z0-9_.-]+)$", rel) or rel.endswith("."):
            return error(422, "name: invalid name")
        if not isinstance(ttl, int) or ttl < 60:
            return error(422, "ttl: must be at least 60")
        name = zone["name"] if rel == "@" else rel + "." + zone["name"]
        return Reply(200, {"record": self.record_view(self.add_record(zone, "TXT", name, value, ttl))})


if __name__ == "__main__":
    main(Hetzner)
