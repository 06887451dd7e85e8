#!/usr/bin/env bash
# bench/restic/bench-restic.sh — `vss backup --path TREE --repo restic:R`
# against plain `restic backup TREE` of the same 1 GiB tree, each into its
# own fresh repository: the first run (throughput) and an unchanged
# second run (time).  The tree is a subvolume of a loop-mounted btrfs, so
# vss takes a btrfs snapshot (milliseconds, whatever the tree); a reflink
# snapshot costs ~0.17 ms a file on xfs and the copy provider a full copy,
# which a restic run over an unchanged tree cannot hide.
#
#   bench/restic/bench-restic.sh [BUILD_DIR] [ROUNDS]
#
# Root (loop devices, the view's namespaces).  Caches are dropped before
# every run: vss's restic reads the snapshot's inodes, which are not in the
# page cache after the tree was written, so warm caches would favour plain
# restic for a reason no production run has.  Each round runs plain then
# vss, and the medians count.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
ROUNDS=${2:-3}
VSS=$PWD/$BUILD/requester/vss
WORK=$(mktemp -d /var/tmp/vss-bench-restic.XXXXXX)
MNT=$WORK/mnt
cleanup() {
  "$VSS" shadows delete --all >/dev/null 2>&1 || true
  mountpoint -q "$MNT" && umount "$MNT"
  rm -rf "$WORK"
}
trap cleanup EXIT
export VSS_CONFIG_DIR=$WORK/config VSS_STATE_DIR=$MNT/state VSS_RUNTIME_DIR=$WORK/run
export VSS_WRITER_PATH=$WORK/no-writers VSS_WRITER_HOST=$PWD/$BUILD/libvss/writer-host/host/vss-writer-host
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=$WORK/cache
mkdir -p "$WORK"/{config,run,no-writers,repos} "$MNT"

truncate -s 4G "$WORK/fs.img"
mkfs.btrfs -q "$WORK/fs.img"
mount -o loop "$WORK/fs.img" "$MNT"
btrfs -q subvolume create "$MNT/tree"
# 1 GiB: 4 files of 128 MiB, 8192 files of 64 KiB in 64 directories
SRC=$MNT/tree
mkdir -p "$SRC/large"
for i in 1 2 3 4; do head -c 128M /dev/urandom > "$SRC/large/file$i.bin"; done
for d in $(seq 1 64); do
  mkdir -p "$SRC/small/d$d"
  head -c $((128 * 64 * 1024)) /dev/urandom | split -b 64K -a 3 - "$SRC/small/d$d/f"
done
sync

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
cold() { sync; echo 3 > /proc/sys/vm/drop_caches; }
timed() { local t0; cold; t0=$(now); "$@" > /dev/null; echo "$(now) - $t0" | bc; }

p1=(); p2=(); v1=(); v2=()
for r in $(seq 1 "$ROUNDS"); do
  restic init -q -r "$WORK/repos/plain$r"; restic init -q -r "$WORK/repos/vss$r"
  p1+=("$(timed restic -q -r "$WORK/repos/plain$r" backup "$SRC")")
  v1+=("$(timed "$VSS" backup --path "$SRC" --repo "restic:$WORK/repos/vss$r")")
  plan=$("$VSS" --json backup --dry-run --path "$SRC" --repo "restic:$WORK/repos/vss$r")
  grep -q '"provider":"btrfs"' <<<"$plan" || echo "note: vss did not choose the btrfs provider"
  p2+=("$(timed restic -q -r "$WORK/repos/plain$r" backup "$SRC")")
  v2+=("$(timed "$VSS" backup --path "$SRC" --repo "restic:$WORK/repos/vss$r")")
  rm -rf "$WORK/repos/plain$r" "$WORK/repos/vss$r"
done
mp1=$(printf '%s\n' "${p1[@]}" | median); mv1=$(printf '%s\n' "${v1[@]}" | median)
mp2=$(printf '%s\n' "${p2[@]}" | median); mv2=$(printf '%s\n' "${v2[@]}" | median)
echo "first run, s:     restic ${p1[*]} | vss ${v1[*]}"
echo "unchanged run, s: restic ${p2[*]} | vss ${v2[*]}"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'first run: vss throughput = %.2f x restic (target >= 0.95)\n' "$(echo "$mp1 / $mv1" | bc -l)"
printf 'unchanged run: vss time = %.2f x restic (target <= 1.10)\n' "$(echo "$mv2 / $mp2" | bc -l)"
