#!/usr/bin/env bash
# Tracker capacity: announces per second and latency (p50, p99) at the same concurrency, many peers and info-hashes.
#   FileSwarm tracker   filled first with FILES handlers and PEERS peers by `FileSwarm.Bench tracker-load` (gRPC);
#                       then h2load sends gRPC-framed Announce bodies. h2load sends one data file per run, so the
#                       measurement is BODIES runs of SECONDS each, body k being peer h2load-k on file k·7919 mod FILES
#                       (an UPDATE with a bitfield, 50 peers wanted); what varies between runs is the peer and the
#                       info-hash, and every answer is drawn from a registry holding PEERS peers. Per-request times
#                       come from h2load's --log-file; p50/p99 are over every request of every run.
#   opentracker         the same FILES info-hashes (its whitelist), wrk with bench/tracker/announce.lua: every request
#                       a random one of PEERS peers on a random info-hash, numwant=50, compact; first one warm-up run
#                       of SECONDS·BODIES/2 that fills the swarms, then one run of SECONDS·BODIES.
#   FileSwarm, distinct the same filled tracker, driven by `FileSwarm.Bench announce-load` instead of h2load: like the
#                       wrk script, every request a random one of PEERS peers on a random info-hash, an UPDATE with a
#                       bitfield, 50 peers wanted; CONCURRENCY calls in flight over 4 HTTP/2 connections, one warm-up
#                       second, then SECONDS·BODIES seconds (opentracker's measured run). The generator is .NET and
#                       shares the cores with the tracker; it reports the CPU it used.
#   FileSwarm + etcd    when `fileswarm tracker --etcd` exists: the same two rows on a local etcd, filled with
#                       ETCD_FILES (default 1000) files and ETCD_PEERS (default 10000) peers: every registration is an
#                       etcd transaction, so filling it with 100k peers would take minutes. The distinct row runs on a
#                       fresh tracker over the same etcd, and each etcd row prints the registry's writer summary
#                       (transactions, writes, largest queue, collapsed and refused writes) from the tracker's log.
# opentracker closes the connection after every answer (HTTP/1.0 style), which is why it gets wrk, not h2load.
# h2load and wrk use 2 threads and CONCURRENCY connections with one request in flight on each; announce-load keeps
# CONCURRENCY calls in flight on 4 HTTP/2 connections (as many concurrent requests, fewer sockets).
# Usage: bench/tracker/capacity.sh [CONCURRENCY] [SECONDS] [BODIES] [FILES] [PEERS]   (defaults: 50 2 8 10000 100000)
#        ONLY="fileswarm-etcd opentracker" runs a subset of the rows (fileswarm, fileswarm-distinct, fileswarm-etcd,
#        fileswarm-etcd-distinct, opentracker).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
concurrency="${1:-50}"
seconds="${2:-2}"
bodies="${3:-8}"
files="${4:-10000}"
peers="${5:-100000}"
rows="fileswarm fileswarm-distinct fileswarm-etcd fileswarm-etcd-distinct opentracker"
only=" ${ONLY:-$rows} "

bench_need h2load:nghttp2-client wrk:wrk opentracker:opentracker python3:python3
bench_build_fileswarm
dotnet build "$bench_root/bench/FileSwarm.Bench" -c Release -nologo -v quiet >/dev/null
loader="$bench_root/bench/FileSwarm.Bench/bin/Release/net10.0/FileSwarm.Bench"

