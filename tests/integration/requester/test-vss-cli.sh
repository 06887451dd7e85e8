#!/usr/bin/env bash
# The `vss` command line as a user meets it: backup, restore, verify,
# NDJSON output, exit codes, a tampered set, a chain, --exec with restic.
# Usage: test-vss-cli.sh BUILD_ROOT SOURCE_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1
SRC=$2
VSS=$BUILD/requester/vss
TREE="python3 $SRC/tests/integration/requester/tree-signature.py"

T=$(mktemp -d /tmp/vss-cli-XXXXXX)
MOUNTS=()
cleanup() {
  for m in "${MOUNTS[@]:-}"; do [ -n "$m" ] && umount "$m" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
export VSS_TEST_RECORD_DIR=$T/records VSS_WRITER_PATH=$T/no-writers
mkdir -p "$T"/{config,state,run,records,no-writers,writers,sets}

n=0; failed=0
ok()   { n=$((n + 1)); echo "ok $n - $1"; }
nok()  { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what" "command: $*"; fi; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

writers() {  # install the named test writers as the only writers
  rm -rf "$T/writers"; mkdir -p "$T/writers"
  for w in "$@"; do install -m 644 "$BUILD/tests/writers/libvss-test-$w.so" "$T/writers/"; done
  export VSS_WRITER_PATH=$T/writers
}

make_data() {  # a tree with every kind of entry a round trip must keep
  local d=$1
  mkdir -p "$d/sub/deeper" "$d/empty"
  printf 'alpha\n' > "$d/a.txt"
  head -c 300000 /dev/urandom > "$d/sub/random.bin"
  printf 'secret\n' > "$d/sub/key.pem"; chmod 600 "$d/sub/key.pem"
  printf '#!/bin/sh\n' > "$d/sub/run.sh"; chmod 4755 "$d/sub/run.sh"
  ln -s ../a.txt "$d/sub/link"
  truncate -s 5M "$d/sparse.img"; printf 'end' | dd of="$d/sparse.img" bs=1 seek=4000000 conv=notrunc status=none
  python3 -c "import os,sys; os.setxattr(sys.argv[1], 'user.vss', b'kept')" "$d/a.txt" 2>/dev/null || true
  touch -d '2021-03-04 05:06:07.123456789' "$d/sub/deeper"
  if [ "$(id -u)" -eq 0 ]; then chown 1234:4321 "$d/sub/random.bin"; fi
}

DATA=$T/data
make_data "$DATA"
before=$($TREE "$DATA")

# --- usage and help
"$VSS" backup >/dev/null 2>&1; check "backup without --to or --exec is bad usage (exit 2)" test $? -eq 2
"$VSS" frobnicate >/dev/null 2>&1; check "an unknown command is bad usage (exit 2)" test $? -eq 2
"$VSS" backup --to "$T/sets/none" --path "$T/no-such-dir" > "$T/nopath.out" 2>&1; rc=$?
check "a --path that does not exist is bad usage naming it (exit 2)" bash -c "[ $rc -eq 2 ] && grep -q no-such-dir '$T/nopath.out'"
check "every subcommand has --help" bash -c "for c in backup restore verify writers shadows status; do '$VSS' \$c --help >/dev/null || exit 1; done"

# --- a plain directory round trip
out=$("$VSS" backup --to "$T/sets/full" --path "$DATA" 2>&1); rc=$?
check "backup of a directory succeeds (exit 0)" test $rc -eq 0
check "the set is complete: manifest, bcd, no .partial" test -f "$T/sets/full/manifest.json" -a -f "$T/sets/full/bcd.json" -a ! -e "$T/sets/full.partial"
"$VSS" verify "$T/sets/full" >/dev/null; check "verify of a fresh set is clean" test $? -eq 0
rm -rf "$DATA"
"$VSS" restore --from "$T/sets/full" "$T/elsewhere" >/dev/null 2>&1; rc=$?
check "restore with a stray argument is bad usage and restores nothing (exit 2)" bash -c "[ $rc -eq 2 ] && [ ! -e '$DATA' ]"
"$VSS" restore --from "$T/sets/full" >/dev/null 2>&1; rc=$?
check "restore in place succeeds" test $rc -eq 0
after=$($TREE "$DATA")
if [ "$before" = "$after" ]; then ok "round trip keeps content, modes, owners, xattrs, times, links, holes"
else nok "round trip keeps content, modes, owners, xattrs, times, links, holes" "$(diff <(echo "$before") <(echo "$after") | head -20)"; fi

# --- NDJSON
"$VSS" --json backup --to "$T/sets/json" --path "$DATA" > "$T/out.ndjson" 2>/dev/null
check "--json output parses line by line" python3 -c "
import json,sys
lines=[json.loads(l) for l in open(sys.argv[1])]
assert lines and all('type' in l for l in lines)
assert lines[-1]['type']=='summary' and lines[-1]['status']=='success' and lines[-1]['exit_code']==0
assert any(l['type']=='timings' for l in lines)" "$T/out.ndjson"

# --- the hold limit
"$VSS" backup --path "$DATA" --provider copy --hold-limit 60000 --exec true >/dev/null 2>&1
check "--hold-limit is accepted" test $? -eq 0
"$VSS" backup --path "$DATA" --provider copy --path-consistency freeze --hold-limit 1 --to "$T/sets/held" > "$T/held.out" 2>&1; rc=$?
check "a copy that cannot fit a 1 ms hold limit fails, saying why" bash -c "[ $rc -eq 1 ] && grep -qi 'hold' '$T/held.out'"
check "…and leaves no set" test ! -e "$T/sets/held" -a ! -e "$T/sets/held.partial"
# A --path no writer owns is copied after the thaw: the hold limit does not apply to it.
"$VSS" backup --path "$DATA" --provider copy --hold-limit 1 --to "$T/sets/after" > "$T/after.out" 2>&1; rc=$?
check "the same tree after the thaw ignores the hold limit" test "$rc" -eq 0

# --- a tampered set
mkdir -p "$T/other"; cp -a "$T/sets/full" "$T/other/tampered"
stored=$(PYTHONPATH=$SRC/tests/integration python3 -c "
import sys, vss_manifest
m=vss_manifest.load(sys.argv[1])
print(next(e['stored'] for e in m['entries'] if e.get('stored') and e['path'].endswith('a.txt')))" "$T/other/tampered/manifest.json")
printf 'ALPHA\n' > "$T/other/tampered/$stored"
"$VSS" verify "$T/other/tampered" > "$T/verify.out" 2>&1; rc=$?
check "verify reports the changed file (exit 1)" bash -c "[ $rc -eq 1 ] && grep -q changed '$T/verify.out'"
printf 'current\n' > "$DATA/a.txt"
"$VSS" restore --from "$T/other/tampered" >/dev/null 2>&1; rc=$?
check "restore from a tampered set is refused" test $rc -ne 0
check "…and leaves the target untouched" grep -qx current "$DATA/a.txt"
printf 'alpha\n' > "$DATA/a.txt"

# --- restore elsewhere
"$VSS" restore --from "$T/sets/full" --to "$T/elsewhere" >/dev/null 2>&1
check "restore --to puts the tree under another root" cmp -s "$DATA/sub/random.bin" "$T/elsewhere$DATA/sub/random.bin"
"$VSS" restore --from "$T/sets/full" --map "$DATA=$T/mapped" >/dev/null 2>&1
check "restore --map OLD=NEW moves a subtree" cmp -s "$DATA/a.txt" "$T/mapped/a.txt"

# --- an incremental chain, restored in one command
printf 'changed\n' > "$DATA/a.txt"; rm "$DATA/sub/key.pem"; printf 'new\n' > "$DATA/new.txt"
chain_state=$($TREE "$DATA")
"$VSS" backup --type incremental --base "$T/sets/full" --to "$T/sets/incr" --path "$DATA" >/dev/null 2>&1
check "incremental backup succeeds" test $? -eq 0
check "…and stores less than the full set" test "$(du -s "$T/sets/incr" | cut -f1)" -lt "$(du -s "$T/sets/full" | cut -f1)"
"$VSS" restore --from "$T/sets/incr" --to "$T/chain" >/dev/null 2>&1
check "restore of the chain succeeds" test $? -eq 0
restored=$($TREE "$T/chain$DATA")
check "the chain restores the tree as it was at the incremental" test "$chain_state" = "$restored"
cp -a "$T/sets/full" "$T/sets/full-copy"
"$VSS" restore --from "$T/sets/incr" --to "$T/chain2" > "$T/dup.out" 2>&1
check "two copies of a base set next to each other are refused, naming both" bash -c "grep -q 'same backup set' '$T/dup.out'"
rm -rf "$T/sets/full-copy"

# --- writers: components, partial failure
writers recorder
export VSS_TEST_DATA_DIR=$DATA
"$VSS" --json writers > "$T/writers.ndjson" 2>/dev/null
check "vss writers --json lists the recorder" grep -q '"name":"recorder"' "$T/writers.ndjson"
"$VSS" backup --to "$T/sets/writer" >/dev/null 2>&1
check "backup of the writers' components succeeds" test $? -eq 0
check "…and the recorder got backup_complete" grep -q '^backup_complete' "$T/records/recorder.events"
check "…with backup_succeeded recorded in the set's document" grep -q '"backup_succeeded": true' "$T/sets/writer/bcd.json"
writers recorder veto
export VSS_TEST_VETO_EVENT=freeze
"$VSS" backup --to "$T/sets/partial" >/dev/null 2>&1
check "a writer vetoing its freeze makes the backup partial (exit 3)" test $? -eq 3
unset VSS_TEST_VETO_EVENT
writers recorder

# --- another snapshot set in progress (one is "in creation" until its
# snapshot is taken: a writer that takes 3 s to freeze keeps it there)
writers recorder hang
export VSS_TEST_HANG_EVENT=freeze VSS_TEST_HANG_MS=3000
"$VSS" backup --path "$DATA" --exec true >/dev/null 2>&1 &
bg=$!
for _ in $(seq 100); do "$VSS" status >/dev/null 2>&1; [ $? -eq 4 ] && break; sleep 0.02; done
"$VSS" --json status > "$T/status.json" 2>/dev/null; rc=$?
check "vss status says a set is in progress, and by which pid (exit 4)" bash -c "[ $rc -eq 4 ] && grep -q '\"pid\":$bg' '$T/status.json'"
"$VSS" backup --path "$DATA" --to "$T/sets/busy" >/dev/null 2>&1
check "a second backup meanwhile gets exit 4" test $? -eq 4
sig=$($TREE "$DATA")
"$VSS" restore --from "$T/sets/full" > "$T/restore-busy.out" 2>&1; rc=$?
check "a restore in place meanwhile gets exit 4, naming the backup" \
  bash -c "[ $rc -eq 4 ] && grep -q 'pid $bg' '$T/restore-busy.out'"
check "…and wrote nothing" test "$($TREE "$DATA")" = "$sig"
"$VSS" restore --from "$T/sets/full" --to "$T/restored-busy" >/dev/null 2>&1
check "a restore elsewhere meanwhile runs (exit 0)" test $? -eq 0
wait $bg
check "…and the first one succeeded" test $? -eq 0
unset VSS_TEST_HANG_EVENT VSS_TEST_HANG_MS
writers recorder

# --- --exec
"$VSS" backup --path "$DATA" --exec 'test -f "$VSS_SNAPSHOT_PATH/a.txt" && test -f "$VSS_BCD"' >/dev/null 2>&1
check "--exec sees the snapshot and the document" test $? -eq 0
"$VSS" backup --path "$DATA" --exec 'exit 7' >/dev/null 2>&1
check "--exec failing fails the backup (exit 1)" test $? -eq 1
# A run killed with its command leaves its metadata directory (in TMPDIR);
# the next run removes it, and never one a running backup still uses.
mkdir -p "$T/tmp"
TMPDIR=$T/tmp setsid "$VSS" backup --path "$DATA" --exec 'sleep 30.5' >/dev/null 2>&1 & KILLED=$!
for _ in $(seq 100); do compgen -G "$T/tmp/vss-metadata-*" >/dev/null && break; sleep 0.1; done
LEFT=$(compgen -G "$T/tmp/vss-metadata-*" | head -1)
kill -KILL -- -"$KILLED" 2>/dev/null; pkill -KILL -f 'sleep 30[.]5'; wait "$KILLED" 2>/dev/null
check "a --exec run killed with its command leaves its metadata directory ($LEFT)" test -n "$LEFT" -a -d "$LEFT"
# as if it was killed in the middle of writing a file of it
[ -n "$LEFT" ] && : > "$LEFT/bcd.json.K1LLED" && : > "$LEFT/writers/w.json.K1LLED"
TMPDIR=$T/tmp "$VSS" backup --path "$DATA" --exec 'sleep 10' >/dev/null 2>&1 & RUNNING=$!
IN_USE=
for _ in $(seq 100); do
  IN_USE=$(compgen -G "$T/tmp/vss-metadata-*" | grep -v -F "$LEFT" | head -1); [ -n "$IN_USE" ] && break; sleep 0.1
done
check "…the next run removed it ($IN_USE is its own)" test -n "$IN_USE" -a ! -e "$LEFT"
TMPDIR=$T/tmp "$VSS" backup --path "$DATA" --exec true >/dev/null 2>&1
check "…a third run beside it succeeds (exit $?)" test $? -eq 0
check "…and leaves the running backup's directory alone" test -f "$IN_USE/bcd.json"
wait "$RUNNING"; rc=$?
check "…which ends well (exit $rc) and removes its own" \
  test $rc -eq 0 -a "$(compgen -G "$T/tmp/vss-metadata-*" | wc -l)" -eq 0
if command -v restic >/dev/null; then
  export RESTIC_PASSWORD=test RESTIC_REPOSITORY=$T/restic
  restic init -q >/dev/null 2>&1
  "$VSS" backup --path "$DATA" --exec 'cd "$VSS_SNAPSHOT_PATH" && restic backup -q .' >/dev/null 2>&1
  check "--exec restic backs up the snapshot" test $? -eq 0
  restic restore -q latest --target "$T/from-restic" >/dev/null 2>&1
  check "…and restic restores the same data" cmp -s "$DATA/sub/random.bin" "$T/from-restic/sub/random.bin"
else
  skip "--exec restic" "restic is not installed (scripts/test installs it)"
fi

# --- the restore gate (ExecStartPre of a directory server's unit)
mkdir -p "$T/ldapdb"
writers recorder
export VSS_TEST_DATA_DIR=$T/ldapdb   # the recorder protects it
"$VSS" restore-gate "$T/ldapdb" >/dev/null 2>&1
check "restore-gate lets a store without a pending restore start (exit 0)" test $? -eq 0
printf 'pending\n' > "$T/ldapdb/vss-restore.interlock"
"$VSS" restore-gate "$T/ldapdb" >/dev/null 2>&1
check "restore-gate holds it back while a restore is pending (exit 1)" test $? -eq 1
"$VSS" restore-gate "$T/ldapbd" > "$T/gate-typo.out" 2>&1; rc=$?
check "restore-gate refuses a mistyped path, naming it and the stores it knows (exit 2)" \
  bash -c "[ $rc -eq 2 ] && grep -q '$T/ldapbd' '$T/gate-typo.out' && grep -q '$T/ldapdb' '$T/gate-typo.out'"
"$VSS" restore-gate "$T/sets" > "$T/gate-other.out" 2>&1; rc=$?
check "restore-gate refuses a path no writer protects (exit 2)" \
  bash -c "[ $rc -eq 2 ] && grep -q 'not a store any writer protects' '$T/gate-other.out'"
export VSS_TEST_DATA_DIR=$DATA

# --- a full disk
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$T/small"; mount -t tmpfs -o size=128k tmpfs "$T/small" && MOUNTS+=("$T/small")
  "$VSS" backup --to "$T/small/set" >/dev/null 2>&1; rc=$?
  check "backup to a full disk fails (exit 1)" test $rc -eq 1
  check "…leaving neither a set nor a .partial" test ! -e "$T/small/set" -a ! -e "$T/small/set.partial"
  "$VSS" shadows list 2>/dev/null | grep -q . ; check "…and no snapshot behind" bash -c "! '$VSS' shadows list | grep -q 'set '"
else
  skip "backup to a full disk" "needs root to mount a small tmpfs"
fi

echo "1..$n"
[ $failed -eq 0 ]
