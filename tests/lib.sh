# tests/lib.sh: helpers for the shell tests (sourced). Each check prints one
# line, "ok NAME" or "FAIL NAME: why"; tests/run counts them.
# $FS is the built program, $B the build dir, $S the source dir, $TMP a
# scratch directory removed at exit, $GENFIX the fixture generator.
set -u
B=${FS_BUILDDIR:-$(pwd)}
S=${FS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
FS=${FS:-$B/featscope}
# The program itself, never wrapped: for a test's reference computations,
# which need not run under valgrind with the runs they check.
FS_REF=$FS
GENFIX=$B/tests/genfix
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fs-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC NO_COLOR= HOME="$TMP/home" XDG_DATA_HOME="$TMP/home/.local/share"
unset NO_COLOR
mkdir -p "$HOME"

# FS_TEST_VALGRIND=1: every run of the program goes through valgrind
# memcheck; a memory error or a definite leak makes it exit 99.
if [ -n "${FS_TEST_VALGRIND:-}" ]; then
	cat >"$TMP/featscope-vg" <<VG
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$FS" "\$@"
VG
	chmod +x "$TMP/featscope-vg"
	FS=$TMP/featscope-vg
fi

ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; }
# check NAME COMMAND...: passes when the command exits 0
check() { local n=$1; shift; if "$@" >"$TMP/.out" 2>&1; then ok "$n"; else fail "$n" "command failed: $* ($(head -c 300 "$TMP/.out"))"; fi; }
# check_eq NAME EXPECTED ACTUAL
check_eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "expected [$2] got [$3]"; fi; }
# check_grep NAME PATTERN FILE: passes when grep -E finds PATTERN in FILE
check_grep() { if grep -Eq -- "$2" "$3"; then ok "$1"; else fail "$1" "no /$2/ in $3: $(head -c 300 "$3")"; fi; }
# check_nogrep NAME PATTERN FILE
check_nogrep() { if grep -Eq -- "$2" "$3"; then fail "$1" "unexpected /$2/ in $3"; else ok "$1"; fi; }
# check_exit NAME CODE COMMAND...: passes when the command exits with CODE
check_exit() { local n=$1 want=$2; shift 2; "$@" >"$TMP/.out" 2>"$TMP/.err"; local got=$?; if [ "$got" = "$want" ]; then ok "$n"; else fail "$n" "exit $got, wanted $want: $(head -c 300 "$TMP/.err")"; fi; }

# The standard planted-feature fixture index, built once per test run.
fixture_index() {
	local dir=${FS_FIXDIR:-$B/tests/fixture}
	if [ ! -f "$dir/fix.sqlite" ]; then
		mkdir -p "$dir"
		"$GENFIX" "$dir" >/dev/null || return 1
		"$FS" build -o "$dir/fix.sqlite" --sae fix --decoder "$dir/decoder.npy" \
			--unembed "$dir/unembed.npy" --vocab "$dir/vocab.txt" \
			--labels "$dir/labels.tsv" "$dir/records.jsonl" 2>"$dir/build.err" || return 1
	fi
	echo "$dir/fix.sqlite"
}
