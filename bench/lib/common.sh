# Shared helpers of the bench/ scripts (sourced, not run). Everything binds to 127.0.0.1, every process a script
# starts is recorded in $bench_pids and stopped by the EXIT trap, and all files live under $work, removed on exit.
# shellcheck shell=bash

bench_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/fileswarm-bench.XXXXXX")"
bench_pids=()

bench_cleanup() {
  local pid
  for pid in "${bench_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${bench_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap bench_cleanup EXIT INT TERM

# bench_need CMD:PACKAGE...: installs the Debian packages whose command is missing.
bench_need() {
  local want=() item
  for item in "$@"; do
    command -v "${item%%:*}" >/dev/null || want+=("${item#*:}")
  done
  [ "${#want[@]}" -eq 0 ] && return 0
  local sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "installing ${want[*]}" >&2
  $sudo_cmd apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
}

# bench_need_libtorrent: python3-libtorrent has no command of its own, and lives in Debian's python3 (not in a
# pyenv or venv python that may come first on PATH), so lt_peer.py runs under $lt_python.
lt_python=/usr/bin/python3
bench_need_libtorrent() {
  "$lt_python" -c 'import libtorrent' 2>/dev/null && return 0
  bench_need "__none__:python3-libtorrent"
}

# Builds the CLI once through the launcher, which then runs every FileSwarm process as a user would (it execs the built
# assembly, so the pid is the process's own; its staleness check runs before any timing starts).
bench_build_fileswarm() {
  "$bench_root/fileswarm" --help >/dev/null
  fileswarm=("$bench_root/fileswarm")
}

# bench_start NAME CMD...: starts CMD in the background, output in $work/NAME.out and .err; its pid in $last_pid.
bench_start() {
  local name="$1"; shift
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  last_pid=$!
  bench_pids+=("$last_pid")
}

# bench_stop PID: stops one process started by bench_start and waits for it.
bench_stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# wait_for FILE REGEX [SECONDS]: until a line matching REGEX appears in FILE.
wait_for() {
  local deadline=$((SECONDS + ${3:-120}))
  until grep -Eq "$2" "$1" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "timed out waiting for /$2/ in $1:" >&2; cat "$1" "${1%.out}.err" >&2 2>/dev/null; exit 1
    fi
    sleep 0.05
  done
}

# free_port: a port the kernel hands out for 127.0.0.1 (for tools that cannot report the port they bound to 0).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0 == 0) print "-"; else printf "%.2fx", a/b }'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END{ if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2 }'; }

# CPU seconds (user + system) a live process has used so far.
proc_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}
# Peak resident set of a live process, in MiB.
proc_hwm_mib() {
  awk '/^VmHWM:/{ printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}
# Forgets a live process's peak resident set (the peak from now on is what proc_hwm_mib then reports).
proc_reset_hwm() {
  echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true
}
# From a `/usr/bin/time -v` report: CPU seconds and peak RSS in MiB.
time_v_cpu() { awk -F': ' '/User time/{u=$2} /System time/{s=$2} END{printf "%.2f", u+s}' "$1"; }
time_v_rss_mib() { awk -F': ' '/Maximum resident set size/{printf "%.1f", $2/1024}' "$1"; }

# make_content FILE MIB: random content (so no layer can compress or dedupe it).
make_content() {
  head -c "$(($2 * 1024 * 1024))" /dev/urandom >"$1"
}

bench_machine() {
  echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/^Mem:/{print $2}') GiB, $(uname -r); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# --- FileSwarm processes ------------------------------------------------------------------------------------------

# fs_tracker: starts a tracker on a free loopback port; its address in $fs_tracker.
fs_tracker() {
  rm -f "$work/tracker.out" "$work/tracker.err"
  bench_start tracker "${fileswarm[@]}" tracker --grpc 127.0.0.1:0 "$@"
  fs_tracker_pid=$last_pid
  wait_for "$work/tracker.out" '^tracker listening on '
  fs_tracker="$(sed -nE 's/^tracker listening on ([0-9.:]+).*/\1/p' "$work/tracker.out" | head -1)"
}

# fs_peer NAME [OPTIONS...]: starts a peer; its pid, HTTP API URL and downloads directory in fs_pid[NAME],
# fs_api[NAME], fs_dl[NAME].
# With FS_PEER_PREFIX set (e.g. "eatmydata"), peers run under that command.
declare -A fs_pid fs_api fs_dl
fs_peer() {
  local name="$1"; shift
  local prefix=(); [ -n "${FS_PEER_PREFIX:-}" ] && read -r -a prefix <<<"$FS_PEER_PREFIX"
  mkdir -p "$work/$name/downloads"
  # A previous run's log would satisfy wait_for before the new process has truncated it.
  rm -f "$work/$name.out" "$work/$name.err"
  bench_start "$name" "${prefix[@]}" "${fileswarm[@]}" peer --http 0 --grpc 127.0.0.1:0 --tracker "http://$fs_tracker" \
    --data-dir "$work/$name" --downloads "$work/$name/downloads" "$@"
  fs_pid[$name]=$last_pid
  fs_dl[$name]="$work/$name/downloads"
  wait_for "$work/$name.out" '^peer grpc listening on '
  fs_api[$name]="$(sed -nE 's/^peer http listening on (http:[^ ]+).*/\1/p' "$work/$name.out" | head -1)"
}

# fs_upload NAME FILE: shares FILE from peer NAME with 1 MiB pieces (like the other tools); the hash in $fs_hash.
fs_upload() {
  fs_hash="$(curl -sS --fail-with-body -X POST "${fs_api[$1]}/upload" -d "{\"name\": \"$2\", \"piece_length\": 1048576}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["hash"])')"
}

# --- BitTorrent tools ---------------------------------------------------------------------------------------------

# opentracker_start WHITELIST [PORT]: opentracker on loopback (a free port unless given) (TCP and UDP); its announce URL in $ot_announce.
# Debian builds opentracker with an info-hash whitelist, so WHITELIST (40 hex digits a line) names every torrent it
# tracks. It chroots to $work/ot and runs as nobody, so the whitelist is copied in there.
opentracker_start() {
  mkdir -p "$work/ot"; chmod 755 "$work" "$work/ot"
  cp "$1" "$work/ot/whitelist"; chmod 644 "$work/ot/whitelist"
  ot_port="${2:-$(free_port)}"
  bench_start opentracker opentracker -i 127.0.0.1 -p "$ot_port" -P "$ot_port" -d "$work/ot" -w whitelist
  ot_pid=$last_pid
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$ot_port") 2>/dev/null && break; sleep 0.05; done
  ot_announce="http://127.0.0.1:$ot_port/announce"
}

# info_hash FILE.torrent: its info-hash in hex.
info_hash() {
  "${fileswarm[@]}" inspect "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hash"])'
}

# Options shared by every aria2c: no DHT, LPD or PEX (the tracker is the only way to find peers), quiet.
aria2_common=(--enable-dht=false --enable-dht6=false --bt-enable-lpd=false --enable-peer-exchange=false
  --disable-ipv6=true --console-log-level=warn --summary-interval=0 --file-allocation=falloc
  --bt-tracker-connect-timeout=5 --bt-tracker-timeout=5 --check-certificate=false --auto-save-interval=0)
