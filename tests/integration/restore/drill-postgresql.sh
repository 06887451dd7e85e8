#!/usr/bin/env bash
# Restore drill: a PostgreSQL cluster (the postgresql writer) of its own in
# the temp dir, on a free loopback port, backed up while `pgbench -c 4`
# runs.  Then:
#   1. `-c postgresql:data` alone is refused (it depends on the WAL): exit 2;
#   2. restore --to elsewhere while the cluster runs: started as a second
#      cluster on another port, pg_amcheck clean, pgbench's invariant
#      holds, the history at the backup instant;
#   3. in place while it runs: refused, nothing of the data directory
#      replaced;
#   4. in place after the data directory was removed: PostgreSQL starts
#      on it, pg_amcheck clean, the invariant, the backup instant;
#   5. in place over a damaged directory that ran on past the backup (its
#      pgbench_accounts file zeroed, newer WAL in pg_wal): the backup
#      instant again, not the later history.
# Usage: drill-postgresql.sh BUILD_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1
. "${0%/*}/drill-lib.sh"

need_root "initdb runs as the postgres user"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$PGBIN" ] || skip_all "needs PostgreSQL (apt-get install postgresql postgresql-contrib)"
need_programs "$PGBIN/initdb" "$PGBIN/pg_ctl" "$PGBIN/pgbench" "$PGBIN/pg_amcheck" psql runuser python3
id postgres >/dev/null 2>&1 || skip_all "needs the postgres user"
[ -e "$BUILD/writers/postgresql/postgresql.so" ] || skip_all "the postgresql writer was not built (libpq-dev)"
drill_init pg
chmod 755 "$T"                       # the cluster's user must reach its directories
install_writer postgresql/postgresql.so

D=$T/pg/data
PORT=$(free_port); PORT2=$(free_port)
mkdir -p "$T/pg" "$T/sock" "$T/sock2"
chown postgres: "$T/pg" "$T/sock" "$T/sock2"
as_pg() { runuser -u postgres -- "$@"; }
pg_start() {  # pg_start DATADIR PORT SOCKDIR LOG
  as_pg "$PGBIN/pg_ctl" -D "$1" -l "$4" -w -t 60 -o "-p $2 -k $3 -c listen_addresses=127.0.0.1" start >/dev/null
}
pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$1" -m "${2:-fast}" -w -t 60 stop >/dev/null 2>&1; }
sql() {  # sql PORT SOCKDIR QUERY
  psql -X -q -A -t -h "$2" -p "$1" -U postgres -d postgres -c "$3" 2>&1
}
# 4 MiB WAL segments: the writer's wait for a segment's end (wal_switch_wait)
# is seconds under this load, not the half minute of 16 MiB ones
as_pg "$PGBIN/initdb" -D "$D" -U postgres --auth=trust -E UTF8 --wal-segsize=4 > "$T/out/initdb.log" 2>&1 ||
  { nok "initdb" "$(tail -5 "$T/out/initdb.log")"; drill_done; exit 1; }
pg_start "$D" "$PORT" "$T/sock" "$T/pg/main.log" ||
  { nok "PostgreSQL starts" "$(tail -5 "$T/pg/main.log")"; drill_done; exit 1; }
CLEANUPS+=("pg_stop '$D' immediate" "pg_stop '$T/alt$D' immediate")
printf '[postgresql]\ndata_directory=%s\nport=%s\nsocket_dir=%s\nuser=postgres\n' \
  "$D" "$PORT" "$T/sock" > "$T/config/postgresql.conf"
# pg_backup_start's checkpoint is spread (the writer's default) over
# checkpoint_completion_target x checkpoint_timeout: 3 s here
sql "$PORT" "$T/sock" "ALTER SYSTEM SET checkpoint_timeout = '30s'" >/dev/null
sql "$PORT" "$T/sock" "ALTER SYSTEM SET checkpoint_completion_target = 0.1" >/dev/null
sql "$PORT" "$T/sock" "SELECT pg_reload_conf()" >/dev/null
"$PGBIN/pgbench" -h "$T/sock" -p "$PORT" -U postgres -i -s 2 -q postgres > "$T/out/pgbench-init.log" 2>&1
check "pgbench -i made its tables" test "$(sql "$PORT" "$T/sock" 'SELECT count(*) FROM pgbench_branches')" = 2

