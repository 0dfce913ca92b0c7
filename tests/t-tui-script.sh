#!/bin/sh
# t-tui-script.sh: the browser's headless script mode on inputs the TUI
# fuzz target (tests/fuzz/fuzz-tui.c) found or that stress it: a regex
# screen with a pattern that does not compile (re-ranking it with 'o'
# crashed: a scan started with no pattern) and one with no hits (a
# memcpy from NULL, undefined behaviour caught by UBSan), scripts with
# unknown keys or invalid UTF-8 (refused with FILE:LINE), and a session
# over a hostile index. Each must end cleanly; under the sanitizer build
# (.ci/run stage 4) any memory error or UB fails the run.
. "$(dirname "$0")/lib.sh"

IX=$(fixture_index) || { fail "fixture index" "build failed"; exit 1; }
export FEATSCOPE_SIZE=80x24 TERM=xterm-256color

# run NAME SCRIPT-TEXT WANT-EXIT: run the browser on the script
run() {
	printf '%s' "$2" >"$TMP/keys"
	FEATSCOPE_SCRIPT=$TMP/keys "$FS" --notes "$TMP/notes.sqlite" "${4:-$IX}" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" = "$3" ]; then ok "$1"; else fail "$1" "exit $rc, wanted $3: $(head -c 300 "$TMP/err")"; fi
}

run "regex screen: pattern that does not compile" 'r
:)ort() 
<Enter>
q
Q
' 0
run "regex screen: pattern with no hits" 'r
zzzzqqqxxx
<Enter>
q
Q
' 0
run "regex screen: re-rank (o) after a pattern that does not compile" 'r
(?iDn>q|cat
<Enter>
o
o
q
Q
' 0
run "regex screen: empty pattern" 'r
<Enter>
q
Q
' 0
run "script with an unknown key is refused" 'jj<NoSuchKey>
' 1
check_grep "unknown key: FILE:LINE in the message" 'keys:1: script: unknown key' "$TMP/err"
run "script with invalid UTF-8 in a command is refused" "$(printf ':\377\376\n')" 1
check_grep "invalid UTF-8: FILE:LINE in the message" 'keys:1: script: invalid UTF-8' "$TMP/err"
run "resize to 1x1 and back" ':resize 1x1
jjj
:resize 200x60
<Enter>
Q
' 0
run "every screen once" 'jjj
<Enter>
x
q
c
q
m
q
s
the
<Enter>
<Enter>
q
q
/DNA
<Enter>
:sort density
G
g
?
q
Q
' 0