# h2load_runs ADDRESS NAME: BODIES runs against the tracker at ADDRESS; prints "announces/s p50_ms p99_ms".
h2load_runs() {
  local address="$1" name="$2" k logs=()
  for k in $(seq 0 $((bodies - 1))); do
    h2load -t 2 -c "$concurrency" -m 1 -D "$((seconds + 1))" \
      -H 'content-type: application/grpc' -H 'te: trailers' -d "$work/bodies/announce-$k.bin" \
      --log-file="$work/$name.$k.log" "http://$address/fileswarm.v1.Tracker/Announce" >"$work/$name.$k.out" 2>&1 \
      || { cat "$work/$name.$k.out" >&2; exit 1; }
    grep -E '^(finished in|requests:)' "$work/$name.$k.out" >&2
    logs+=("$work/$name.$k.log")
  done
  # Log columns: start (µs since the epoch), HTTP status, µs to the end of the response. The first second of each run
  # is warm-up (connections, JIT) and left out; the rate is requests started after it ÷ the time they span.
  python3 - "${logs[@]}" <<'PY'
import sys
times, bad, total, span = [], 0, 0, 0.0
for path in sys.argv[1:]:
    rows = [tuple(int(x) for x in line.split()[:3]) for line in open(path)]
    first = min(r[0] for r in rows) + 1_000_000
    kept = [r for r in rows if r[0] >= first]
    total += len(kept)
    span += (max(r[0] + r[2] for r in kept) - first) / 1e6
    bad += sum(1 for r in kept if r[1] != 200)
    times += [r[2] for r in kept]
times.sort()
pct = lambda p: times[min(len(times) - 1, int(len(times) * p / 100))] / 1000
print(f"{total / span:.0f} {pct(50):.2f} {pct(99):.2f} {bad}")
PY
}

# distinct_run ADDRESS HASHES NAME: announce-load against the tracker at ADDRESS; prints "announces/s p50_ms p99_ms failed".
distinct_run() {
  local cpu0 line
  cpu0="$(proc_cpu "$fs_tracker_pid")"
  "$loader" announce-load --target "$1" --hashes "$2" --peers "$peers" --concurrency "$concurrency" --connections 4 \
    --seconds "$((bodies * seconds))" >"$work/$3.out" 2>"$work/$3.err" || { cat "$work/$3.err" >&2; exit 1; }
  cat "$work/$3.err" >&2
  echo "tracker CPU over the run (warm-up included): $(awk -v a="$cpu0" -v b="$(proc_cpu "$fs_tracker_pid")" 'BEGIN{printf "%.2f", b-a}') CPU-s" >&2
  line="$(sed -n 's/^RESULT //p' "$work/$3.out")"
  echo "$line"
}

# etcd_writer_summary: the etcd registry's writer summary from the log of the tracker just stopped.
etcd_writer_summary() {
  grep -o 'etcd registry writer: .*' "$work/tracker.err" >&2 || echo "(no writer summary in the tracker's log)" >&2
}

bench_machine
echo "versions: $(h2load --version | head -1), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), opentracker (Debian $(dpkg-query -W -f '${Version}' opentracker))"
declare -A result

# --- FileSwarm, in-memory registry (also writes the bodies and the whitelist the other rows use) ---------------------
fs_tracker
echo "filling the FileSwarm tracker: $files files, $peers peers" >&2
"$loader" tracker-load --target "$fs_tracker" --files "$files" --peers "$peers" --bodies "$bodies" --out "$work/bodies" >&2
echo "tracker RSS after filling: $(proc_hwm_mib "$fs_tracker_pid") MiB peak" >&2
if [[ "$only" == *" fileswarm "* ]]; then
  result[fileswarm]="$(h2load_runs "$fs_tracker" fileswarm)"
fi
if [[ "$only" == *" fileswarm-distinct "* ]]; then
  result[fileswarm-distinct]="$(distinct_run "$fs_tracker" "$work/bodies/hashes.txt" fileswarm-distinct)"
fi
bench_stop "$fs_tracker_pid"

# --- FileSwarm, etcd registry (when the tracker has it) -----------------------------------------------------------
if [[ "$only" != *" fileswarm-etcd "* && "$only" != *" fileswarm-etcd-distinct "* ]]; then
  :
