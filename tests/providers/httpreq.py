#!/usr/bin/env python3
"""A fake endpoint of lego's httpreq convention for the integration tests: POST PREFIX/present and PREFIX/cleanup
with {"fqdn": "_acme-challenge.example.test.", "value": "..."}, HTTP basic authentication (FAKE_HTTPREQ_USER and
FAKE_HTTPREQ_PASSWORD; wrong or none is 401 with WWW-Authenticate), 200 "ok" on success. What it was asked to
present it keeps (and publishes) until asked to clean it up.

Seed: someone else's value "someone-elses-value" at _acme-challenge.example.test.
"""
import base64
import hmac
import os

from recordapi import BAD_JSON, FakeAPI, Reply, main


class HttpReq(FakeAPI):
    """A fake httpreq endpoint."""

    def seed(self):
        self.prefix = self.args.path_prefix
        user, password = os.environ.get("FAKE_HTTPREQ_USER", ""), os.environ.get("FAKE_HTTPREQ_PASSWORD", "")
        self.expected = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.zones = [{"id": "example.test", "name": "example.test"}]
        self.add_record(self.zones[0], "TXT", "_acme-challenge.example.test", "someone-elses-value", 120)

    @staticmethod
    def add_args(p):
        p.add_argument("--path-prefix", default="/acme")

    def auth(self, method, path, headers):
        got = headers.get("Authorization", "")
        if hmac.compare_digest(got.encode(), self.expected.encode()):
            return "basic"
        return Reply(401, {"error": "unauthorized"}, {"WWW-Authenticate": 'Basic realm="acme"'})

    def route(self, method, path, query, body, base):
        if method != "POST" or path not in ("/present", "/cleanup"):
            return Reply(404, {"error": "not found"})
        if body is BAD_JSON or not isinstance(body, dict) or set(body) != {"fqdn", "value"}:
            return Reply(400, {"error": "expected {\"fqdn\", \"value\"}"})
        fqdn, value = str(body["fqdn"]), str(body["value"])
        if not fqdn.endswith(".") or not fqdn.rstrip(".").endswith(".example.test"):
            return Reply(400, {"error": "fqdn must be a name in example.test with its final dot"})
        name = fqdn.rstrip(".").lower()
        have = [r for r in self.records if r["name"] == name and r["content"] == value]
        if path == "/present" and not have:
            self.add_record(self.zones[0], "TXT", name, value, 120)
        for rec in have if path == "/cleanup" else []:
            self.delete_record(rec)
        return Reply(200, {"status": "ok"})


if __name__ == "__main__":
    main(HttpReq)
