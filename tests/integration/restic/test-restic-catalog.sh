#!/usr/bin/env bash
# The catalog and retention, native and restic: `vss sets` lists both
# kinds; `vss ls`, `vss restore --include` and `vss mount` show a
# three-set chain's right file versions; `vss forget` keeps what it
# should (a kept incremental keeps its bases, no incremental is left
# without its base; restic: only vss snapshots, --dry-run removes
# nothing, --prune runs).
# Usage: test-restic-catalog.sh BUILD_ROOT.  Prints TAP.
BUILD=$1
. "$(dirname "$0")/lib.sh" || exit 1
SETS=$T/sets
rm "$T/config/certificate.conf"   # a --path tree only: no writer takes part
mkdir -p "$SETS" "$WWW/sub"

# --- a three-set chain of a --path tree: each version of a changes
echo v1 > "$WWW/a"; echo v1 > "$WWW/sub/b"; echo kept > "$WWW/c"
native() { "$VSS" backup --path "$WWW" --to "$SETS/$1" "${@:2}" > "$T/out/$1.out" 2>&1 || show "$T/out/$1.out"; }
native s1
echo v2 > "$WWW/a"; rm "$WWW/sub/b"
native s2 --type incremental --base "$SETS/s1"
echo v3 > "$WWW/a"; echo new > "$WWW/d"
native s3 --type incremental --base "$SETS/s2"
check "the chain was made" test -d "$SETS/s3"

"$VSS" --json sets "$SETS" > "$T/out/sets.json"; rc=$?
check "vss sets DIR lists the three, oldest first, with their bases" json "$T/out/sets.json" \
  "[e['name'] for e in events if e['type']=='set'] == ['s1','s2','s3'] and [e.get('base') for e in events if e['type']=='set'] == [None,'s1','s2']"
check "each set names its component" json "$T/out/sets.json" \
  "all(e['components'] == ['path:$WWW'] for e in events if e['type']=='set')"

"$VSS" --json ls "$SETS/s2" > "$T/out/ls2.json"
check "vss ls of the middle set: a in its second version, b deleted, c from the base" json "$T/out/ls2.json" \
  "sorted(e['path'] for e in events if e['type']=='entry' and e['kind']=='file') == ['$WWW/a','$WWW/c'] and [e['size'] for e in events if e.get('path')=='$WWW/a'] == [3]"
"$VSS" ls "$SETS/s3" "$WWW/sub" > "$T/out/ls3.out"
check "vss ls SET PATH lists only PATH and below" test "$(wc -l < "$T/out/ls3.out")" = 1

"$VSS" restore --from "$SETS/s2" --include "$WWW/a" --include "$WWW/c" --to "$T/files" > "$T/out/inc.out" 2>&1; rc=$?
check "restore --include to --to (exit 0, got $rc)" test $rc -eq 0 || show "$T/out/inc.out"
check "--include gives the second version of a" test "$(cat "$T/files$WWW/a")" = v2
check "--include gives c from the chain's base" test "$(cat "$T/files$WWW/c")" = kept
check "--include restored nothing it was not asked for" test ! -e "$T/files$WWW/d"
"$VSS" restore --from "$SETS/s2" --include "$WWW/a" > "$T/out/inc-inplace.out" 2>&1; rc=$?
check "--include in place is refused (exit 2, got $rc)" test $rc -eq 2

if [ -e /dev/fuse ] && command -v fusermount3 >/dev/null; then
  mkdir -p "$T/mnt"
  "$VSS" mount "$SETS/s3" "$T/mnt" > "$T/out/mount.out" 2>&1 & MPID=$!
  PIDS+=("$MPID")
  for i in $(seq 50); do [ -e "$T/mnt$WWW/a" ] && break; sleep 0.1; done
  check "vss mount shows the newest set's a (v3)" test "$(cat "$T/mnt$WWW/a" 2>&1)" = v3
  check "and d, new in it, and c from the base" bash -c "[ \"\$(cat '$T/mnt$WWW/d')\" = new ] && [ \"\$(cat '$T/mnt$WWW/c')\" = kept ]"
  check "and not b, deleted before it" test ! -e "$T/mnt$WWW/sub/b"
  check "the mount is read-only" bash -c "! echo x 2>/dev/null > '$T/mnt$WWW/a'"
  fusermount3 -u "$T/mnt"
  for i in $(seq 50); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.1; done
  check "vss mount ends when unmounted" bash -c "! kill -0 $MPID 2>/dev/null"
