#!/usr/bin/env bash
# The C in docs/writing-a-writer.md stays true: the complete example is
# examples/my-writer.c verbatim (test-pkg-config.sh builds and runs that),
# and every other ```c fragment compiles against the headers with
# vss/vss.h included, warnings as errors.
# Usage: test-writer-guide.sh BUILD_ROOT SOURCE_ROOT.  Prints TAP.
set -uo pipefail
BUILD=$1; SRC=$2
T=$(mktemp -d /tmp/vss-guide-XXXXXX)
trap 'rm -rf "$T"' EXIT
python3 - "$SRC/docs/writing-a-writer.md" "$T" <<'PY'
import sys
text = open(sys.argv[1]).read().split("\n")
blocks, cur = [], None
for line in text:
    if cur is None and line.strip() == "```c":
        cur = []
    elif cur is not None and line.strip() == "```":
        blocks.append("\n".join(cur) + "\n"); cur = None
    elif cur is not None:
        cur.append(line)
for i, b in enumerate(blocks):
    open(f"{sys.argv[2]}/block{i}.c", "w").write(b)
PY
n=0; failed=0
ok()  { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; printf '%s\n' "$@" | sed 's/^/# /'; }
count=$(ls "$T"/block*.c 2>/dev/null | wc -l)
if [ "$count" -ge 5 ]; then ok "the guide has its C blocks ($count)"; else nok "the guide has its C blocks (found $count)"; fi
if cmp -s "$T/block0.c" "$SRC/examples/my-writer.c"; then ok "the complete example is examples/my-writer.c verbatim"
else nok "the complete example is examples/my-writer.c verbatim" "$(diff "$T/block0.c" "$SRC/examples/my-writer.c" | head -10)"; fi
CFLAGS=(-std=c11 -fsyntax-only -Wall -Wextra -Werror -Wno-unused-function -I"$SRC/include" -I"$BUILD/include"
        $(pkg-config --cflags glib-2.0 gmodule-2.0))
for f in "$T"/block*.c; do
  [ "$f" = "$T/block0.c" ] && continue
  { echo '#include <vss/vss.h>'; cat "$f"; } > "$f.full.c"
  first=$(grep -m1 -o '^[a-z_]* (' "$f" | tr -d ' (')
  if out=$(cc "${CFLAGS[@]}" "$f.full.c" 2>&1); then ok "the fragment ${first:-$(basename "$f")} compiles"
  else nok "the fragment ${first:-$(basename "$f")} compiles" "$out"; fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
