#!/usr/bin/env bash
# 1→N swarm benchmark: one seeder capped at 20 MiB/s upload, N uncapped downloaders started together, a 256 MiB file
# of random bytes over loopback. For each N (4, then 8) and each tool, a fresh tracker, seeder and downloaders:
#   time until every downloader holds the complete, verified file ÷ the ideal (size ÷ cap), and
#   bytes the original seeder uploaded ÷ the file size (1.0 when the downloaders get everything else from each other).
# Downloaders keep serving each other after they complete, until every one has.
#   FileSwarm   tracker, seeder peer --max-upload-rate 20M (logs every block served with -v: its uploaded bytes are
#               the sum of those blocks), N peers; the N POST /download calls (that wait) are sent at once
#   fileswarm-nosuper  the same with the seeder's --super-seed off (only when named in ONLY): an A/B in one run
#   aria2c      opentracker, seeder aria2c --max-overall-upload-limit=20M (uploaded bytes over its JSON-RPC), N aria2c
#               that keep seeding; completion is each one's --on-bt-download-complete hook
#   libtorrent  opentracker, bench/lib/lt_peer.py seeder --upload-limit (every address in the global peer class, so
#               the cap applies to loopback peers), N lt_peer.py --keep-seeding
# Usage: bench/transfer/swarm.sh [SIZE_MIB] [RUNS] [N...]     (defaults: 256 MiB, 2 runs, N = 4 8; medians printed)
#        ONLY="fileswarm fileswarm-nosuper" runs a subset (default: fileswarm aria2c libtorrent);
#        FS_PEER_PREFIX=eatmydata runs the FileSwarm peers with fsync a no-op (see bench/lib/common.sh)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
size_mib="${1:-256}"
runs="${2:-2}"
shift $(($# < 2 ? $# : 2))
counts=("${@:-4 8}"); counts=(${counts[*]})
cap_mib=20
only="${ONLY:-fileswarm aria2c libtorrent}"

bench_need aria2c:aria2 opentracker:opentracker mktorrent:mktorrent python3:python3 curl:curl
bench_need_libtorrent
bench_build_fileswarm
chmod 755 "$work"
mkdir -p "$work/src"
make_content "$work/src/content.bin" "$size_mib"
src="$work/src/content.bin"
size_bytes=$((size_mib * 1024 * 1024))
ideal="$(awk -v s="$size_mib" -v c="$cap_mib" 'BEGIN{print s/c}')"

ot_port_reserved="$(free_port)"
mktorrent -l 20 -a "http://127.0.0.1:$ot_port_reserved/announce" -o "$work/content.torrent" "$src" >/dev/null
info_hash "$work/content.torrent" >"$work/whitelist"
cat >"$work/aria2-done.sh" <<'EOF'
#!/bin/sh
# aria2c's --on-bt-download-complete hook: $3 is the downloaded file.
touch "$3.done"
EOF
chmod +x "$work/aria2-done.sh"

stop_all() {
  local pid
  for pid in "${bench_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${bench_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  bench_pids=()
}

# wait_files N PATTERN...: until N of the given files exist (10 min at most).
wait_files() {
  local want="$1"; shift
  local deadline=$((SECONDS + 600)) have
  while :; do
    have=0
    for f in "$@"; do [ -e "$f" ] && have=$((have + 1)); done
    [ "$have" -ge "$want" ] && return 0
    [ "$SECONDS" -ge "$deadline" ] && { echo "timed out: $have of $want complete" >&2; return 1; }
    sleep 0.05
  done
}

run_fileswarm() { # N [SEEDER OPTIONS...] -> sets secs, up
  local n="$1" i
  fs_tracker
  fs_peer seed --max-upload-rate "${cap_mib}M" -v "${@:2}"
  fs_upload seed "$src"
  for i in $(seq "$n"); do fs_peer "d$i"; done
  local t0; t0="$(now)"
  local waits=()
  for i in $(seq "$n"); do
    curl -sS --fail-with-body -X POST "${fs_api[d$i]}/download" -d "{\"hash\": \"$fs_hash\"}" >"$work/d$i.post" &
    waits+=($!)
  done
  for i in "${waits[@]}"; do wait "$i"; done
  secs="$(elapsed "$t0" "$(now)")"
  up="$(cat "$work/seed.out" "$work/seed.err" | { grep -oE 'Served piece [0-9]+ \[[0-9]+\+[0-9]+\]' || true; } \
    | sed -E 's/.*\+([0-9]+)\]/\1/' | awk '{s+=$1} END{print s+0}')"
  for i in $(seq "$n"); do cmp "$src" "${fs_dl[d$i]}/content.bin"; done
  stop_all
  rm -rf "$work"/d[0-9]* "$work/seed" "$work"/tracker.*
}

run_fileswarm-nosuper() {
  run_fileswarm "$1" --super-seed off
}

run_aria2c() {
  local n="$1" i rpc
  opentracker_start "$work/whitelist" "$ot_port_reserved"
  rpc="$(free_port)"
  bench_start aria2-seed aria2c "${aria2_common[@]}" --dir="$work/src" --listen-port="$(free_port)" \
    --bt-seed-unverified=true --seed-ratio=0.0 --check-integrity=false --max-overall-upload-limit="${cap_mib}M" \
    --enable-rpc --rpc-listen-port="$rpc" --rpc-listen-all=false "$work/content.torrent"
  sleep 1
  local t0; t0="$(now)"
  local marks=()
  for i in $(seq "$n"); do
    mkdir -p "$work/a$i"
    bench_start "a$i" aria2c "${aria2_common[@]}" --dir="$work/a$i" --listen-port="$(free_port)" --seed-ratio=0.0 \
      --on-bt-download-complete="$work/aria2-done.sh" "$work/content.torrent"
    marks+=("$work/a$i/content.bin.done")
  done
  wait_files "$n" "${marks[@]}"
  secs="$(elapsed "$t0" "$(now)")"
  up="$(curl -s "http://127.0.0.1:$rpc/jsonrpc" -d '{"jsonrpc":"2.0","id":"1","method":"aria2.tellActive","params":[["uploadLength"]]}' \
    | python3 -c 'import json,sys; print(sum(int(d["uploadLength"]) for d in json.load(sys.stdin)["result"]))')"
  for i in $(seq "$n"); do cmp "$src" "$work/a$i/content.bin"; done
  stop_all
  rm -rf "$work"/a[0-9]*
}

run_libtorrent() {
  local n="$1" i
  opentracker_start "$work/whitelist" "$ot_port_reserved"
  bench_start lt-seed "$lt_python" "$bench_root/bench/lib/lt_peer.py" --torrent "$work/content.torrent" --dir "$work/src" \
    --seed --upload-limit $((cap_mib * 1024 * 1024))
  local seed_pid=$last_pid
  wait_for "$work/lt-seed.out" '^listening '
  sleep 1
  local t0; t0="$(now)"
  local outs=()
  for i in $(seq "$n"); do
    mkdir -p "$work/l$i"
    bench_start "l$i" "$lt_python" "$bench_root/bench/lib/lt_peer.py" --torrent "$work/content.torrent" --dir "$work/l$i" --keep-seeding
    outs+=("$work/l$i.out")
  done
  local deadline=$((SECONDS + 600))
  until [ "$(cat "${outs[@]}" | grep -c '^complete')" -ge "$n" ]; do
    [ "$SECONDS" -ge "$deadline" ] && { echo "libtorrent swarm timed out" >&2; return 1; }
    sleep 0.05
  done
  secs="$(elapsed "$t0" "$(now)")"
  kill -USR1 "$seed_pid"
  wait_for "$work/lt-seed.out" '^uploaded '
  up="$(awk '/^uploaded /{v=$2} END{print v}' "$work/lt-seed.out")"
  for i in $(seq "$n"); do cmp "$src" "$work/l$i/content.bin"; done
  stop_all
  rm -rf "$work"/l[0-9]* "$work/lt-seed.out"
}

bench_machine
declare -A t u
for n in "${counts[@]}"; do
  for run in $(seq "$runs"); do
    for tool in $only; do
      "run_$tool" "$n"
      t[$tool,$n]+="$secs "; u[$tool,$n]+="$(awk -v a="$up" -v b="$size_bytes" 'BEGIN{printf "%.3f", a/b}') "
      printf '  N=%d run %d %-10s %7.2f s  seeder uploaded %s bytes\n' "$n" "$run" "$tool" "$secs" "$up" >&2
    done
  done
done

for n in "${counts[@]}"; do
  echo
  echo "1→$n swarm, ${size_mib} MiB, seeder capped at ${cap_mib} MiB/s (ideal ${ideal} s), median of $runs runs"
  echo
  echo "| tool | time (s) | time ÷ ideal | seeder uploaded ÷ file | FileSwarm time ÷ this | FileSwarm upload ÷ this |"
  echo "|---|---:|---:|---:|---:|---:|"
  fs_t="$(median <<<"${t[fileswarm,$n]:-}")"; fs_u="$(median <<<"${u[fileswarm,$n]:-}")"
  for tool in $only; do
    mt="$(median <<<"${t[$tool,$n]}")"; mu="$(median <<<"${u[$tool,$n]}")"
    printf '| %s | %.2f | %.2f | %.2f | %s | %s |\n' "$tool" "$mt" "$(awk -v a="$mt" -v b="$ideal" 'BEGIN{print a/b}')" "$mu" \
      "$(ratio "$fs_t" "$mt")" "$(ratio "$fs_u" "$mu")"
  done
  echo
  echo "runs (s): $(for tool in $only; do printf '%s: %s; ' "$tool" "${t[$tool,$n]}"; done)"
done
echo
echo "targets: FileSwarm time ≤ 1.15× ideal, seeder uploaded ≤ 1.1× the file"
