#!/usr/bin/env bash
# 1→1 transfer benchmark: one seeder, one downloader, a file of random bytes over loopback, timed from the start of
# the download command to a complete, verified file. Side by side in one run:
#   FileSwarm   tracker + seeder peer + downloader peer; the timed command is the POST /download that waits
#   curl        from nginx to disk (no verification: the baseline of moving the bytes)
#   aria2c      seeder aria2c → downloader aria2c, peers found through opentracker (DHT/LPD/PEX off)
#   libtorrent  bench/lib/lt_peer.py seeder → downloader on python3-libtorrent (TCP only, DHT/LSD/uTP off)
# BitTorrent clients use 1 MiB pieces, and so does FileSwarm. Every download is compared with the source (untimed).
# The downloader's CPU seconds and peak RSS are /usr/bin/time -v's for the tools that exit, and /proc's (utime+stime
# over the download, VmHWM of the whole process) for the FileSwarm peer.
# Usage: bench/transfer/one-to-one.sh [SIZE_MIB] [RUNS]     (defaults: 1024 MiB, 3 runs; medians are printed)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
size_mib="${1:-1024}"
runs="${2:-3}"
only="${ONLY:-fileswarm curl aria2c libtorrent}"   # ONLY="fileswarm curl" runs a subset

bench_need nginx:nginx curl:curl aria2c:aria2 opentracker:opentracker mktorrent:mktorrent python3:python3 \
  /usr/bin/time:time
bench_need_libtorrent
bench_build_fileswarm
chmod 755 "$work"

mkdir -p "$work/src"
make_content "$work/src/content.bin" "$size_mib"
src="$work/src/content.bin"

declare -A t cpu rss
record() { # record TOOL SECONDS CPU RSS
  t[$1]+="$2 "; cpu[$1]+="$3 "; rss[$1]+="$4 "
  printf '  %-11s %8.3f s  %6.2f CPU-s  %7.1f MiB\n' "$1" "$2" "$3" "$4" >&2
}
verify() { cmp "$src" "$1" || { echo "$2: the downloaded file differs from the source" >&2; exit 1; }; }

# --- FileSwarm: one tracker and seeder for all runs, a fresh downloader peer per run --------------------------------
if [[ " $only " == *" fileswarm "* ]]; then
  fs_tracker
  fs_peer seed
  fs_upload seed "$src"
fi

# --- nginx ----------------------------------------------------------------------------------------------------------
if [[ " $only " == *" curl "* ]]; then
  mkdir -p "$work/nginx/logs" "$work/www"
  ln "$src" "$work/www/content.bin"
  nginx_port="$(free_port)"
  cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
error_log stderr warn;
pid $work/nginx/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy; fastcgi_temp_path $work/nginx/fcgi;
  uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;
  server { listen 127.0.0.1:$nginx_port; root $work/www; }
}
EOF
  bench_start nginx nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;'
  for _ in $(seq 100); do curl -sf -o /dev/null -r 0-0 "http://127.0.0.1:$nginx_port/content.bin" && break; sleep 0.05; done
fi

# --- BitTorrent: opentracker, one torrent, an aria2c seeder and a libtorrent seeder ---------------------------------
if [[ " $only " == *" aria2c "* || " $only " == *" libtorrent "* ]]; then
  ot_port_reserved="$(free_port)"
  mktorrent -l 20 -a "http://127.0.0.1:$ot_port_reserved/announce" -o "$work/content.torrent" "$src" >/dev/null
  info_hash "$work/content.torrent" >"$work/whitelist"
  opentracker_start "$work/whitelist" "$ot_port_reserved"
fi
if [[ " $only " == *" aria2c "* ]]; then
  aria_seed_port="$(free_port)"
  bench_start aria2-seed aria2c "${aria2_common[@]}" --dir="$work/src" --listen-port="$aria_seed_port" \
    --bt-seed-unverified=true --seed-ratio=0.0 --check-integrity=false "$work/content.torrent"
fi
if [[ " $only " == *" libtorrent "* ]]; then
  bench_start lt-seed "$lt_python" "$bench_root/bench/lib/lt_peer.py" --torrent "$work/content.torrent" --dir "$work/src" --seed
  wait_for "$work/lt-seed.out" '^listening '
  lt_seed_port="$(awk '/^listening /{print $2}' "$work/lt-seed.out")"
