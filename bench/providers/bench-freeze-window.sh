#!/bin/bash
# bench-freeze-window.sh BUILD_DIR [REPS] — the writer-visible freeze
# window of the btrfs, reflink and copy providers on 1 GiB of data of which
# 256 MiB is dirty (written just before the snapshot, not synced), with and
# without the coordinator's pre-flush (VSS_NO_PREFLUSH=1), next to the
# plain tools doing the same snapshot.  Needs root (loop devices).
# Prints a markdown table; docs/benchmarks-providers.md holds a run.
set -euo pipefail
build=$(cd "${1:?usage: $0 BUILD_DIR [REPS]}" && pwd)
reps=${2:-5}
src=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root: loop devices and mounts" >&2; exit 77; }

work=$(mktemp -d /var/tmp/vss-bench.XXXXXX)
cleanup () {
  set +e
  # Plain unmounts first: a lazy one keeps the device busy, and losetup -d
  # of a busy device fails and leaves it attached.
  for m in $(grep " $work/" /proc/mounts | awk '{print $2}' | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
  # By backing file: mkfs_mount runs in a $(…) subshell, so a list it
  # appended to would be lost here.
  for img in "$work"/*.img; do
    for l in $(losetup -j "$img" 2>/dev/null | cut -d: -f1); do
      for try in 1 2 3 4 5; do losetup -d "$l" 2>/dev/null && break; sleep 1; done
    done
  done
  rm -rf "$work"
}
trap cleanup EXIT

cc -O2 -o "$work/driver" "$src/bench/providers/bench-freeze-driver.c" -I"$src/include" \
   -I"$build/include" -L"$build/libvss" -Wl,-rpath,"$build/libvss" -lvss \
   $(pkg-config --cflags --libs glib-2.0 gio-2.0)
mkdir -p "$work/writers" "$work/records" "$work/state" "$work/run"
install -m 0644 "$build/tests/writers/libvss-test-recorder.so" "$work/writers/"
export VSS_WRITER_PATH="$work/writers" VSS_TEST_RECORD_DIR="$work/records"
export VSS_STATE_DIR="$work/state" VSS_RUNTIME_DIR="$work/run" VSS_CONFIG_DIR="$work"
# Writers run in helper processes: use the build's helper, not an installed one.
export VSS_WRITER_HOST="$build/libvss/writer-host/host/vss-writer-host"

mkfs_mount () {   # TYPE -> mount point
  truncate -s 4G "$work/$1.img"
  local dev; dev=$(losetup -f --show "$work/$1.img")
  "mkfs.$1" -q "$dev" >/dev/null 2>&1 || "mkfs.$1" -q -F "$dev" >/dev/null
  mkdir -p "$work/$1"; mount "$dev" "$work/$1"; echo "$work/$1"
}
b=$(mkfs_mount btrfs); x=$(mkfs_mount xfs); e=$(mkfs_mount ext4)
btrfs -q subvolume create "$b/vol"
for d in "$b/vol/data" "$x/data" "$e/data"; do
  mkdir -p "$d/clean"
  for i in $(seq 0 11); do head -c 64M /dev/urandom > "$d/clean/f$i"; done   # 768 MiB
done
sync

dirty () {   # 256 MiB of fresh, unsynced data in the tree
  rm -f "$1/dirty"*; sync
  for i in 0 1 2 3; do head -c 64M /dev/urandom > "$1/dirty$i"; done
}
now_ms () { date +%s%N | awk '{ printf "%.1f", $1 / 1e6 }'; }
median_max () { sort -n | awk '{ v[NR] = $1 } END { printf "%.1f %.1f", v[int((NR + 1) / 2)], v[NR] }'; }

declare -A result
run_provider () {   # PROVIDER DIR PREFLUSH(0/1) -> "median max" of writer_ms, and commit median
  local p=$1 d=$2 pf=$3 w=() c=()
  for r in $(seq "$reps"); do
    dirty "$d"; rm -f "$work/records/"*
    local line
    # A set that fails (copy past the hold limit) counts as the limit.
    line=$(if [ "$pf" = 0 ]; then VSS_NO_PREFLUSH=1 "$work/driver" "$d" "$p"; else "$work/driver" "$d" "$p"; fi) ||
      line="writer_ms=10000 commit_ms=10000 (failed: HOLD_WRITES_TIMEOUT)"
    w+=("$(sed 's/.*writer_ms=\([0-9.]*\).*/\1/' <<<"$line")")
    c+=("$(sed 's/.*commit_ms=\([0-9.]*\).*/\1/' <<<"$line")")
  done
  result[$p,$pf,w]=$(printf '%s\n' "${w[@]}" | median_max)
  result[$p,$pf,c]=$(printf '%s\n' "${c[@]}" | median_max | cut -d' ' -f1)
}
run_tool () {   # NAME DIR CMD... (run after a sync: the same work as a pre-flushed commit)
  local n=$1 d=$2; shift 2; local t=()
  for r in $(seq "$reps"); do
    dirty "$d"; sync
    local s; s=$(now_ms); "$@" "$r"; local f; f=$(now_ms)
    t+=("$(awk -v a="$s" -v b="$f" 'BEGIN { printf "%.1f", b - a }')")
    untool "$r"
  done
  result[$n,tool]=$(printf '%s\n' "${t[@]}" | median_max | cut -d' ' -f1)
}
snap_btrfs () { btrfs -q subvolume snapshot -r "$b/vol" "$b/tool$1"; }
ref_xfs () { cp -a --reflink=always "$x/data" "$x/tool$1"; }
cp_ext4 () { cp -a "$e/data" "$e/tool$1"; }
untool () {   # the plain tools' images go before the next run, untimed
  if [ -d "$b/tool$1" ]; then btrfs -q subvolume delete "$b/tool$1"; fi
  rm -rf "$x/tool$1" "$e/tool$1"
}

for pf in 1 0; do
  run_provider btrfs "$b/vol/data" $pf
  run_provider reflink "$x/data" $pf
  run_provider copy "$e/data" $pf
done
run_tool btrfs "$b/vol/data" snap_btrfs
run_tool reflink "$x/data" ref_xfs
run_tool copy "$e/data" cp_ext4

echo "| provider | freeze window, pre-flush (median / max ms) | without pre-flush (median / max ms) | provider commit (median ms) | plain tool (median ms) | commit / tool |"
echo "|---|---|---|---|---|---|"
for p in btrfs reflink copy; do
  read -r m1 x1 <<<"${result[$p,1,w]}"; read -r m0 x0 <<<"${result[$p,0,w]}"
  c=${result[$p,1,c]}; t=${result[$p,tool]}
  ratio=$(awk -v a="$c" -v b="$t" 'BEGIN { printf "%.2f", a / b }')
  echo "| $p | $m1 / $x1 | $m0 / $x0 | $c | $t | $ratio |"
done
echo
echo "reps=$reps; $(nproc) cores; $(uname -r); command: $0 $1 $reps"
