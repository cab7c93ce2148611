#!/usr/bin/env python3
"""A fake Amazon Route 53 REST API (2013-04-01) for tests/integration/route53.sh.

As the Route 53 API reference and AWS's Signature Version 4 documentation describe it:
  - every request must carry a SigV4 Authorization header (scope DATE/us-east-1/route53/aws4_request, host and
    x-amz-date signed, X-Amz-Date within 15 minutes, the session token signed when the key has one); the
    signature is recomputed from the request as received and a mismatch is 403 SignatureDoesNotMatch, an unknown
    key 403 InvalidClientTokenId, in AWS's ErrorResponse XML;
  - GET /2013-04-01/hostedzonesbyname (dnsname, hostedzoneid; one zone per page here, so paging is exercised),
    GET /2013-04-01/hostedzone/ID, GET .../rrset (name, type, maxitems; sets in Route 53's order from there),
    POST .../rrset (ChangeResourceRecordSets: CREATE, DELETE, UPSERT, all or nothing; a DELETE must match the
    set exactly, a CREATE must not find one; else 400 InvalidChangeBatch), GET /2013-04-01/change/ID (PENDING for
    the first --pending-polls polls, then INSYNC);
  - TXT values travel quoted ("..."); the state endpoint shows them unquoted.
"""

import datetime
import hashlib
import hmac
import itertools
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

import fakedns

NS = "https://route53.amazonaws.com/doc/2013-04-01/"
API = "/2013-04-01"


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def quote_txt(v):
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote_txt(v):
    """The value of one quoted character-string, or None when it is not one."""
    if len(v) < 2 or v[0] != '"' or v[-1] != '"':
        return None
    out, i, body = [], 0, v[1:-1]
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            i += 1
            c = body[i]
        elif c == '"':
            return None
        out.append(c)
        i += 1
    return "".join(out)


def xml_doc(root, inner):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<%s xmlns="%s">%s</%s>' % (root, NS, inner, root)).encode()


def sigv4_quote(s):
    return urllib.parse.quote(s, safe="-_.~")


