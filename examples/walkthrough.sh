#!/usr/bin/env bash
# The System A walkthrough of DESIGN.md, verbatim: a tracker on its default port, peer 1 (--http 8002 --grpc 9002),
# peer 2 (--http 8000 --grpc 9000); upload on peer 1, read the info, download by hash on peer 2, list the files, and
# check the download is byte-identical. Every process and temporary directory is cleaned up on exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fileswarm="$here/fileswarm"

if ! command -v jq >/dev/null; then
  echo "installing jq"; (apt-get install -y -qq jq >/dev/null 2>&1 || sudo apt-get install -y -qq jq >/dev/null)
fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

wait_for() { # wait_for FILE TEXT: until a process prints TEXT (or 60 s pass)
  for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1:"; cat "$1" "${1%.out}.err" 2>/dev/null; exit 1
}

"$fileswarm" --help >/dev/null  # builds the CLI once, before anything is timed
export XDG_DATA_HOME="$work/data"   # the peers' default data directories (peer-9002, peer-9000) go here

echo '$ fileswarm tracker'
"$fileswarm" tracker >"$work/tracker.out" 2>"$work/tracker.err" & pids+=($!)
wait_for "$work/tracker.out" "listening"
echo '$ fileswarm peer --http 8002 --grpc 9002'
"$fileswarm" peer --http 8002 --grpc 9002 >"$work/peer1.out" 2>"$work/peer1.err" & pids+=($!)
echo '$ fileswarm peer --http 8000 --grpc 9000'
"$fileswarm" peer --http 8000 --grpc 9000 >"$work/peer2.out" 2>"$work/peer2.err" & pids+=($!)
wait_for "$work/peer1.out" "peer http listening"
wait_for "$work/peer2.out" "peer http listening"

head -c 5000000 /dev/urandom >"$work/some.bin"

echo "\$ curl -X POST localhost:8002/upload -d '{\"name\": \"$work/some.bin\"}'"
curl -sS --fail-with-body -X POST localhost:8002/upload -d "{\"name\": \"$work/some.bin\"}" | jq .

echo '$ curl localhost:8002/files/some.bin'
info="$(curl -sS --fail-with-body localhost:8002/files/some.bin)"
jq . <<<"$info"
hash="$(jq -r .hash <<<"$info")"

echo "\$ curl -X POST localhost:8000/download -d '{\"hash\": \"$hash\"}'"
curl -sS --fail-with-body -X POST localhost:8000/download -d "{\"hash\": \"$hash\"}" | jq .

echo '$ curl localhost:8000/files'
curl -sS --fail-with-body localhost:8000/files | jq .

downloaded="$work/data/fileswarm/peer-9000/downloads/some.bin"
echo "\$ cmp some.bin $downloaded"
cmp "$work/some.bin" "$downloaded"
echo "walkthrough: the downloaded file is byte-identical"
