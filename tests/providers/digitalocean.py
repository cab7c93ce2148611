#!/usr/bin/env python3
"""A fake DigitalOcean API v2 (https://api.digitalocean.com/v2) for the integration tests, as its documentation
describes it: domains (the zones) listed by GET /domains, records listed (filtered by type and full name), created
and deleted under /domains/{name}/records; lists paged by page/per_page, with links.pages.next and meta.total.
The links name https://api.digitalocean.com as the real API does, not this server: a client must not follow them to
another host with its token.

Credentials: "Authorization: Bearer FAKE_DO_TOKEN"; anything else is 401 {"id": "unauthorized", ...}. Errors are
{"id", "message"}; a TTL under 30 is 422; 429 carries RateLimit-* headers and Retry-After.

Seed: five domains (an-example.test, ample.test, example.test, test-example.test, zzz.test; so example.test is not
on the first page), example.test with someone else's TXT at _acme-challenge ("someone-elses-value"), an A and a TXT
at www, and a TXT at _acme-challenge.www ("another-foreign-value").
"""
import os
import re
import time

from recordapi import BAD_JSON, FakeAPI, Reply, main

REAL = "https://api.digitalocean.com"


def error(status, eid, message):
    return Reply(status, {"id": eid, "message": message})


class DigitalOcean(FakeAPI):
    """A fake DigitalOcean API v2."""

    prefix = "/v2"

    def seed(self):
        self.token = os.environ.get("FAKE_DO_TOKEN", "")
        self.next_id = 3352890
        for name in ("an-example.test", "ample.test", "example.test", "test-example.test", "zzz.test"):
            self.zones.append({"id": name, "name": name, "ttl": 1800, "zone_file": ""})
        z = self.zone_by_name("example.test")
        self.add_record(z, "NS", "example.test", "ns1.digitalocean.com", 1800)
        self.add_record(z, "TXT", "_acme-challenge.example.test", "someone-elses-value", 120)
        self.add_record(z, "A", "www.example.test", "192.0.2.1", 300)
        self.add_record(z, "TXT", "www.example.test", "v=spf1 -all", 300)
        self.add_record(z, "TXT", "_acme-challenge.www.example.test", "another-foreign-value", 120)

    def new_id(self):
        self.next_id += 1
        return self.next_id

    def too_many(self):
        return Reply(429, {"id": "too_many_requests", "message": "API Rate limit exceeded."},
                     {"RateLimit-Limit": "5000", "RateLimit-Remaining": "0",
                      "RateLimit-Reset": str(int(time.time()) + 1), "Retry-After": "1"})

    def auth(self, method, path, headers):
        if self.token and headers.get("Authorization") == "Bearer " + self.token:
            return "token"
        return error(401, "unauthorized", "Unable to authenticate you")

    def listing(self, key, items, query, path):
        part, page, per_page, last = self.page(items, query)
        pages = {}
        params = "&".join("%s=%s" % (k, v[0]) for k, v in sorted(query.items()) if k not in ("page", "per_page"))
        link = "%s/v2%s?%s%sper_page=%d&page=%%d" % (REAL, path, params, "&" if params else "", per_page)
        if page > 1:
            pages.update(first=link % 1, prev=link % (page - 1))
        if page < last:
            pages.update(next=link % (page + 1), last=link % last)
        return Reply(200, {key: part, "links": {"pages": pages}, "meta": {"total": len(items)}})

    def record_view(self, rec, zone):
        rel = "@" if rec["name"] == zone["name"] else rec["name"][:-len(zone["name"]) - 1]
        return {"id": rec["id"], "type": rec["type"], "name": rel, "data": rec["content"], "priority": None,
                "port": None, "ttl": rec["ttl"], "weight": None, "flags": None, "tag": None}

    def route(self, method, path, query, body, base):
        if method == "GET" and path == "/domains":
            return self.listing("domains", self.zones, query, path)
        m = re.match(r"^/domains/([a-z0-9.-]+)/records(?:/([0-9]+))?$", path)
        zone = self.zone_by_name(m.group(1)) if m else None
        if not zone:
            return error(404, "not_found", "The resource you were accessing could not be found.")
        rid = int(m.group(2)) if m.group(2) else None
        if method == "GET" and rid is None:
            recs = [self.record_view(r, zone) for r in self.records if r["zone_id"] == zone["id"]
                    and ("type" not in query or r["type"] == query["type"][0])
                    and ("name" not in query or r["name"] == query["name"][0].lower().rstrip("."))]
            return self.listing("domain_records", recs, query, path)
        if method == "POST" and rid is None:
            return self.create(zone, body)
        if method == "DELETE" and rid is not None:
            rec = next((r for r in self.records if r["id"] == rid and r["zone_id"] == zone["id"]), None)
            if not rec:
                return error(404, "not_found", "The resource you were accessing could not be found.")
            self.delete_record(rec)
            return Reply(204)
        return error(405, "method_not_allowed", "Method not allowed")

    def create(self, zone, body):
        if body is BAD_JSON or not isinstance(body, dict):
            return error(400, "bad_request", "unexpected end of JSON input")
        rel, data, ttl = body.get("name"), body.get("data"), body.get("ttl", 1800)
        if body.get("type") != "TXT" or not isinstance(data, str) or not data:
            return error(422, "unprocessable_entity", "Data needs to be a valid TXT record.")
        if not isinstance(rel, str) or not re.match(r"^(@|[a-z0-9_.-]+)$", rel) or rel.endswith("."):
            return error(422, "unprocessable_entity", "Name is invalid.")
        if not isinstance(ttl, int) or ttl < 30:
            return error(422, "unprocessable_entity", "Ttl must be greater than or equal to 30.")
        name = zone["name"] if rel == "@" else rel + "." + zone["name"]
        rec = self.add_record(zone, "TXT", name, data, ttl)
        return Reply(201, {"domain_record": self.record_view(rec, zone)})


if __name__ == "__main__":
    main(DigitalOcean)
