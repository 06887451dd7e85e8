#!/usr/bin/env bash
# The exit codes of `vss` as monitoring reads them (docs/vss.1): 0 all
# that was asked for is in the set; 3 a set was made but a chosen
# component or writer failed; 1 nothing usable was made (and no set is
# left that looks like one); 2 bad usage; 4 busy.  Each row: a situation,
# the command, the code, and what must (not) exist afterwards.  Checks
# that come before the freeze are proved by the test writers' event
# records: no writer was frozen.
# Usage: test-exit-codes.sh BUILD_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1
VSS=$BUILD/requester/vss

T=$(mktemp -d /tmp/vss-exit-XXXXXX)
trap 'rm -rf "$T"' EXIT
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
export VSS_TEST_RECORD_DIR=$T/records
mkdir -p "$T"/{config,state,run,records,writers,sets,data}
printf 'alpha\n' > "$T/data/a.txt"
export VSS_TEST_DATA_DIR=$T/data

n=0; failed=0
ok()   { n=$((n + 1)); echo "ok $n - $1"; }
nok()  { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

writers() {  # only these test writers are installed
  rm -rf "$T/writers"; mkdir -p "$T/writers"
  for w in "$@"; do install -m 644 "$BUILD/tests/writers/libvss-test-$w.so" "$T/writers/"; done
  export VSS_WRITER_PATH=$T/writers
}
froze() { cat "$T"/records/*.events 2>/dev/null | grep -q '^freeze '; }
not_frozen() { ! froze; }

# row WANT "what" -- vss args…   (runs vss, compares the exit code)
row() {
  local want=$1 what=$2; shift 3
  rm -f "$T"/records/*
  "$VSS" "$@" > "$T/out" 2>&1; local rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$what: exit $want"
  else nok "$what: exit $want" "got $rc: vss $*" "$(sed 's/^/  /' "$T/out")"; fi
}
expect() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what" "command: $*"; fi; }

writers recorder
row 0 "a backup of every component" -- backup --to "$T/sets/ok"
row 2 "an unknown --component" -- backup -c no-such-writer --to "$T/sets/x"
expect "…made no set" test ! -e "$T/sets/x"
row 2 "an unknown option" -- backup --frobnicate --to "$T/sets/x"
row 2 "a stray argument" -- backup --to "$T/sets/x" extra

row 1 "--to that exists" -- backup --to "$T/sets/ok"
expect "…found before any writer was frozen" not_frozen
row 1 "--to whose parent is missing" -- backup --to "$T/no/such/parent/set"
expect "…found before any writer was frozen" not_frozen
expect "…and the message says to create it" grep -q 'create it first' "$T/out"
row 1 "--base that is not a set" -- backup --type incremental --base /etc --to "$T/sets/x"
expect "…found before any writer was frozen" not_frozen
expect "…saying it is no backup set (not that a backup was interrupted)" \
  bash -c "grep -q 'is not a backup set' '$T/out' && ! grep -q interrupted '$T/out'"

row 0 "--dry-run" -- backup --dry-run --to "$T/sets/dry"
expect "…froze nothing" not_frozen
expect "…made no set" test ! -e "$T/sets/dry"
expect "…said what it would freeze" grep -q 'would freeze and back up recorder/data' "$T/out"

writers
row 1 "no writer and no --path: nothing to back up" -- backup --to "$T/sets/empty"
expect "…made no set" test ! -e "$T/sets/empty"
row 0 "no writer but a --path" -- backup --path "$T/data" --to "$T/sets/path"
mkdir -p "$T/data/cache/deep" "$T/data/keep"; echo x > "$T/data/cache/deep/f"; echo y > "$T/data/keep/f.tmp"
echo z > "$T/data/keep/f.txt"
row 0 "--exclude under a --path tree" -- backup --path "$T/data" --exclude cache --exclude '*.tmp' --to "$T/sets/excl"
expect "…left out the excluded directory and names, kept the rest" bash -c \
  "! grep -q '/cache' '$T/sets/excl/manifest.json' && ! grep -q 'f.tmp' '$T/sets/excl/manifest.json' && grep -q 'keep/f.txt' '$T/sets/excl/manifest.json'"
row 0 "…and the set verifies" -- verify "$T/sets/excl"
row 2 "--exclude without --path" -- backup --exclude '*.tmp' --to "$T/sets/x"
mkdir -p "$T/config/jobs" "$T/nightly" "$T/slow"
printf '[job]\ndestination=%s\npaths=%s\nexcludes=cache\n' "$T/nightly" "$T/data" > "$T/config/jobs/nightly.conf"
row 0 "--job with a job file" -- backup --job nightly
expect "…wrote a set in its destination, with its excludes" bash -c \
  "ls '$T/nightly' | grep -q -- '-full\$' && ! grep -q '/cache' '$T'/nightly/*-full/manifest.json"
printf '[job]\ndestination=%s\npaths=%s\ncopy_priority=lowest\n' "$T/slow" "$T/data" > "$T/config/jobs/slow.conf"
row 2 "--job whose copy_priority is not a priority" -- backup --job slow
expect "…and names the key and its file" grep -q "$T/config/jobs/slow.conf: copy_priority must be background, normal or idle" "$T/out"
printf '[job]\ndestination=%s\npaths=%s\ncopy_priority=idle\n' "$T/slow" "$T/data" > "$T/config/jobs/slow.conf"
row 0 "--job with copy_priority=idle" -- backup --job slow
row 2 "--job that has no file" -- backup --job weekly
expect "…and says which file it looked for" grep -q "$T/config/jobs/weekly.conf" "$T/out"
row 0 "--job with --type incremental builds on the newest set there" -- backup --job nightly --type incremental
expect "…an incremental set next to the full one" bash -c "ls '$T/nightly' | grep -q -- '-incremental\$'"

writers recorder veto
export VSS_TEST_VETO_EVENT=prepare_backup
row 3 "one of two chosen writers refuses" -- backup --to "$T/sets/partial"
expect "…and the set holds the other" test -e "$T/sets/partial/manifest.json"
row 0 "a writer with nothing chosen refuses: no concern of this backup" -- backup -c recorder --to "$T/sets/chosen"
row 1 "the only chosen writer refuses" -- backup -c veto --to "$T/sets/refused"
expect "…made no set that looks like a backup" bash -c "test ! -e '$T/sets/refused' && test ! -e '$T/sets/refused.partial'"
unset VSS_TEST_VETO_EVENT

# --- a non-root run says first which privilege is missing
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  chmod 755 "$T"
  env -u VSS_STATE_DIR -u VSS_RUNTIME_DIR -u VSS_CONFIG_DIR HOME=/nonexistent \
    setpriv --reuid=65534 --regid=65534 --clear-groups "$VSS" backup --path "$T/data" --to /tmp/vss-nonroot-$$ \
    > "$T/out" 2>&1; rc=$?
  if [ $rc -eq 1 ] && grep -q '^vss: not running as root' "$T/out" && ! grep -q leftovers "$T/out"; then
    ok "a run without root and without a state directory says so first (exit 1)"
  else nok "a run without root and without a state directory says so first (exit 1)" "got $rc" "$(cat "$T/out")"; fi
else
  ok "a run without root says so first # SKIP needs root and setpriv"
fi

# --- shipped writers: installed but not configured take no part
rm -rf "$T/writers"; mkdir -p "$T/writers"
install -m 644 "$BUILD/writers/directory/directory.so" "$BUILD/writers/certificate/certificate.so" "$T/writers/"
[ -f "$BUILD/writers/postgresql/postgresql.so" ] && install -m 644 "$BUILD/writers/postgresql/postgresql.so" "$T/writers/"
row 0 "vss writers with writers installed but not configured" -- writers
expect "…shows them as not configured, naming the file" grep -q 'directory .*not configured.*directory.conf does not exist' "$T/out"
row 0 "a backup beside writers not configured" -- backup --path "$T/data" --to "$T/sets/unconf"
printf '[directory]\nenvironments=%s\n' "$T/no/such/env" > "$T/config/directory.conf"
row 1 "vss writers with a configured writer that fails" -- writers
row 3 "a backup of every writer while a configured one fails" -- backup --path "$T/data" --to "$T/sets/broken"
rm -f "$T/config/directory.conf"

# --- a hook refused for its mode quiesces nothing: its component fails
rm -rf "$T/writers"; mkdir -p "$T/writers" "$T/config/hooks.d"
install -m 644 "$BUILD/writers/script/script.so" "$T/writers/"
printf '#!/bin/sh\nexit 0\n' > "$T/config/hooks.d/10-app"; chmod 0777 "$T/config/hooks.d/10-app"
row 1 "a backup whose only hook is refused for its mode" -- backup -c script --to "$T/sets/hook"
expect "…says which hook and what to do" grep -q '10-app is writable by group or others.*chmod go-w' "$T/out"
chmod 0755 "$T/config/hooks.d/10-app"
row 0 "…and with the hook's mode fixed" -- backup -c script --to "$T/sets/hook"

# --- a module whose constructor crashes is loaded in a probe, never into vss
writers recorder crash-on-load
row 0 "vss writers beside a module that crashes when loaded" -- writers
expect "…names the module and says it crashed" grep -q 'libvss-test-crash-on-load.so crashed while loading' "$T/out"
row 0 "…and a backup of the other writer succeeds" -- backup --to "$T/sets/beside-crash"

# --- a module whose constructor never returns: its probe is killed at the
# limit (VSS_PROBE_TIMEOUT_MS, here 1 s), vss goes on with the others
writers recorder hang-on-load
START=$(date +%s%N)
VSS_PROBE_TIMEOUT_MS=1000 row 0 "vss writers beside a module that hangs when loaded" -- writers
expect "…within 5 s ($(( ($(date +%s%N) - START) / 1000000 )) ms)" test $(( ($(date +%s%N) - START) / 1000000 )) -lt 5000
expect "…names the module and says it hung" grep -q 'libvss-test-hang-on-load.so hung while loading (more than 1.0 s' "$T/out"
VSS_PROBE_TIMEOUT_MS=1000 row 0 "…and a backup of the other writer succeeds" -- backup --to "$T/sets/beside-hang"
expect "…and no probe is left running" bash -c "! pgrep -f -- '[-]-probe .*libvss-test-hang-on-[l]oad' >/dev/null"

writers recorder
row 0 "verify of a good set" -- verify "$T/sets/ok"
printf 'x' >> "$(find "$T/sets/ok/files" -type f -name a.txt)"
row 1 "verify of a damaged set" -- verify "$T/sets/ok"
row 2 "verify without a set" -- verify
writers recorder veto
export VSS_TEST_VETO_EVENT=none
row 0 "a backup of two writers" -- backup --to "$T/sets/both"
row 0 "restore elsewhere, both writers agree" -- restore --from "$T/sets/both" --to "$T/r0"
export VSS_TEST_VETO_EVENT=pre_restore
row 3 "restore where one of two writers refuses" -- restore --from "$T/sets/both" --to "$T/r1"
row 1 "restore whose only chosen writer refuses" -- restore --from "$T/sets/both" -c veto --to "$T/r2"
row 2 "restore of a component the set does not hold" -- restore --from "$T/sets/both" -c nope --to "$T/r3"
row 1 "restore of a set that is not there" -- restore --from "$T/sets/none" --to "$T/r4"
unset VSS_TEST_VETO_EVENT

echo "1..$n"
[ $failed -eq 0 ]
