#!/usr/bin/env python3
"""A fake Microsoft identity platform token endpoint and Azure DNS (Resource Manager, api-version 2018-05-01) for
tests/integration/azuredns.sh.

As Microsoft's documentation describes them:
  - POST /TENANT/oauth2/v2.0/token, client credentials grant (grant_type, client_id, client_secret, scope
    "<resource manager>/.default"); a wrong secret is 401 invalid_client (AADSTS7000215), an unknown tenant 400
    invalid_request (AADSTS90002); the answer is {"token_type": "Bearer", "expires_in", "access_token"};
  - every Resource Manager request needs "Authorization: Bearer <a token issued here>" (else 401
    InvalidAuthenticationToken) and api-version=2018-05-01 (else 400);
  - GET /subscriptions/S[/resourceGroups/RG]/providers/Microsoft.Network/dnsZones (one zone per page, nextLink),
    GET, PUT and DELETE .../dnsZones/ZONE/TXT/RELATIVE with ETags: If-Match must equal the set's etag, If-None-Match
    * needs no set, else 412 PreconditionFailed; PUT answers 201 for a new set, 200 for a replaced one;
  - errors in ARM's shape {"error": {"code", "message"}}; names are case-insensitive.
"""

import json
import secrets
import sys
import time
import urllib.parse
import uuid

import fakedns

API_VERSION = "2018-05-01"


