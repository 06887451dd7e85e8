#!/usr/bin/env bash
# Restore drill: a WAL-mode SQLite CA store (certificate writer) with a
# process writing, backed up as a log chain (full + log + log) while rows
# go in pairs, one transaction each.  With the application (a sqlite3
# keeping the database open for writing) running:
#   3. --to DIR of the full set and of the newest log set (the chain):
#      allowed, the live store untouched (the database, its -wal, the
#      writer's carry and truncation files), sqlite3 on the copy sees the
#      backup instant;
#   4. --map OLD=NEW: the same;
#   2. in place: refused (exit 1), the refusal printed, nothing written,
#      the application's rows after it kept;
#   5. --json: the refused component named with its reason, exit 3 when
#      another component (a --path) was restored, 1 when none was;
# then with the application stopped:
#   1. in place after the store was deleted (full set) or overwritten
#      (the log chain): the backup instant again, and the chain gives the
#      same data in place as under --to.
# See docs/restore.md.  Usage: drill-sqlite-wal.sh BUILD_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1
. "${0%/*}/drill-lib.sh"

need_programs sqlite3 python3 sha256sum timeout
drill_init wal
install_writer certificate/certificate.so

DB=$T/ca/ca.db
mkdir -p "$T/ca" "$T/other"
echo "as backed up" > "$T/other/note"
printf '[certificate]\ndatabases=%s\n' "$DB" > "$T/config/certificate.conf"
q() { sqlite3 -cmd '.timeout 5000' "${2:-$DB}" "$1"; }

# rows_check WHAT DB LO HI: the copy opens, passes integrity_check, holds
# whole pairs with no id missing, and LO <= count <= HI
rows_check() {
  local what=$1 db=$2 lo=$3 hi=$4 integrity count max
  integrity=$(q "PRAGMA integrity_check" "$db" 2>&1)
  count=$(q "SELECT count(*) FROM certificates" "$db" 2>&1)
  max=$(q "SELECT coalesce(max(id), 0) FROM certificates" "$db" 2>&1)
  if ! [[ "$count" =~ ^[0-9]+$ ]]; then
    nok "$what: sqlite3 reads the certificates table" "integrity: $integrity" "count: $count"; return 1
  fi
  ok "$what: sqlite3 reads the certificates table ($count rows)"
  check "$what: integrity_check ok" test "$integrity" = ok
  check "$what: whole pairs, no id missing ($count rows, max id $max)" test $((count % 2)) -eq 0 -a "$count" = "$max"
  check "$what: the backup instant ($lo <= $count <= $hi)" test "$count" -ge "$lo" -a "$count" -le "$hi"
}
dump() { sqlite3 "$1" .dump 2>/dev/null | sha256sum | cut -c1-64; }

# --- the application: a keeper connection and a writer of pairs -----------
sqlite3 "$DB" "PRAGMA journal_mode=WAL; CREATE TABLE certificates(id INTEGER PRIMARY KEY, subject TEXT, der BLOB);" >/dev/null
keeper_start() {
  rm -f "$T/keeper.in"; mkfifo "$T/keeper.in"
  sqlite3 -cmd '.timeout 5000' -cmd 'PRAGMA wal_autocheckpoint=0' "$DB" < "$T/keeper.in" > "$T/keeper.out" & KEEPER=$!
  PIDS+=("$KEEPER")
  exec 9>"$T/keeper.in"
  echo "SELECT count(*) FROM certificates;" >&9
}
keeper_stop() { exec 9>&-; local i; for i in $(seq 100); do kill -0 "$KEEPER" 2>/dev/null || return 0; sleep 0.05; done; stop_pid "$KEEPER"; }
keeper_start
( i=0
  while [ ! -e "$T/load.stop" ] && [ $i -lt 20000 ] && kill -0 $$ 2>/dev/null; do
    i=$((i + 1))
    echo "BEGIN IMMEDIATE; INSERT INTO certificates(subject, der) VALUES ('CN=a', randomblob(300)), ('CN=b', randomblob(300)); COMMIT;"
    sleep 0.005
  done) | sqlite3 -cmd '.timeout 5000' -cmd 'PRAGMA wal_autocheckpoint=0' "$DB" >/dev/null & LOAD=$!
PIDS+=("$LOAD")
sleep 0.5

