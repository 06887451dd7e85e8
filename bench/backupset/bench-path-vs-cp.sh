#!/usr/bin/env bash
# bench/backupset/bench-path-vs-cp.sh — `vss backup --path` vs `cp -a` of
# the same tree, side by side on one filesystem (issue #15, copy once).
#
#   bench/backupset/bench-path-vs-cp.sh [BUILD_DIR] [WORK_DIR] [SHAPE...]
#
# SHAPE: small (100,000 files of 4 KiB in 100 directories) and/or large
# (8 files of 128 MiB); default both.  WORK_DIR (default: a temp dir in
# /var/tmp) holds the data, the copies, the sets and vss's state dir, so
# the copy provider's staged image is on the set's filesystem and is moved
# into the set, not copied twice.  No writer is installed: only the --path
# tree is backed up.  Caches stay warm (the data were just written; no
# drop_caches, which would disturb whoever shares the machine).  Every run
# ends with its data on disk: cp -a is timed with the sync after it, and
# alone; vss's set commit includes a syncfs.  ROUNDS (default 3) rounds,
# the tools alternating; medians count.  Each round also times
# `vss verify` of the set against `sha256sum` of the same stored files
# (warm: both read the files the backup just wrote).  vss runs at its
# default background priority (nice 10, best-effort I/O 7) and again with
# --copy-priority normal, as cp: on a machine others load, the background
# copy yields to them and is slower by design.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
WORK=${2:-$(mktemp -d /var/tmp/vss-bench-path.XXXXXX)}
shift $(( $# > 2 ? 2 : $# ))
SHAPES=${*:-small large}
ROUNDS=${ROUNDS:-3}
trap 'rm -rf "$WORK"' EXIT
VSS=$PWD/$BUILD/requester/vss
export VSS_STATE_DIR=$WORK/state VSS_CONFIG_DIR=$WORK/config VSS_RUNTIME_DIR=$WORK/run
export VSS_WRITER_PATH=$WORK/no-writers
mkdir -p "$WORK"/{state,config,run,no-writers}

make_small() {
  python3 - "$1" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(100):
    os.makedirs(f"{root}/d{d:02d}")
    for f in range(1000):
        with open(f"{root}/d{d:02d}/f{f:03d}", "wb") as out:
            out.write(os.urandom(4096))
PY
}
make_large() {
  mkdir -p "$1"
  for i in $(seq 1 8); do head -c 128M /dev/urandom >"$1/file$i.bin"; done
}

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
since() { echo "$(now) - $1" | bc; }

bench_shape() {
  local shape=$1 src=$WORK/src-$1
  "make_$shape" "$src"
  sync
  local cp=() cpsync=() after=() normal=() crash=() verify=() sums=()
  local load0; load0=$(cut -d' ' -f1-3 /proc/loadavg)
  for r in $(seq 1 "$ROUNDS"); do
    local t0; t0=$(now); cp -a "$src" "$WORK/cp"; cp+=("$(since "$t0")"); sync; cpsync+=("$(since "$t0")")
    rm -rf "$WORK/cp"; sync
    t0=$(now); "$VSS" backup --path "$src" --to "$WORK/set" >/dev/null; after+=("$(since "$t0")")
    t0=$(now); "$VSS" verify "$WORK/set" >/dev/null; verify+=("$(since "$t0")")
    t0=$(now); (cd "$WORK/set" && find files -type f -print0 | xargs -0 sha256sum >/dev/null)
    sums+=("$(since "$t0")")
    rm -rf "$WORK/set"; sync
    t0=$(now); "$VSS" backup --path "$src" --copy-priority normal --to "$WORK/set" >/dev/null
    normal+=("$(since "$t0")")
    rm -rf "$WORK/set"; sync
    t0=$(now); "$VSS" backup --path "$src" --path-consistency crash --to "$WORK/set" >/dev/null
    crash+=("$(since "$t0")")
    rm -rf "$WORK/set"; sync
  done
  local m_cp m_cpsync m_after m_normal m_crash m_verify m_sums
  m_cp=$(printf '%s\n' "${cp[@]}" | median); m_cpsync=$(printf '%s\n' "${cpsync[@]}" | median)
  m_after=$(printf '%s\n' "${after[@]}" | median); m_crash=$(printf '%s\n' "${crash[@]}" | median)
  m_normal=$(printf '%s\n' "${normal[@]}" | median)
  m_verify=$(printf '%s\n' "${verify[@]}" | median); m_sums=$(printf '%s\n' "${sums[@]}" | median)
  echo "== $shape: $(find "$src" -type f | wc -l) files, $(du -sh --apparent-size "$src" | cut -f1) on $(df --output=fstype "$WORK" | tail -1); warm; median of $ROUNDS; load $load0 -> $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '  cp -a                          %7.2f s   (runs: %s)\n' "$m_cp" "${cp[*]}"
  printf '  cp -a && sync                  %7.2f s   (runs: %s)\n' "$m_cpsync" "${cpsync[*]}"
  printf '  vss backup --path (after-thaw) %7.2f s   (runs: %s)\n' "$m_after" "${after[*]}"
  printf '  ... --copy-priority normal     %7.2f s   (runs: %s)\n' "$m_normal" "${normal[*]}"
  printf '  vss backup --path-consistency=crash %7.2f s   (runs: %s)\n' "$m_crash" "${crash[*]}"
  printf '  ratio after-thaw / (cp -a && sync) = %.2f   (/ cp -a = %.2f)\n' \
    "$(echo "$m_after / $m_cpsync" | bc -l)" "$(echo "$m_after / $m_cp" | bc -l)"
  printf '  ratio normal     / (cp -a && sync) = %.2f   (/ cp -a = %.2f)\n' \
    "$(echo "$m_normal / $m_cpsync" | bc -l)" "$(echo "$m_normal / $m_cp" | bc -l)"
  printf '  ratio crash      / (cp -a && sync) = %.2f   (/ cp -a = %.2f)\n' \
    "$(echo "$m_crash / $m_cpsync" | bc -l)" "$(echo "$m_crash / $m_cp" | bc -l)"
  printf '  sha256sum of the stored files  %7.2f s   (runs: %s)\n' "$m_sums" "${sums[*]}"
  printf '  vss verify                     %7.2f s   (runs: %s)\n' "$m_verify" "${verify[*]}"
  printf '  ratio verify / sha256sum = %.2f\n' "$(echo "$m_verify / $m_sums" | bc -l)"
  rm -rf "$src"
}

for shape in $SHAPES; do bench_shape "$shape"; done
