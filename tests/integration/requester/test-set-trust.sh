#!/usr/bin/env bash
# A backup set is untrusted input, seen from the `vss` command line:
# `vss verify` exits 1, naming the problem, for every set a restore could
# not use (a base moved away, replaced or looping, a partial set, a set
# without manifest or without component, a path edited outside its file
# set, a size that does not match the stored file); a hostile size ends
# at once; a restore killed with kill -9 mid-write leaves no half-written
# file under a final name, and running it again completes and removes
# its temp file.  Usage: test-set-trust.sh BUILD_ROOT SOURCE_ROOT.  TAP.
set -uo pipefail
BUILD=$1
VSS=$BUILD/requester/vss

T=$(mktemp -d /tmp/vss-trust-XXXXXX)
trap 'rm -rf "$T"' EXIT
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
export VSS_TEST_RECORD_DIR=$T/records VSS_WRITER_PATH=$T/no-writers
mkdir -p "$T"/{config,state,run,records,no-writers,sets,other}

n=0; failed=0
ok()   { n=$((n + 1)); echo "ok $n - $1"; }
nok()  { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what" "command: $*"; fi; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# verify_fails NAME SET PATTERN: vss verify SET exits 1 and says PATTERN
verify_fails() {
  "$VSS" verify "$2" > "$T/verify.out" 2>&1; local rc=$?
  if [ $rc -eq 1 ] && grep -q -- "$3" "$T/verify.out"; then ok "$1"
  else nok "$1" "exit $rc, expected 1 and \"$3\"" "$(head -5 "$T/verify.out")"; fi
}
export PYTHONPATH=$2/tests/integration   # vss_manifest.py
manifest_edit() {  # manifest_edit SET PYTHON-STATEMENTS (on m, the manifest)
  python3 -c "
import sys, vss_manifest
p=sys.argv[1]+'/manifest.json'; m=vss_manifest.load(p)
$2
vss_manifest.dump(m, p)" "$1"
}
set_id() { python3 -c "import sys, vss_manifest; print(vss_manifest.load(sys.argv[1]+'/manifest.json')['set_id'])" "$1"; }

DATA=$T/data
mkdir -p "$DATA/sub"
printf 'alpha\n' > "$DATA/a.txt"; printf 'beta\n' > "$DATA/sub/b.txt"
ln "$DATA/a.txt" "$DATA/sub/a-link"

"$VSS" backup --to "$T/sets/full" --path "$DATA" >/dev/null 2>&1
check "a full backup succeeds" test -f "$T/sets/full/manifest.json"
printf 'alpha 2\n' > "$DATA/a.txt"
"$VSS" backup --type incremental --base "$T/sets/full" --to "$T/sets/incr" --path "$DATA" >/dev/null 2>&1
check "an incremental backup succeeds" test -f "$T/sets/incr/manifest.json"
"$VSS" verify "$T/sets/incr" >/dev/null 2>&1
check "verify of a complete chain exits 0" test $? -eq 0
full_id=$(set_id "$T/sets/full")

# --- the chain
mv "$T/sets/full" "$T/other/full"
verify_fails "an incremental whose base was moved away fails, naming the base" "$T/sets/incr" "$full_id"
mv "$T/other/full" "$T/sets/full"

cp -a "$T/sets/full" "$T/other/full-orig"
"$VSS" backup --to "$T/other/impostor" --path "$DATA" >/dev/null 2>&1
imp_id=$(set_id "$T/other/impostor")
rm -rf "$T/sets/full"; mv "$T/other/impostor" "$T/sets/full"
manifest_edit "$T/sets/full" "m['set_id']='$full_id'"
verify_fails "an incremental whose base was replaced by another set fails" "$T/sets/incr" "replaced"
"$VSS" restore --from "$T/sets/incr" --to "$T/restore-impostor" >/dev/null 2>&1; rc=$?
check "…and restore refuses it, writing nothing" bash -c "[ $rc -ne 0 ] && [ ! -e '$T/restore-impostor$DATA' ]"
rm -rf "$T/sets/full"; cp -a "$T/other/full-orig" "$T/sets/full"

cp -a "$T/sets" "$T/loop"
incr_id=$(set_id "$T/loop/incr")
manifest_edit "$T/loop/full" "m['base_id']='$incr_id'; m['backup_type']='incremental'"
verify_fails "a chain that loops fails" "$T/loop/incr" "loops"

# --- incomplete sets
cp -a "$T/sets/full" "$T/other/half.partial"
verify_fails "a DIR.partial set fails" "$T/other/half.partial" "incomplete"
cp -a "$T/sets/full" "$T/other/nomanifest"; rm "$T/other/nomanifest/manifest.json"
verify_fails "a set without manifest.json fails" "$T/other/nomanifest" "no manifest.json"
cp -a "$T/sets/full" "$T/other/empty"; rm -rf "$T/other/empty/files"; mkdir "$T/other/empty/files"
manifest_edit "$T/other/empty" "m['components']=[]; m['entries']=[]; m.pop('consistency', None)"
verify_fails "a set with no component fails" "$T/other/empty" "no component"

# --- entries a restore refuses
cp -a "$T/sets/full" "$T/other/outside"
manifest_edit "$T/other/outside" "
for e in m['entries']:
    if e['path'].endswith('/a.txt'): e['path']='$T/victim/a.txt'"
verify_fails "a path edited outside its component's file set fails verify" "$T/other/outside" "file sets"
mkdir -p "$T/victim"
"$VSS" restore --from "$T/other/outside" >/dev/null 2>&1; rc=$?
check "…and an in-place restore refuses it (exit 1), writing nothing there" bash -c "[ $rc -eq 1 ] && [ ! -e '$T/victim/a.txt' ]"

cp -a "$T/sets/full" "$T/other/huge"
manifest_edit "$T/other/huge" "
for e in m['entries']:
    if e['path'].endswith('/sub/b.txt'): e['size']=2**62"
start=$(date +%s%N)
verify_fails "a size of 2^62 over a 5-byte stored file fails verify" "$T/other/huge" "the manifest says 4611686018427387904"
"$VSS" restore --from "$T/other/huge" --to "$T/restore-huge" > "$T/huge.out" 2>&1; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# verify + restore of the 2^62-byte claim took $ms ms"
check "…and restore fails at once (exit 1 in ${ms} ms), naming the entry" bash -c "[ $rc -eq 1 ] && [ $ms -lt 5000 ] && grep -q sub/b.txt '$T/huge.out'"

# --- kill -9 during a restore, then run it again
BIG=$T/bigdata
mkdir -p "$BIG"
head -c $((384 * 1024 * 1024)) /dev/urandom > "$BIG/big.bin"
"$VSS" backup --to "$T/sets/big" --path "$BIG" >/dev/null 2>&1
check "a backup of a 384 MiB file succeeds" test -f "$T/sets/big/manifest.json"
ROOT=$T/kill-root
mkdir -p "$ROOT$BIG"
printf 'old contents\n' > "$ROOT$BIG/big.bin"
"$VSS" restore --from "$T/sets/big" --to "$ROOT" >/dev/null 2>&1 &
pid=$!
caught=0
for _ in $(seq 3000); do
  tmp=$(find "$ROOT$BIG" -maxdepth 1 -name '.big.bin.vss-*' -size +1M 2>/dev/null | head -1)
  if [ -n "$tmp" ]; then kill -9 $pid; caught=1; break; fi
  kill -0 $pid 2>/dev/null || break
  sleep 0.01
done
wait $pid 2>/dev/null
if [ $caught -eq 1 ]; then
  check "a restore killed with -9 mid-write leaves the final name as it was" grep -qx 'old contents' "$ROOT$BIG/big.bin"
  check "…and its temp file beside it" bash -c "ls -a '$ROOT$BIG' | grep -q '^\.big\.bin\.vss-'"
  "$VSS" restore --from "$T/sets/big" --to "$ROOT" >/dev/null 2>&1; rc=$?
  check "running the same restore again completes (exit 0)" test $rc -eq 0
  check "…with the file complete" cmp -s "$BIG/big.bin" "$ROOT$BIG/big.bin"
  check "…and no temp file left" bash -c "! ls -a '$ROOT$BIG' | grep -q 'vss-'"
else
  skip "kill -9 during a restore" "the restore finished before its temp file could be seen"
fi

echo "1..$n"
[ $failed -eq 0 ]
