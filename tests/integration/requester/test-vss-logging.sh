#!/usr/bin/env bash
# What an admin reads in a log: a writer's own log line reaches vss's
# stderr once, with the writer's name and without GLib's prefix nested
# inside vss's; every NDJSON line says when it was written ("time", ISO
# 8601 UTC with microseconds).  Usage: test-vss-logging.sh BUILD_ROOT.
# Prints TAP.
set -uo pipefail
BUILD=$1
VSS=$BUILD/requester/vss

T=$(mktemp -d /tmp/vss-logging-XXXXXX)
trap 'rm -rf "$T"' EXIT
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
export VSS_WRITER_HOST=${VSS_WRITER_HOST:-$BUILD/libvss/writer-host/host/vss-writer-host}
export VSS_WRITER_PATH=$T/writers VSS_TEST_DATA_DIR=$T/data VSS_WRITER_SOCKET=$T/run/none.sock
mkdir -p "$T"/{config,state,run,writers,data}
install -m 644 "$BUILD/tests/writers/libvss-test-recorder.so" "$T/writers/"
printf 'data\n' >"$T/data/a.txt"

n=0
ok()  { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

# --- a writer's log line, relayed from its helper process
VSS_TEST_LOG_EVENT=freeze "$VSS" backup --to "$T/set" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 0 ] && ok "a backup with a logging writer succeeds" || nok "a backup with a logging writer succeeds" "exit $rc" "$(cat "$T/err")"
lines=$(grep -c 'logged at freeze' "$T/err")
[ "$lines" -eq 1 ] && ok "the writer's line is relayed once" || nok "the writer's line is relayed once" "$lines lines:" "$(cat "$T/err")"
line=$(grep 'logged at freeze' "$T/err")
case $line in
  *"writer recorder: recorder: logged at freeze") ok "…naming the writer, the writer's text at the end" ;;
  *) nok "…naming the writer, the writer's text at the end" "line: $line" ;;
esac
if grep -q '\*\*' <<<"$line" || [ "$(grep -o 'Message' <<<"$line" | wc -l)" -ne 1 ]; then
  nok "…with one GLib prefix, not the helper's nested in vss's" "line: $line"
else
  ok "…with one GLib prefix, not the helper's nested in vss's"
fi

# --- NDJSON time
"$VSS" --json backup --to "$T/set-json" >"$T/out.ndjson" 2>/dev/null
"$VSS" --json status >>"$T/out.ndjson" 2>/dev/null
python3 - "$T/out.ndjson" <<'PY' && ok "every NDJSON line has a 'time': ISO 8601 UTC with microseconds, now, in order" ||
import datetime, json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) >= 3, lines
now = datetime.datetime.now(datetime.timezone.utc)
previous = None
for l in lines:
    t = l.get("time")
    assert t and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", t), l
    when = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    assert abs((now - when).total_seconds()) < 120, (t, now)
    assert previous is None or when >= previous, (t, previous)
    previous = when
PY
  nok "every NDJSON line has a 'time': ISO 8601 UTC with microseconds, now, in order" "$(head -3 "$T/out.ndjson")"

echo "1..$n"