fi
sleep 1

bench_machine
for run in $(seq "$runs"); do
  echo "run $run/$runs" >&2
  for tool in $only; do
    dir="$work/dl-$tool-$run"; mkdir -p "$dir"
    case "$tool" in
      fileswarm)
        fs_peer "get$run"
        pid="${fs_pid[get$run]}"; cpu0="$(proc_cpu "$pid")"
        t0="$(now)"
        curl -sS --fail-with-body -X POST "${fs_api[get$run]}/download" -d "{\"hash\": \"$fs_hash\"}" >/dev/null
        t1="$(now)"
        record fileswarm "$(elapsed "$t0" "$t1")" "$(awk -v a="$cpu0" -v b="$(proc_cpu "$pid")" 'BEGIN{printf "%.2f", b-a}')" "$(proc_hwm_mib "$pid")"
        bench_stop "$pid"
        verify "${fs_dl[get$run]}/content.bin" fileswarm
        rm -rf "$work/get$run"
        ;;
      curl)
        t0="$(now)"
        /usr/bin/time -v -o "$dir/time" curl -sS --fail -o "$dir/content.bin" "http://127.0.0.1:$nginx_port/content.bin"
        t1="$(now)"
        record curl "$(elapsed "$t0" "$t1")" "$(time_v_cpu "$dir/time")" "$(time_v_rss_mib "$dir/time")"
        verify "$dir/content.bin" curl
        ;;
      aria2c)
        t0="$(now)"
        /usr/bin/time -v -o "$dir/time" aria2c "${aria2_common[@]}" --dir="$dir" --listen-port="$(free_port)" \
          --seed-time=0 "$work/content.torrent" >"$dir/out" 2>&1 || { cat "$dir/out" >&2; exit 1; }
        t1="$(now)"
        record aria2c "$(elapsed "$t0" "$t1")" "$(time_v_cpu "$dir/time")" "$(time_v_rss_mib "$dir/time")"
        verify "$dir/content.bin" aria2c
        ;;
      libtorrent)
        t0="$(now)"
        /usr/bin/time -v -o "$dir/time" "$lt_python" "$bench_root/bench/lib/lt_peer.py" --torrent "$work/content.torrent" \
          --dir "$dir" --connect "127.0.0.1:$lt_seed_port" >"$dir/out" 2>&1 || { cat "$dir/out" >&2; exit 1; }
        t1="$(now)"
        record libtorrent "$(elapsed "$t0" "$t1")" "$(time_v_cpu "$dir/time")" "$(time_v_rss_mib "$dir/time")"
        verify "$dir/content.bin" libtorrent
        ;;
    esac
    rm -rf "$dir"
  done
done

gib="$(awk -v m="$size_mib" 'BEGIN{print m/1024}')"
echo
echo "1→1, ${size_mib} MiB over loopback, median of $runs runs (time: start of the download command → complete, verified file)"
echo
echo "| downloader | time (s) | MB/s | CPU-s | CPU-s/GiB | peak RSS (MiB) | FileSwarm time ÷ this | FileSwarm CPU ÷ this |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
fs_t="$(median <<<"${t[fileswarm]:-}")"; fs_c="$(median <<<"${cpu[fileswarm]:-}")"
for tool in $only; do
  mt="$(median <<<"${t[$tool]}")"; mc="$(median <<<"${cpu[$tool]}")"; mr="$(median <<<"${rss[$tool]}")"
  printf '| %s | %.2f | %.0f | %.2f | %.2f | %.1f | %s | %s |\n' "$tool" "$mt" \
    "$(awk -v s="$size_mib" -v t="$mt" 'BEGIN{print s*1048576/1e6/t}')" "$mc" \
    "$(awk -v c="$mc" -v g="$gib" 'BEGIN{print c/g}')" "$mr" "$(ratio "$fs_t" "$mt")" "$(ratio "$fs_c" "$mc")"
done
echo
echo "targets: FileSwarm time ≤ 0.6× libtorrent, ≤ 0.5× aria2c, ≤ 1.5× curl; CPU-s/GiB ≤ aria2c's"
echo "all runs (s): $(for tool in $only; do printf '%s: %s; ' "$tool" "${t[$tool]}"; done)"
