#!/usr/bin/env bash
# Restore drill: an NSS sql: database (cert9.db, key4.db; certificate
# writer) with real certutil.  A full backup while certutil -A imports
# certificates one after the other, then, with an NSS program holding the
# database open for writing (certutil -S waiting for its key's noise, as
# a long-running NSS server would keep it open):
#   2. in place: refused (exit 1), the refusal printed, every file of the
#      store byte-identical, a certificate imported afterwards kept;
#   5. --json: the refused component named with its reason, exit 3 when
#      another component (a --path) was restored, 1 when none was;
#   3. --to DIR: allowed, the live store untouched, certutil -L/-K on the
#      copy show the backup instant;
#   4. --map OLD=NEW: the same;
#   1. in place with the program stopped, after certificates were
#      deleted, the database files deleted, or cert9.db overwritten.
# See docs/restore.md.  Usage: drill-nss.sh BUILD_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1
. "${0%/*}/drill-lib.sh"

need_programs certutil openssl python3 sha256sum timeout
drill_init nss
install_writer certificate/certificate.so

NSS=$T/nss
mkdir -p "$NSS" "$T/other" "$T/pem"
echo "as backed up" > "$T/other/note"
certutil -N -d "sql:$NSS" --empty-password || skip_all "certutil -N failed"
head -c 256 /dev/urandom > "$T/noise"
certutil -S -d "sql:$NSS" -n drill-ca -s "CN=Drill CA,O=vss" -x -t "CT,C,C" -k ec -q nistp256 \
  -v 12 -z "$T/noise" >/dev/null 2>&1
check "a CA with its key in the NSS database" test $? -eq 0
printf '[certificate]\nnss=%s\n' "$NSS" > "$T/config/certificate.conf"

LOAD_MAX=400
pem() {  # pem NAME: a self-signed certificate of its own, made once
  [ -s "$T/pem/$1.pem" ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout /dev/null -subj "/CN=$1/O=vss drill" -days 30 -out "$T/pem/$1.pem" 2>/dev/null
}
import() { pem "$1" && certutil -A -d "sql:${2:-$NSS}" -n "$1" -t ",," -i "$T/pem/$1.pem" >/dev/null 2>&1; }
for i in $(seq 120); do pem "$(printf 'load-%04d' $i)"; done

# nss_state DIR: what NSS lists, "k=K count=N gaps=G before=B after=A
# refused=R ca=C" (certutil -L; C: certutil -K shows the CA's key)
nss_state() {
  local l=$T/state.list
  certutil -L -d "sql:$1" > "$l" 2>/dev/null || { echo "list-failed"; return; }
  certutil -K -d "sql:$1" > "$l.keys" 2>/dev/null
  grep -q drill-ca "$l.keys" && echo 1 > "$l.ca" || echo 0 > "$l.ca"
  python3 - "$l" "$(cat "$l.ca")" <<'EOF'
import re, sys
names = [l.split()[0] for l in open(sys.argv[1]) if l.strip() and not l.startswith(('Certificate Nickname', 'SSL,', ' '))]
load = sorted(int(n[5:]) for n in names if re.fullmatch(r'load-\d+', n))
k = load[-1] if load else 0
print("k=%d count=%d gaps=%d before=%d after=%d refused=%d ca=%s" % (
    k, len(load), int(load != list(range(1, k + 1))), int('marker-before' in names),
    int('marker-after' in names), int('after-refused' in names), sys.argv[2]))
EOF
}
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<< "$2"; }
check_backup_instant() {  # WHAT DIR
  local what=$1 s k
  s=$(nss_state "$2"); k=$(field k "$s")
  if [ "$s" = list-failed ] || [ -z "$k" ]; then nok "$what: certutil -L reads it" "certutil -L -d sql:$2 failed"; return; fi
  ok "$what: certutil -L reads it ($s)"
  check "$what: the certificates load-1..$k, no gap" test "$(field gaps "$s")" = 0
  check "$what: the backup instant ($LO <= $k <= $HI)" test "$k" -ge "$LO" -a "$k" -le "$HI"
  check "$what: the certificate imported before the backup is there" test "$(field before "$s")" = 1
  check "$what: nothing imported after the backup is there" \
    test "$(field after "$s")" = 0 -a "$(field refused "$s")" = 0
  check "$what: the CA's private key is there (certutil -K)" test "$(field ca "$s")" = 1
}

