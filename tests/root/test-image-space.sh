#!/usr/bin/env bash
# The writers' images count in a backup's estimates: a set (--to) or the
# images' staging (--repo, --exec, under the state directory) on a small
# tmpfs that cannot hold a ~20 MB LMDB image is refused before any writer
# is frozen, saying how much is needed and how much is free; and the copy
# progress of an image-only backup totals the image's bytes (it totalled
# nothing: the image is in no snapshot tree).  Skips when not root.
# Usage: test-image-space.sh BUILD_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1
if [ "$(id -u)" -ne 0 ]; then echo "1..0 # SKIP needs root (a small tmpfs)"; exit 0; fi
T=$(mktemp -d /tmp/vss-image-space-XXXXXX)
. "${0%/*}/image-lib.sh" || exit 1
need_tools mdb_load python3
cleanup() { mountpoint -q "$T/small" && umount "$T/small"; rm -rf "$T"; }
trap cleanup EXIT
mkdir -p "$T"/{small,env,out}
mount -t tmpfs -o size=8m tmpfs "$T/small" || { echo "1..0 # SKIP cannot mount tmpfs"; exit 0; }
image_env
printf '[directory]\nenvironments=%s\n' "$T/env" > "$T/config/directory.conf"
awk 'BEGIN { print "VERSION=3"; print "format=print"; print "type=btree"; print "mapsize=268435456"; print "HEADER=END"
  v = ""; for (i = 0; i < 500; i++) v = v "ab"
  for (i = 0; i < 20000; i++) printf " k%08d\n %s\n", i, v; print "DATA=END" }' | mdb_load "$T/env"

# json FILE EXPR: EXPR (python, over `events`) is true
json() {
  python3 - "$1" "$2" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
summary = ([e for e in events if e.get('type') == 'summary'] or [{}])[-1]
copy = [e for e in events if e.get('type') == 'progress' and e.get('phase') == 'copy']
phases = [e.get('phase') for e in events if e.get('type') == 'phase']
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

# --- a set that cannot hold the image
"$VSS" --json backup -c directory --to "$T/small/set" > "$T/out/set.json" 2> "$T/out/set.err"; rc=$?
check "a set on an 8 MB tmpfs is refused (exit 1, got $rc)" test $rc -eq 1
check "…saying how much is needed and how much is free" \
  grep -Eq "not enough space for the set: about [0-9.]+[^0-9,]+MB needed, [0-9.]+[^0-9,]+MB free in $T/small" "$T/out/set.err"
check "…before any writer was frozen" json "$T/out/set.json" "'prepare' not in phases and 'snapshot' not in phases"
check "…and nothing was written there" test -z "$(ls -A "$T/small")"

# --- the images' staging for --exec (and --repo) that cannot hold them
VSS_STATE_DIR=$T/small/state "$VSS" --json backup -c directory --exec true > "$T/out/exec.json" 2> "$T/out/exec.err"; rc=$?
check "--exec with the state directory on the tmpfs is refused (exit 1, got $rc)" test $rc -eq 1
check "…saying the images' staging needs more than is free" \
  grep -Eq "not enough space to stage the writers' images: about [0-9.]+[^0-9,]+MB needed, [0-9.]+[^0-9,]+MB free in $T/small/state" "$T/out/exec.err"
check "…before any writer was frozen" json "$T/out/exec.json" "'prepare' not in phases and 'snapshot' not in phases"

# --- where there is room: the progress totals the image
"$VSS" --json backup -c directory --to "$T/set" > "$T/out/ok.json" 2> "$T/out/ok.err"; rc=$?
check "the same backup into a roomy set succeeds (exit 0, got $rc)" test $rc -eq 0
image=$(stat -c %s "$T/set/files/0$T/env/data.mdb" 2>/dev/null || echo 0)
check "the copy progress totals the image's bytes (image: $image)" \
  json "$T/out/ok.json" "copy and copy[-1]['bytes_total'] >= $image > 0 and copy[-1]['bytes_total'] == summary['bytes'] and copy[-1]['bytes_done'] == copy[-1]['bytes_total']"
echo "1..$n"
[ "$failed" -eq 0 ]
