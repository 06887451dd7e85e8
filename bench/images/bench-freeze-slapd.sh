#!/usr/bin/env bash
# bench/images/bench-freeze-slapd.sh — the freeze a running slapd sees on
# ext4 (a loop device: no snapshots, only the copy provider): a private
# slapd (back_mdb) with a ~1 GiB directory database, an ldapmodify write
# load (one modify per ldapmodify run, back to back), and
# `vss --json backup -c directory --provider copy --to SET`, with and
# without an unrelated 1 GiB --path tree (after-thaw, the default).
# Reports per case vss's writer-visible freeze (window_ms) and the write
# latency the load client saw during the backups against outside them.
# Target (issue #15): freeze median <= 20 ms and <= 1.2x the freeze
# without the --path.
#   bench/images/bench-freeze-slapd.sh [BUILD_DIR] [DB_MB] [PATH_MB] [ROUNDS]
# Needs root, slapd (back_mdb) and ldap-utils.  A modify's latency includes
# starting ldapmodify (a few ms): compare during/outside, not absolutes.
# SET_FS=separate puts the set on a second loop ext4 (its own journal)
# instead of slapd's filesystem.
set -euo pipefail
BUILD=$(realpath "${1:-build}")
DB_MB=${2:-1024} PATH_MB=${3:-1024} ROUNDS=${4:-5}
VSS=$BUILD/requester/vss
[ "$(id -u)" = 0 ] || { echo "needs root: a loop device" >&2; exit 77; }
for p in /usr/sbin/slapd /usr/sbin/slapadd ldapmodify ldapsearch python3; do
  command -v "$p" > /dev/null || { echo "needs $p (apt-get install slapd ldap-utils)" >&2; exit 77; }
done
T=$(mktemp -d /var/tmp/vss-bench-freeze-slapd-XXXXXX)
LOOP="" LOOP2="" LOAD="" SLAPD=""
cleanup() {
  set +e
  [ -n "$LOAD" ] && { kill "$LOAD"; wait "$LOAD"; } 2>/dev/null
  [ -n "$SLAPD" ] && { kill "$SLAPD"; for _ in $(seq 100); do kill -0 "$SLAPD" 2>/dev/null || break; sleep 0.1; done; }
  mountpoint -q "$T/mnt" && umount "$T/mnt"
  mountpoint -q "$T/setfs" && umount "$T/setfs"
  [ -n "$LOOP" ] && losetup -d "$LOOP"
  [ -n "$LOOP2" ] && losetup -d "$LOOP2"
  rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T"/{mnt,config,state,run,writers,ldap}
truncate -s $(( (DB_MB + PATH_MB) * 3 + 1024 ))M "$T/disk.img"
LOOP=$(losetup -f --show "$T/disk.img")
mkfs.ext4 -q "$LOOP"; mount "$LOOP" "$T/mnt"
M=$T/mnt DB=$T/mnt/ldap SUFFIX=dc=bench,dc=test ROOTDN=cn=admin,dc=bench,dc=test
SET=$M/set
if [ "${SET_FS:-same}" = separate ]; then
  mkdir -p "$T/setfs"; truncate -s $(( (DB_MB + PATH_MB) * 2 + 1024 ))M "$T/set.img"
  LOOP2=$(losetup -f --show "$T/set.img"); mkfs.ext4 -q "$LOOP2"; mount "$LOOP2" "$T/setfs"
  SET=$T/setfs/set
fi
mkdir -p "$DB"
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
export VSS_WRITER_PATH=$T/writers VSS_WRITER_HOST=$BUILD/libvss/writer-host/host/vss-writer-host
install -m 644 "$BUILD/writers/directory/directory.so" "$T/writers/"
printf '[directory]\nenvironments=%s\n' "$DB" > "$T/config/directory.conf"

cat > "$T/ldap/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $T/ldap/slapd.pid
argsfile $T/ldap/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize $(( (DB_MB * 2 + 1024) * 1024 * 1024 ))
suffix "$SUFFIX"
rootdn "$ROOTDN"
rootpw secret
directory $DB
index objectClass eq
index uid eq
EOF
# ~1 GiB: entries of ~20 KB (overflow pages, as a directory with photos or certificates)
ENTRIES=$(( DB_MB * 1024 / 21 ))
awk -v n="$ENTRIES" -v suffix="$SUFFIX" 'BEGIN {
  printf "dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: bench\ndc: bench\n\n", suffix
  printf "dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n", suffix
  pad = ""; for (i = 0; i < 250; i++) pad = pad "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
  for (i = 0; i < n; i++)
    printf "dn: uid=user%d,ou=people,%s\nobjectClass: inetOrgPerson\nuid: user%d\ncn: User %d\nsn: %d\ndescription: %d%s\n\n", i, suffix, i, i, i, i, pad
}' > "$T/ldap/data.ldif"
/usr/sbin/slapadd -q -f "$T/ldap/slapd.conf" -l "$T/ldap/data.ldif"
rm -f "$T/ldap/data.ldif"
SOCK="ldapi://$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$T/ldap/ldapi")"
/usr/sbin/slapd -f "$T/ldap/slapd.conf" -h "$SOCK" -s 0
for _ in $(seq 100); do [ -s "$T/ldap/slapd.pid" ] && [ -S "$T/ldap/ldapi" ] && break; sleep 0.05; done
SLAPD=$(cat "$T/ldap/slapd.pid")
ldapsearch -x -H "$SOCK" -b "$SUFFIX" -s base -LLL dn > /dev/null

