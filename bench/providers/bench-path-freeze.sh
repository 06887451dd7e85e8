#!/usr/bin/env bash
# bench/providers/bench-path-freeze.sh — the writer-visible freeze of
# `vss backup --path TREE` on a filesystem without snapshots (copy
# provider), with a small and a large unrelated tree, the tree copied
# inside the writers' freeze (--path-consistency=freeze, the old
# behaviour) and after their thaw (after-thaw, the default).
#
#   bench/providers/bench-path-freeze.sh [BUILD_DIR] [WORK_DIR] [LARGE_MIB]
#
# The freeze is the test writer "recorder"'s own view: from its freeze
# event to its thaw event (monotonic clock, VSS_TEST_RECORD_DIR).  A
# background dd keeps the disk under write load.  ROUNDS (default 5)
# backups per case; medians.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
WORK=${2:-$(mktemp -d /var/tmp/vss-bench-freeze.XXXXXX)}
LARGE_MIB=${3:-512}
ROUNDS=${ROUNDS:-5}
VSS=$PWD/$BUILD/requester/vss
export VSS_STATE_DIR=$WORK/state VSS_CONFIG_DIR=$WORK/config VSS_RUNTIME_DIR=$WORK/run
export VSS_TEST_RECORD_DIR=$WORK/records VSS_TEST_DATA_DIR=$WORK/app
export VSS_WRITER_PATH=$WORK/writers VSS_WRITER_HOST=$PWD/$BUILD/libvss/writer-host/host/vss-writer-host
mkdir -p "$WORK"/{state,config,run,records,writers,app,small,large}
install -m 644 "$BUILD/tests/writers/libvss-test-recorder.so" "$WORK/writers/"
echo data > "$WORK/app/db"
head -c 4096 /dev/urandom > "$WORK/small/f"
for i in $(seq 1 $((LARGE_MIB / 64))); do head -c 64M /dev/urandom > "$WORK/large/f$i"; done
sync
dd if=/dev/zero of="$WORK/load.bin" bs=1M count=100000 oflag=dsync status=none 2>/dev/null &
LOAD=$!
trap 'kill $LOAD 2>/dev/null; wait $LOAD 2>/dev/null; rm -rf "$WORK"' EXIT

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
freeze_ms() {  # the recorder's freeze → thaw
  awk '$1 == "freeze" {f = $3} $1 == "thaw" {printf "%.1f\n", ($3 - f) / 1000}' "$WORK/records/recorder.events"
}
run_case() {  # run_case TREE MODE → median freeze ms
  local runs=()
  for r in $(seq 1 "$ROUNDS"); do
    rm -rf "$WORK/records"/* "$WORK/set"
    "$VSS" backup --provider copy --path "$WORK/$1" --path-consistency "$2" --to "$WORK/set" >/dev/null
    runs+=("$(freeze_ms)")
  done
  echo "$(printf '%s\n' "${runs[@]}" | median) (runs: ${runs[*]})"
}

echo "writer-visible freeze (ms), copy provider on $(df --output=fstype "$WORK" | tail -1), under dd oflag=dsync load; median of $ROUNDS"
for mode in freeze after-thaw; do
  echo "  $mode: --path 4 KiB: $(run_case small "$mode")"
  echo "  $mode: --path $LARGE_MIB MiB: $(run_case large "$mode")"
done
