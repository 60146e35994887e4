#!/usr/bin/env python3
"""One libtorrent (python3-libtorrent) peer for the bench scripts: TCP only on 127.0.0.1, no DHT, LSD, UPnP,
NAT-PMP or uTP; peers come from the torrent's tracker (and --connect). Every address is put in the global peer
class, so rate limits apply to loopback peers too (libtorrent exempts local peers by default).

  lt_peer.py --torrent T --dir D --seed [--upload-limit BYTES]      seeds until killed
  lt_peer.py --torrent T --dir D [--connect 127.0.0.1:PORT ...]     downloads, then prints "complete" and exits
  ... [--keep-seeding]                                               after "complete", seeds until killed

Prints "listening PORT" once listening, and "uploaded BYTES" (payload) on SIGUSR1 and when it stops (SIGTERM) or
exits after completing."""
import argparse
import signal
import sys
import time

import libtorrent as lt

parser = argparse.ArgumentParser()
parser.add_argument("--torrent", required=True)
parser.add_argument("--dir", required=True)
parser.add_argument("--seed", action="store_true")
parser.add_argument("--upload-limit", type=int, default=0)
parser.add_argument("--connect", action="append", default=[])
parser.add_argument("--keep-seeding", action="store_true")
parser.add_argument("--tick-ms", type=int, default=500, help="libtorrent's tick_interval (default 500 ms)")
args = parser.parse_args()

session = lt.session({
    "listen_interfaces": "127.0.0.1:0",
    "enable_dht": False,
    "enable_lsd": False,
    "enable_upnp": False,
    "enable_natpmp": False,
    "enable_outgoing_utp": False,
    "enable_incoming_utp": False,
    "enable_outgoing_tcp": True,
    "enable_incoming_tcp": True,
    "allow_multiple_connections_per_ip": True,
    "upload_rate_limit": args.upload_limit,
    "tick_interval": args.tick_ms,
    "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
})
peer_filter = lt.ip_filter()
peer_filter.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
session.set_peer_class_filter(peer_filter)

params = lt.add_torrent_params()
params.ti = lt.torrent_info(args.torrent)
params.save_path = args.dir
if args.seed:
    params.flags |= lt.torrent_flags.seed_mode  # the content is known good: no full re-check before serving
handle = session.add_torrent(params)
print(f"listening {session.listen_port()}", flush=True)

for address in args.connect:
    host, port = address.rsplit(":", 1)
    handle.connect_peer((host, int(port)))

stopping = False
report = False
completed = False


def stop(*_):
    global stopping
    stopping = True


def ask_report(*_):
    global report
    report = True


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGUSR1, ask_report)

while not stopping:
    status = handle.status()
    if report:
        report = False
        print(f"uploaded {status.total_payload_upload}", flush=True)
    if not args.seed and not completed and status.is_seeding:
        completed = True
        print("complete", flush=True)
        if not args.keep_seeding:
            break
    for alert in session.pop_alerts():
        if isinstance(alert, (lt.torrent_error_alert, lt.file_error_alert)):
            print(f"error {alert.message()}", file=sys.stderr, flush=True)
            sys.exit(1)
    time.sleep(0.01)

print(f"uploaded {handle.status().total_payload_upload}", flush=True)
