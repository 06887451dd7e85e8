#!/usr/bin/env bash
# Restore drill: an OpenLDAP back-mdb store (directory writer), with a
# real slapd on loopback.  A full backup under an add/modify load, then:
#   2. in place while slapd runs: refused (exit 1), the refusal printed,
#      the live store byte-identical, a modify made afterwards survives a
#      restart of slapd;
#   5. --json: the refused component named with its reason, exit 3 when
#      another component (a --path) was restored, 1 when none was;
#   3. --to DIR while slapd runs: allowed, live store untouched, a second
#      slapd serves the copy at the backup instant;
#   4. --map OLD=NEW while slapd runs: the same;
#   1. in place with slapd stopped, after entries were deleted, the store
#      deleted, or its pages overwritten: slapd serves the backup instant.
# See docs/restore.md.  Usage: drill-directory.sh BUILD_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1
. "${0%/*}/drill-lib.sh"

need_root "slapd runs as root here and the LMDB files are 0600"
need_programs /usr/sbin/slapd /usr/sbin/slapcat ldapadd ldapmodify ldapsearch ldapdelete python3 sha256sum timeout
[ -e /usr/lib/ldap/back_mdb.so ] || skip_all "needs slapd's back_mdb module (apt-get install slapd)"
drill_init dir
install_writer directory/directory.so

SUFFIX=dc=drill,dc=test
ROOTDN=cn=admin,$SUFFIX
PW=secret
DB=$T/ldap/db
mkdir -p "$DB" "$T/other"
echo "as backed up" > "$T/other/note"
printf '[directory]\nenvironments=%s\n' "$DB" > "$T/config/directory.conf"

# --- slapd ------------------------------------------------------------
# slapd_start NAME DBDIR: a slapd for DBDIR with its files in $T/NAME,
# on ldapi://$T/NAME/ldapi and ldap://127.0.0.1:<free port>; sets
# URI_<NAME> and SLAPD_<NAME> (its pid).
slapd_start() {
  local name=$1 db=$2 run=$T/$1 port sock uri pid i
  mkdir -p "$run"; rm -f "$run/slapd.pid"
  cat > "$run/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $run/slapd.pid
argsfile $run/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 268435456
suffix "$SUFFIX"
rootdn "$ROOTDN"
rootpw $PW
directory $db
dbnosync
index objectClass eq
index uid eq
EOF
  port=$(free_port)
  sock=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$run/ldapi")
  uri="ldapi://$sock"
  /usr/sbin/slapd -f "$run/slapd.conf" -h "$uri ldap://127.0.0.1:$port/" -s 0 || return 1
  for i in $(seq 100); do [ -s "$run/slapd.pid" ] && [ -S "$run/ldapi" ] && break; sleep 0.05; done
  pid=$(cat "$run/slapd.pid" 2>/dev/null) || return 1
  PIDS+=("$pid")
  # slapd daemonizes: should this script be killed outright, stop it
  ( while kill -0 $$ 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
    grep -q slapd "/proc/$pid/comm" 2>/dev/null && kill "$pid" ) >/dev/null 2>&1 &
  PIDS+=($!)
  printf -v "URI_$name" '%s' "$uri"
  printf -v "PORT_$name" '%s' "$port"
  printf -v "SLAPD_$name" '%s' "$pid"
  for i in $(seq 50); do   # answering?
    ldapsearch -x -H "ldap://127.0.0.1:$port" -b "" -s base -LLL >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
slapd_stop() {  # slapd_stop NAME
  local v=SLAPD_$1
  stop_pid "${!v:-}"
  ! kill -0 "${!v:-0}" 2>/dev/null
}
ldmod() {  # ldmod URI : LDIF on stdin, adds allowed
  ldapmodify -a -x -H "$1" -D "$ROOTDN" -w "$PW" >/dev/null 2>&1
}
person() { printf 'dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\n\n' "$1" "$SUFFIX" "$1" "$1" "$1"; }

# ldap_state URI: what the server serves, "k=K count=N gaps=G counter=C
# before=B after=A refused=R" — K the highest load entry, G 1 when the
# load entries are not exactly 1..K, C the counter's description, B/A/R
# whether marker-before, marker-after and after-refused exist.
ldap_state() {
  local out=$T/state.$$.ldif
  ldapsearch -x -H "$1" -D "$ROOTDN" -w "$PW" -b "$SUFFIX" -LLL "(|(uid=*)(cn=counter))" uid description \
    > "$out" 2>/dev/null || { echo "search-failed"; return; }
  python3 - "$out" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
uids = re.findall(r'^uid: (\S+)$', text, re.M)
load = sorted(int(u[1:]) for u in uids if re.fullmatch(r'l\d+', u))
k = load[-1] if load else 0
m = re.search(r'^dn: cn=counter,.*?\ndescription: (\d+)', text, re.M | re.S)
print("k=%d count=%d gaps=%d counter=%s before=%d after=%d refused=%d" % (
    k, len(load), int(load != list(range(1, k + 1))), m.group(1) if m else "none",
    int('marker-before' in uids), int('marker-after' in uids), int('after-refused' in uids)))
EOF
}
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<< "$2"; }

