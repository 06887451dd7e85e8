#!/usr/bin/env bash
# A WAL-mode CA database backed up with `vss` as a user would: a full
# backup and two log backups while another process keeps inserting, the
# database lost, then `vss restore` of the newest log set, which restores
# the chain set by set.  Also: a broken chain and a damaged set stop the
# restore before it claims a state it does not have.
# Usage: test-certificate-chain.sh BUILD_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1
VSS=$BUILD/requester/vss

if ! command -v sqlite3 >/dev/null; then
  echo "1..0 # SKIP needs the sqlite3 shell: install it (scripts/deps does)"
  exit 0
fi

T=$(mktemp -d /tmp/vss-cert-chain-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
mkdir -p "$T"/{config,state,run,writers,sets,ca}
install -m 644 "$BUILD"/writers/certificate/certificate.so "$BUILD"/tests/writers/libvss-test-hang.so "$T/writers/"
export VSS_WRITER_PATH=$T/writers
DB=$T/ca/ca.db
printf '[certificate]\ndatabases=%s\n' "$DB" > "$T/config/certificate.conf"

n=0; failed=0
ok()   { n=$((n + 1)); echo "ok $n - $1"; }
nok()  { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what" "command: $*"; fi; }
q() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }

# The CA keeps the database open (so the WAL lives on between writes)
# and nothing checkpoints but the writer's own truncation.
sqlite3 "$DB" "PRAGMA journal_mode=WAL; CREATE TABLE certificates(id INTEGER PRIMARY KEY, subject TEXT, der BLOB);" >/dev/null
mkfifo "$T/keeper.in"
sqlite3 -cmd 'PRAGMA wal_autocheckpoint=0' "$DB" < "$T/keeper.in" >/dev/null & PIDS+=($!)
exec 9>"$T/keeper.in"
echo "SELECT count(*) FROM certificates;" >&9

# Rows go in pairs, one transaction each: a consistent copy has an even
# count and no gap in the ids.
(while [ ! -e "$T/stop" ] && kill -0 $$ 2>/dev/null; do
   echo "BEGIN IMMEDIATE; INSERT INTO certificates(subject, der) VALUES ('CN=a', randomblob(300)), ('CN=b', randomblob(300)); COMMIT;"
   sleep 0.005
 done) | sqlite3 -cmd '.timeout 5000' -cmd 'PRAGMA wal_autocheckpoint=0' "$DB" >/dev/null & LOAD=$!
PIDS+=($LOAD)
sleep 0.5

backup() {  # backup NAME TYPE [BASE [EXTRA ARGS…]]; a retryable failure (the lock was busy) is retried
  local base=() rc try name=$1 type=$2
  [ -n "${3:-}" ] && base=(--base "$T/sets/$3")
  shift 3 2>/dev/null || shift $#
  for try in 1 2 3; do
    rm -rf "$T/sets/$name"
    "$VSS" backup -c certificate --type "$type" "${base[@]}" "$@" --to "$T/sets/$name" > "$T/$name.out" 2>&1
    rc=$?
    [ $rc -eq 0 ] && return 0
    sed 's/^/# /' "$T/$name.out"
    grep -q "try again" "$T/$name.out" || return $rc
  done
  return $rc
}
# the full backup also holds a plain directory, which the log sets do not;
# a test writer holds it 0.4 s after the snapshot (post_snapshot), so the
# load writes frames that no backup has when the WAL is truncated
mkdir -p "$T/other"; echo "as backed up" > "$T/other/note"
VSS_TEST_HANG_EVENT=post_snapshot VSS_TEST_HANG_MS=400 backup full full "" --path "$T/other" -c hang
check "full backup under load" test $? -eq 0
carry=$(find "$T/ca" -name '.ca.db.vss-carry-wal')
check "the frames written after the snapshot were carried over at the truncation" test -s "$carry"
sleep 0.3
# its truncation waits 0.1 s between the lock and the checkpoint: rows
# committed in that gap are in no backup and must be kept for the next
VSS_CERT_TRUNCATE_DELAY_MS=100 G_MESSAGES_DEBUG=all backup log1 log full
check "first log backup under load" test $? -eq 0
check "the frames committed during its truncation were kept" grep -q "frames committed while the log was truncated" "$T/log1.out"
sleep 0.3
before=$(q "SELECT count(*) FROM certificates")
backup log2 log log1;      check "second log backup under load" test $? -eq 0
after=$(q "SELECT count(*) FROM certificates")
touch "$T/stop"; wait "$LOAD"
exec 9>&-
wait
PIDS=()
check "a log set holds the WAL only" bash -c "! find '$T/sets/log2/files' -name ca.db | grep -q . && find '$T/sets/log2/files' -name ca.db-wal | grep -q ."
check "the first log set holds the carried frames" bash -c "find '$T/sets/log1/files' -name .ca.db.vss-carry-wal | grep -q ."
stamp() {  # the WAL generation a set's stamp names (its salts change at every reset)
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print([c['backup_stamp'] for w in d['writers'] for c in w['components'] if c.get('backup_stamp','').startswith('sqlite-wal')][0].split()[2])" "$T/sets/$1/bcd.json"
}
check "each successful backup truncated the log under load ($(stamp full) -> $(stamp log1) -> $(stamp log2))" \
  bash -c "[ '$(stamp full)' != '$(stamp log1)' ] && [ '$(stamp log1)' != '$(stamp log2)' ]"

# --- the database is lost; the newest log set brings the chain back
rm -f "$DB" "$DB-wal" "$DB-shm"
echo "changed since" > "$T/other/note"
"$VSS" restore --json --from "$T/sets/log2" > "$T/restore.json" 2> "$T/restore.err"; rc=$?
check "restore of the newest log set succeeds (exit 0)" test $rc -eq 0
check "it restored the chain: three sets, oldest first" \
  bash -c "python3 -c \"
import json,sys
events=[json.loads(l) for l in open('$T/restore.json')]
summary=[e for e in events if e.get('type')=='summary'][-1]
sys.exit(0 if summary['sets']==3 and summary['exit_code']==0 else 1)\""
integrity=$(q "PRAGMA integrity_check")
check "the restored database passes integrity_check" test "$integrity" = ok
count=$(q "SELECT count(*) FROM certificates")
max_id=$(q "SELECT coalesce(max(id), 0) FROM certificates")
check "no half transaction ($count rows)" test $((count % 2)) -eq 0
check "no row missing ($count rows, max id $max_id)" test "$count" -eq "$max_id"
check "the state of the second log backup ($before <= $count <= $after)" \
  bash -c "[ $count -ge $before ] && [ $count -le $after ] && [ $count -gt 0 ]"
check "the restored WAL was applied (no WAL left over)" bash -c "[ ! -s '$DB-wal' ]"
check "what only the full set holds is not restored with the log set" grep -q "changed since" "$T/other/note"

# --- after a restore the log chain starts again: a log backup is refused
backup log3 log log2; rc=$?
check "a log backup on the restored database asks for a full backup" \
  bash -c "[ $rc -ne 0 ] && grep -q 'take a full backup' '$T/log3.out'"

# --- a damaged set in the middle stops the restore; it claims nothing
cp "$DB" "$T/db.before"
wal=$(find "$T/sets/log1/files" -name ca.db-wal)
printf 'X' | dd of="$wal" bs=1 seek=100 conv=notrunc status=none
"$VSS" restore --from "$T/sets/log2" > "$T/damaged.out" 2>&1; rc=$?
check "a damaged log set in the chain fails the restore (exit 1)" test $rc -eq 1
check "it says the later sets were not applied" grep -q "later sets of the chain were not applied" "$T/damaged.out"
check "it names the damaged file" grep -q "ca.db-wal" "$T/damaged.out"

# --- a missing set of the chain: refused before anything is written
mv "$T/sets/log1" "$T/log1-away"
cp "$T/db.before" "$DB"; sum=$(sha256sum < "$DB")
"$VSS" restore --from "$T/sets/log2" > "$T/missing.out" 2>&1; rc=$?
check "a chain with a set missing is refused (exit 1)" test $rc -eq 1
check "it names the missing set" grep -q "not in $T/sets" "$T/missing.out"
check "the database was not touched" test "$(sha256sum < "$DB")" = "$sum"

echo "1..$n"
[ $failed -eq 0 ]
