# lib.sh — shared by the restic tests: TAP helpers, a private vss
# environment in $T, the certificate writer over a WAL-mode SQLite CA
# store ($DB) and a fresh restic repository ($REPO).  Source it with
# BUILD set; it sets T, VSS, DB, REPO, WWW and exports the vss variables.
set -uo pipefail
VSS=$BUILD/requester/vss
for p in restic sqlite3 python3 findmnt; do
  command -v "$p" >/dev/null || { echo "1..0 # SKIP needs $p (scripts/deps installs it)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (mount and PID namespaces)"; exit 0; }

T=$(mktemp -d /tmp/vss-restic-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  # a vss killed with -9 leaves its snapshots (with their mounts) behind
  "$VSS" shadows delete --all >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
export VSS_WRITER_PATH=$T/writers VSS_WRITER_HOST=$BUILD/libvss/writer-host/host/vss-writer-host
export RESTIC_PASSWORD=vss-test RESTIC_CACHE_DIR=$T/restic-cache
mkdir -p "$T"/{config,state,run,writers,ca,www,out}
install -m 644 "$BUILD"/writers/certificate/certificate.so "$T/writers/"
DB=$T/ca/ca.db
REPO=$T/repo
WWW=$T/www
printf '[certificate]\ndatabases=%s\n' "$DB" > "$T/config/certificate.conf"
restic init -q -r "$REPO" > /dev/null

n=0; failed=0
ok()   { n=$((n + 1)); echo "ok $n - $1"; }
nok()  { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what" "command: $*"; fi; }
finish() { echo "1..$n"; [ $failed -eq 0 ]; exit $?; }
q() { sqlite3 -cmd '.timeout 5000' "$DB" "$1"; }
# json FILE EXPR: EXPR (python, over `events`, the NDJSON lines) is true
json() {
  python3 - "$1" "$2" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
summary = ([e for e in events if e.get('type') == 'summary'] or [{}])[-1]
restic = ([e for e in events if e.get('type') == 'restic'] or [{}])[-1]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}
show() { sed 's/^/#   /' "$@" | head -40; }
# the host's mount points of this test (other tests mount in parallel),
# less the snapshot provider's own, and the view's metadata mount point
mounts() {
  awk '{print $5}' /proc/self/mountinfo | grep -E "^($T/|/run/vss/set)" | grep -v "^$T/state/snapshots/" | sort
}

# The CA: WAL mode, a keeper connection holding it open, no autocheckpoint.
ca_start() {
  [ -e "$DB" ] || sqlite3 "$DB" "PRAGMA journal_mode=WAL; CREATE TABLE certificates(id INTEGER PRIMARY KEY, subject TEXT, der BLOB);" >/dev/null
  rm -f "$T/keeper.in"; mkfifo "$T/keeper.in"
  sqlite3 -cmd '.timeout 5000' -cmd 'PRAGMA wal_autocheckpoint=0' "$DB" < "$T/keeper.in" >/dev/null & KEEPER=$!
  PIDS+=("$KEEPER")
  exec 9>"$T/keeper.in"
  echo "SELECT count(*) FROM certificates;" >&9
}
ca_stop() { exec 9>&-; wait "$KEEPER" 2>/dev/null; }
ca_insert() {  # ca_insert PAIRS: that many transactions of two rows
  local i sql="PRAGMA wal_autocheckpoint=0;"
  for i in $(seq "$1"); do sql+="BEGIN; INSERT INTO certificates(subject, der) VALUES ('CN=a', randomblob(300)), ('CN=b', randomblob(300)); COMMIT;"; done
  q "$sql" >/dev/null
}
