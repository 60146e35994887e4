#!/usr/bin/env bash
# Measures what etcd mode costs, from the peers' own EtcdMetrics log lines ("etcd operations in the last 60 s"):
# an idle peer sharing one file, a peer downloading for a whole minute, and how long a SIGKILLed peer stays listed.
# Usage: tests/FileSwarm.Etcd.Tests/measure-etcd-ops.sh   (needs /usr/bin/etcd and a Release build of the CLI; ~3 min)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cli=(dotnet "$here/src/FileSwarm.Cli/bin/Release/net10.0/fileswarm.dll")
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
cport=$(free_port); pport=$(free_port)
etcd --name m --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$cport" --advertise-client-urls "http://127.0.0.1:$cport" \
  --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
  --initial-cluster "m=http://127.0.0.1:$pport" --log-level warn --logger zap >"$work/etcd.log" 2>&1 &
pids+=($!)
sleep 2

peer() { # name http grpc [extra...]
  local name=$1 http=$2 grpc=$3; shift 3
  "${cli[@]}" peer --http "$http" --grpc "$grpc" --etcd "http://127.0.0.1:$cport" --data-dir "$work/$name" "$@" >"$work/$name.out" 2>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 100); do grep -q "peer http listening" "$work/$name.out" 2>/dev/null && return; sleep 0.1; done
  echo "$name did not start"; cat "$work/$name.log"; exit 1
}

head -c 40000000 /dev/urandom >"$work/big.bin"
peer seeder 18101 19101
peer idle 18102 19102
curl -sf -X POST localhost:18101/upload -d "{\"name\":\"$work/big.bin\"}" >"$work/upload.json"
hash=$(python3 -c "import json,sys; print(json.load(open('$work/upload.json'))['hash'])")
head -c 100000 /dev/urandom >"$work/small.bin"
curl -sf -X POST localhost:18102/upload -d "{\"name\":\"$work/small.bin\"}" >/dev/null
peer leecher 18103 19103 --max-download-rate 600K
curl -sf -X POST localhost:18103/download -d "{\"hash\":\"$hash\",\"wait\":false}" >/dev/null
echo "waiting 125 s for two metrics lines per peer..."
sleep 125
echo "idle peer (sharing one file):"; grep "etcd operations" "$work/idle.log" | sed 's/^/  /'
echo "downloading peer (40 MB at 600 KB/s, ~68 s):"; grep "etcd operations" "$work/leecher.log" | sed 's/^/  /'
echo "seeder (uploading):"; grep "etcd operations" "$work/seeder.log" | sed 's/^/  /'

# How long a SIGKILLed peer stays listed: the idle peer's file disappears from the seeder's GET /files.
kill -9 "$(pgrep -f "data-dir $work/idle" | head -1)"
start=$(date +%s.%N)
while curl -sf localhost:18101/files | grep -q small.bin; do sleep 0.1; done
end=$(date +%s.%N)
echo "a SIGKILLed peer (lease TTL 10 s) stayed listed $(python3 -c "print(round($end-$start,1))") s"
