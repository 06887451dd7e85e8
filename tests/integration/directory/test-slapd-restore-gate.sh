#!/bin/bash
# test-slapd-restore-gate.sh DROPIN VSS_INSTALLED VSS_BUILT WRITER_DIR HOST — the
# systemd drop-in that keeps slapd from starting on a half-restored
# directory: systemd-analyze verify accepts slapd's unit with it (and
# proves it read it), its ExecStartPre runs the installed `vss
# restore-gate`, and that command, run as systemd would, fails while the
# restore interlock is there and passes once it is lifted.  TAP; skipped
# when systemd-analyze is missing.
set -u
dropin=$1 installed=$2 built=$3 writers=$4 host=$5
if ! command -v systemd-analyze >/dev/null; then
  echo "1..0 # SKIP systemd-analyze is not installed (apt-get install systemd)"
  exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/vss-gate.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0 failed=0
check () { local what=$1; shift; n=$((n + 1))
  if "$@"; then echo "ok $n - $what"; else echo "not ok $n - $what"; failed=1; fi; }

line=$(grep '^ExecStartPre=' "$dropin")
check "the drop-in runs the installed vss restore-gate ($installed)" \
  test "${line#ExecStartPre=}" != "$line" -a "${line#ExecStartPre=$installed restore-gate }" != "$line"

# slapd's unit, and the drop-in pointing at this build's vss and a test store
mkdir -p "$T/units/slapd.service.d" "$T/db" "$T/config" "$T/state" "$T/run"
printf '[Unit]\nDescription=OpenLDAP (test unit)\n[Service]\nType=forking\nExecStart=/usr/sbin/slapd -h ldapi:///\n' \
  > "$T/units/slapd.service"
sed "s|^ExecStartPre=$installed |ExecStartPre=$built |; s| restore-gate .*| restore-gate $T/db|" "$dropin" \
  > "$T/units/slapd.service.d/vss-restore-gate.conf"
SYSTEMD_UNIT_PATH="$T/units:" systemd-analyze verify "$T/units/slapd.service" > "$T/verify.out" 2>&1
check "systemd-analyze verify accepts slapd.service with the drop-in" test $? -eq 0
sed 's|^ExecStartPre=[^ ]*|ExecStartPre=/nonexistent/vss|' "$dropin" \
  > "$T/units/slapd.service.d/vss-restore-gate.conf"
SYSTEMD_UNIT_PATH="$T/units:" systemd-analyze verify "$T/units/slapd.service" > "$T/verify-bad.out" 2>&1
check "...and reads it (a missing vss in it is an error)" grep -q "/nonexistent/vss" "$T/verify-bad.out"

# with the directory writer not configured, the shipped drop-in lets slapd start
printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\nDATA=END\n' | mdb_load "$T/db" ||
  { echo "Bail out! mdb_load (lmdb-utils) could not make a test environment"; exit 1; }
env VSS_WRITER_PATH="$writers" VSS_WRITER_HOST="$host" VSS_CONFIG_DIR="$T/config" \
    VSS_STATE_DIR="$T/state" VSS_RUNTIME_DIR="$T/run" "$built" restore-gate --if-protected "$T/db" > /dev/null 2>&1
check "the drop-in's gate lets a slapd libvss does not protect start (exit 0)" test $? -eq 0
grep -q -- '--if-protected' "$dropin"
check "...the shipped drop-in asks for that (--if-protected)" test $? -eq 0

# the command, as systemd runs it, with the directory writer protecting $T/db
printf '[directory]\nenvironments=%s\n' "$T/db" > "$T/config/directory.conf"
gate=(env VSS_WRITER_PATH="$writers" VSS_WRITER_HOST="$host" VSS_CONFIG_DIR="$T/config"
      VSS_STATE_DIR="$T/state" VSS_RUNTIME_DIR="$T/run" "$built" restore-gate "$T/db")
"${gate[@]}" > /dev/null 2>&1
check "no restore pending: slapd may start (exit 0)" test $? -eq 0
printf '[restore]\nregistered=now\npid=1\nowner=x\n' > "$T/db/vss-restore.interlock"
"${gate[@]}" > "$T/gate.out" 2>&1; rc=$?
check "a restore pending: ExecStartPre fails, slapd does not start (exit $rc)" test $rc -eq 1
echo "1..$n"
exit $failed