LOF=$(q "SELECT count(*) FROM certificates")
vss_backup full -c certificate --path "$T/other"
rc=$?; HIF=$(q "SELECT count(*) FROM certificates")
check "full backup under an insert load (exit 0; $LOF..$HIF rows)" test $rc -eq 0
sleep 0.3
vss_backup log1 -c certificate --type log --base "$T/sets/full"
check "first log backup under load" test $? -eq 0
sleep 0.3
LOL=$(q "SELECT count(*) FROM certificates")
vss_backup log2 -c certificate --type log --base "$T/sets/log1"
rc=$?; HIL=$(q "SELECT count(*) FROM certificates")
check "second log backup under load (exit 0; $LOL..$HIL rows)" test $rc -eq 0
touch "$T/load.stop"; wait "$LOAD" 2>/dev/null
check "the load went on across the backups ($LOF < $HIL)" test "$LOF" -gt 0 -a "$HIL" -gt "$LOF"
for s in full log1 log2; do
  [ -d "$T/sets/$s" ] || { nok "the set $s exists" "no set: the drills below cannot run"; drill_done; exit 1; }
done
echo "changed since" > "$T/other/note"
NOW=$(q "SELECT count(*) FROM certificates")

LIVE=$T/live.sums
# the -shm is SQLite's shared index (every reader writes its marks in
# it), not data: the database, its -wal and the writer's own files are
# compared byte for byte
live_sums() { sums "$T/ca" '-shm$' > "$LIVE"; }
live_same() { same_sums "$1" "$LIVE" "$T/ca" '-shm$'; }
note "live store: $(ls -A "$T/ca" | tr '\n' ' ')"

# --- 3. --to DIR while the application runs ------------------------------
live_sums
vss_run to-full restore --from "$T/sets/full" --component certificate --to "$T/to-full"
check "3. --to of the full set while the store is open: allowed (exit 0, got $RC)" test $RC -eq 0 || note "$(show to-full)"
live_same "3. the live store is unchanged (db, -wal, carry and truncation files)"
rows_check "3. sqlite3 on the --to copy of the full set" "$T/to-full$DB" "$LOF" "$HIF"
vss_run to-chain restore --from "$T/sets/log2" --component certificate --to "$T/to-chain"
check "3. --to of the newest log set (the chain) while the store is open: allowed (exit 0, got $RC)" test $RC -eq 0 || note "$(show to-chain)"
live_same "3. the live store is still unchanged after the chain"
rows_check "3. sqlite3 on the --to copy of the chain" "$T/to-chain$DB" "$LOL" "$HIL"
TO_DUMP=$(dump "$T/to-chain$DB")

# --- 4. --map OLD=NEW while the application runs ---------------------------
vss_run map-full restore --from "$T/sets/full" --component certificate --map "$T/ca=$T/mapped-full"
check "4. --map of the full set while the store is open: allowed (exit 0, got $RC)" test $RC -eq 0 || note "$(show map-full)"
live_same "4. the live store is unchanged"
rows_check "4. sqlite3 on the mapped copy of the full set" "$T/mapped-full/ca.db" "$LOF" "$HIF"
vss_run map-chain restore --from "$T/sets/log2" --component certificate --map "$T/ca=$T/mapped-chain"
check "4. --map of the chain while the store is open: allowed (exit 0, got $RC)" test $RC -eq 0 || note "$(show map-chain)"
live_same "4. the live store is still unchanged after the chain"
rows_check "4. sqlite3 on the mapped copy of the chain" "$T/mapped-chain/ca.db" "$LOL" "$HIL"
check "4. the mapped chain holds the same data as the --to chain (dump)" test "$(dump "$T/mapped-chain/ca.db")" = "$TO_DUMP"

# --- 2. in place while the application runs: refused -----------------------
vss_run inplace-running restore --from "$T/sets/full" --component certificate
check "2. in place (full set) while the store is open: refused (exit 1, got $RC)" test $RC -eq 1
if said inplace-running "is open for writing by"; then ok "2. the certificate writer's refusal is printed"
else nok "2. the certificate writer's refusal is printed" "$(show inplace-running)"; fi
check "2. the refused component is not reported restored" bash -c "! grep -q '^restored certificate' '$T/out/inplace-running.out'"
live_same "2. the live store is unchanged"
vss_run inplace-running-chain restore --from "$T/sets/log2" --component certificate
check "2. in place (the chain) while the store is open: refused (exit 1, got $RC)" test $RC -eq 1
live_same "2. the live store is unchanged after the chain's attempt"
echo "BEGIN IMMEDIATE; INSERT INTO certificates(subject, der) VALUES ('CN=after', randomblob(300)), ('CN=after', randomblob(300)); COMMIT;" >&9

