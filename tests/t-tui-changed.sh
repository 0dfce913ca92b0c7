#!/bin/sh
# t-tui-changed.sh: the open index overwritten in place under the browser
# (issue 31, item 7). `cp other.sqlite open.sqlite` or a truncation keeps
# the file's inode but not its bytes: the browser must not read the old
# mapping (SIGBUS, exit 135, the terminal left in curses mode) nor mix the
# two files. It notices the change before the next key, says the index
# file changed and opens it again; a file that is no index any more ends
# the browser with one line and the terminal restored, never a crash.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

FIX=$(fixture_index) || { fail tui-changed-fixture "fixture_index failed"; exit 1; }
FD=$(dirname "$FIX")
export FEATSCOPE_SCRIPT_SYNC=1
# a smaller index to copy over the open one: pages the browser has not
# read yet lie past its end
head -n 40 "$FD/records.jsonl" >"$TMP/few.jsonl"
"$FS" build --no-progress -o "$TMP/small.sqlite" --sae small "$TMP/few.jsonl" >"$TMP/small.build" 2>&1 ||
	fail "small index builds" "$(head -c 300 "$TMP/small.build")"

# run NAME ACTION: the browser on a copy of the fixture; once it is open,
# ACTION (a shell command) changes the file; then it presses G (the end
# of the list: reads the index), saves the screen and quits.
run() {
	cp "$FIX" "$TMP/$1.sqlite"
	cat >"$TMP/$1.keys" <<KEYS
:touch $TMP/$1.open
:wait-file $TMP/$1.go
G
:save-display $TMP/$1.screen
G
:save-display $TMP/$1.screen2
q
KEYS
	FEATSCOPE_SCRIPT=$TMP/$1.keys FEATSCOPE_SIZE=100x12 TERM=xterm-256color \
		"$FS" --notes "$TMP/$1.notes" "$TMP/$1.sqlite" >"$TMP/$1.out" 2>"$TMP/$1.err" &
	PID=$!
	i=0
	while [ ! -e "$TMP/$1.open" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	eval "$2"
	: >"$TMP/$1.go"
	wait "$PID"
	RC=$?
}

# --- another index copied over the open one (same inode, new bytes)
run cp 'cp "$TMP/small.sqlite" "$TMP/cp.sqlite"'
check_eq "cp over the open index: the browser goes on and quits normally (no SIGBUS)" 0 "$RC"
check_grep "cp over the open index: the browser says the index file changed" 'index file changed' "$TMP/cp.screen"
check_grep "cp over the open index: it shows the new file's dictionary" 'features: small' "$TMP/cp.screen2"
check_nogrep "cp over the open index: nothing of the old file's dictionary after the reopen" 'features: fix' "$TMP/cp.screen2"
check_eq "cp over the open index: nothing on stderr" "" "$(cat "$TMP/cp.err")"

# --- the open index truncated to nothing
run trunc ': >"$TMP/trunc.sqlite"'
check_eq "truncated open index: the browser ends with exit 1, not a crash" 1 "$RC"
check_grep "truncated open index: one line says the file changed and why it cannot be read" \
	"^featscope: $TMP/trunc.sqlite: the index file changed while the browser had it open, and cannot be opened again: " "$TMP/trunc.err"
check_eq "truncated open index: one line on stderr" 1 "$(wc -l <"$TMP/trunc.err")"

# --- truncated to half its size (the old mapping's second half is gone)
run half 'truncate -s $(($(stat -c %s "$TMP/half.sqlite") / 2)) "$TMP/half.sqlite"'
case $RC in
0 | 1) ok "half-truncated open index: no crash (exit $RC)" ;;
*) fail "half-truncated open index: no crash" "exit $RC: $(head -c 300 "$TMP/half.err")" ;;
esac

# --- touched (mtime only), then renamed over: the rename keeps working as
# before (the browser reads the file it opened and says so)
run touch 'touch -d "2001-01-01" "$TMP/touch.sqlite"'
check_eq "touched open index: exit 0" 0 "$RC"
check_grep "touched open index: opened again, same dictionary" 'features: fix' "$TMP/touch.screen2"
run mv 'cp "$TMP/small.sqlite" "$TMP/new.sqlite"; mv "$TMP/new.sqlite" "$TMP/mv.sqlite"'
check_eq "index renamed over: exit 0" 0 "$RC"
check_grep "index renamed over: the old file still shown" 'features: fix' "$TMP/mv.screen2"
check_grep "index renamed over: the browser says it was replaced" 'index file was replaced' "$TMP/mv.screen2"

# --- the real terminal (tmux): the browser leaves curses mode cleanly
if command -v tmux >/dev/null 2>&1; then
	cp "$FIX" "$TMP/tm.sqlite"
	SOCK=$TMP/tmux.sock
	tm() { tmux -S "$SOCK" "$@"; }
	tm -f /dev/null new-session -d -x 100 -y 20 "sh -c '\"$FS\" --notes \"$TMP/tm.notes\" \"$TMP/tm.sqlite\" 2>\"$TMP/tm.err\"; echo \"exit=\$?\" >\"$TMP/tm.rc\"; sleep 30'"
	i=0
	while ! tm capture-pane -p 2>/dev/null | grep -q 'features: fix' && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	: >"$TMP/tm.sqlite"
	tm send-keys G
	i=0
	while [ ! -s "$TMP/tm.rc" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	check_eq "tmux: truncated open index, G: exit 1, not a crash" "exit=1" "$(cat "$TMP/tm.rc" 2>/dev/null)"
	check_grep "tmux: the one line says the file changed" 'the index file changed while the browser had it open' "$TMP/tm.err"
	tm kill-server >/dev/null 2>&1
fi
