#!/bin/bash
# test-pkg-config.sh BUILD_DIR SOURCE_DIR — the out-of-tree proof.
#
# Installs the build into a DESTDIR, builds examples/my-writer.c and
# examples/backup-once.c with nothing but the installed vss.pc (no source
# tree, no build tree), runs one backup with the installed libvss and the
# example writer, and checks what it printed.  Exit 0 pass, 1 fail, 77 skip
# (no C compiler).
set -u

build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
cc=${CC:-cc}

if ! command -v "$cc" >/dev/null 2>&1; then
  echo "SKIP: no C compiler ($cc)"
  exit 77
fi
if ! command -v pkg-config >/dev/null 2>&1; then
  echo "FAIL: pkg-config is not installed; it is how users build against libvss"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vss-pkg-config.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0
fail () { echo "FAIL: $*"; failures=$((failures + 1)); }
die () { echo "FAIL: $*"; exit 1; }
show () { echo "---- $1"; cat "$1"; echo "----"; }

# ---- install into a DESTDIR -------------------------------------------------
# --no-rebuild: meson test already built everything, and a rebuild from a
# running test would race the other tests.
if ! meson install -C "$build" --destdir "$tmp/root" --no-rebuild >"$tmp/install.log" 2>&1; then
  show "$tmp/install.log"
  die "meson install --destdir failed"
fi
pcfile=$(find "$tmp/root" -name vss.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pcfile" ] || die "vss.pc was not installed (looked under $tmp/root)"
prefix=$(PKG_CONFIG_PATH=$(dirname "$pcfile") pkg-config --variable=prefix vss) ||
  die "pkg-config cannot read $pcfile"
# Point the pc file at the DESTDIR.  Neither pkg-config option does it alone:
# --define-prefix guesses the prefix from the pc file's place assuming
# <prefix>/lib/pkgconfig, which a multiarch libdir (lib/x86_64-linux-gnu)
# breaks (it yields <dest>/lib/include), and --define-variable=prefix=… also
# rewrites glib's prefix.  So: a copy of the installed vss.pc whose one
# prefix= line names the DESTDIR, exactly what --define-variable would do to
# vss alone.
root_prefix="$tmp/root$prefix"
mkdir -p "$tmp/pkgconfig"
sed "s|^prefix=.*|prefix=$root_prefix|" "$pcfile" >"$tmp/pkgconfig/vss.pc"
export PKG_CONFIG_PATH="$tmp/pkgconfig"
pc () { pkg-config "$@"; }
pc --exists --print-errors vss || die "pkg-config cannot resolve vss (or what it requires)"
libdir=$(pc --variable=libdir vss)
writerdir=$(pc --variable=writerdir vss)
echo "installed: prefix $prefix, libdir $libdir, writerdir $writerdir"

for header in vss.h vss-writer.h vss-backup-components.h vss-version.h; do
  [ -f "$(pc --variable=includedir vss)/vss/$header" ] || fail "header vss/$header not installed"
done
[ -e "$libdir/libvss.so" ] || fail "libvss.so (the development link) not installed in $libdir"
case "$writerdir" in
  "$libdir"/vss/writers) ;;
  *) fail "writerdir is $writerdir, expected $libdir/vss/writers" ;;
esac

# ---- build the examples with pkg-config only --------------------------------
mkdir -p "$tmp/ex" "$tmp/writers" "$tmp/data/sub" "$tmp/config" "$tmp/state" "$tmp/run"
cp "$src/examples/my-writer.c" "$src/examples/backup-once.c" "$tmp/ex/"
warn=(-Wall -Wextra -Wno-unused-parameter -Werror)
# shellcheck disable=SC2046
if ! (cd "$tmp/ex" && "$cc" "${warn[@]}" -shared -fPIC -o my-writer.so my-writer.c \
        $(pc --cflags --libs vss gmodule-2.0)) >"$tmp/cc-writer.log" 2>&1; then
  show "$tmp/cc-writer.log"
  die "my-writer.c does not build with pkg-config --cflags --libs vss gmodule-2.0"
fi
# shellcheck disable=SC2046
if ! (cd "$tmp/ex" && "$cc" "${warn[@]}" -o backup-once backup-once.c \
        $(pc --cflags --libs vss)) >"$tmp/cc-requester.log" 2>&1; then
  show "$tmp/cc-requester.log"
  die "backup-once.c does not build with pkg-config --cflags --libs vss"
fi
install -m 644 "$tmp/ex/my-writer.so" "$tmp/writers/my-writer.so"

# ---- run one backup ---------------------------------------------------------
printf 'hello from the pkg-config test\n' >"$tmp/data/hello.txt"
head -c 12345 /dev/urandom >"$tmp/data/sub/blob.bin"

run_env=(env LD_LIBRARY_PATH="$libdir" VSS_WRITER_PATH="$tmp/writers"
         VSS_CONFIG_DIR="$tmp/config" VSS_STATE_DIR="$tmp/state" VSS_RUNTIME_DIR="$tmp/run"
         MY_WRITER_DIR="$tmp/data")
