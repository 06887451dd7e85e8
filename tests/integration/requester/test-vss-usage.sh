#!/usr/bin/env bash
# The command line's self-description cannot go stale: every command and
# every option `vss COMMAND --help` shows is offered by the bash completion
# and listed in the man page (docs/vss.1: a COMMANDS entry, and the option
# in the command's SYNOPSIS line); every --help usage line reads
# "vss COMMAND [OPTION…]"; an extra positional argument is bad usage.
# Usage: test-vss-usage.sh BUILD_ROOT SOURCE_ROOT.  Prints TAP.
set -uo pipefail
VSS=$1/requester/vss
SRC=$2
COMPLETION=$SRC/data/vss.bash-completion
MAN=$SRC/docs/vss.1

T=$(mktemp -d /tmp/vss-usage-XXXXXX)
trap 'rm -rf "$T"' EXIT
export VSS_CONFIG_DIR=$T/config VSS_STATE_DIR=$T/state VSS_RUNTIME_DIR=$T/run
export VSS_WRITER_PATH=$T/no-writers VSS_WRITER_SOCKET=$T/run/writers.sock
mkdir -p "$T"/{config,state,run,no-writers}

n=0
ok()  { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check_empty() {  # check_empty WHAT MISSING…: ok when nothing is missing
  local what=$1; shift
  if [ $# -eq 0 ]; then ok "$what"; else nok "$what" "missing: $*"; fi
}

# The commands `vss --help` lists, and each one's options from its --help.
mapfile -t commands < <("$VSS" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p')
[ "${#commands[@]}" -ge 8 ] && ok "vss --help lists the commands (${commands[*]})" ||
  nok "vss --help lists the commands" "found: ${commands[*]}"
options_of() { "$VSS" "$1" --help | sed -n 's/^  *\(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' | sort -u; }

# What the completion offers for the words "vss WORDS… CUR".
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vss; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$COMPLETION" vss "$@"
}

# --- completion
offered=$(complete_words "")
missing=(); for c in "${commands[@]}"; do grep -qx -- "$c" <<<"$offered" || missing+=("$c"); done
check_empty "the completion offers every command" "${missing[@]}"
for c in "${commands[@]}"; do
  offered=$(complete_words "$c" "--")
  missing=(); for o in $(options_of "$c"); do grep -qx -- "$o" <<<"$offered" || missing+=("$o"); done
  check_empty "the completion offers every option of 'vss $c'" "${missing[@]}"
done

# --- the man page: troff escapes '-' as '\-'
man_text=$(sed 's/\\-/-/g; s/\\f[BIR]//g' "$MAN")
synopsis=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH /{/^\.SH/!p}' <<<"$man_text" | tr '\n' ' ' | sed 's/\.br/\n/g')
commands_section=$(sed -n '/^\.SH COMMANDS/,/^\.SH /p' <<<"$man_text")
for c in "${commands[@]}"; do
  line=$(grep -E -- "^ *\.B vss +(\[--json\] +)?$c( |$)" <<<"$synopsis")
  if [ -z "$line" ]; then nok "the man page has a SYNOPSIS line for '$c'"; continue; fi
  grep -qE -- "^\.B $c( |$)" <<<"$commands_section" || { nok "the man page describes '$c' under COMMANDS"; continue; }
  missing=()
  for o in $(options_of "$c"); do
    case $o in --help|--json) continue ;; esac   # common to all: under OPTIONS
    grep -qE -- "$o([^a-z-]|$)" <<<"$line" || missing+=("$o")
  done
  check_empty "the man page lists '$c' and its options in the SYNOPSIS" "${missing[@]}"
done
missing=(); for o in --json --help; do grep -qE "^\.B $o" <<<"$man_text" || missing+=("$o"); done
check_empty "the man page's OPTIONS describe --json and --help" "${missing[@]}"
for section in FILES ENVIRONMENT "EXIT STATUS"; do
  grep -qx "\.SH \"\{0,1\}$section\"\{0,1\}" <<<"$man_text" && ok "the man page has a $section section" ||
    nok "the man page has a $section section"
done
for f in directory.conf certificate.conf script.conf writer-socket.conf; do
  sed -n '/^\.SH FILES/,/^\.SH /p' <<<"$man_text" | grep -q "/etc/vss/$f" ||
    { nok "FILES names /etc/vss/$f"; continue; }
  ok "FILES names /etc/vss/$f"
done

# --- usage lines
for c in "${commands[@]}"; do
  usage=$("$VSS" "$c" --help | sed -n '2p')
  case $usage in
    "  vss $c [OPTION…]"*) ok "'vss $c --help' reads 'vss $c [OPTION…]'" ;;
    *) nok "'vss $c --help' reads 'vss $c [OPTION…]'" "got: $usage" ;;
  esac
done

# --- extra positional arguments are bad usage (exit 2), before any work
extra_usage() {  # extra_usage CMD ARGS…: exit 2 and "unexpected"/usage text
  "$VSS" "$@" >"$T/out" 2>&1; local rc=$?
  if [ $rc -eq 2 ] && grep -q "Try 'vss $1 --help'" "$T/out"; then ok "vss $* is bad usage (exit 2)"
  else nok "vss $* is bad usage (exit 2)" "exit $rc: $(head -c 300 "$T/out")"; fi
}
extra_usage writers stray
extra_usage status stray
extra_usage daemon stray
extra_usage shadows list stray
extra_usage shadows delete ID stray
extra_usage restore-gate "$T" stray
extra_usage restore-gate
"$VSS" status >/dev/null 2>&1; rc=$?
[ $rc -eq 0 ] && ok "vss status without arguments still runs (exit 0)" || nok "vss status without arguments still runs" "exit $rc"

echo "1..$n"
