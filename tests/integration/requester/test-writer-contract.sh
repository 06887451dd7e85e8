#!/usr/bin/env bash
# The writer contract as `vss backup` and `vss restore` honour it, with the
# contract test writer (tests/writers/contract.c): dependencies (a
# selection without them is refused before anything is prepared), exclude
# files, nested file sets owned by the inner component, files provided
# after the snapshot, the snapshot's atomicity, and the directories a
# restore --to creates above what it restores.
# Usage: test-writer-contract.sh BUILD_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1
VSS=$BUILD/requester/vss

T=$(mktemp -d /tmp/vss-contract-XXXXXX)
trap 'rm -rf "$T"' EXIT
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
export VSS_TEST_RECORD_DIR=$T/records VSS_WRITER_SOCKET=$T/run/none.sock
export VSS_WRITER_HOST=${VSS_WRITER_HOST:-$BUILD/libvss/writer-host/host/vss-writer-host}
mkdir -p "$T"/{config,state,run,records,writers,sets,data/logs}
install -m 644 "$BUILD/tests/writers/libvss-test-contract.so" "$T/writers/"
export VSS_WRITER_PATH=$T/writers VSS_TEST_DATA_DIR=$T/data
D=$T/data
printf 'alpha\n' > "$D/a.txt"; touch -d 2001-02-03 "$D/a.txt"
printf '4242\n' > "$D/app.pid"
printf 'before\n' > "$D/logs/current.log"
chmod 0750 "$D"

n=0; failed=0
ok()  { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what" "command: $*" "$(sed 's/^/  /' "$T/out" 2>/dev/null | tail -5)"; fi; }
run() { "$VSS" "$@" > "$T/out" 2>&1; echo $?; }

rc=$(run backup -c contract:data --provider copy --to "$T/sets/nodep")
check "a component without its dependency is refused: exit 2" test "$rc" -eq 2
check "…naming the missing dependency and how to add it" grep -q 'depends on contract:logs, which is not selected.*add --component contract:logs' "$T/out"
check "…before any writer prepared" test ! -e "$T/records/contract.atomic"
check "…and made no set" test ! -e "$T/sets/nodep"

rc=$(run backup -c contract:data -c contract:logs --provider copy --to "$T/sets/one")
check "data with its dependency backs up: exit 0" test "$rc" -eq 0
check "the writer saw a file-by-file snapshot (copy)" grep -qx 'atomic=0' "$T/records/contract.atomic"
M=$T/sets/one/manifest.json
check "the excluded *.pid is not in the set" bash -c "! grep -q 'app.pid' '$M'"
check "logs/current.log is stored once, by the logs component" test "$(grep -o '"path": *"[^"]*/logs/current.log"' "$M" | wc -l)" -eq 1
check "the file provided after the snapshot is in the set" grep -q '/logs/late.log"' "$M"

# Copy once: the copy provider's staged copy of the writer's files is moved
# into the set, not copied a second time.  The staged copy keeps the
# original's mtime (2001 here), a copy into the set would not.
stored_a=$(find "$T/sets/one/files" -path "*$D/a.txt")
check "the data's a.txt is stored (${stored_a:-none})" test -n "$stored_a"
check "…moved from the staged copy: its mtime is the original's ($(date -r "$stored_a" +%Y))" \
  test "$(date -r "$stored_a" +%Y)" = 2001
check "…and nothing staged is left beside the set" test ! -e "$T/sets/.one.vss-staging"

rc=$(run restore --from "$T/sets/one" --to "$T/r1")
check "restore --to: exit 0" test "$rc" -eq 0
check "…puts back the data" grep -qx alpha "$T/r1$D/a.txt"
check "…not the excluded file" test ! -e "$T/r1$D/app.pid"
check "…the post-snapshot content, not the snapshot's" grep -qx after "$T/r1$D/logs/current.log"
check "…and the file written after the snapshot" grep -qx 'written after the snapshot' "$T/r1$D/logs/late.log"
mode() { stat -c %a "$1"; }
check "a directory above, unknown to the set, is 0755 (was $(mode "$T/r1$T"))" test "$(mode "$T/r1$T")" = 755
check "the restored data directory keeps its 0750" test "$(mode "$T/r1$D")" = 750

rc=$(run restore --from "$T/sets/one" -c contract:logs --to "$T/r2")
check "restore of logs alone: exit 0" test "$rc" -eq 0
check "…its parent, known to the set, gets the original mode 0750 (was $(mode "$T/r2$D"))" test "$(mode "$T/r2$D")" = 750
check "…and the data component's files stay out" test ! -e "$T/r2$D/a.txt"

# Two writers own the same directory (the recorder's "data" is the
# contract's tree): neither takes the files from the staged copy, so each
# component holds all of its own.
install -m 644 "$BUILD/tests/writers/libvss-test-recorder.so" "$T/writers/"
printf 'before\n' > "$D/logs/current.log"
rc=$(run backup -c contract -c recorder:data --provider copy --to "$T/sets/shared")
check "two writers over one directory: exit 0" test "$rc" -eq 0
M=$T/sets/shared/manifest.json
check "a.txt is in the set twice, once per writer ($(grep -c "\"$D/a.txt\"" "$M"))" \
  test "$(grep -c "\"$D/a.txt\"" "$M")" -eq 2
rc=$(run restore --from "$T/sets/shared" -c recorder:data --to "$T/r3")
check "the recorder's data restore: exit 0" test "$rc" -eq 0
check "…with a.txt" grep -qx alpha "$T/r3$D/a.txt"
check "…and the logs as the snapshot had them" grep -qx before "$T/r3$D/logs/current.log"
check "…and the set verifies" "$VSS" verify "$T/sets/shared"
rm "$T/writers/libvss-test-recorder.so"

rc=$(VSS_TEST_CONTRACT_EXTRA=/etc/hostname run backup -c contract --provider copy --to "$T/sets/outside")
check "a post-snapshot file outside the component's file sets fails the component: exit 1 or 3" test "$rc" -eq 1 -o "$rc" -eq 3
check "…saying why" grep -q 'in none of the component' "$T/out"

echo "1..$n"
[ "$failed" -eq 0 ]
