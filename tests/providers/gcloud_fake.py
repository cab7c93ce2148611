#!/usr/bin/env python3
"""A fake Google Cloud DNS API (v1) and OAuth 2.0 token endpoint for tests/integration/gcloud.sh.

As Google's documentation describes them:
  - POST /token takes grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and a JWT assertion (RFC 7523): its
    RS256 signature is verified with the public half of the test's service account key (openssl dgst -verify;
    Python's standard library has no RSA), and iss, aud (this endpoint), scope (ndev.clouddns.readwrite), iat and
    exp (at most an hour) are checked; a bad one is 400 {"error": "invalid_grant"}. The answer is
    {"access_token", "expires_in", "token_type": "Bearer"};
  - every API request needs "Authorization: Bearer <a token issued here>", else 401 UNAUTHENTICATED;
  - GET /dns/v1/projects/P/managedZones?dnsName=X (one zone per page, nextPageToken), GET .../managedZones/Z,
    GET .../managedZones/Z/rrsets?name=N&type=T, POST .../managedZones/Z/changes {"additions", "deletions"} (a
    deletion must match the set exactly, else 412 conditionNotMet; an addition must not find one, else 409
    alreadyExists; all or nothing), GET .../changes/ID (pending for the first --pending-polls polls, then done);
  - errors in Google's shape {"error": {"code", "message", "errors": [{"reason"}], "status"}}.
"""

import base64
import itertools
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse

import fakedns

SCOPE = "https://www.googleapis.com/auth/ndev.clouddns.readwrite"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def quote_txt(v):
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote_txt(v):
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        out, i, body = [], 0, v[1:-1]
        while i < len(body):
            if body[i] == "\\" and i + 1 < len(body):
                i += 1
            out.append(body[i])
            i += 1
        return "".join(out)
    return v                            # Cloud DNS takes unquoted TXT data too