# check_backup_instant WHAT URI: the server shows the state of the backup
# instant: the load entries 1..K with LO <= K <= HI, the counter K or K-1
# (an add and its counter update are two operations), marker-before but
# nothing written after the backup.
check_backup_instant() {
  local what=$1 s k c
  s=$(ldap_state "$2")
  k=$(field k "$s"); c=$(field counter "$s")
  if [ "$s" = search-failed ] || [ -z "$k" ]; then nok "$what: the server answers" "ldapsearch failed"; return; fi
  ok "$what: the server answers ($s)"
  check "$what: load entries 1..$k, no gap" test "$(field gaps "$s")" = 0
  check "$what: the backup instant ($LO <= $k <= $HI)" test "$k" -ge "$LO" -a "$k" -le "$HI"
  check "$what: the counter agrees with the entries ($c for $k)" test "$c" = "$k" -o "$c" = "$((k - 1))"
  check "$what: the entry added before the backup is there" test "$(field before "$s")" = 1
  check "$what: nothing written after the backup is there" \
    test "$(field after "$s")" = 0 -a "$(field refused "$s")" = 0
}

# --- the live directory and its load -------------------------------------
if ! slapd_start A "$DB"; then
  echo "1..0 # SKIP slapd did not start (see $T/A/slapd.conf)"; exit 0
fi
{ printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: drill\ndc: drill\n\n' "$SUFFIX"
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$SUFFIX"
  printf 'dn: cn=counter,%s\nobjectClass: organizationalRole\ncn: counter\ndescription: 0\n\n' "$SUFFIX"
  person marker-before; } | ldmod "$URI_A"
check "slapd serves the live store" test $? -eq 0

# Each step, one ldapmodify: add uid=lN, then set the counter to N.
# load.tried is the last N sent, load.acked the last N acknowledged.
LOAD_MAX=3000
( i=0
  while [ ! -e "$T/load.stop" ] && [ $i -lt $LOAD_MAX ] && kill -0 $$ 2>/dev/null; do
    i=$((i + 1)); put $i "$T/load.tried"
    { person "$(printf 'l%06d' $i)"
      printf 'dn: cn=counter,%s\nchangetype: modify\nreplace: description\ndescription: %d\n\n' "$SUFFIX" $i
    } | ldmod "$URI_A" || { put $i "$T/load.failed"; break; }
    put $i "$T/load.acked"
  done ) & LOAD=$!
PIDS+=("$LOAD")
for i in $(seq 100); do [ "$(get "$T/load.acked")" -ge 20 ] && break; sleep 0.05; done

LO=$(get "$T/load.acked")
vss_backup full -c directory --path "$T/other"
rc=$?
HI=$(get "$T/load.tried")
sleep 0.3
touch "$T/load.stop"; wait "$LOAD" 2>/dev/null
check "full backup under an add/modify load (exit 0; load at $LO..$HI)" test $rc -eq 0
check "the load ran without a failed operation" test ! -e "$T/load.failed"
check "the load went on during the backup" test "$LO" -ge 20
echo "changed since" > "$T/other/note"
person marker-after | ldmod "$URI_A"
check "an entry added after the backup is acknowledged" test $? -eq 0
[ -d "$T/sets/full" ] || { nok "the backup set exists" "no set: the drills below cannot run"; drill_done; exit 1; }

