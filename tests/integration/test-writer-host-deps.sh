#!/bin/bash
# test-writer-host-deps.sh BUILD_DIR — vss-writer-host starts light and
# still serves every module: it loads no library only the coordinator
# needs (libsoup for the cluster, libfuse3; each would add milliseconds of
# CPU to every helper and probe process at a backup's start), and it
# exports every vss_* function the shipped and test writer modules call.
# Exit 0 pass, 1 fail, 77 skip (no nm/readelf).
set -u
build=$(cd "$1" && pwd)
host="$build/libvss/writer-host/host/vss-writer-host"
command -v nm >/dev/null 2>&1 && command -v readelf >/dev/null 2>&1 ||
  { echo "SKIP: nm or readelf (binutils) is not installed"; exit 77; }
[ -x "$host" ] || { echo "FAIL: $host does not exist"; exit 1; }
failures=0
fail () { echo "FAIL: $*"; failures=$((failures + 1)); }

needed=$(readelf -d "$host" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for lib in libsoup libfuse3 libsqlite3; do
  if grep -q "^$lib" <<<"$needed"; then fail "vss-writer-host needs $lib"; fi
done
defined=$(nm -D --defined-only "$host" | awk '{ print $NF }' | sort -u)
modules=$(find "$build/writers" "$build/tests/writers" -name '*.so' 2>/dev/null)
[ -n "$modules" ] || { echo "FAIL: no writer modules under $build"; exit 1; }
for m in $modules; do
  for sym in $(nm -D --undefined-only "$m" | awk '$NF ~ /^vss_/ { print $NF }'); do
    grep -qx "$sym" <<<"$defined" || fail "$(basename "$m") calls $sym, which vss-writer-host does not export"
  done
done
[ "$failures" -eq 0 ] && echo "ok: vss-writer-host needs $(wc -l <<<"$needed") libraries and exports what $(wc -w <<<"$modules") modules call"
[ "$failures" -eq 0 ]
