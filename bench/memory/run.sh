#!/usr/bin/env bash
# Memory: peak RSS (VmHWM of the whole process) of
#   - a downloader peer fetching a SIZE_GIB file (random bytes, real SHA-1 checks of every piece) from a seeder peer,
#     next to aria2c downloading the same file from an aria2c seeder through opentracker;
#   - a tracker holding PEERS peers across FILES files: the FileSwarm tracker filled over gRPC by
#     `FileSwarm.Bench tracker-load`, next to opentracker filled by wrk (bench/tracker/announce.lua, sequential: each
#     of PEERS peers announced once, on info-hash i mod FILES, then the whole set once more).
# Usage: bench/memory/run.sh [SIZE_GIB] [FILES] [PEERS]     (defaults: 4 10000 100000)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
size_gib="${1:-4}"
files="${2:-10000}"
peers="${3:-100000}"

bench_need aria2c:aria2 opentracker:opentracker mktorrent:mktorrent wrk:wrk python3:python3 curl:curl /usr/bin/time:time
bench_build_fileswarm
dotnet build "$bench_root/bench/FileSwarm.Bench" -c Release -nologo -v quiet >/dev/null
loader="$bench_root/bench/FileSwarm.Bench/bin/Release/net10.0/FileSwarm.Bench"
chmod 755 "$work"
bench_machine

# --- trackers --------------------------------------------------------------------------------------------------------
fs_tracker
echo "filling the FileSwarm tracker: $files files, $peers peers" >&2
"$loader" tracker-load --target "$fs_tracker" --files "$files" --peers "$peers" --bodies 1 --out "$work/bodies" >&2
fs_tracker_rss="$(proc_hwm_mib "$fs_tracker_pid")"
bench_stop "$fs_tracker_pid"

opentracker_start "$work/bodies/hashes.txt"
wrk -t 1 -c 10 -d 30s -s "$bench_root/bench/tracker/announce.lua" "http://127.0.0.1:$ot_port" -- "$work/bodies/hashes.txt" "$peers" sequential >"$work/wrk.out"
ot_requests="$(sed -nE 's/^RESULT requests=([0-9]+).*/\1/p' "$work/wrk.out")"
[ "$ot_requests" -ge "$peers" ] || echo "warning: only $ot_requests announces reached opentracker (fewer than $peers peers)" >&2
ot_rss="$(proc_hwm_mib "$ot_pid")"
bench_stop "$ot_pid"

# --- downloaders -------------------------------------------------------------------------------------------------------
mkdir -p "$work/src"
echo "generating ${size_gib} GiB" >&2
make_content "$work/src/content.bin" $((size_gib * 1024))
src="$work/src/content.bin"
rm -f "$work/tracker.out"
fs_tracker
fs_peer seed
fs_upload seed "$src"
fs_peer get
# VmHWM has no anonymous/file split: sample RssAnon (heap, stacks) and RssFile (mapped runtime and framework images,
# shared with every .NET process) while it downloads, and keep the largest of each.
( while sleep 0.1; do grep -E '^Rss(Anon|File):' "/proc/${fs_pid[get]}/status" 2>/dev/null || break; done ) >"$work/rss.samples" &
sampler=$!
t0="$(now)"
curl -sS --fail-with-body -X POST "${fs_api[get]}/download" -d "{\"hash\": \"$fs_hash\"}" >/dev/null
fs_time="$(elapsed "$t0" "$(now)")"
kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
fs_anon="$(awk '/^RssAnon:/{ if ($2 > m) m = $2 } END{ printf "%.1f", m / 1024 }' "$work/rss.samples")"
fs_file="$(awk '/^RssFile:/{ if ($2 > m) m = $2 } END{ printf "%.1f", m / 1024 }' "$work/rss.samples")"
fs_peer_rss="$(proc_hwm_mib "${fs_pid[get]}")"
fs_seed_rss="$(proc_hwm_mib "${fs_pid[seed]}")"
bench_stop "${fs_pid[get]}"; bench_stop "${fs_pid[seed]}"; bench_stop "$fs_tracker_pid"
cmp "$src" "${fs_dl[get]}/content.bin"
rm -rf "$work/get"

ot_port_reserved="$(free_port)"
mktorrent -l 20 -a "http://127.0.0.1:$ot_port_reserved/announce" -o "$work/content.torrent" "$src" >/dev/null
info_hash "$work/content.torrent" >"$work/whitelist"
opentracker_start "$work/whitelist" "$ot_port_reserved"
bench_start aria2-seed aria2c "${aria2_common[@]}" --dir="$work/src" --listen-port="$(free_port)" \
  --bt-seed-unverified=true --seed-ratio=0.0 --check-integrity=false "$work/content.torrent"
aria_seed_pid=$last_pid
sleep 1
mkdir -p "$work/aria"
t0="$(now)"
/usr/bin/time -v -o "$work/aria.time" aria2c "${aria2_common[@]}" --dir="$work/aria" --listen-port="$(free_port)" \
  --seed-time=0 "$work/content.torrent" >"$work/aria.out" 2>&1 || { cat "$work/aria.out" >&2; exit 1; }
aria_time="$(elapsed "$t0" "$(now)")"
aria_rss="$(time_v_rss_mib "$work/aria.time")"
aria_seed_rss="$(proc_hwm_mib "$aria_seed_pid")"
cmp "$src" "$work/aria/content.bin"

echo
echo "Peak RSS (MiB)"
echo
echo "| process | FileSwarm | aria2c / opentracker | FileSwarm ÷ other |"
echo "|---|---:|---:|---:|"
echo "| downloader, ${size_gib} GiB (took ${fs_time} s / ${aria_time} s) | $fs_peer_rss | $aria_rss | $(ratio "$fs_peer_rss" "$aria_rss") |"
echo "| seeder, ${size_gib} GiB | $fs_seed_rss | $aria_seed_rss | $(ratio "$fs_seed_rss" "$aria_seed_rss") |"
echo "| tracker, $peers peers on $files files | $fs_tracker_rss | $ot_rss | $(ratio "$fs_tracker_rss" "$ot_rss") |"
echo
echo "FileSwarm downloader, largest samples while downloading: RssAnon $fs_anon MiB (heap, stacks), RssFile $fs_file MiB (mapped images)"
echo "target: downloader peer ≤ 64 MiB"
