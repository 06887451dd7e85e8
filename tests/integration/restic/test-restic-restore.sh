#!/usr/bin/env bash
# `vss restore --from restic:REPO[:SNAPSHOT]` with the real restic: the
# writer's refusal is honoured as in a native restore (the CA store open
# by its application: refused, not a byte of it written, the --path tree
# restored, exit 3), and with the application stopped the store comes
# back whole, from the newest snapshot or a named older one.
# Usage: test-restic-restore.sh BUILD_ROOT.  Prints TAP.
BUILD=$1
. "$(dirname "$0")/lib.sh" || exit 1

echo "as backed up" > "$WWW/note"
ca_start
ca_insert 10
backup() { "$VSS" --json backup -c certificate --path "$WWW" --repo "restic:$REPO" > "$T/out/$1.json" 2> "$T/out/$1.err"; }
snapshot_of() { python3 -c "import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if '\"summary\"' in l][-1]['restic_snapshot'])" "$T/out/$1.json"; }
backup b1; check "first backup (20 rows)" test $? -eq 0
ca_insert 5
backup b2; check "second backup (30 rows)" test $? -eq 0
snap1=$(snapshot_of b1)

# --- the application runs: refused, nothing written
ca_insert 3                       # 36 rows: after every backup
echo "changed since" > "$WWW/note"
sum_before=$(sha256sum "$DB" "$DB-wal" | sha256sum)
"$VSS" --json restore --from "restic:$REPO" > "$T/out/r1.json" 2> "$T/out/r1.err"; rc=$?
check "while the CA runs: partial (exit 3, got $rc)" test $rc -eq 3 || show "$T/out/r1.err"
check "the certificate component is reported refused with the writer's reason" \
  json "$T/out/r1.json" "summary['components_refused'] == 1 and 'open for writing' in summary['refused'][0]['message']"
check "not a byte of the store was written" test "$(sha256sum "$DB" "$DB-wal" | sha256sum)" = "$sum_before"
check "the application's rows after the backups are kept (36)" test "$(q 'SELECT count(*) FROM certificates')" = 36
check "the --path tree was restored" grep -q "as backed up" "$WWW/note"
check "the staging directory was removed" bash -c "[ -z \"\$(ls -A '$T/state/staging' 2>/dev/null)\" ]"

# --- the application stopped, the store lost: the newest snapshot
ca_stop
rm -f "$DB" "$DB-wal" "$DB-shm"
"$VSS" --json restore --from "restic:$REPO" > "$T/out/r2.json" 2> "$T/out/r2.err"; rc=$?
check "with the CA stopped: restored (exit 0, got $rc)" test $rc -eq 0 || show "$T/out/r2.err"
check "integrity_check ok" test "$(q 'PRAGMA integrity_check')" = ok
check "the newest backup's rows (30)" test "$(q 'SELECT count(*) FROM certificates')" = 30

# --- a named older snapshot
rm -f "$DB" "$DB-wal" "$DB-shm"
"$VSS" restore --from "restic:$REPO:$snap1" > "$T/out/r3.out" 2>&1; rc=$?
check "restic:REPO:SNAPSHOT restores that snapshot (exit 0, got $rc)" test $rc -eq 0 || show "$T/out/r3.out"
check "the first backup's rows (20)" test "$(q 'SELECT count(*) FROM certificates')" = 20

# --- --to: an alternate location, the live store untouched
"$VSS" restore --from "restic:$REPO" --to "$T/alt" > "$T/out/r4.out" 2>&1; rc=$?
check "--to DIR from restic (exit 0, got $rc)" test $rc -eq 0 || show "$T/out/r4.out"
check "the copy under --to has the newest rows (30)" \
  test "$(sqlite3 "$T/alt$DB" 'SELECT count(*) FROM certificates')" = 30
check "the live store is untouched (20)" test "$(q 'SELECT count(*) FROM certificates')" = 20

"$VSS" restore --from "restic:$REPO:deadbeef" > "$T/out/r5.out" 2>&1; rc=$?
check "an unknown snapshot is a usage error (exit 2, got $rc)" test $rc -eq 2
finish