class Azure(fakedns.Fake):
    name = "azuredns"

    def __init__(self, args):
        super().__init__(args)
        self.tokens = {}
        self.etags = {}                     # (zone id, name) -> etag of the set
        for spec in args.zone:              # NAME:RESOURCE_GROUP
            name, rg = spec.split(":")
            self.zones.append(fakedns.Zone(rg + "/" + fakedns.norm(name), name))

    def error(self, status, code, message):
        self.log("ERROR %d %s" % (status, code))
        return fakedns.json_answer(status, {"error": {"code": code, "message": message}})

    def throttle_answer(self, rule):
        return self.error(rule["status"], "TooManyRequests", "The request is being throttled.")

    # ---- the token endpoint ----

    def token(self, tenant, req):
        form = dict(urllib.parse.parse_qsl(req.body.decode()))
        if tenant != self.args.tenant:
            return fakedns.json_answer(400, {"error": "invalid_request", "error_description":
                                             "AADSTS90002: Tenant '%s' not found." % tenant, "error_codes": [90002]})
        if form.get("grant_type") != "client_credentials":
            return fakedns.json_answer(400, {"error": "unsupported_grant_type", "error_description":
                                             "AADSTS70003: The app requested an unsupported grant type."})
        if form.get("client_id") != self.args.client_id:
            return fakedns.json_answer(400, {"error": "unauthorized_client", "error_description":
                                             "AADSTS700016: Application was not found in the directory."})
        if not secrets.compare_digest(form.get("client_secret", ""), self.args.client_secret):
            self.log("TOKEN refused: invalid client secret")
            return fakedns.json_answer(401, {"error": "invalid_client", "error_description":
                                             "AADSTS7000215: Invalid client secret provided.", "error_codes": [7000215]})
        if form.get("scope") != self.args.scope:
            return fakedns.json_answer(400, {"error": "invalid_scope", "error_description":
                                             "AADSTS70011: The provided value for scope is not valid."})
        tok = "eyJ0eXAiOiJKV1Qi.fake-" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[tok] = time.time() + 3599
        self.log("TOKEN issued to %s" % self.args.client_id)
        return fakedns.json_answer(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                         "access_token": tok})

    # ---- Resource Manager ----

    def authorized(self, req):
        auth = req.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and self.tokens.get(auth[7:], 0) > time.time()

    def handle(self, req):
        parts = [urllib.parse.unquote(x) for x in req.path.strip("/").split("/")]
        if req.method == "POST" and len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
            return self.token(parts[0], req)
        if not self.authorized(req):
            return self.error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        if req.query.get("api-version") != API_VERSION:
            return self.error(400, "NoRegisteredProviderFound", "No registered resource provider found for API "
                              "version '%s'." % req.query.get("api-version"))
        low = [x.lower() for x in parts]
        if len(low) < 2 or low[0] != "subscriptions" or parts[1] != self.args.subscription:
            return self.error(403, "AuthorizationFailed", "The client does not have authorization to perform action "
                              "over scope '/%s'." % "/".join(parts[:2]))
        rg = None
        rest = low[2:]
        if rest[:1] == ["resourcegroups"] and len(rest) >= 2:
            rg, rest = parts[3], rest[2:]
        if rest[:3] != ["providers", "microsoft.network", "dnszones"]:
            return self.error(404, "InvalidResourceType", "The resource type could not be found.")
        rest = parts[len(parts) - len(rest) + 3:]
        with self.lock:
            if not rest and req.method == "GET":
                return self.list_zones(req, rg)
            zone = next((z for z in self.zones if rg and z.id.lower() == (rg + "/" + fakedns.norm(rest[0])).lower()), None)
            if not zone:
                return self.error(404, "ResourceNotFound", "The Resource 'Microsoft.Network/dnszones/%s' under resource "
                                  "group '%s' was not found." % (rest[0], rg))
            if len(rest) == 3 and rest[1].upper() == "TXT":
                name = zone.name if rest[2] == "@" else fakedns.norm(rest[2] + "." + zone.name)
                if req.method == "GET":
                    return self.get_set(zone, rg, name, rest[2])
                if req.method == "PUT":
                    return self.put_set(zone, rg, name, rest[2], req)
                if req.method == "DELETE":
                    return self.delete_set(zone, name, req)
        return self.error(404, "NotFound", "Not found")

    def zone_json(self, z):
        rg, _, name = z.id.partition("/")
        return {"id": "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/dnszones/%s"
                      % (self.args.subscription, rg, name.rstrip(".")),
                "name": name.rstrip("."), "type": "Microsoft.Network/dnszones", "location": "global",
                "etag": "00000002-0000-0000-0000-000000000000",
                "properties": {"maxNumberOfRecordSets": 10000, "numberOfRecordSets": len(z.rrsets) + 2,
                               "nameServers": ["ns1-01.azure-dns.com."], "zoneType": "Public"}}

    def list_zones(self, req, rg):
        zones = [z for z in self.zones if rg is None or z.id.split("/")[0].lower() == rg.lower()]
        skip = int(req.query.get("$skipToken") or 0)
        doc = {"value": [self.zone_json(z) for z in zones[skip:skip + 1]]}   # one zone per page
        if skip + 1 < len(zones):
            q = dict(req.query)
            q["$skipToken"] = str(skip + 1)
            doc["nextLink"] = "http://127.0.0.1:%d%s?%s" % (self.args.port, req.path, urllib.parse.urlencode(q))
        return fakedns.json_answer(200, doc)

    def set_json(self, zone, rg, name, rel, s):
        return {"id": "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/dnszones/%s/TXT/%s"
                      % (self.args.subscription, rg, zone.name.rstrip("."), rel),
                "name": rel, "type": "Microsoft.Network/dnszones/TXT", "etag": self.etags[(zone.id, name)],
                "properties": {"metadata": s.get("metadata"), "TTL": s["ttl"], "fqdn": name,
                               "provisioningState": "Succeeded",
                               "TXTRecords": [{"value": [v] if isinstance(v, str) else v} for v in s["values"]]}}

    def get_set(self, zone, rg, name, rel):
        s = zone.get(name)
        if not s:
            return self.error(404, "NotFound", "The resource record '%s' does not exist in resource group '%s' of "
                              "subscription '%s'." % (rel, rg, self.args.subscription))
        self.etags.setdefault((zone.id, name), str(uuid.uuid4()))
        return fakedns.json_answer(200, self.set_json(zone, rg, name, rel, s))

    def precondition(self, zone, name, req):
        """None when If-Match / If-None-Match hold for the set at name, else the 412 answer."""
        s = zone.get(name)
        etag = self.etags.get((zone.id, name)) if s else None
        im, inm = req.headers.get("If-Match"), req.headers.get("If-None-Match")
        if (im is not None and (not s or (im != "*" and im != etag))) or (inm == "*" and s):
            return self.error(412, "PreconditionFailed", "The Record set %s has been modified (etag mismatch)." % name)
        return None

    def race(self, zone, name):
        before = zone.get(name)
        before = list(before["values"]) if before else None
        super().race(zone, name)
        after = zone.get(name)
        if (list(after["values"]) if after else None) != before:
            self.etags[(zone.id, fakedns.norm(name))] = str(uuid.uuid4())   # a change makes a new ETag

    def put_set(self, zone, rg, name, rel, req):
        try:
            props = json.loads(req.body)["properties"]
            records = props["TXTRecords"]
            values = [r["value"][0] if len(r["value"]) == 1 else r["value"] for r in records]
            ttl = int(props["TTL"])
        except (ValueError, KeyError, TypeError, IndexError) as e:
            return self.error(400, "BadRequest", "The request body is not a TXT record set: %s" % e)
        self.race(zone, name)
        bad = self.precondition(zone, name, req)
        if bad:
            return bad
        existed = zone.get(name) is not None
        zone.put(name, "TXT", ttl, values)
        zone.get(name)["metadata"] = props.get("metadata")
        self.etags[(zone.id, name)] = str(uuid.uuid4())
        self.log("PUT_SET %s %s %s" % (zone.id, name, ",".join(v if isinstance(v, str) else "+".join(v) for v in values)))
        self.publish(zone, name)
        return fakedns.json_answer(200 if existed else 201, self.set_json(zone, rg, name, rel, zone.get(name)))

    def delete_set(self, zone, name, req):
        self.race(zone, name)
        bad = self.precondition(zone, name, req)
        if bad:
            return bad
        if not zone.get(name):
            return 204, {}, b""
        zone.put(name, "TXT", 0, [])
        self.etags.pop((zone.id, name), None)
        self.log("DELETE_SET %s %s" % (zone.id, name))
        self.publish(zone, name)
        return 200, {}, b""


def main():
    p = fakedns.common_args(__doc__.splitlines()[0])
    p.add_argument("--tenant", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret", required=True)
    p.add_argument("--subscription", required=True)
    p.add_argument("--scope", required=True, help="the scope a token request must name")
    p.add_argument("--zone", action="append", default=[], help="NAME:RESOURCE_GROUP")
    return fakedns.serve(Azure(p.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