# invariant PORT SOCKDIR: the three sums of pgbench's balances agree
invariant() {
  local sums
  sums=$(sql "$1" "$2" "SELECT (SELECT sum(abalance) FROM pgbench_accounts) || ' ' || (SELECT sum(bbalance) FROM pgbench_branches) || ' ' || (SELECT sum(tbalance) FROM pgbench_tellers)")
  read -r a b c <<< "$sums"
  [ -n "$a" ] && [ "$a" = "$b" ] && [ "$b" = "$c" ] || { echo "sums: $sums" >&2; return 1; }
}
history() { sql "$1" "$2" "SELECT count(*) FROM pgbench_history"; }
amcheck() { "$PGBIN/pg_amcheck" -h "$2" -p "$1" -U postgres --install-missing -d postgres > "$T/out/amcheck-$1.log" 2>&1; }

mkdir -p "$T/badcfg" && { cat "$T/config/postgresql.conf"; echo 'wal_switch_wait=99'; } > "$T/badcfg/postgresql.conf"
VSS_CONFIG_DIR=$T/badcfg vss_run badcfg writers
check "0. wal_switch_wait=99 fails the writer's load, naming the file and the range (exit $RC)" \
  said badcfg "badcfg/postgresql.conf: wal_switch_wait=99: write whole seconds from 0 (switch at once) to 30"
{ cat "$T/config/postgresql.conf"; printf 'wal_switch_wait=30\ncheckpoint_limit=30\n'; } > "$T/badcfg/postgresql.conf"
VSS_CONFIG_DIR=$T/badcfg vss_run badsum writers
check "0. waits beyond the event timeout's budget fail the load, saying which to lower" \
  said badsum "wal_switch_wait (30 s) and checkpoint_limit (30 s) together exceed 45 s.*lower one of them"

vss_run nodep backup -c postgresql:data --to "$T/sets/nodep"
check "1. -c postgresql:data without the WAL is refused: exit 2 (got $RC)" test $RC -eq 2
check "1. …naming the dependency and how to add it" said nodep 'depends on postgresql:wal.*--component postgresql:wal'
check "1. …and no set was made" test ! -e "$T/sets/nodep"