LIVE=$T/live.sums
# lock.mdb is LMDB's shared memory: slapd's own readers write their
# slots in it, so only its identity (inode) is compared, its bytes are not
live_sums() { sums "$DB" '/lock\.mdb$'; stat -c '%i %n' "$DB/lock.mdb"; }
live_same() {
  live_sums > "$LIVE.after"
  if cmp -s "$LIVE" "$LIVE.after"; then ok "$1"
  else nok "$1" "changed (before < > after):" "$(diff "$LIVE" "$LIVE.after" | head -12)"; fi
}

# --- 2. in place while slapd runs: refused, nothing written --------------
live_sums > "$LIVE"
vss_run inplace-running restore --from "$T/sets/full" --component directory
check "2. in place while slapd runs: refused (exit 1, got $RC)" test $RC -eq 1
if said inplace-running "stop the directory server"; then ok "2. the directory writer's refusal is printed"
else nok "2. the directory writer's refusal is printed" "$(show inplace-running)"; fi
check "2. the refused component is not reported restored" bash -c "! grep -q '^restored directory' '$T/out/inplace-running.out'"
live_same "2. every file of the live store is unchanged (data.mdb, vss-directory.id bytes; lock.mdb inode)"
person after-refused | ldmod "$URI_A"
check "2. a modify after the refused restore is acknowledged" test $? -eq 0
slapd_stop A && slapd_start A "$DB"
check "2. slapd restarts on the live store" test $? -eq 0
s=$(ldap_state "$URI_A")
check "2. the acknowledged modify survived the restart ($s)" test "$(field refused "$s")" = 1
check "2. the live store was not rolled back to the backup ($s)" test "$(field after "$s")" = 1

# --- 5. exit codes and the JSON summary ----------------------------------
live_sums > "$LIVE"
vss_run json-all --json restore --from "$T/sets/full"
J=$T/out/json-all.out
check "5. whole set while slapd runs: the --path restored, directory refused: partial (exit 3, got $RC)" test $RC -eq 3
check "5. JSON: the directory component is ok=false" json_true "$J" "len(comp('lmdb')) == 1 and comp('lmdb')[0]['ok'] is False"
check "5. JSON: its message is the writer's refusal" json_true "$J" "'stop the directory server' in comp('lmdb')[0].get('message', '')"
check "5. JSON: the --path component is ok=true" json_true "$J" "len(comp('path:')) == 1 and comp('path:')[0]['ok'] is True"
check "5. JSON: summary partial, 1 restored, 1 failed, exit_code 3" json_true "$J" \
  "summary.get('status') == 'partial' and summary.get('components_restored') == 1 and summary.get('components_failed') == 1 and summary.get('exit_code') == 3"
check "5. the --path data was restored" grep -q "as backed up" "$T/other/note"
json_refused "5. whole set" "$J" lmdb "stop the directory server"
live_same "5. the live directory store is unchanged"
vss_run json-dir --json restore --from "$T/sets/full" --component directory
J=$T/out/json-dir.out
check "5. only the directory while slapd runs: failed (exit 1, got $RC)" test $RC -eq 1
check "5. JSON: summary failed, 0 restored, exit_code 1" json_true "$J" \
  "summary.get('status') == 'failed' and summary.get('components_restored') == 0 and summary.get('exit_code') == 1"
check "5. JSON: no component line says ok=true" json_true "$J" "all(not c['ok'] for c in comp(''))"
json_refused "5. only the directory" "$J" lmdb "stop the directory server"
live_same "5. the live directory store is still unchanged"

# --- 3. --to DIR while slapd runs ----------------------------------------
live_sums > "$LIVE"
vss_run to restore --from "$T/sets/full" --component directory --to "$T/alt"
check "3. --to while slapd runs: allowed (exit 0, got $RC)" test $RC -eq 0 || note "$(show to)"
live_same "3. every file of the live store is unchanged"
check "3. the copy is at DIR/<original path>" test -s "$T/alt$DB/data.mdb"
check "3. no restore interlock left in the copy (post-restore verified it)" test ! -e "$T/alt$DB/vss-restore.interlock"
if slapd_start B "$T/alt$DB"; then
  ok "3. a second slapd starts on the copy (port $PORT_B)"
  check_backup_instant "3. second slapd on the copy" "$URI_B"
