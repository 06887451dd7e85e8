#!/usr/bin/env bash
# bench/images/bench-freeze-ext4.sh — the writer-visible freeze on ext4 (a
# loop device: no snapshots, only the copy provider) of
# `vss backup -c directory` with a ~1 GiB LMDB environment under a write
# load, with and without an unrelated 1 GiB --path tree (after-thaw, the
# default), as vss reports it (window_ms).  Target: median <= 20 ms and
# <= 1.2x the freeze without the --path.
#   bench/images/bench-freeze-ext4.sh [BUILD_DIR] [ENV_MB] [PATH_MB] [ROUNDS]
# Needs root.  The load: back-to-back small mdb_load commits into the
# environment (the write load a directory server puts on it).
set -euo pipefail
BUILD=$(realpath "${1:-build}")
ENV_MB=${2:-1024} PATH_MB=${3:-1024} ROUNDS=${4:-5}
VSS=$BUILD/requester/vss
[ "$(id -u)" = 0 ] || { echo "needs root: a loop device" >&2; exit 77; }
T=$(mktemp -d /var/tmp/vss-bench-freeze-ext4-XXXXXX)
LOOP="" LOAD=""
cleanup() {
  set +e
  [ -n "$LOAD" ] && { kill "$LOAD"; wait "$LOAD"; } 2>/dev/null
  mountpoint -q "$T/mnt" && umount "$T/mnt"
  [ -n "$LOOP" ] && losetup -d "$LOOP"
  rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T"/{mnt,config,state,run,writers}
truncate -s $(( (ENV_MB + PATH_MB) * 3 + 1024 ))M "$T/disk.img"
LOOP=$(losetup -f --show "$T/disk.img")
mkfs.ext4 -q "$LOOP"; mount "$LOOP" "$T/mnt"
M=$T/mnt
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
export VSS_WRITER_PATH=$T/writers VSS_WRITER_HOST=$BUILD/libvss/writer-host/host/vss-writer-host
install -m 644 "$BUILD/writers/directory/directory.so" "$T/writers/"
make_env() {  # make_env DIR FIRST-KEY RECORDS (1000-byte values)
  mkdir -p "$1"
  awk -v n="$3" -v off="$2" 'BEGIN { print "VERSION=3"; print "format=bytevalue"; print "type=btree";
    printf "mapsize=%d\n", 8 * 1024 * 1024 * 1024; print "HEADER=END"
    v = ""; for (i = 0; i < 1000; i++) v = v "ab"
    for (i = 0; i < n; i++) printf " %08x\n %s\n", i + off, v; print "DATA=END" }' | mdb_load "$1"
}
make_env "$M/ldap" 0 $((ENV_MB * 1000))
make_env "$T/load-src" 268435456 20
mdb_dump "$T/load-src" > "$T/load.dump"
mkdir -p "$M/other"
for i in $(seq 1 $((PATH_MB / 64))); do head -c 64M /dev/urandom > "$M/other/f$i"; done
printf '[directory]\nenvironments=%s\n' "$M/ldap" > "$T/config/directory.conf"
sync
( for _ in $(seq 1 1000000); do mdb_load -f "$T/load.dump" "$M/ldap" 2>/dev/null || sleep 0.01; done ) &
LOAD=$!

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
run_case() {  # run_case EXTRA-ARGS… → "median (runs)"
  local runs=()
  for r in $(seq 1 "$ROUNDS"); do
    rm -rf "$M/set"
    "$VSS" --json backup -c directory --provider copy "$@" --to "$M/set" > "$T/out" 2>&1 ||
      { cat "$T/out" >&2; exit 1; }
    runs+=("$(grep -o '"window_ms": *[0-9.]*' "$T/out" | grep -o '[0-9.]*$' | xargs printf '%.1f')")
  done
  echo "$(printf '%s\n' "${runs[@]}" | median) (runs: ${runs[*]})"
}
echo "ext4 loop device; data.mdb $(du -h "$M/ldap/data.mdb" | cut -f1), --path $(du -sh "$M/other" | cut -f1); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
without=$(run_case)
with=$(run_case --path "$M/other")
echo "writer-visible freeze (window_ms), median of $ROUNDS under write load:"
echo "  -c directory:                    $without"
echo "  -c directory --path (1 GiB tree): $with"
awk -v a="${without%% *}" -v b="${with%% *}" 'BEGIN { printf "  ratio with/without: %.2f\n", b / a }'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