"$PGBIN/pgbench" -h "$T/sock" -p "$PORT" -U postgres -c 4 -T 40 -P 1 postgres > "$T/out/pgbench.log" 2>&1 & LOAD=$!
PIDS+=("$LOAD")
sleep 3
LO=$(history "$PORT" "$T/sock")
vss_backup full -c postgresql --copy-priority idle   # as the writer's README says for a busy cluster
rc=$?; HI=$(history "$PORT" "$T/sock")
check "a backup under pgbench -c 4 at --copy-priority idle (exit 0; history $LO..$HI rows)" test $rc -eq 0
check "…the writer was in backup mode and provided the WAL" said backup-full 'WAL .* provided'
# pg_backup_start's forced WAL switch, timed near its segment's end
# (wal_switch_wait): what the writer says against pg_waldump's SWITCH
# record in the segment before the backup's first.
lsn_bytes() { local hi=${1%/*} lo=${1#*/}; echo $(( (16#$hi << 32) + 16#$lo )); }
CLAIM=$(cat "$T/out/backup-full.out" "$T/out/backup-full.err" | grep -o 'backup mode on .*' | head -1)
CLAIMED_KIB=$(sed -n 's/.*switched with \([0-9]*\) KiB left.*/\1/p' <<< "$CLAIM")
SEG=$(sql "$PORT" "$T/sock" "SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'")
START_LSN=$(grep -o 'START WAL LOCATION: [0-9A-F]*/[0-9A-F]*' "$T/sets/full/bcd.json" | head -1 | cut -d' ' -f4)
PREV_SEGNO=$(( $(lsn_bytes "$START_LSN") / SEG - 1 ))
TLI=$(grep -o 'START WAL LOCATION: [^)]*file [0-9A-F]*' "$T/sets/full/bcd.json" | head -1 | sed 's/.*file //' | cut -c1-8)
PREV_WAL=$(printf '%s%08X%08X' "$TLI" $(( PREV_SEGNO / (0x100000000 / SEG) )) $(( PREV_SEGNO % (0x100000000 / SEG) )))
SWITCH_LSN=$("$PGBIN/pg_waldump" -p "$D/pg_wal" -r XLOG "$PREV_WAL" 2>/dev/null | grep 'desc: SWITCH' | tail -1 | sed 's/.*lsn: \([0-9A-F]*\/[0-9A-F]*\).*/\1/')
LEFT_KIB=$([ -n "$SWITCH_LSN" ] && echo $(( (SEG - $(lsn_bytes "$SWITCH_LSN") % SEG) / 1024 )))
check "…the writer says how the start's WAL switch was timed ($CLAIM)" test -n "$CLAIMED_KIB"
check "…pg_waldump finds that switch in $PREV_WAL ($SWITCH_LSN: ${LEFT_KIB:-?} KiB left)" test -n "$LEFT_KIB"
check "…and the writer's count is the real one (${LEFT_KIB:-?} <= ${CLAIMED_KIB:-?} KiB, within 1 MiB)" \
  test -n "$LEFT_KIB" -a -n "$CLAIMED_KIB" -a "${LEFT_KIB:-0}" -le "${CLAIMED_KIB:-0}" -a $(( ${CLAIMED_KIB:-0} - ${LEFT_KIB:-0} )) -le 1024
if grep -q 'beyond wal_switch_wait or the WAL was idle' <<< "$CLAIM"; then
  echo "# the WAL's pace put its segment's end beyond wal_switch_wait: the switch was not timed"
else
  NEAR_KIB=$(( SEG / 8 < 2097152 ? SEG / 8 / 1024 : 2048 ))   # pg-switch.c's near_end
  check "…so the switch wrote at most $NEAR_KIB KiB of its segment's rest (${LEFT_KIB:-?} KiB)" \
    test "${LEFT_KIB:-99999}" -le $(( NEAR_KIB + 64 ))
fi
check "…and, wal_init_zero being on (the default), it says what that costs the switches" \
  said backup-full 'wal_init_zero is on: a switch that has to create its next WAL segment'
check "…its checkpoint was spread, not hurried ($(grep -o '[a-z]* checkpoint [^;]*' "$T/out/backup-full.err" | head -1))" \
  said backup-full 'spread checkpoint took [0-9.]* s'
M=$T/sets/full/manifest.json
check "…postmaster.pid and postmaster.opts are not in the set" bash -c "! grep -q 'postmaster\.\(pid\|opts\)\"' '$M'"
check "…the backup label is in the document" grep -q 'START WAL LOCATION' "$T/sets/full/bcd.json"
check "…its data was copied after the thaw, not in the freeze (the writer holds nothing)" \
  test "$(grep -o '"window": "[a-z-]*"' "$T/sets/full/bcd.json" | sort -u | tr '\n' ' ')" = '"window": "after-thaw" '
# checkpoint_limit: a spread checkpoint paced over 27 s (PostgreSQL's
# default target, 0.9), asked to finish at once after 1 s
sql "$PORT" "$T/sock" "ALTER SYSTEM SET checkpoint_completion_target = 0.9" >/dev/null
sql "$PORT" "$T/sock" "ALTER SYSTEM SET wal_init_zero = off" >/dev/null
sql "$PORT" "$T/sock" "SELECT pg_reload_conf()" >/dev/null
mkdir -p "$T/hurrycfg" && { cat "$T/config/postgresql.conf"; echo 'checkpoint_limit=1'; } > "$T/hurrycfg/postgresql.conf"
B0=$(date +%s)
VSS_CONFIG_DIR=$T/hurrycfg vss_backup hurried -c postgresql
rc=$?; B1=$(date +%s)
check "a backup whose checkpoint would take 27 s, with checkpoint_limit=1 (exit 0)" test $rc -eq 0
check "…the writer asked it to finish at once ($(grep -o 'spread checkpoint [^;]*' "$T/out/backup-hurried.err" | head -1))" \
  said backup-hurried 'spread checkpoint asked to finish at once after checkpoint_limit (1 s); done after [0-9.]* s'
check "…so the whole backup took $((B1 - B0)) s, not the spread's 27" test $((B1 - B0)) -lt 20
check "…and with wal_init_zero off the writer has nothing to say of it" \
  unsaid backup-hurried 'wal_init_zero is on'
sql "$PORT" "$T/sock" "ALTER SYSTEM RESET checkpoint_completion_target" >/dev/null
sql "$PORT" "$T/sock" "ALTER SYSTEM RESET wal_init_zero" >/dev/null
sql "$PORT" "$T/sock" "SELECT pg_reload_conf()" >/dev/null
wait "$LOAD"
check "pgbench ran to its end without errors" grep -q 'number of failed transactions: 0' "$T/out/pgbench.log"

# 2. elsewhere, while the cluster runs
vss_run to restore --from "$T/sets/full" --to "$T/alt"
check "2. restore --to while the cluster runs: exit 0 (got $RC)" test $RC -eq 0 || show to
check "2. …backup_label written into the restored data directory" test -s "$T/alt$D/backup_label"
check "2. …the directories above it reachable (0755: $(stat -c %a "$T/alt$T/pg"))" test "$(stat -c %a "$T/alt$T/pg")" = 755
if pg_start "$T/alt$D" "$PORT2" "$T/sock2" "$T/pg/alt.log"; then ok "2. the restored copy starts as a second cluster on port $PORT2"
else nok "2. the restored copy starts as a second cluster on port $PORT2" "$(tail -8 "$T/pg/alt.log")"; fi
check "2. …pg_amcheck is clean" amcheck "$PORT2" "$T/sock2"
check "2. …pgbench's invariant holds" invariant "$PORT2" "$T/sock2"
H2=$(history "$PORT2" "$T/sock2")
check "2. …at the backup instant ($LO <= $H2 <= $HI)" test "$H2" -ge "$LO" -a "$H2" -le "$HI"
pg_stop "$T/alt$D"

# 3. in place while it runs: refused, nothing replaced (restore renames a
# new inode over each file: compare the inodes)
inodes() { find "$D" -type f -printf '%i %p\n' | grep -Ev '/(pg_wal|pg_stat_tmp|pg_stat|pg_logical|pg_xact|pg_subtrans|pg_multixact)/|postmaster' | sort; }
inodes > "$T/inodes.before"
vss_run inplace-running restore --from "$T/sets/full"
check "3. in place while PostgreSQL runs: refused (exit 1, got $RC)" test $RC -eq 1
check "3. …saying it runs and how to stop it" said inplace-running 'is running on .*pg_ctl stop'
inodes > "$T/inodes.after"
check "3. …nothing of the data directory was replaced" cmp -s "$T/inodes.before" "$T/inodes.after"
check "3. …no backup_label in the live cluster" test ! -e "$D/backup_label"

# 4. in place after the cluster was removed
pg_stop "$D"
rm -rf "$D"
vss_run inplace restore --from "$T/sets/full"
check "4. in place after the data directory was removed: exit 0 (got $RC)" test $RC -eq 0 || show inplace
if pg_start "$D" "$PORT" "$T/sock" "$T/pg/main2.log"; then ok "4. PostgreSQL starts on the restored data directory"
else nok "4. PostgreSQL starts on the restored data directory" "$(tail -8 "$T/pg/main2.log")"; fi
check "4. …it recovered from the backup label (redo from the backup's checkpoint)" grep -q 'starting backup recovery' "$T/pg/main2.log"
check "4. …pg_amcheck is clean" amcheck "$PORT" "$T/sock"
check "4. …pgbench's invariant holds" invariant "$PORT" "$T/sock"
H4=$(history "$PORT" "$T/sock")
check "4. …at the backup instant ($LO <= $H4 <= $HI)" test "$H4" -ge "$LO" -a "$H4" -le "$HI"
check "4. …the same instant as the copy restored elsewhere ($H4 = $H2)" test "$H4" = "$H2"
check "4. …and it takes writes" test "$(sql "$PORT" "$T/sock" 'CREATE TABLE after_restore(x int); INSERT INTO after_restore VALUES (1); SELECT count(*) FROM after_restore')" = 1

# 5. over a damaged directory that went on after the backup
"$PGBIN/pgbench" -h "$T/sock" -p "$PORT" -U postgres -n -c 4 -t 200 postgres > "$T/out/pgbench-after.log" 2>&1
sql "$PORT" "$T/sock" "SELECT pg_switch_wal()" >/dev/null
LATER=$(history "$PORT" "$T/sock")
ACCOUNTS=$D/$(sql "$PORT" "$T/sock" "SELECT pg_relation_filepath('pgbench_accounts')")
pg_stop "$D"
dd if=/dev/zero of="$ACCOUNTS" bs=8192 count=16 conv=notrunc status=none
vss_run over restore --from "$T/sets/full"
check "5. in place over the damaged directory (history $LATER there): exit 0 (got $RC)" test $RC -eq 0 || show over
check "5. …the WAL after the backup's stop was removed" said over 'removed [0-9]* WAL segment'
if pg_start "$D" "$PORT" "$T/sock" "$T/pg/main3.log"; then ok "5. PostgreSQL starts on it"
else nok "5. PostgreSQL starts on it" "$(tail -8 "$T/pg/main3.log")"; fi
check "5. …pg_amcheck is clean" amcheck "$PORT" "$T/sock"
check "5. …pgbench's invariant holds" invariant "$PORT" "$T/sock"
H5=$(history "$PORT" "$T/sock")
check "5. …the backup instant: the history of restore 4 ($H5 = $H4), not the later $LATER" test "$H5" = "$H4" -a "$H5" != "$LATER"

drill_done