# In the sanitizer build the installed libvss needs the ASan runtime first
# in the process; the examples are built plainly, as a user would.
asan_runtime=$(ldd "$libdir/libvss.so.0" 2>/dev/null | awk '/libasan/ {print $3}')
if [ -n "$asan_runtime" ]; then
  run_env+=(LD_PRELOAD="$asan_runtime" ASAN_OPTIONS=detect_leaks=0)
fi
if command -v ldd >/dev/null 2>&1; then
  "${run_env[@]}" ldd "$tmp/ex/backup-once" >"$tmp/ldd.log" 2>&1
  grep -q "libvss.so.0 => $libdir/libvss.so.0" "$tmp/ldd.log" ||
    { show "$tmp/ldd.log"; fail "backup-once does not use the installed libvss"; }
fi

"${run_env[@]}" "$tmp/ex/backup-once" "$tmp/set" >"$tmp/out" 2>"$tmp/err"
rc=$?
show "$tmp/out"
show "$tmp/err"
[ "$rc" -eq 0 ] || fail "backup-once exited with $rc"

# The writer answered and ended stable, without a failure.
grep -qx 'component: my-writer/data ok' "$tmp/out" || fail "component my-writer/data was not backed up"
grep -qx 'writer my-writer: state stable, failure none' "$tmp/out" ||
  fail "writer status is not 'stable, failure none'"
[ "$(grep -c '^writer ' "$tmp/out")" -eq 1 ] || fail "expected exactly one writer status line"
grep -qx 'backup succeeded' "$tmp/out" || fail "backup-once did not report success"

# The snapshot held the data, with the right sizes: in the state dir, or
# (a copy the provider made) beside the set, to be moved into it.
realdata=$(cd "$tmp/data" && pwd -P)
snap=$(sed -n "s|^snapshot set [0-9a-f-]*: $realdata is at \(.*\) (provider [a-z]*)\$|\1|p" "$tmp/out")
[ -n "$snap" ] || fail "no 'snapshot set …: $realdata is at …' line"
case "$snap" in
  "$tmp"/state/* | "$tmp"/.set.vss-staging/*) ;;
  *) fail "snapshot path $snap is neither under VSS_STATE_DIR ($tmp/state) nor beside the set" ;;
esac
# The set holds the data, with the right sizes, and the progress total was
# known before the copy (the last line: all of it done).
[ -n "$(find "$tmp/set/files" -name hello.txt -size 31c)" ] || fail "the set lacks hello.txt (31 bytes)"
[ -n "$(find "$tmp/set/files" -path '*/sub/blob.bin' -size 12345c)" ] ||
  fail "the set lacks sub/blob.bin (12345 bytes)"
grep -Eq 'copied ([1-9][0-9]*) of \1 bytes' "$tmp/err" || fail "no final progress with done == total > 0"

# The writer saw its directory inside the committed snapshot.
grep -qF "my-writer: post_snapshot: $realdata is at $snap" "$tmp/err" ||
  fail "on_post_snapshot did not find $realdata at $snap"

# The events, in order, each once, and nothing else (no abort).
events=$(sed -n 's/.*my-writer: \([a-z_]*\):.*/\1/p' "$tmp/err" | tr '\n' ' ')
expected='identify prepare_backup prepare_snapshot freeze thaw post_snapshot backup_complete '
[ "$events" = "$expected" ] || fail "writer events were '$events', expected '$expected'"
grep -q 'my-writer: thaw: releasing the lock' "$tmp/err" || fail "thaw did not release the freeze lock"
grep -q 'my-writer: backup_complete: the backup succeeded' "$tmp/err" ||
  fail "on_backup_complete did not see backup_succeeded"

# The set's document: the writer's stamp, the requester's success, the snapshot.
if [ -f "$tmp/set/bcd.json" ]; then
  grep -Eq '"backup_stamp": "[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$tmp/set/bcd.json" ||
    fail "the BCD has no backup stamp from on_prepare_backup"
  grep -q '"backup_succeeded": true' "$tmp/set/bcd.json" || fail "the BCD does not record backup_succeeded"
  grep -qF "\"snapshot_path\": \"$snap\"" "$tmp/set/bcd.json" || fail "the BCD does not record the snapshot path"
else
  fail "backup-once wrote no set with a bcd.json in $tmp/set"
fi

# The guide shows the example verbatim.
guide="$src/docs/writing-a-writer.md"
if [ -f "$guide" ]; then
  awk '/^```c$/ { on = 1; next } on && /^```$/ { exit } on' "$guide" >"$tmp/guide-example.c"
  cmp -s "$tmp/guide-example.c" "$src/examples/my-writer.c" ||
    fail "docs/writing-a-writer.md does not show examples/my-writer.c verbatim (first \`\`\`c block)"
fi

# Nothing left behind: the snapshot of a backup-context set ends with it.
[ ! -e "$snap" ] || fail "the snapshot $snap was not deleted when backup-once ended"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "pkg-config example: all checks passed"
exit 0