class Route53(fakedns.Fake):
    name = "route53"

    def __init__(self, args):
        super().__init__(args)
        self.keys = {}                      # access key id -> (secret, session token or None)
        for k in args.key:
            parts = k.split(":", 2)
            self.keys[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else None)
        for spec in args.zone:              # NAME:ID:public|private
            name, zid, kind = spec.split(":")
            self.zones.append(fakedns.Zone(zid, name, kind == "private"))
        self.changes = {}                   # id -> polls so far
        self.change_ids = itertools.count(1)
        self.request_ids = itertools.count(1)

    # ---- answers ----

    def error(self, status, code, message, kind="Sender"):
        body = xml_doc("ErrorResponse", "<Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>"
                       "<RequestId>req-%d</RequestId>" % (kind, code, esc(message), next(self.request_ids)))
        self.log("ERROR %d %s" % (status, code))
        return status, {"Content-Type": "text/xml"}, body

    def ok(self, root, inner, status=200):
        return status, {"Content-Type": "text/xml"}, xml_doc(root, inner)

    def throttle_answer(self, rule):
        if rule["status"] == 400:       # what Route 53 itself answers when its rate is exceeded
            return self.error(400, "Throttling", "Rate exceeded")
        return self.error(rule["status"], "TooManyRequests", "Too many requests")

    # ---- SigV4 ----

    def canonical_query(self, raw):
        pairs = []
        for part in raw.split("&") if raw else []:
            k, _, v = part.partition("=")
            pairs.append((sigv4_quote(urllib.parse.unquote(k)), sigv4_quote(urllib.parse.unquote(v))))
        return "&".join("%s=%s" % kv for kv in sorted(pairs))

    def check_signature(self, req):
        """None when the request is signed right, else the error answer AWS gives."""
        auth = req.headers.get("Authorization", "")
        if not auth:
            return self.error(403, "MissingAuthenticationToken", "Missing Authentication Token")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return self.error(400, "IncompleteSignature", "Authorization header requires AWS4-HMAC-SHA256")
        fields = dict(f.strip().split("=", 1) for f in auth[len("AWS4-HMAC-SHA256 "):].split(",") if "=" in f)
        cred = fields.get("Credential", "").split("/")
        signed = fields.get("SignedHeaders", "").split(";")
        if len(cred) != 5 or cred[4] != "aws4_request" or "Signature" not in fields:
            return self.error(400, "IncompleteSignature", "Authorization header requires Credential, "
                              "SignedHeaders and Signature")
        key_id, date, region, service = cred[:4]
        if key_id not in self.keys:
            return self.error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        secret, token = self.keys[key_id]
        if region != "us-east-1" or service != "route53":
            return self.error(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region and "
                              "to the service route53")
        amz_date = req.headers.get("X-Amz-Date", "")
        try:
            t = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            return self.error(403, "IncompleteSignature", "X-Amz-Date is missing or malformed")
        if abs(time.time() - t.timestamp()) > 900 or amz_date[:8] != date:
            return self.error(403, "SignatureDoesNotMatch", "Signature expired: %s is not within 15 minutes of "
                              "the server's time" % amz_date)
        if "host" not in signed or "x-amz-date" not in signed or signed != sorted(signed):
            return self.error(403, "SignatureDoesNotMatch", "host and x-amz-date must be signed")
        if token is not None and (req.headers.get("X-Amz-Security-Token") != token
                                  or "x-amz-security-token" not in signed):
            return self.error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        headers = "".join("%s:%s\n" % (h, " ".join((req.headers.get(h) or "").split())) for h in signed)
        canonical = "\n".join([req.method, req.path, self.canonical_query(req.raw_query), headers,
                               ";".join(signed), hashlib.sha256(req.body).hexdigest()])
        scope = "%s/%s/%s/aws4_request" % (date, region, service)
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        k = ("AWS4" + secret).encode()
        for part in (date, region, service, "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        want = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, fields["Signature"]):
            return self.error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the "
                              "signature you provided. Check your AWS Secret Access Key and signing method. Consult "
                              "the service documentation for details.")
        return None

    # ---- requests ----

    def handle(self, req):
        bad = self.check_signature(req)
        if bad:
            return bad
        p = req.path
        with self.lock:
            if req.method == "GET" and p == API + "/hostedzonesbyname":
                return self.list_zones(req)
            parts = p[len(API) + 1:].split("/") if p.startswith(API + "/") else []
            if req.method == "GET" and len(parts) == 2 and parts[0] == "change":
                return self.get_change(parts[1])
            if len(parts) >= 2 and parts[0] == "hostedzone":
                zone = self.zone_by_id(parts[1])
                if not zone:
                    return self.error(404, "NoSuchHostedZone", "No hosted zone found with ID: %s" % parts[1])
                if req.method == "GET" and len(parts) == 2:
                    return self.ok("GetHostedZoneResponse", self.zone_xml(zone))
                if req.method == "GET" and len(parts) == 3 and parts[2] == "rrset":
                    return self.list_rrsets(zone, req)
                if req.method == "POST" and len(parts) == 3 and parts[2] == "rrset":
                    return self.change(zone, req)
        return self.error(404, "UnknownOperationException", "No such operation: %s %s" % (req.method, p))

    def zone_xml(self, z):
        return ("<HostedZone><Id>/hostedzone/%s</Id><Name>%s</Name><CallerReference>ref-%s</CallerReference>"
                "<Config><Comment>fake</Comment><PrivateZone>%s</PrivateZone></Config>"
                "<ResourceRecordSetCount>%d</ResourceRecordSetCount></HostedZone>"
                % (z.id, z.name, z.id, "true" if z.private else "false", len(z.rrsets) + 2))

    def list_zones(self, req):
        dnsname = req.query.get("dnsname")
        zid = req.query.get("hostedzoneid")
        if zid and not dnsname:
            return self.error(400, "InvalidInput", "hostedzoneid requires dnsname")
        order = sorted(self.zones, key=lambda z: (fakedns.reversed_key(z.name), z.id))
        start = (fakedns.reversed_key(dnsname), zid or "") if dnsname else None
        rest = [z for z in order if start is None or (fakedns.reversed_key(z.name), z.id) >= start]
        page, more = rest[:1], rest[1:]      # one zone per page: paging is always exercised
        inner = "<HostedZones>%s</HostedZones>" % "".join(self.zone_xml(z) for z in page)
        if dnsname:
            inner += "<DNSName>%s</DNSName>" % esc(dnsname)
        if zid:
            inner += "<HostedZoneId>%s</HostedZoneId>" % esc(zid)
        inner += "<IsTruncated>%s</IsTruncated>" % ("true" if more else "false")
        if more:
            inner += "<NextDNSName>%s</NextDNSName><NextHostedZoneId>%s</NextHostedZoneId>" % (more[0].name, more[0].id)
        inner += "<MaxItems>1</MaxItems>"
        return self.ok("ListHostedZonesByNameResponse", inner)

    def rrset_xml(self, name, rtype, s):
        recs = "".join("<ResourceRecord><Value>%s</Value></ResourceRecord>" % esc(quote_txt(v) if rtype == "TXT" else v)
                       for v in s["values"])
        return ("<ResourceRecordSet><Name>%s</Name><Type>%s</Type><TTL>%d</TTL><ResourceRecords>%s"
                "</ResourceRecords></ResourceRecordSet>" % (name, rtype, s["ttl"], recs))

    def list_rrsets(self, zone, req):
        name, rtype = req.query.get("name"), req.query.get("type")
        maxitems = int(req.query.get("maxitems") or 100)
        sets = [(zone.name, "SOA", {"ttl": 900, "values": ["ns1.example.test. hostmaster.example.test. 1 7200 900 "
                                                             "1209600 86400"]}),
                (zone.name, "NS", {"ttl": 172800, "values": ["ns1.example.test."]})]
        sets += [(n, t, s) for (n, t), s in zone.rrsets.items()]
        sets.sort(key=lambda x: (fakedns.reversed_key(x[0]), x[1]))
        if name:
            start = (fakedns.reversed_key(name), rtype or "")
            sets = [x for x in sets if (fakedns.reversed_key(x[0]), x[1]) >= start]
        page, more = sets[:maxitems], sets[maxitems:]
        inner = "<ResourceRecordSets>%s</ResourceRecordSets><IsTruncated>%s</IsTruncated>" % (
            "".join(self.rrset_xml(*x) for x in page), "true" if more else "false")
        if more:
            inner += "<NextRecordName>%s</NextRecordName><NextRecordType>%s</NextRecordType>" % (more[0][0], more[0][1])
        inner += "<MaxItems>%d</MaxItems>" % maxitems
        return self.ok("ListResourceRecordSetsResponse", inner)

    def invalid_batch(self, messages):
        inner = "<Messages>%s</Messages><RequestId>req-%d</RequestId>" % (
            "".join("<Message>%s</Message>" % esc(m) for m in messages), next(self.request_ids))
        self.log("INVALID_CHANGE_BATCH " + " | ".join(messages))
        return 400, {"Content-Type": "text/xml"}, xml_doc("InvalidChangeBatch", inner)

    def parse_change(self, zone, c):
        """(action, name, ttl, values) of one <Change>, or a message."""
        def q(e, tag):
            return e.find("{%s}%s" % (NS, tag))
        action, rrs = q(c, "Action"), q(c, "ResourceRecordSet")
        if action is None or rrs is None or q(rrs, "Name") is None or q(rrs, "Type") is None:
            return "a Change needs an Action and a ResourceRecordSet with Name and Type"
        name, rtype = fakedns.norm(q(rrs, "Name").text or ""), q(rrs, "Type").text
        if rtype != "TXT":
            return "only TXT is kept by this fake"
        if not fakedns.in_zone(name, zone.name):
            return "RRSet with DNS name %s is not permitted in zone %s" % (name, zone.name)
        ttl = q(rrs, "TTL")
        values = []
        for v in rrs.iter("{%s}Value" % NS):
            raw = unquote_txt(v.text or "")
            if raw is None:
                return "Invalid Resource Record: FATAL problem: InvalidCharacterString (Value should be enclosed " \
                       "in quotation marks) encountered with '%s'" % (v.text or "")
            values.append(raw)
        if ttl is None or not values:
            return "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords]]"
        return action.text, name, int(ttl.text), values

    def change(self, zone, req):
        try:
            root = ET.fromstring(req.body)
        except ET.ParseError as e:
            return self.error(400, "InvalidInput", "Could not parse the request body: %s" % e)
        if root.tag != "{%s}ChangeResourceRecordSetsRequest" % NS:
            return self.error(400, "InvalidInput", "Not a ChangeResourceRecordSetsRequest")
        changes = [self.parse_change(zone, c) for c in root.iter("{%s}Change" % NS)]
        bad = [c for c in changes if isinstance(c, str)]
        if bad or not changes:
            return self.invalid_batch(bad or ["the batch has no Change"])
        for _, name, _, _ in changes:
            self.race(zone, name)
        # All or nothing: applied to a copy, which replaces the zone's sets only when every change held.
        sets = {k: dict(v) for k, v in zone.rrsets.items()}
        errors = []
        for action, name, ttl, values in changes:
            cur = sets.get((name, "TXT"))
            if action == "CREATE" and cur:
                errors.append("Tried to create resource record set [name='%s', type='TXT'] but it already exists" % name)
            elif action == "DELETE" and not cur:
                errors.append("Tried to delete resource record set [name='%s', type='TXT'] but it was not found" % name)
            elif action == "DELETE" and (cur["ttl"] != ttl or sorted(cur["values"]) != sorted(values)):
                errors.append("Tried to delete resource record set [name='%s', type='TXT'] but the values provided "
                              "do not match the current values" % name)
            elif action in ("CREATE", "UPSERT"):
                sets[(name, "TXT")] = {"ttl": ttl, "values": values}
            elif action == "DELETE":
                del sets[(name, "TXT")]
            else:
                errors.append("Invalid action %s" % action)
        if errors:
            return self.invalid_batch(errors)
        zone.rrsets = sets
        cid = "C%04dFAKE" % next(self.change_ids)
        self.changes[cid] = 0
        self.log("CHANGE %s zone=%s %s" % (cid, zone.id, " ".join("%s:%s:%s" % (a, n, ",".join(v))
                                                                    for a, n, _, v in changes)))
        for n in sorted({n for _, n, _, _ in changes}):
            self.publish(zone, n)
        return self.ok("ChangeResourceRecordSetsResponse", "<ChangeInfo><Id>/change/%s</Id><Status>PENDING</Status>"
                       "<SubmittedAt>%s</SubmittedAt></ChangeInfo>" % (cid, time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                           time.gmtime())))

    def get_change(self, cid):
        if cid not in self.changes:
            return self.error(404, "NoSuchChange", "A change with the specified change ID does not exist.")
        self.changes[cid] += 1
        status = "PENDING" if self.changes[cid] <= self.args.pending_polls else "INSYNC"
        self.log("GETCHANGE %s %s" % (cid, status))
        return self.ok("GetChangeResponse", "<ChangeInfo><Id>/change/%s</Id><Status>%s</Status><SubmittedAt>%s"
                       "</SubmittedAt></ChangeInfo>" % (cid, status, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))


def main():
    p = fakedns.common_args(__doc__.splitlines()[0])
    p.add_argument("--key", action="append", default=[], help="ACCESS_KEY_ID:SECRET[:SESSION_TOKEN]")
    p.add_argument("--zone", action="append", default=[], help="NAME:ID:public|private")
    return fakedns.serve(Route53(p.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