else
  echo "# no /dev/fuse or fusermount3: vss mount not tried"
fi

# --- native retention: a second chain after the first
native f2
native i2 --type incremental --base "$SETS/f2"
"$VSS" forget --keep-last 2 --dry-run "$SETS" > "$T/out/forget-dry.out" 2>&1
check "forget --dry-run removes nothing" test "$(ls "$SETS" | wc -l)" = 5
"$VSS" --json forget --keep-last 1 "$SETS" > "$T/out/forget.json" 2>&1; rc=$?
check "forget --keep-last 1 (exit 0, got $rc)" test $rc -eq 0 || show "$T/out/forget.json"
check "the newest set is kept, and its base with it" bash -c "[ -d '$SETS/i2' ] && [ -d '$SETS/f2' ]"
check "the older chain went whole (no incremental left without its base)" \
  bash -c "[ ! -e '$SETS/s1' ] && [ ! -e '$SETS/s2' ] && [ ! -e '$SETS/s3' ]"
check "the kept incremental still restores" bash -c "\"$VSS\" verify \"$SETS/i2\" > /dev/null"
"$VSS" forget "$SETS" > /dev/null 2>&1; rc=$?
check "forget without a --keep rule is a usage error (exit 2, got $rc)" test $rc -eq 2

# --- restic: three vss snapshots and one that is not vss's
mkdir -p "$T/config/jobs"   # a job file with repo= (the timer's way)
printf '[job]\nrepo=restic:%s\npaths=%s\n' "$REPO" "$WWW" > "$T/config/jobs/nightly.conf"
for i in 1 2 3; do
  echo "r$i" > "$WWW/a"
  "$VSS" backup --job nightly > "$T/out/r$i.out" 2>&1 || show "$T/out/r$i.out"
done
restic -r "$REPO" backup -q "$T/config" > /dev/null
"$VSS" --json sets --repo "restic:$REPO" > "$T/out/rsets.json"
check "vss sets --repo lists the three vss snapshots with host, type and components" json "$T/out/rsets.json" \
  "len([e for e in events if e['type']=='set']) == 3 and all(e['backup_type']=='full' and e['host'] and e['components']==['path:$WWW'] for e in events if e['type']=='set')"
"$VSS" ls "restic:$REPO" "$WWW/a" > "$T/out/rls.out"
check "vss ls restic:REPO PATH lists the newest snapshot's file" grep -qx "$WWW/a" "$T/out/rls.out"
"$VSS" forget --keep-last 1 --dry-run --repo "restic:$REPO" > /dev/null 2>&1
check "restic forget --dry-run removes nothing (4 snapshots)" test "$(restic -r "$REPO" snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 4
"$VSS" forget --keep-last 1 --prune --repo "restic:$REPO" > "$T/out/rforget.out" 2>&1; rc=$?
check "forget --keep-last 1 --prune --repo (exit 0, got $rc)" test $rc -eq 0 || show "$T/out/rforget.out"
restic -r "$REPO" snapshots --json > "$T/out/rsnaps.json"
check "one vss snapshot is left, and the snapshot that is not vss's" python3 -c "
import json,sys
s=json.load(open('$T/out/rsnaps.json'))
vss=[x for x in s if 'vss' in (x.get('tags') or [])]
sys.exit(0 if len(vss)==1 and len(s)==2 else 1)"
"$VSS" restore --from "restic:$REPO" --include "$WWW/a" --to "$T/rfiles" > "$T/out/rinc.out" 2>&1
check "--include from restic gives the kept (newest) a" test "$(cat "$T/rfiles$WWW/a" 2>&1)" = r3
finish
