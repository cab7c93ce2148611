#!/usr/bin/env python3
"""A round-robin UDP DNS forwarder for tests: each query received on LISTEN_PORT (127.0.0.1) goes to the next of
the upstream ports (127.0.0.1) in turn and its answer goes back to the asker. So a client that takes one DNS
server (pebble's -dnsserver) spreads its queries over several acme-dnsd instances.

Usage: dns_rr.py LISTEN_PORT STATS_FILE UPSTREAM_PORT...
STATS_FILE is rewritten after every answer: one line "PORT COUNT" per upstream. Runs until SIGTERM."""
import signal
import socket
import sys
import threading


def forward(listener, client, query, upstream, stats, lock, stats_file):
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.settimeout(3.0)
    try:
        up.sendto(query, ("127.0.0.1", upstream))
        answer = up.recv(65535)
    except OSError:
        return                      # no answer: the asker retries or times out, as with a lost packet
    finally:
        up.close()
    listener.sendto(answer, client)
    with lock:
        stats[upstream] += 1
        with open(stats_file, "w") as f:
            f.writelines("%d %d\n" % (p, n) for p, n in stats.items())


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    port, stats_file, upstreams = int(sys.argv[1]), sys.argv[2], [int(p) for p in sys.argv[3:]]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", port))
    stats = {p: 0 for p in upstreams}
    lock = threading.Lock()
    turn = 0
    while True:
        query, client = listener.recvfrom(65535)
        upstream = upstreams[turn % len(upstreams)]
        turn += 1
        threading.Thread(target=forward, args=(listener, client, query, upstream, stats, lock, stats_file),
                         daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
