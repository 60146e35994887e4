#!/usr/bin/env bash
# gRPC layer benchmark: unary calls/s and server-streaming MB/s for every client/server pair of
# FileSwarm.Rpc and grpc-js, measured in one run on loopback. Prints a table with ratios against
# the grpc-js -> grpc-js pair.
#   bench/grpc/run.sh [SECONDS] [ROUNDS]   (default 5 s per measurement, 3 rounds)
# The pairs are measured in turn, round after round, and each figure is the median over the rounds,
# so a burst of load on a shared machine lands on every pair alike.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-5}"
rounds="${2:-3}"
cd "$here"
scripts/install-deps.sh >/dev/null
dotnet build bench/FileSwarm.Bench -c Release -nologo -v quiet >/dev/null
fs="$here/bench/FileSwarm.Bench/bin/Release/net10.0/FileSwarm.Bench"
node_dir="$here/tests/interop/node"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# start_server NAME CMD... : starts a server whose stdin stays open, waits for "LISTENING <port>",
# and leaves the port in $port (no command substitution: the stdin holder must live in this shell).
start_server() {
  local name="$1"; shift
  mkfifo "$work/$name.in"
  "$@" <"$work/$name.in" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=("$!")
  exec {fd}>"$work/$name.in"   # holds the server's stdin open until the script exits
  for _ in $(seq 1 300); do
    grep -q '^LISTENING ' "$work/$name.out" 2>/dev/null && break
    sleep 0.1
  done
  port="$(awk '/^LISTENING /{print $2; exit}' "$work/$name.out")"
}

start_server fileswarm "$fs" server --port 0; fs_port="$port"
start_server grpcjs node "$node_dir/server.js" --port 0; js_port="$port"
[ -n "$fs_port" ] && [ -n "$js_port" ] || { echo "a server did not start" >&2; cat "$work"/*.err >&2; exit 1; }

run_client() { # client port mode -> json
  local client="$1" port="$2" mode="$3"
  if [ "$client" = fileswarm ]; then
    "$fs" client --target "127.0.0.1:$port" --mode "$mode" --seconds "$seconds"
  else
    (cd "$node_dir" && node bench-client.js --target "127.0.0.1:$port" --mode "$mode" --seconds "$seconds")
  fi
}
field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/" <<<"$2"; }

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

declare -A unary stream p99
pairs=("grpcjs,grpcjs" "grpcjs,fileswarm" "fileswarm,grpcjs" "fileswarm,fileswarm")
for round in $(seq 1 "$rounds"); do
  for pair in "${pairs[@]}"; do
    client="${pair%,*}"; server="${pair#*,}"
    port="$fs_port"; [ "$server" = grpcjs ] && port="$js_port"
    u="$(run_client "$client" "$port" unary)"
    s="$(run_client "$client" "$port" stream)"
    unary[$pair]+=" $(field calls_per_sec "$u")"
    p99[$pair]+=" $(field p99_ms "$u")"
    stream[$pair]+=" $(field mb_per_sec "$s")"
  done
done
for pair in "${pairs[@]}"; do
  unary[$pair]="$(median <<<"${unary[$pair]}")"
  p99[$pair]="$(median <<<"${p99[$pair]}")"
  stream[$pair]="$(median <<<"${stream[$pair]}")"
done

base_u="${unary[grpcjs,grpcjs]}"; base_s="${stream[grpcjs,grpcjs]}"
echo
echo "gRPC over loopback, $(nproc) cores, median of $rounds rounds of ${seconds} s per figure; unary: 32 concurrent calls, empty payload; stream: 64 KiB messages, one stream"
printf '%-28s %14s %8s %10s %12s %8s\n' "client -> server" "unary calls/s" "ratio" "p99 ms" "stream MB/s" "ratio"
for pair in "${pairs[@]}"; do
  c="${pair%,*}"; s="${pair#*,}"
  printf '%-28s %14s %8.2f %10s %12s %8.2f\n' "$c -> $s" "${unary[$pair]}" \
    "$(awk -v a="${unary[$pair]}" -v b="$base_u" 'BEGIN{print a/b}')" "${p99[$pair]}" "${stream[$pair]}" \
    "$(awk -v a="${stream[$pair]}" -v b="$base_s" 'BEGIN{print a/b}')"
done
