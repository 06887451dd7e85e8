# drill-lib.sh — shared by the restore drills (docs/restore.md): TAP
# output, a temp dir and every process started cleaned up on any exit,
# the vss environment pointed at the temp dir, backups that retry when a
# lock was busy, checksums of a live store, the JSON of `vss --json`.
# Sourced by drill-*.sh with BUILD set; never run by itself.

VSS=$BUILD/requester/vss
n=0; failed=0
PIDS=()            # processes to stop on exit (children and daemons)
CLEANUPS=()        # commands run on exit, before the temp dir goes

ok()   { n=$((n + 1)); echo "ok $n - $1"; }
nok()  { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; local l; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what" "command: $*"; return 1; fi; }
note() { echo "# $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
drill_done() { echo "1..$n"; [ $failed -eq 0 ]; }

need_programs() {  # need_programs PROG… : skip the whole drill when one is missing
  local p
  for p in "$@"; do
    command -v "$p" >/dev/null 2>&1 || [ -x "$p" ] ||
      skip_all "needs $p (apt-get install slapd ldap-utils lmdb-utils sqlite3 libnss3-tools openssl)"
  done
}
need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root: $*"; }

# Stop one process we started: TERM, then KILL after ~5 s; bounded.
stop_pid() {
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null
  for i in $(seq 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
}

drill_cleanup() {
  local c p
  for c in "${CLEANUPS[@]:-}"; do [ -n "$c" ] && eval "$c" >/dev/null 2>&1; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && stop_pid "$p"; done
  [ -n "${DRILL_KEEP:-}" ] && echo "# kept $T" || rm -rf "$T"
}

# drill_init NAME: the temp dir $T, traps, the vss environment
drill_init() {
  T=$(mktemp -d "/tmp/vss-drill-$1-XXXXXX")
  trap drill_cleanup EXIT
  trap 'exit 143' TERM INT HUP
  export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
  export VSS_WRITER_PATH=$T/writers
  # meson's test setup names the helper of the build tree; by hand, find it
  if [ -z "${VSS_WRITER_HOST:-}" ]; then
    export VSS_WRITER_HOST=$BUILD/libvss/writer-host/host/vss-writer-host
  fi
  mkdir -p "$T"/{config,state,run,writers,sets,out}
}

# install_writer DIR/NAME.so… : only these writers take part
install_writer() {
  local w
  for w in "$@"; do install -m 644 "$BUILD/writers/$w" "$T/writers/"; done
}

# vss_run NAME ARGS… : runs vss, output in $T/out/NAME.out (stdout),
# $T/out/NAME.err (stderr); sets RC.  Bounded by timeout.
vss_run() {
  local name=$1; shift
  timeout 90 "$VSS" "$@" > "$T/out/$name.out" 2> "$T/out/$name.err"
  RC=$?
}
# the whole output of a run, for a failure's comment
show() { sed 's/^/| /' "$T/out/$1.out" "$T/out/$1.err" | tail -n "${2:-15}"; }
# (grep on the files: `cat | grep -q` fails under pipefail when grep
# stops reading early and cat dies of SIGPIPE)
said() { grep -q -- "$2" "$T/out/$1.out" "$T/out/$1.err"; }
unsaid() { ! said "$@"; }

# vss_backup NAME ARGS… : `vss backup ARGS --to $T/sets/NAME`; a retryable
# failure (a lock was busy: "try again") is retried, at most 3 times.
vss_backup() {
  local name=$1 try; shift
  for try in 1 2 3; do
    rm -rf "$T/sets/$name" "$T/sets/$name.partial"
    vss_run "backup-$name" backup "$@" --to "$T/sets/$name"
    [ $RC -eq 0 ] && return 0
    said "backup-$name" "try again" || break
    note "backup $name: retryable failure, try $try"
  done
  show "backup-$name"
  return $RC
}

# sums DIR [EXCLUDE-REGEX]: "sha256 inode path" of every file under DIR,
# sorted: the content and the identity of each file (a file renamed over
# has another inode even with the same bytes).
sums() {
  local dir=$1 ex=${2:-'^$'}
  find "$dir" -type f | grep -Ev -- "$ex" | sort | while read -r f; do
    printf '%s %s %s\n' "$(sha256sum < "$f" | cut -c1-64)" "$(stat -c %i "$f")" "$f"
  done
}
# same_sums WHAT BEFORE-FILE DIR [EXCLUDE]: a check that nothing changed
same_sums() {
  local what=$1 before=$2 dir=$3 ex=${4:-'^$'}
  sums "$dir" "$ex" > "$before.after"
  if cmp -s "$before" "$before.after"; then ok "$what"
  else nok "$what" "changed (before < > after):" "$(diff "$before" "$before.after" | head -12)"; fi
}

# JSON of `vss --json`: json_q FILE PYTHON-EXPR, with `ev` the list of
# objects and `comp(sub)` the component objects whose name holds sub,
# `summary` the last summary; prints the value (True/False for checks).
json_q() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
ev = []
for line in open(sys.argv[1]):
    line = line.strip()
    if line:
        try: ev.append(json.loads(line))
        except ValueError: pass
summ = [e for e in ev if e.get('type') == 'summary']
summary = summ[-1] if summ else {}
def comp(sub):
    return [e for e in ev if e.get('type') == 'component' and sub in e.get('component', '')]
print(eval(sys.argv[2]))
EOF
}
json_true() { [ "$(json_q "$1" "$2")" = True ]; }

# put N FILE / get FILE: a number shared with a background loop, written
# atomically (a reader never sees the file empty)
put() { echo "$1" > "$2.tmp" && mv -f "$2.tmp" "$2"; }
get() { local v; v=$(cat "$1" 2>/dev/null); echo "${v:-0}"; }

# json_refused WHAT FILE SUB REASON: the component whose name holds SUB is
# reported refused by its writer, with REASON, in its line and the summary
json_refused() {
  check "$1: JSON: its outcome is \"refused\"" json_true "$2" \
    "len(comp('$3')) == 1 and comp('$3')[0].get('outcome') == 'refused'"
  check "$1: JSON: the summary lists it as refused, with the reason" json_true "$2" \
    "summary.get('components_refused') == 1 and any('$3' in r.get('component', '') and '$4' in r.get('message', '') for r in summary.get('refused', []))"
}

# A free loopback TCP port (bound by nobody at the time of asking).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