# --- 5. exit codes and the JSON summary ----------------------------------
live_sums
vss_run json-all --json restore --from "$T/sets/full"
J=$T/out/json-all.out
check "5. whole set while the store is open: --path restored, database refused: partial (exit 3, got $RC)" test $RC -eq 3
check "5. JSON: the database component is ok=false" json_true "$J" "len(comp('/sqlite/')) == 1 and comp('/sqlite/')[0]['ok'] is False"
check "5. JSON: its message is the writer's refusal" json_true "$J" "'is open for writing by' in comp('/sqlite/')[0].get('message', '')"
check "5. JSON: the --path component is ok=true" json_true "$J" "len(comp('path:')) == 1 and comp('path:')[0]['ok'] is True"
check "5. JSON: summary partial, 1 restored, 1 failed, exit_code 3" json_true "$J" \
  "summary.get('status') == 'partial' and summary.get('components_restored') == 1 and summary.get('components_failed') == 1 and summary.get('exit_code') == 3"
check "5. the --path data was restored" grep -q "as backed up" "$T/other/note"
json_refused "5. whole set" "$J" /sqlite/ "is open for writing by"
live_same "5. the live store is unchanged"
vss_run json-cert --json restore --from "$T/sets/log2" --component certificate
J=$T/out/json-cert.out
check "5. the chain, only the database, while the store is open: failed (exit 1, got $RC)" test $RC -eq 1
check "5. JSON: summary failed, 0 restored, exit_code 1" json_true "$J" \
  "summary.get('status') == 'failed' and summary.get('components_restored') == 0 and summary.get('exit_code') == 1"
check "5. JSON: no component line says ok=true" json_true "$J" "all(not c['ok'] for c in comp(''))"
json_refused "5. the chain, only the database" "$J" /sqlite/ "is open for writing by"
live_same "5. the live store is still unchanged"

keeper_stop
after=$(q "SELECT count(*) FROM certificates")
check "2. the application's rows after the refused restores are kept ($NOW + 2 = $after)" test "$after" -eq $((NOW + 2))
check "2. the live store still passes integrity_check" test "$(q 'PRAGMA integrity_check')" = ok

# --- 1. in place, the application stopped --------------------------------
rm -f "$DB" "$DB-wal" "$DB-shm"
echo "changed since" > "$T/other/note"
vss_run inplace-full restore --from "$T/sets/full"
check "1. in place, store deleted, full set: restored (exit 0, got $RC)" test $RC -eq 0 || note "$(show inplace-full)"
check "1. the --path data was restored too" grep -q "as backed up" "$T/other/note"
rows_check "1. sqlite3 on the restored full set" "$DB" "$LOF" "$HIF"
q "BEGIN IMMEDIATE; INSERT INTO certificates(subject, der) VALUES ('CN=x', randomblob(300)), ('CN=y', randomblob(300)); COMMIT;" >/dev/null
check "1. the application writes to the restored store" test $? -eq 0
dd if=/dev/urandom of="$DB" bs=1024 count=8 seek=1 conv=notrunc status=none
check "1. the overwritten store fails integrity_check" test "$(q 'PRAGMA integrity_check' 2>&1)" != ok
vss_run inplace-chain restore --from "$T/sets/log2" --component certificate
check "1. in place, store overwritten, the chain: restored (exit 0, got $RC)" test $RC -eq 0 || note "$(show inplace-chain)"
rows_check "1. sqlite3 on the chain restored in place" "$DB" "$LOL" "$HIL"
check "1. the chain in place holds the same data as the --to chain (dump)" test "$(dump "$DB")" = "$TO_DUMP"
check "1. no WAL left over after the chain" bash -c "[ ! -s '$DB-wal' ]"
q "BEGIN IMMEDIATE; INSERT INTO certificates(subject, der) VALUES ('CN=x', randomblob(300)), ('CN=y', randomblob(300)); COMMIT;" >/dev/null
check "1. the application writes to the restored chain" test $? -eq 0

drill_done