else nok "3. a second slapd starts on the copy" "see $T/B/slapd.conf"; fi
slapd_stop B
s=$(ldap_state "$URI_A")
check "3. the live slapd still serves the live data ($s)" test "$(field after "$s")" = 1 -a "$(field refused "$s")" = 1

# --- 4. --map OLD=NEW while slapd runs -----------------------------------
live_sums > "$LIVE"
vss_run map restore --from "$T/sets/full" --component directory --map "$DB=$T/mapped/db"
check "4. --map while slapd runs: allowed (exit 0, got $RC)" test $RC -eq 0 || note "$(show map)"
live_same "4. every file of the live store is unchanged"
check "4. the copy is at NEW" test -s "$T/mapped/db/data.mdb"
check "4. no restore interlock left in the copy" test ! -e "$T/mapped/db/vss-restore.interlock"
if slapd_start C "$T/mapped/db"; then
  ok "4. a second slapd starts on the mapped copy (port $PORT_C)"
  check_backup_instant "4. second slapd on the mapped copy" "$URI_C"
else nok "4. a second slapd starts on the mapped copy" "see $T/C/slapd.conf"; fi
slapd_stop C

# --- 1. in place, slapd stopped, the store lost or damaged ---------------
# inplace_stopped LABEL HOW: slapd stopped, the store deleted or its
# pages overwritten, or entries deleted through slapd, the whole set restored in place, slapd started on it
inplace_stopped() {
  local l=$1 how=$2 entries s
  if [ "$how" = "entries-deleted" ]; then   # an admin's mistake, through slapd
    ldapdelete -x -H "$URI_A" -D "$ROOTDN" -w "$PW" "uid=marker-before,ou=people,$SUFFIX" \
      "uid=l000001,ou=people,$SUFFIX" "uid=l000002,ou=people,$SUFFIX" >/dev/null 2>&1
    check "$l. entries deleted through slapd" test $? -eq 0
  fi
  slapd_stop A
  check "$l. slapd is stopped" test $? -eq 0
  case $how in
    deleted) rm -f "$DB/data.mdb" "$DB/lock.mdb";;
    corrupted) dd if=/dev/urandom of="$DB/data.mdb" bs=4096 count=4 conv=notrunc status=none
               rm -f "$DB/lock.mdb"
               /usr/sbin/slapcat -f "$T/A/slapd.conf" >/dev/null 2>&1
               check "$l. the corrupted store does not open (slapcat fails)" test $? -ne 0;;
  esac
  echo "changed since" > "$T/other/note"
  vss_run "inplace-stopped-$how" restore --from "$T/sets/full"
  check "$l. in place, store $how, slapd stopped: restored (exit 0, got $RC)" test $RC -eq 0 ||
    note "$(show "inplace-stopped-$how")"
  check "$l. the --path data was restored too" grep -q "as backed up" "$T/other/note"
  "$VSS" restore-gate "$DB" >/dev/null 2>&1
  check "$l. the restored store may be served (restore-gate exit 0)" test $? -eq 0
  entries=$(/usr/sbin/slapcat -f "$T/A/slapd.conf" 2>/dev/null | grep -c '^dn: ')
  check "$l. slapcat reads the restored store ($entries entries)" test "${entries:-0}" -ge $((LO + 4))
  if slapd_start A "$DB"; then
    ok "$l. slapd starts on the restored store"
    check_backup_instant "$l. slapd on the restored store" "$URI_A"
    s=$(ldap_state "$URI_A")
    check "$l. slapcat and slapd agree (slapcat $entries = 4 + $(field count "$s") load entries)" \
      test "$entries" -eq $(( $(field count "$s") + 4 ))
    person "after-restore-$how" | ldmod "$URI_A"
    check "$l. the restored store takes writes" test $? -eq 0
  else nok "$l. slapd starts on the restored store" "see $T/A/slapd.conf"; fi
}
inplace_stopped 1a entries-deleted
inplace_stopped 1b deleted
inplace_stopped 1c corrupted

drill_done
