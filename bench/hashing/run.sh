#!/usr/bin/env bash
# Hashing benchmark: `fileswarm create` on a 1 GiB file next to what a user would run instead, in one hyperfine run:
#   openssl dgst -sha1 (one SHA-1 over the file, single thread) and mktorrent -t2 (piece hashes on two threads).
# Usage: bench/hashing/run.sh [SIZE_MIB] [RUNS]   (defaults: 1024 MiB, 10 runs)
# Prints hyperfine's report and a table of mean times with ratios to mktorrent -t2. The file is read from the page
# cache (hyperfine warms it up), so this measures hashing, not the disk.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
size_mib="${1:-1024}"
runs="${2:-10}"

need=()
command -v mktorrent >/dev/null || need+=(mktorrent)
command -v openssl >/dev/null || need+=(openssl)
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v python3 >/dev/null || need+=(python3)
if [ "${#need[@]}" -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Build once through the launcher, then time the built CLI directly (no launcher staleness check in the loop).
"$here/fileswarm" --help >/dev/null
cli="dotnet $here/.build/cli/fileswarm.dll"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > content.bin

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
echo "versions: $(openssl version), mktorrent $(mktorrent -h 2>&1 | head -1 | awk '{print $2}'), $(hyperfine --version), dotnet $(dotnet --version)"
echo "content: ${size_mib} MiB of random bytes, piece length 1 MiB for both torrent tools"
echo

# mktorrent 1.1 (Debian) cannot overwrite its output, so every run starts without the .torrent files.
hyperfine --warmup 2 --runs "$runs" -N --export-json results.json --prepare "rm -f fs.torrent mk.torrent" \
  -n "fileswarm create" "$cli create content.bin -o fs.torrent --piece-length 1M" \
  -n "fileswarm create --no-sha1" "$cli create content.bin -o fs.torrent --piece-length 1M --no-sha1" \
  -n "openssl dgst -sha1" "openssl dgst -sha1 content.bin" \
  -n "mktorrent -t2" "mktorrent -t2 -l 20 -o mk.torrent content.bin"

# Same handler from both torrent tools (sanity check that they did the same work).
rm -f fs.torrent mk.torrent
$cli create content.bin -o fs.torrent --piece-length 1M >/dev/null 2>&1
mktorrent -t2 -l 20 -o mk.torrent content.bin >/dev/null
fs_hash="$($cli inspect fs.torrent --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hash"])')"
mk_hash="$($cli inspect mk.torrent --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hash"])')"
[ "$fs_hash" = "$mk_hash" ] || { echo "info-hash mismatch: fileswarm $fs_hash, mktorrent $mk_hash" >&2; exit 1; }

# Other work on the machine only ever adds time, so the fastest run is the steadiest figure on a busy host;
# both the mean and the minimum are shown, each with its ratio to mktorrent -t2.
python3 - results.json <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = next(r for r in results if r["command"] == "mktorrent -t2")
print()
print("| command | mean (s) | ± (s) | min (s) | user (s) | mean vs mktorrent -t2 | min vs mktorrent -t2 |")
print("|---|---:|---:|---:|---:|---:|---:|")
for r in results:
    print(f"| {r['command']} | {r['mean']:.3f} | {r['stddev']:.3f} | {r['min']:.3f} | {r['user']:.3f} "
          f"| {r['mean'] / base['mean']:.2f}x | {r['min'] / base['min']:.2f}x |")
PY