mkdir -p "$M/other"
for i in $(seq 1 $((PATH_MB / 64))); do head -c 64M /dev/urandom > "$M/other/f$i"; done
sync

# the load: "START_US LATENCY_US" per modify into $T/latency (bounded)
( for k in $(seq 1 1000000); do
    t0=${EPOCHREALTIME/./}
    printf 'dn: uid=user%d,ou=people,%s\nchangetype: modify\nreplace: title\ntitle: t%d\n' \
      $(( (RANDOM * 32768 + RANDOM) % ENTRIES )) "$SUFFIX" "$k" |
      ldapmodify -x -H "$SOCK" -D "$ROOTDN" -w secret > /dev/null 2>&1 || true
    t1=${EPOCHREALTIME/./}
    echo "$t0 $((t1 - t0))"
  done > "$T/latency" ) &
LOAD=$!
sleep 2

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
# run_case NAME EXTRA-ARGS…: ROUNDS backups; their windows into $T/NAME.windows,
# their [start, end] (µs) into $T/NAME.spans
run_case() {
  local name=$1; shift
  : > "$T/$name.windows"; : > "$T/$name.spans"
  for r in $(seq 1 "$ROUNDS"); do
    rm -rf "$SET"
    local s=${EPOCHREALTIME/./}
    "$VSS" --json backup -c directory --provider copy "$@" --to "$SET" > "$T/out" 2>&1 ||
      { cat "$T/out" >&2; exit 1; }
    echo "$s ${EPOCHREALTIME/./}" >> "$T/$name.spans"
    grep -o '"window_ms": *[0-9.]*' "$T/out" | grep -o '[0-9.]*$' | xargs printf '%.1f\n' >> "$T/$name.windows"
    sleep 2
  done
}
# latency NAME: p50 / p99 / max (ms) of the modifies that started during
# NAME's backups, and of those outside every backup
latency() {
  python3 - "$T/latency" "$T"/*.spans "$1" <<'PY'
import sys
lat = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 2]
name = sys.argv[-1]
spans = {p.rsplit('/', 1)[1][:-6]: [tuple(map(int, l.split())) for l in open(p)] for p in sys.argv[2:-1]}
inside = lambda t, ss: any(a <= t <= b for a, b in ss)
every = [s for ss in spans.values() for s in ss]
def stats(xs):
    xs = sorted(x / 1000 for x in xs)
    if not xs: return "none"
    q = lambda f: xs[min(len(xs) - 1, int(f * len(xs)))]
    return "%d modifies, p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (len(xs), q(0.5), q(0.99), xs[-1])
print("during the backups: " + stats([l for t, l in lat if inside(t, spans[name])]))
print("outside every backup: " + stats([l for t, l in lat if not inside(t, every)]))
# where in its backup each slow modify (> 200 ms) started: tenths of the backup's duration
slow = [0] * 10
for t, l in lat:
    for a, b in spans[name]:
        if a <= t <= b and l > 200000:
            slow[min(9, (t - a) * 10 // max(1, b - a))] += 1
print("slow modifies (> 200 ms) by tenth of the backup: " + " ".join(map(str, slow)))
PY
}
echo "set on the ${SET_FS:-same} filesystem; ext4 loop device; data.mdb $(du -h "$DB/data.mdb" | cut -f1) ($ENTRIES entries), --path $(du -sh "$M/other" | cut -f1); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
run_case without
run_case with --path "$M/other"
kill "$LOAD"; wait "$LOAD" 2>/dev/null || true; LOAD=""
for name in without with; do
  echo "$name --path: freeze (window_ms) median $(median < "$T/$name.windows") ms (runs: $(tr '\n' ' ' < "$T/$name.windows"))"
  latency "$name" | sed 's/^/  LDAP modify latency /'
done
awk -v a="$(median < "$T/without.windows")" -v b="$(median < "$T/with.windows")" \
  'BEGIN { printf "ratio with/without: %.2f\n", b / a }'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
