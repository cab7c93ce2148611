#!/usr/bin/env python3
"""Fan-out delay between acme-dnsd instances sharing one store: POST /update on one instance, then ask another
instance's DNS (UDP, about every millisecond) until it serves the new value. The delay of one update runs from the
moment the 200 arrived to the first answer holding the value (0 when the other instance had it already).

Usage: fanout.py API_URL USER KEY SUBDOMAIN ZONE DNS_ADDR:PORT COUNT [TIMEOUT_MS]
Prints one line per update ("delay_ms N") and a summary line
  "# fan-out p50 N ms p99 N ms max N ms (COUNT updates, K over 100 ms, M never seen, F failed;
   from sending the update: p50 N ms p99 N ms)";
exits 1 when an update failed or a value was not seen within TIMEOUT_MS (default 2000), else 0."""
import base64
import http.client
import json
import os
import socket
import struct
import sys
import time
import urllib.parse


def query(qid, name):
    """A TXT query for name without recursion desired and without EDNS."""
    wire = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".") if label) + b"\0"
    return struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + wire + struct.pack(">HH", 16, 1)


def skip_name(msg, pos):
    """The offset after a possibly compressed name; bounded by the message length."""
    for _ in range(128):
        n = msg[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += 1 + n
    raise ValueError("name too long")


def txt_values(msg, qid):
    """The TXT strings in the answer section of msg, or None for another id or a malformed message."""
    try:
        rid, _, qd, an = struct.unpack(">HHHH", msg[:8])
        if rid != qid:
            return None
        pos = 12
        for _ in range(qd):
            pos = skip_name(msg, pos) + 4
        out = []
        for _ in range(an):
            pos = skip_name(msg, pos)
            rtype, _, _, rdlen = struct.unpack(">HHIH", msg[pos:pos + 10])
            pos += 10
            if rtype == 16:
                end, p = pos + rdlen, pos
                while p < end:
                    out.append(msg[p + 1:p + 1 + msg[p]].decode())
                    p += 1 + msg[p]
            pos += rdlen
        return out
    except (ValueError, struct.error, IndexError, UnicodeDecodeError):
        return None


def seen_after(sock, addr, name, value, timeout_s):
    """Milliseconds until addr serves value at name, or None when timeout_s passes first."""
    start = time.monotonic()
    qid = 0
    while time.monotonic() - start < timeout_s:
        qid = (qid + 1) & 0xFFFF
        sock.sendto(query(qid, name), addr)
        sock.settimeout(0.05)
        try:
            for _ in range(4):      # a late answer to an earlier query may come first
                vals = txt_values(sock.recv(4096), qid)
                if vals is not None:
                    if value in vals:
                        return (time.monotonic() - start) * 1000.0
                    break
        except socket.timeout:
            pass
        time.sleep(0.001)
    return None


def percentile(sorted_vals, p):
    return sorted_vals[min(len(sorted_vals) - 1, int(round(p / 100.0 * (len(sorted_vals) - 1))))]


def main():
    if len(sys.argv) not in (8, 9):
        print(__doc__, file=sys.stderr)
        return 2
    api, user, key, sub, zone, dns, count = sys.argv[1:8]
    timeout_s = (int(sys.argv[8]) if len(sys.argv) == 9 else 2000) / 1000.0
    host, port = dns.rsplit(":", 1)
    addr = (host, int(port))
    url = urllib.parse.urlsplit(api)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    name = "%s.%s" % (sub, zone)
    headers = {"X-Api-User": user, "X-Api-Key": key, "Content-Type": "application/json"}
    delays, totals, missed, failed = [], [], 0, 0
    for _ in range(int(count)):
        value = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        sent = time.monotonic()
        conn.request("POST", "/update", json.dumps({"subdomain": sub, "txt": value}), headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            print("update answered %d: %s" % (resp.status, body.decode(errors="replace")))
            failed += 1
            continue
        ms = seen_after(sock, addr, name, value, timeout_s)
        if ms is None:
            missed += 1
            print("value %s not seen within %d ms" % (value, timeout_s * 1000))
        else:
            delays.append(ms)
            totals.append((time.monotonic() - sent) * 1000.0)
            print("delay_ms %.2f" % ms)
    delays.sort()
    totals.sort()
    if delays:
        print("# fan-out p50 %.1f ms p99 %.1f ms max %.1f ms (%s updates, %d over 100 ms, %d never seen, %d failed; "
              "from sending the update: p50 %.1f ms p99 %.1f ms)"
              % (percentile(delays, 50), percentile(delays, 99), delays[-1], count,
                 sum(1 for d in delays if d > 100.0), missed, failed, percentile(totals, 50), percentile(totals, 99)))
    return 0 if delays and not missed and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