elif "${fileswarm[@]}" tracker --help 2>/dev/null | grep -q -- '--etcd'; then
  bench_need etcd:etcd-server
  etcd_port="$(free_port)"; etcd_peer_port="$(free_port)"
  bench_start etcd etcd --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-cluster "default=http://127.0.0.1:$etcd_peer_port"
  etcd_pid=$last_pid
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$etcd_port/health" >/dev/null && break; sleep 0.05; done
  rm -f "$work/tracker.out"
  fs_tracker --etcd "http://127.0.0.1:$etcd_port"
  echo "filling the FileSwarm tracker on etcd" >&2
  "$loader" tracker-load --target "$fs_tracker" --files "${ETCD_FILES:-1000}" --peers "${ETCD_PEERS:-10000}" --bodies "$bodies" --out "$work/bodies-etcd" >&2
  mv "$work/bodies" "$work/bodies-memory"; mv "$work/bodies-etcd" "$work/bodies"
  if [[ "$only" == *" fileswarm-etcd "* ]]; then
    result[fileswarm-etcd]="$(h2load_runs "$fs_tracker" fileswarm-etcd)"
  fi
  bench_stop "$fs_tracker_pid"
  etcd_writer_summary
  if [[ "$only" == *" fileswarm-etcd-distinct "* ]]; then
    rm -f "$work/tracker.out"
    fs_tracker --etcd "http://127.0.0.1:$etcd_port"
    etcd_cpu0="$(proc_cpu "$etcd_pid")"
    result[fileswarm-etcd-distinct]="$(distinct_run "$fs_tracker" "$work/bodies/hashes.txt" fileswarm-etcd-distinct)"
    echo "etcd CPU over the run: $(awk -v a="$etcd_cpu0" -v b="$(proc_cpu "$etcd_pid")" 'BEGIN{printf "%.2f", b-a}') CPU-s" >&2
    bench_stop "$fs_tracker_pid"
    etcd_writer_summary
  fi
  rm -rf "$work/bodies"; mv "$work/bodies-memory" "$work/bodies"
else
  echo "fileswarm tracker has no --etcd option yet: the etcd registry is not measured" >&2
fi

# --- opentracker ---------------------------------------------------------------------------------------------------
if [[ "$only" == *" opentracker "* ]]; then
  opentracker_start "$work/bodies/hashes.txt"
  lua="$bench_root/bench/tracker/announce.lua"
  wrk -t 2 -c "$concurrency" -d "$((bodies * seconds / 2))s" -s "$lua" "http://127.0.0.1:$ot_port" -- "$work/bodies/hashes.txt" "$peers" >/dev/null
  wrk -t 2 -c "$concurrency" -d "$((bodies * seconds))s" --latency -s "$lua" "http://127.0.0.1:$ot_port" -- "$work/bodies/hashes.txt" "$peers" >"$work/wrk.out"
  grep -E 'Requests/sec|Non-2xx|Socket errors' "$work/wrk.out" >&2 || true
  result[opentracker]="$(sed -nE 's/^RESULT requests=([0-9]+) duration_us=([0-9]+) p50_us=([0-9]+) p99_us=([0-9]+) errors=([0-9]+) status_errors=([0-9]+).*/\1 \2 \3 \4 \6/p' "$work/wrk.out" \
    | awk '{printf "%.0f %.2f %.2f %d", $1 / ($2 / 1e6), $3 / 1000, $4 / 1000, $5}')"
fi

echo
echo "Tracker capacity: h2load and wrk with $concurrency connections × 1 request in flight and 2 threads; the -distinct rows with"
echo "$concurrency calls in flight on 4 HTTP/2 connections; $files files and $peers peers (etcd rows: ${ETCD_FILES:-1000} files, filled with ${ETCD_PEERS:-10000} peers)"
echo
echo "| tracker | announces/s | p50 (ms) | p99 (ms) | failed | announces/s ÷ opentracker | p99 ÷ opentracker |"
echo "|---|---:|---:|---:|---:|---:|---:|"
ot_rate=""; ot_p99=""
[ -z "${result[opentracker]:-}" ] || read -r ot_rate _ ot_p99 _ <<<"${result[opentracker]}"
for name in $rows; do
  [ -n "${result[$name]:-}" ] || continue
  read -r rate p50 p99 bad <<<"${result[$name]}"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$rate" "$p50" "$p99" "$bad" "$([ -n "$ot_rate" ] && ratio "$rate" "$ot_rate" || echo -)" "$([ -n "$ot_rate" ] && ratio "$p99" "$ot_p99" || echo -)"
done
echo
echo "targets: FileSwarm announces/s ≥ 2× opentracker's, p99 no worse"
