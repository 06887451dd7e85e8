#!/usr/bin/env bash
# bench/backupset/bench-verify-rss.sh — peak RSS of `vss verify` and of a
# whole `vss restore`-free read (verify reads every entry and its data)
# against the number of entries in a set: N empty files, for each N given.
#
#   bench/backupset/bench-verify-rss.sh [BUILD_DIR] [WORK_DIR] [N...]
#
# Default N: 1000 10000 100000.  1,000,000 works but takes long here
# (creating the files and the set dominate): pass it to measure it.
# Prints N, the manifest's size, verify's wall time and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
WORK=${2:-$(mktemp -d /var/tmp/vss-bench-rss.XXXXXX)}
shift $(( $# > 2 ? 2 : $# ))
COUNTS=${*:-1000 10000 100000}
VSS=$PWD/$BUILD/requester/vss
export VSS_STATE_DIR=$WORK/state VSS_CONFIG_DIR=$WORK/config VSS_RUNTIME_DIR=$WORK/run
export VSS_WRITER_PATH=$WORK/no-writers
mkdir -p "$WORK"/{state,config,run,no-writers}
trap 'rm -rf "$WORK"' EXIT

printf '%10s %14s %10s %12s\n' entries manifest_bytes verify_s peak_rss_kib
for n in $COUNTS; do
  src=$WORK/src-$n
  mkdir -p "$src"
  python3 - "$src" "$n" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = f"{root}/d{i // 1000:04d}"
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    open(f"{d}/f{i % 1000:03d}", "wb").close()
PY
  "$VSS" backup --path "$src" --path-consistency crash --to "$WORK/set-$n" >/dev/null
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$VSS" verify "$WORK/set-$n" >/dev/null
  read -r secs rss < "$WORK/time"
  printf '%10s %14s %10s %12s\n' "$n" "$(stat -c %s "$WORK/set-$n/manifest.json")" "$secs" "$rss"
  rm -rf "$src" "$WORK/set-$n"
done
