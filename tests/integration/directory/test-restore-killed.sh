#!/usr/bin/env bash
# `vss restore` of an LMDB environment killed with SIGKILL at several
# points: the environment's files are each the old or the restored one,
# never half of either; once the directory writer's pre_restore has run,
# the restore interlock keeps `vss restore-gate` closed; no helper process
# outlives the kill; running the same restore again completes, lifts the
# interlock and leaves no temporary file.
# Usage: test-restore-killed.sh BUILD_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1
VSS=$BUILD/requester/vss

if ! command -v mdb_load >/dev/null; then
  echo "1..0 # SKIP needs mdb_load (lmdb-utils): install it (scripts/deps does)"
  exit 0
fi

T=$(mktemp -d /tmp/vss-restore-killed-XXXXXX)
cleanup() {
  pkill -KILL -f "$T/" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
mkdir -p "$T"/{config,state,run,writers,sets,ldap}
install -m 644 "$BUILD"/writers/directory/directory.so "$T/writers/"
export VSS_WRITER_PATH=$T/writers
ENV=$T/ldap
printf '[directory]\nenvironments=%s\n' "$ENV" > "$T/config/directory.conf"

n=0; failed=0
ok()   { n=$((n + 1)); echo "ok $n - $1"; }
nok()  { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what" "command: $*"; fi; }

load() {  # load FIRST COUNT: records FIRST… of 1000 bytes into the named database
  awk -v first="$1" -v count="$2" 'BEGIN {
    print "VERSION=3"; print "format=bytevalue"; print "type=btree"; print "mapsize=1073741824"
    print "HEADER=END"; v = ""; for (i = 0; i < 500; i++) v = v "ab"
    for (i = first; i < first + count; i++) printf " %08x\n %s\n", i, v
    print "DATA=END" }' | mdb_load -s id2entry "$ENV"
}
sum() { sha256sum < "$1" | cut -d' ' -f1; }

load 0 80000                                      # ~80 MB
"$VSS" backup -c directory --to "$T/sets/full" > "$T/backup.out" 2>&1
check "backup of the environment" test $? -eq 0
# kills spread over the time a whole restore takes here
start=$(date +%s%N); "$VSS" restore --from "$T/sets/full" > /dev/null 2>&1; end=$(date +%s%N)
delays=$(awk -v ns=$((end - start)) 'BEGIN { for (f = 0.1; f < 1; f += 0.15) printf "%.3f ", f * ns / 1e9 }')
echo "# a whole restore takes $(( (end - start) / 1000000 )) ms; kills after: $delays"
backed=$(sum "$(find "$T/sets/full/files" -name data.mdb)")
load 80000 2000                                   # the live environment moves on
changed=$(sum "$ENV/data.mdb")
check "the live environment differs from the backup" test "$backed" != "$changed"

helpers_of() {  # helper processes still running for this test
  pgrep -f "vss-writer-host" | while read -r p; do
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "VSS_RUNTIME_DIR=$T/run" && echo "$p"
  done
}

for delay in $delays; do
  "$VSS" restore --from "$T/sets/full" > "$T/killed.out" 2>&1 &
  pid=$!
  sleep "$delay"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  now=$(sum "$ENV/data.mdb")
  temps=$(ls -A "$ENV" | grep -c '\.vss-')
  echo "# killed after ${delay}s: data.mdb $([ "$now" = "$backed" ] && echo restored || echo old)," \
       "interlock $([ -e "$ENV/vss-restore.interlock" ] && echo placed || echo absent), $temps temporary file(s)"
  check "killed after ${delay}s: data.mdb is the old or the restored file, whole" \
    bash -c "[ '$now' = '$changed' ] || [ '$now' = '$backed' ]"
  left=""
  for _ in $(seq 20); do left=$(helpers_of); [ -z "$left" ] && break; sleep 0.1; done
  check "killed after ${delay}s: no helper process outlives the kill within 2 s" test -z "$left"
  if [ -e "$ENV/vss-restore.interlock" ]; then
    "$VSS" restore-gate "$ENV" > /dev/null 2>&1
    check "killed after ${delay}s: the interlock keeps the gate closed (exit 1)" test $? -eq 1
  fi
  "$VSS" restore --from "$T/sets/full" > "$T/rerun.out" 2>&1 || sed "s/^/# rerun: /" "$T/rerun.out"
  check "killed after ${delay}s: the same restore run again succeeds" test $? -eq 0
  check "…and puts the backed-up data.mdb in place" test "$(sum "$ENV/data.mdb")" = "$backed"
  check "…lifts the interlock" test ! -e "$ENV/vss-restore.interlock"
  "$VSS" restore-gate "$ENV" > /dev/null 2>&1
  check "…so the gate is open (exit 0)" test $? -eq 0
  check "…and leaves no temporary file beside the targets" \
    bash -c "! ls -A '$ENV' | grep -q '\.vss-'"
  load 90000 500 && changed=$(sum "$ENV/data.mdb")   # differ again for the next round
done

echo "1..$n"
[ $failed -eq 0 ]