# --- the load: certutil -A, one certificate after the other -------------
import marker-before
check "a certificate imported before the backup" test $? -eq 0
( i=0
  while [ ! -e "$T/load.stop" ] && [ $i -lt 120 ] && kill -0 $$ 2>/dev/null; do
    i=$((i + 1)); put $i "$T/load.tried"
    name=$(printf 'load-%04d' $i)
    # NSS gives up after ~2 s of a busy lock; such a failure writes nothing
    import "$name" || import "$name" || { put $i "$T/load.failed"; break; }
    put $i "$T/load.acked"
  done ) & LOAD=$!
PIDS+=("$LOAD")
for i in $(seq 100); do [ "$(get "$T/load.acked")" -ge 10 ] && break; sleep 0.05; done
LO=$(get "$T/load.acked")
vss_backup full -c certificate --path "$T/other"
rc=$?
HI=$(get "$T/load.tried")
sleep 0.3
touch "$T/load.stop"; wait "$LOAD" 2>/dev/null
check "full backup while certutil -A imports (exit 0; load at $LO..$HI)" test $rc -eq 0
check "every import succeeded" test ! -e "$T/load.failed"
check "the imports went on during the backup" test "$LO" -ge 10
[ -d "$T/sets/full" ] || { nok "the backup set exists" "no set: the drills below cannot run"; drill_done; exit 1; }
import marker-after
check "a certificate imported after the backup" test $? -eq 0
echo "changed since" > "$T/other/note"

# --- the application: an NSS program with the database open for writing --
holder_start() {
  rm -f "$T/holder.in"; mkfifo "$T/holder.in"
  exec 8<>"$T/holder.in"
  certutil -S -d "sql:$NSS" -n held -s CN=held -x -t ",," -k ec -q nistp256 < "$T/holder.in" \
    > "$T/holder.out" 2>&1 & HOLDER=$!
  PIDS+=("$HOLDER")
  local i
  for i in $(seq 100); do
    [ -n "$(find "/proc/$HOLDER/fd" -lname '*key4.db' 2>/dev/null)" ] && return 0; sleep 0.05
  done
  return 1
}
holder_stop() { stop_pid "$HOLDER"; exec 8>&-; ! kill -0 "$HOLDER" 2>/dev/null; }
holder_start
check "an NSS program holds cert9.db and key4.db open for writing" test $? -eq 0

LIVE=$T/live.sums
live_same() { same_sums "$1" "$LIVE" "$NSS"; }

# --- 2. in place while the program runs: refused ---------------------------
sums "$NSS" > "$LIVE"
vss_run inplace-running restore --from "$T/sets/full" --component certificate
check "2. in place while NSS has it open: refused (exit 1, got $RC)" test $RC -eq 1
if said inplace-running "is open for writing by"; then ok "2. the certificate writer's refusal is printed"
else nok "2. the certificate writer's refusal is printed" "$(show inplace-running)"; fi
check "2. the refused component is not reported restored" bash -c "! grep -q '^restored certificate' '$T/out/inplace-running.out'"
live_same "2. every file of the live store is unchanged (cert9.db, key4.db, pkcs11.txt)"
import after-refused
check "2. a certificate imported after the refused restore" test $? -eq 0
holder_stop
s=$(nss_state "$NSS")
check "2. it is listed after the program stopped ($s)" test "$(field refused "$s")" = 1
check "2. the live store was not rolled back to the backup ($s)" test "$(field after "$s")" = 1
holder_start

