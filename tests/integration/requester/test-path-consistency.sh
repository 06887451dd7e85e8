#!/usr/bin/env bash
# vss backup --path-consistency: a --path tree no writer owns is copied
# after the writers thawed (after-thaw, the default), inside their freeze
# (freeze), or read live with no snapshot (crash); the set's manifest says
# which, the BCD says each snapshot's window, and every set verifies.  A
# --path holding a writer's files stays in the freeze whatever is asked.
# Usage: test-path-consistency.sh BUILD_ROOT SOURCE_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1
VSS=$BUILD/requester/vss
SRC=$2

T=$(mktemp -d /tmp/vss-consistency-XXXXXX)
trap 'rm -rf "$T"' EXIT
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
export VSS_TEST_RECORD_DIR=$T/records
mkdir -p "$T"/{config,state,run,records,writers,sets,app/data,tree/sub}
printf 'alpha\n' > "$T/app/data/a.txt"
printf 'tree\n' > "$T/tree/t.txt"; printf 'sub\n' > "$T/tree/sub/s.txt"
export VSS_TEST_DATA_DIR=$T/app/data
install -m 644 "$BUILD/tests/writers/libvss-test-recorder.so" "$T/writers/"
export VSS_WRITER_PATH=$T/writers

n=0; failed=0
ok()  { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
expect() { local what=$1; shift; if "$@" > "$T/expect.out" 2>&1; then ok "$what"; else nok "$what" "command: $*"; fi; }

# manifest_consistency SET COMPONENT: the value the manifest records
manifest_consistency() {
  PYTHONPATH=$SRC/tests/integration python3 - "$1/manifest.json" "$2" <<'PY'
import sys, vss_manifest
head = vss_manifest.load(sys.argv[1])
print(head.get('consistency', {}).get(sys.argv[2], 'none'))
PY
}
windows() { grep -o '"window": "[a-z-]*"' "$1/bcd.json" | sed 's/.*: //; s/"//g' | sort | tr '\n' ' '; }

backup() {  # backup NAME ARGS…
  local name=$1; shift
  "$VSS" backup --provider copy --to "$T/sets/$name" "$@" > "$T/out" 2>&1
  local rc=$?
  if [ "$rc" -eq 0 ]; then ok "$name: exit 0"; else nok "$name: exit 0" "got $rc" "$(sed 's/^/  /' "$T/out")"; fi
}

for mode in after-thaw freeze crash; do
  backup "$mode" --path "$T/tree" --path-consistency "$mode"
  got=$(manifest_consistency "$T/sets/$mode" "path:$T/tree")
  expect "$mode: the manifest records \"$mode\" (got $got)" test "$got" = "$mode"
  expect "$mode: the set verifies" "$VSS" verify "$T/sets/$mode"
done
expect "after-thaw: the tree's snapshot was taken after the thaw" \
  test "$(windows "$T/sets/after-thaw")" = "after-thaw freeze "
expect "freeze: both snapshots in the freeze" test "$(windows "$T/sets/freeze")" = "freeze freeze "
expect "crash: no snapshot of the tree, only the writer's" test "$(windows "$T/sets/crash")" = "freeze "

backup default --path "$T/tree"
expect "the default is after-thaw" test "$(manifest_consistency "$T/sets/default" "path:$T/tree")" = after-thaw

# A --path that holds the writer's data is frozen with it.
backup owned --path "$T/app" --path-consistency crash
expect "a --path holding a writer's files stays in the freeze" \
  test "$(manifest_consistency "$T/sets/owned" "path:$T/app")" = freeze
expect "…in one snapshot taken in the freeze" test "$(windows "$T/sets/owned")" = "freeze "

"$VSS" backup --to "$T/sets/bad" --path "$T/tree" --path-consistency sometimes > "$T/out" 2>&1
rc=$?
expect "an unknown --path-consistency is bad usage (exit $rc)" test "$rc" -eq 2
expect "…naming the values" grep -q 'freeze, after-thaw or crash' "$T/out"

# Copies of the data are made beside the set, moved into it, and gone after.
"$VSS" --json backup --provider copy --to "$T/sets/staged" --path "$T/tree" > "$T/staged.json" 2>&1
rc=$?
expect "staged: exit 0 (was $rc)" test "$rc" -eq 0
staged_path=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    try: e = json.loads(line)
    except ValueError: continue
    if e.get("type") == "snapshot" and e.get("original_path") == sys.argv[2]: print(e["snapshot_path"])
' "$T/staged.json" "$T/tree")
expect "staged: the tree's copy was made beside the set (${staged_path:-none})" \
  test "${staged_path#"$T/sets/.staged.vss-staging/"}" != "$staged_path"
expect "…and nothing of it is left there" test ! -e "$T/sets/.staged.vss-staging"
expect "…nor in the state directory" test -z "$(ls -A "$T/state/snapshots" 2>/dev/null)"
expect "…and the set verifies" "$VSS" verify "$T/sets/staged"

echo "1..$n"
exit $((failed > 0))