class GCloud(fakedns.Fake):
    name = "gcloud"

    def __init__(self, args):
        super().__init__(args)
        self.tokens = {}                    # token -> expiry
        for spec in args.zone:              # ZONE_NAME:DNS_NAME:public|private
            zname, dns, vis = spec.split(":")
            self.zones.append(fakedns.Zone(zname, dns, vis == "private"))
        self.changes = {}                   # id -> polls so far
        self.ids = itertools.count(1)
        self.token_uri = "http://127.0.0.1:%d/token" % args.port

    def error(self, code, message, reason, status):
        self.log("ERROR %d %s" % (code, reason))
        return fakedns.json_answer(code, {"error": {"code": code, "message": message,
                                                    "errors": [{"domain": "global", "reason": reason,
                                                                "message": message}], "status": status}})

    def throttle_answer(self, rule):
        return self.error(rule["status"], "Quota exceeded for quota metric 'Queries'", "rateLimitExceeded",
                          "RESOURCE_EXHAUSTED")

    # ---- the token endpoint ----

    def verify_jwt(self, jwt):
        """None when the assertion holds, else why not."""
        parts = jwt.split(".")
        if len(parts) != 3:
            return "not a JWT"
        try:
            header, claims, sig = json.loads(b64url_decode(parts[0])), json.loads(b64url_decode(parts[1])), \
                b64url_decode(parts[2])
        except ValueError:
            return "not a JWT"
        if header.get("alg") != "RS256":
            return "alg is not RS256"
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "data"), "wb") as f:
                f.write((parts[0] + "." + parts[1]).encode())
            with open(os.path.join(d, "sig"), "wb") as f:
                f.write(sig)
            r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", self.args.public_key, "-signature",
                                os.path.join(d, "sig"), os.path.join(d, "data")], capture_output=True, timeout=20)
        if r.returncode != 0:
            return "Invalid JWT Signature."
        now = time.time()
        if claims.get("iss") != self.args.client_email:
            return "iss is not the service account"
        if claims.get("aud") != self.token_uri:
            return "aud is not this token endpoint"
        if SCOPE not in str(claims.get("scope", "")).split():
            return "scope lacks ndev.clouddns.readwrite"
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int) or iat > now + 60 or exp <= now or exp - iat > 3600:
            return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."
        return None

    def token(self, req):
        form = dict(urllib.parse.parse_qsl(req.body.decode()))
        if form.get("grant_type") != GRANT or not form.get("assertion"):
            return fakedns.json_answer(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})
        why = self.verify_jwt(form["assertion"])
        if why:
            self.log("TOKEN refused: %s" % why)
            return fakedns.json_answer(400, {"error": "invalid_grant", "error_description": why})
        tok = "ya29.fake-" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[tok] = time.time() + 3599
        self.log("TOKEN issued to %s" % self.args.client_email)
        return fakedns.json_answer(200, {"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})

    # ---- the API ----

    def authorized(self, req):
        auth = req.headers.get("Authorization", "")
        tok = auth[7:] if auth.startswith("Bearer ") else None
        return tok is not None and self.tokens.get(tok, 0) > time.time()

    def handle(self, req):
        if req.method == "POST" and req.path == "/token":
            return self.token(req)
        if not self.authorized(req):
            return self.error(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                              "login cookie or other valid authentication credential.", "authError", "UNAUTHENTICATED")
        prefix = "/dns/v1/projects/%s/managedZones" % self.args.project
        if not req.path.startswith("/dns/v1/projects/"):
            return self.error(404, "Not Found", "notFound", "NOT_FOUND")
        if not req.path.startswith(prefix):
            return self.error(403, "The caller does not have permission", "forbidden", "PERMISSION_DENIED")
        rest = req.path[len(prefix):].strip("/").split("/") if req.path != prefix else []
        with self.lock:
            if req.method == "GET" and not rest:
                return self.list_zones(req)
            zone = self.zone_by_id(rest[0]) if rest else None
            if not zone:
                return self.error(404, "The 'parameters.managedZone' resource named '%s' does not exist." % rest[0],
                                  "notFound", "NOT_FOUND")
            if req.method == "GET" and len(rest) == 1:
                return fakedns.json_answer(200, self.zone_json(zone))
            if req.method == "GET" and rest[1:] == ["rrsets"]:
                return self.list_rrsets(zone, req)
            if req.method == "POST" and rest[1:] == ["changes"]:
                return self.change(zone, req)
            if req.method == "GET" and len(rest) == 3 and rest[1] == "changes":
                return self.get_change(rest[2])
        return self.error(404, "Not Found", "notFound", "NOT_FOUND")

    def zone_json(self, z):
        return {"kind": "dns#managedZone", "name": z.id, "dnsName": z.name, "id": str(abs(hash(z.id)) % 10 ** 12),
                "visibility": "private" if z.private else "public", "nameServers": ["ns-cloud-a1.googledomains.com."]}

    def list_zones(self, req):
        zones = [z for z in self.zones if "dnsName" not in req.query or z.name == fakedns.norm(req.query["dnsName"])]
        start = int(req.query.get("pageToken") or 0)
        page = zones[start:start + 1]        # one zone per page: paging is always exercised
        doc = {"kind": "dns#managedZonesListResponse", "managedZones": [self.zone_json(z) for z in page]}
        if start + 1 < len(zones):
            doc["nextPageToken"] = str(start + 1)
        return fakedns.json_answer(200, doc)

    def rrset_json(self, name, s):
        return {"kind": "dns#resourceRecordSet", "name": name, "type": "TXT", "ttl": s["ttl"],
                "rrdatas": [quote_txt(v) for v in s["values"]]}

    def list_rrsets(self, zone, req):
        name, rtype = req.query.get("name"), req.query.get("type")
        if rtype and not name:
            return self.error(400, "type requires name", "invalid", "INVALID_ARGUMENT")
        sets = [self.rrset_json(n, s) for (n, t), s in sorted(zone.rrsets.items())
                if (not name or n == fakedns.norm(name)) and (not rtype or t == rtype)]
        return fakedns.json_answer(200, {"kind": "dns#resourceRecordSetsListResponse", "rrsets": sets})

    def change(self, zone, req):
        try:
            body = json.loads(req.body)
            additions, deletions = body.get("additions", []), body.get("deletions", [])
            for s in additions + deletions:
                s["name"], s["ttl"], s["rrdatas"] = fakedns.norm(s["name"]), int(s["ttl"]), list(s["rrdatas"])
                if s.get("type") != "TXT" or not fakedns.in_zone(s["name"], zone.name):
                    raise ValueError("entity.change: %s %s is not a TXT set in %s" % (s["name"], s.get("type"), zone.name))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            return self.error(400, "Invalid value for 'entity.change': %s" % e, "invalid", "INVALID_ARGUMENT")
        if not additions and not deletions:
            return self.error(400, "The 'entity.change' resource must have additions or deletions.",
                              "required", "INVALID_ARGUMENT")
        for s in additions + deletions:
            self.race(zone, s["name"])
        sets = {k: dict(v) for k, v in zone.rrsets.items()}
        for i, d in enumerate(deletions):
            cur = sets.get((d["name"], "TXT"))
            if not cur or cur["ttl"] != d["ttl"] or sorted(quote_txt(v) for v in cur["values"]) != sorted(d["rrdatas"]):
                return self.error(412, "Precondition not met for 'entity.change.deletions[%d]'" % i, "conditionNotMet",
                                  "FAILED_PRECONDITION")
            del sets[(d["name"], "TXT")]
        for i, a in enumerate(additions):
            if (a["name"], "TXT") in sets:
                return self.error(409, "The resource 'entity.change.additions[%d]' named '%s (TXT)' already exists"
                                  % (i, a["name"]), "alreadyExists", "ALREADY_EXISTS")
            sets[(a["name"], "TXT")] = {"ttl": a["ttl"], "values": [unquote_txt(v) for v in a["rrdatas"]]}
        zone.rrsets = sets
        cid = str(next(self.ids))
        self.changes[cid] = 0
        self.log("CHANGE %s zone=%s %s" % (cid, zone.id, " ".join(
            ["DELETE:%s:%s" % (d["name"], ",".join(unquote_txt(v) for v in d["rrdatas"])) for d in deletions] +
            ["ADD:%s:%s" % (a["name"], ",".join(unquote_txt(v) for v in a["rrdatas"])) for a in additions])))
        for n in sorted({s["name"] for s in additions + deletions}):
            self.publish(zone, n)
        return fakedns.json_answer(200, {"kind": "dns#change", "id": cid, "status": "pending",
                                         "startTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                                         "additions": additions, "deletions": deletions})

    def get_change(self, cid):
        if cid not in self.changes:
            return self.error(404, "The 'parameters.changeId' resource named '%s' does not exist." % cid, "notFound",
                              "NOT_FOUND")
        self.changes[cid] += 1
        status = "pending" if self.changes[cid] <= self.args.pending_polls else "done"
        self.log("GETCHANGE %s %s" % (cid, status))
        return fakedns.json_answer(200, {"kind": "dns#change", "id": cid, "status": status})


def main():
    p = fakedns.common_args(__doc__.splitlines()[0])
    p.add_argument("--project", required=True)
    p.add_argument("--client-email", required=True)
    p.add_argument("--public-key", required=True, help="PEM public key of the service account")
    p.add_argument("--zone", action="append", default=[], help="ZONE_NAME:DNS_NAME:public|private")
    return fakedns.serve(GCloud(p.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
