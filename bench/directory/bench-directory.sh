#!/bin/bash
# bench-directory.sh BUILD_DIR [REPS] — the directory writer's numbers:
#  1. streaming backup (vss_ds_*) of a ~400 MB slapd environment next to
#     `mdb_copy` of the same live environment, same target, warm cache;
#  2. how long LDAP writes wait while a snapshot is taken (btrfs, reflink on
#     xfs, copy): the coordinator's freeze window, and the worst latency a
#     client doing back-to-back ldapmodify calls saw, next to its median.
# Needs root (loop devices, mounts) and slapd.  Prints markdown;
# docs/benchmarks-directory.md holds a run.  BENCH_STREAM_ONLY=1: part 1 only.
set -euo pipefail
build=$(cd "${1:?usage: $0 BUILD_DIR [REPS]}" && pwd)
reps=${2:-5}
src=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root: loop devices and mounts" >&2; exit 77; }
command -v slapd >/dev/null || [ -x /usr/sbin/slapd ] || { echo "needs slapd" >&2; exit 77; }

work=$(mktemp -d /var/tmp/vss-bench-dir.XXXXXX)
pids=()
cleanup () {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  # the environments live on the loop filesystems: btrfs/vol/ldap, xfs/ldap
  for f in $(find "$work" -name slapd.pid 2>/dev/null); do kill "$(cat "$f")"; done
  sleep 1
  for m in $(grep " $work/" /proc/mounts | awk '{print $2}' | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
  # found by backing file: mkfs_mount runs in a $(…) subshell, so an array
  # it filled would never reach this shell
  for img in "$work"/*.img; do
    for l in $(losetup -n -O NAME -j "$img" 2>/dev/null); do
      for try in 1 2 3 4 5; do losetup -d "$l" 2>/dev/null && break; sleep 1; done
    done
  done
  rm -rf "$work"
}
trap cleanup EXIT

cc -O2 -o "$work/driver" "$src/bench/directory/bench-ds-driver.c" -I"$src/include" \
   -I"$build/include" -L"$build/libvss" -Wl,-rpath,"$build/libvss" -lvss \
   $(pkg-config --cflags --libs glib-2.0 gio-2.0)
mkdir -p "$work/writers" "$work/state" "$work/run" "$work/out"
install -m 0644 "$build/writers/directory/directory.so" "$work/writers/"
export VSS_WRITER_PATH="$work/writers" VSS_STATE_DIR="$work/state" VSS_RUNTIME_DIR="$work/run"
export VSS_CONFIG_DIR="$work"
# writers run in the helper process; the build's, not an installed one
export VSS_WRITER_HOST="$build/libvss/writer-host/host/vss-writer-host"

mkfs_mount () {   # TYPE -> mount point
  truncate -s 3G "$work/$1.img"
  local dev; dev=$(losetup -f --show "$work/$1.img")
  "mkfs.$1" -q "$dev" >/dev/null 2>&1 || "mkfs.$1" -q -F "$dev" >/dev/null
  mkdir -p "$work/$1"; mount "$dev" "$work/$1"; echo "$work/$1"
}
b=$(mkfs_mount btrfs); x=$(mkfs_mount xfs)
btrfs -q subvolume create "$b/vol"

start_slapd () {  # DIR(containing db/) -> sets uri
  local d=$1
  cat > "$d/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $d/slapd.pid
argsfile $d/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 2147483648
suffix "dc=vss,dc=test"
rootdn "cn=admin,dc=vss,dc=test"
rootpw secret
directory $d/db
index objectClass eq
index uid eq
CONF
  uri="ldapi://$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$d/ldapi")"
  slapd -f "$d/slapd.conf" -h "$uri" -s 0
  for _ in $(seq 100); do [ -S "$d/ldapi" ] && break; sleep 0.05; done
}
stop_slapd () { kill "$(cat "$1/slapd.pid")"; while [ -f "$1/slapd.pid" ]; do sleep 0.05; done; }
auth=(-x -D cn=admin,dc=vss,dc=test -w secret)

# ~400 MB: 10,000 people with 20 KB descriptions (overflow pages) + indexes
lb="$b/vol/ldap"; mkdir -p "$lb/db"
python3 - "$work/people.ldif" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("dn: dc=vss,dc=test\nobjectClass: dcObject\nobjectClass: organization\no: vss\ndc: vss\n\n")
    f.write("dn: ou=people,dc=vss,dc=test\nobjectClass: organizationalUnit\nou: people\n\n")
    for i in range(1, 10001):
        f.write(f"dn: uid=u{i},ou=people,dc=vss,dc=test\nobjectClass: inetOrgPerson\nuid: u{i}\n"
                f"cn: user {i}\nsn: {i}\ndescription: {('%05d' % i) * 4000}\n\n")
PY
start_slapd "$lb"; stop_slapd "$lb"           # writes the config the offline load reads
t0=$(date +%s.%N)
slapadd -q -f "$lb/slapd.conf" -l "$work/people.ldif"
load_s=$(echo "$(date +%s.%N) - $t0" | bc)
# slapadd -q leaves a sparse file as large as maxsize: rewrite it dense,
# as an online-grown environment is (and as the copy provider must read it)
mkdir "$lb/dense"; mdb_copy "$lb/db" "$lb/dense"; mv "$lb/dense/data.mdb" "$lb/db/data.mdb"
rmdir "$lb/dense"; rm -f "$lb/db/lock.mdb"
start_slapd "$lb"
size=$(stat -c %s "$lb/db/data.mdb")
printf '[directory]\nenvironments=%s\n' "$lb/db" > "$work/directory.conf"

# Wall seconds of one command, timed from outside like every other: the
# process start, module loading and exit count for each tool alike.
timed () {
  local t0; t0=$(date +%s%N)
  "$@" >/dev/null
  echo "scale=3; ($(date +%s%N) - $t0) / 1000000000" | bc | sed 's/^\./0./'
}
run_copy () {  # WHICH -> seconds; output in $work/out/WHICH/data.mdb
  mkdir -p "$work/out/$1"; sync
  case $1 in
    mdb_copy) timed mdb_copy "$lb/db" "$work/out/$1" ;;
    to_fd) timed "$work/driver" stream-fd "$work/out/$1" ;;
    read) timed "$work/driver" stream "$work/out/$1" ;;
  esac
}
median () { sort -n | sed -n "$(( (reps + 1) / 2 ))p"; }

echo "## Streaming backup vs mdb_copy (live slapd, $((size / 1048576)) MiB data.mdb, loaded in ${load_s%.*} s, warm cache, $reps reps)"
echo
echo "Each tool writes data.mdb into an empty directory on the same filesystem with O_DIRECT (mdb_copy sets it on its output; the driver does the same), after a \`sync\`, with data.mdb in the page cache for all; each is timed from outside as a whole process (start, prepare, copy, end, exit); the order rotates every rep; every output is compared byte for byte with mdb_copy's. \`to_fd\`: \`vss_ds_backup_read_to_fd\` (the pages written from the pinned map, as mdb_copy writes them); \`read\`: \`vss_ds_backup_read\` into a 16 MiB buffer, then write(). Ratio = mdb_copy time / stream time (1.0: as fast). Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| rep | mdb_copy s | to_fd s | read s | ratio to_fd | ratio read |"
echo "|---|---|---|---|---|---|"
cat "$lb/db/data.mdb" > /dev/null
: > "$work/ratios"
orders=("mdb_copy to_fd read" "to_fd read mdb_copy" "read mdb_copy to_fd")
for r in $(seq "$reps"); do
  rm -rf "$work/out"/*
  declare -A t=()
  for which in ${orders[$(( (r - 1) % 3 ))]}; do t[$which]=$(run_copy "$which"); done
  for which in to_fd read; do
    cmp -s "$work/out/mdb_copy/data.mdb" "$work/out/$which/data.mdb" || t[$which]="${t[$which]} (differs!)"
  done
  rf=$(echo "scale=3; ${t[mdb_copy]} / ${t[to_fd]%% *}" | bc); rr=$(echo "scale=3; ${t[mdb_copy]} / ${t[read]%% *}" | bc)
  echo "$rf $rr" >> "$work/ratios"
  echo "| $r | ${t[mdb_copy]} | ${t[to_fd]} | ${t[read]} | $rf | $rr |"
done
echo
echo "median ratio: to_fd $(cut -d' ' -f1 "$work/ratios" | median), read $(cut -d' ' -f2 "$work/ratios" | median) (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
echo
if [ "${BENCH_STREAM_ONLY:-0}" = 1 ]; then stop_slapd "$lb"; exit 0; fi

# The same environment on xfs (a copy with slapd stopped) for reflink.
stop_slapd "$lb"
lx="$x/ldap"; mkdir -p "$lx/db"; cp --sparse=never "$lb/db/data.mdb" "$lx/db/"
# A client doing back-to-back single modifies, each latency in ms.
writer_loop () {  # URI LOG
  local i=0
  while :; do
    i=$((i + 1))
    local t0; t0=$(date +%s%N)
    printf 'dn: uid=u%d,ou=people,dc=vss,dc=test\nchangetype: modify\nreplace: sn\nsn: w%d\n\n' \
      $((i % 10000 + 1)) "$i" | ldapmodify "${auth[@]}" -H "$1" >/dev/null
    echo $(( ($(date +%s%N) - t0) / 1000000 )) >> "$2"
  done
}
echo "## LDAP write wait during a snapshot ($reps snapshots each, client doing back-to-back ldapmodify)"
echo
echo "| provider (fs) | freeze window ms (median / max) | commit ms (median) | client write latency ms: median / max during the run |"
echo "|---|---|---|---|"
for case in "btrfs:$lb" "reflink:$lx" "copy:$lx"; do
  prov=${case%%:*}; d=${case#*:}
  printf '[directory]\nenvironments=%s\n' "$d/db" > "$work/directory.conf"
  start_slapd "$d"
  log="$work/lat-$prov"; : > "$log"
  writer_loop "$uri" "$log" & pids+=($!)
  sleep 1
  : > "$work/win"
  for r in $(seq "$reps"); do "$work/driver" snapshot "$d/db" "$prov" >> "$work/win"; sleep 0.3; done
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
  stop_slapd "$d"
  wmed=$(awk '{print $1}' "$work/win" | sort -n | sed -n "$(( (reps + 1) / 2 ))p")
  wmax=$(awk '{print $1}' "$work/win" | sort -n | tail -1)
  cmed=$(awk '{print $2}' "$work/win" | sort -n | sed -n "$(( (reps + 1) / 2 ))p")
  n=$(wc -l < "$log")
  lmed=$(sort -n "$log" | sed -n "$(( (n + 1) / 2 ))p"); lmax=$(sort -n "$log" | tail -1)
  fs=$(stat -f -c %T "$d")
  echo "| $prov ($fs) | $wmed / $wmax | $cmed | $lmed / $lmax ($n writes) |"
done