# --- 5. exit codes and the JSON summary ----------------------------------
sums "$NSS" > "$LIVE"
vss_run json-all --json restore --from "$T/sets/full"
J=$T/out/json-all.out
check "5. whole set while NSS has it open: --path restored, certificate refused: partial (exit 3, got $RC)" test $RC -eq 3
check "5. JSON: the NSS component is ok=false" json_true "$J" "len(comp('/nss/')) == 1 and comp('/nss/')[0]['ok'] is False"
check "5. JSON: its message is the writer's refusal" json_true "$J" "'is open for writing by' in comp('/nss/')[0].get('message', '')"
check "5. JSON: the --path component is ok=true" json_true "$J" "len(comp('path:')) == 1 and comp('path:')[0]['ok'] is True"
check "5. JSON: summary partial, 1 restored, 1 failed, exit_code 3" json_true "$J" \
  "summary.get('status') == 'partial' and summary.get('components_restored') == 1 and summary.get('components_failed') == 1 and summary.get('exit_code') == 3"
check "5. the --path data was restored" grep -q "as backed up" "$T/other/note"
json_refused "5. whole set" "$J" /nss/ "is open for writing by"
live_same "5. the live NSS store is unchanged"
vss_run json-cert --json restore --from "$T/sets/full" --component certificate
J=$T/out/json-cert.out
check "5. only the NSS store while NSS has it open: failed (exit 1, got $RC)" test $RC -eq 1
check "5. JSON: summary failed, 0 restored, exit_code 1" json_true "$J" \
  "summary.get('status') == 'failed' and summary.get('components_restored') == 0 and summary.get('exit_code') == 1"
check "5. JSON: no component line says ok=true" json_true "$J" "all(not c['ok'] for c in comp(''))"
json_refused "5. only the NSS store" "$J" /nss/ "is open for writing by"
live_same "5. the live NSS store is still unchanged"

# --- 3. --to DIR while the program runs ----------------------------------
sums "$NSS" > "$LIVE"
vss_run to restore --from "$T/sets/full" --component certificate --to "$T/alt"
check "3. --to while NSS has the store open: allowed (exit 0, got $RC)" test $RC -eq 0 || note "$(show to)"
live_same "3. every file of the live store is unchanged"
check "3. the copy is at DIR/<original path>" test -s "$T/alt$NSS/cert9.db" -a -s "$T/alt$NSS/key4.db"
check_backup_instant "3. certutil on the copy" "$T/alt$NSS"

# --- 4. --map OLD=NEW while the program runs ------------------------------
sums "$NSS" > "$LIVE"
vss_run map restore --from "$T/sets/full" --component certificate --map "$NSS=$T/mapped/nss"
check "4. --map while NSS has the store open: allowed (exit 0, got $RC)" test $RC -eq 0 || note "$(show map)"
live_same "4. every file of the live store is unchanged"
check "4. the copy is at NEW" test -s "$T/mapped/nss/cert9.db" -a -s "$T/mapped/nss/key4.db"
check_backup_instant "4. certutil on the mapped copy" "$T/mapped/nss"
holder_stop

# --- 1. in place, the program stopped, the store lost or damaged ----------
inplace_stopped() {  # LABEL HOW
  local l=$1 how=$2 s
  case $how in
    certs-deleted) certutil -D -d "sql:$NSS" -n marker-before && certutil -D -d "sql:$NSS" -n load-0001
                   check "$l. certificates deleted with certutil -D" test $? -eq 0;;
    files-deleted) rm -f "$NSS/cert9.db" "$NSS/key4.db";;
    corrupted) dd if=/dev/urandom of="$NSS/cert9.db" bs=1024 count=8 conv=notrunc status=none
               certutil -L -d "sql:$NSS" >/dev/null 2>&1
               check "$l. the corrupted store does not open (certutil -L fails)" test $? -ne 0;;
  esac
  echo "changed since" > "$T/other/note"
  vss_run "inplace-stopped-$how" restore --from "$T/sets/full"
  check "$l. in place, $how, no NSS program running: restored (exit 0, got $RC)" test $RC -eq 0 ||
    note "$(show "inplace-stopped-$how")"
  check "$l. the --path data was restored too" grep -q "as backed up" "$T/other/note"
  check_backup_instant "$l. certutil on the restored store" "$NSS"
  import "after-restore-$how"
  check "$l. the restored store takes an import" test $? -eq 0
}
inplace_stopped 1a certs-deleted
inplace_stopped 1b files-deleted
inplace_stopped 1c corrupted

drill_done
