#!/usr/bin/env bash
# bench/backupset/bench-backup-set.sh — writing a backup set vs `cp -a` of
# the same 1 GiB tree, side by side on the same filesystem, then the load
# time of a 100k-entry manifest.
#
#   bench/backupset/bench-backup-set.sh [BUILD_DIR] [WORK_DIR]
#
# BUILD_DIR: a configured libvss build (default: build); WORK_DIR: where the
# data and copies go (default: a temp dir under /var/tmp — a disk, not
# tmpfs).  As root, caches are dropped before every run (cold: the source is
# read from disk); otherwise both tools run warm.  Each tool runs 3 times,
# alternating, and the median counts.  cp -a is timed alone and with a
# following `sync`, because the backup set's commit includes a syncfs (its
# data are on disk when it returns; cp's are not).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
WORK=${2:-$(mktemp -d /var/tmp/vss-bench.XXXXXX)}
ROUNDS=${ROUNDS:-3}
trap 'rm -rf "$WORK"' EXIT

ninja -C "$BUILD" >/dev/null || ninja -C "$BUILD" libvss/libvss.so.0.1.0 >/dev/null
DRIVER=$WORK/bench-backup-set
cc -O2 -o "$DRIVER" bench/backupset/bench-backup-set.c -Iinclude -I"$BUILD/include" \
   $(pkg-config --cflags --libs glib-2.0) -L"$BUILD/libvss" -lvss -Wl,-rpath,"$PWD/$BUILD/libvss"

# 1 GiB: 4 files of 128 MiB, 8192 files of 64 KiB in 64 directories.
SRC=$WORK/src
mkdir -p "$SRC/large"
for i in 1 2 3 4; do head -c 128M /dev/urandom >"$SRC/large/file$i.bin"; done
for d in $(seq 1 64); do
  mkdir -p "$SRC/small/d$d"
  head -c $((128 * 64 * 1024)) /dev/urandom | split -b 64K -a 3 - "$SRC/small/d$d/f"
done
BYTES=$(du -sb --apparent-size "$SRC/large" "$SRC/small" | awk '{s += $1} END {print s}')
sync

cold() {
  if [ "$(id -u)" -eq 0 ]; then sync; echo 3 >/proc/sys/vm/drop_caches; fi
}
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

cp_times=(); cpsync_times=(); set_times=()
for r in $(seq 1 "$ROUNDS"); do
  cold; t0=$(now); cp -a "$SRC" "$WORK/cp$r"; t1=$(now); sync; t2=$(now)
  cp_times+=("$(echo "$t1 - $t0" | bc)"); cpsync_times+=("$(echo "$t2 - $t0" | bc)")
  rm -rf "$WORK/cp$r"; sync
  cold; t0=$(now); "$DRIVER" write "$SRC" "$WORK/set$r" >/dev/null; t1=$(now)
  set_times+=("$(echo "$t1 - $t0" | bc)")
  rm -rf "$WORK/set$r"; sync
done
cp_s=$(printf '%s\n' "${cp_times[@]}" | median)
cpsync_s=$(printf '%s\n' "${cpsync_times[@]}" | median)
set_s=$(printf '%s\n' "${set_times[@]}" | median)
mode=$([ "$(id -u)" -eq 0 ] && echo "cold (caches dropped before each run)" || echo "warm")

echo "data: $BYTES bytes in $(find "$SRC" -type f | wc -l) files on $(df --output=fstype "$WORK" | tail -1); $mode; median of $ROUNDS"
printf 'cp -a                 %6.2f s  %7.1f MB/s   (runs: %s)\n' "$cp_s" "$(echo "$BYTES / $cp_s / 1000000" | bc -l)" "${cp_times[*]}"
printf 'cp -a && sync         %6.2f s  %7.1f MB/s   (runs: %s)\n' "$cpsync_s" "$(echo "$BYTES / $cpsync_s / 1000000" | bc -l)" "${cpsync_times[*]}"
printf 'backup set (synced)   %6.2f s  %7.1f MB/s   (runs: %s)\n' "$set_s" "$(echo "$BYTES / $set_s / 1000000" | bc -l)" "${set_times[*]}"
printf 'ratio vs cp -a: %.2f   ratio vs cp -a && sync: %.2f   (target >= 0.80)\n' \
  "$(echo "$cp_s / $set_s" | bc -l)" "$(echo "$cpsync_s / $set_s" | bc -l)"

# A manifest of 100k entries: write a set of 100k empty files, time its open.
rm -rf "$SRC"; mkdir -p "$SRC"
for d in $(seq 1 100); do mkdir "$SRC/d$d"; (cd "$SRC/d$d" && seq 1 1000 | xargs touch); done
"$DRIVER" write "$SRC" "$WORK/many" >/dev/null
cold
echo "open of a $(stat -c %s "$WORK/many/manifest.json")-byte manifest with 100100 entries: $("$DRIVER" open "$WORK/many")"
