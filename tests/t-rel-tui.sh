#!/bin/sh
# t-rel-tui.sh: the browser under attack from outside: a `notes set` from
# the command line while the note editor is open (its save keeps what the
# CLI set, and a conflicting note text is shown, never overwritten); Ctrl-S
# with the terminal's XON/XOFF flow control (it must reach the editor, not
# freeze the screen); a terminal that vanishes under a browser whose SIGHUP
# is ignored (it must exit, not spin).
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

FIX=$(fixture_index) || { fail rel-tui-fixture "fixture_index failed"; exit 1; }
NOTES=$TMP/notes.sqlite

# session NAME: run the browser headless on $TMP/NAME.keys in the
# background; the script's ":touch $TMP/NAME.open" says the editor is open,
# and it waits at ":wait-file $TMP/NAME.go"
session() {
	sed -i "s|TMPDIR|$TMP|g" "$TMP/$1.keys"
	FEATSCOPE_SCRIPT=$TMP/$1.keys FEATSCOPE_SIZE=100x12 TERM=xterm-256color \
		"$FS" --notes "$NOTES" "$FIX" 2>"$TMP/$1.err" &
	PID=$!
	i=0
	while [ ! -e "$TMP/$1.open" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
}
# finish NAME: let the script go on, wait for the browser
finish() {
	: >"$TMP/$1.go"
	wait "$PID"
	check_eq "$1: browser exit" 0 $?
}
show() { "$FS" notes show --json --notes "$NOTES" "$FIX" "$1" 2>&1; }

# --- the editor's save keeps a label, tags and bookmark set meanwhile
cat >"$TMP/keep.keys" <<'KEYS'
<Enter>
etyped in the editor
:touch TMPDIR/keep.open
:wait-file TMPDIR/keep.go
<Esc>
KEYS
session keep
"$FS" notes set --notes "$NOTES" "$FIX" 0 --label "cli label" --tag clitag --bookmark >"$TMP/set.out" 2>&1 ||
	fail "keep: notes set" "$(cat "$TMP/set.out")"
finish keep
show 0 >"$TMP/keep.json"
check_grep "editor keeps the CLI's label" '"label": *"cli label"' "$TMP/keep.json"
check_grep "editor keeps the CLI's tag" 'clitag' "$TMP/keep.json"
check_grep "editor keeps the CLI's bookmark" '"bookmark": *(true|1)' "$TMP/keep.json"
check_grep "editor saved its text" '"note": *"typed in the editor"' "$TMP/keep.json"

# --- the label prompt's save keeps a note text and a tag set meanwhile
cat >"$TMP/lab.keys" <<'KEYS'
<Enter>
:touch TMPDIR/lab.open
:wait-file TMPDIR/lab.go
L<C-u>prompt label<Enter>
KEYS
session lab
"$FS" notes set --notes "$NOTES" "$FIX" 0 --note "cli text" --tag second >"$TMP/set.out" 2>&1 ||
	fail "lab: notes set" "$(cat "$TMP/set.out")"
finish lab
show 0 >"$TMP/lab.json"
check_grep "label prompt sets the label" '"label": *"prompt label"' "$TMP/lab.json"
check_grep "label prompt keeps the CLI's note" '"note": *"cli text"' "$TMP/lab.json"
check_grep "label prompt keeps the CLI's tag" 'second' "$TMP/lab.json"

# --- the note text itself changed meanwhile: a conflict, shown; the stored
# text is not overwritten; closing keeps both
cat >"$TMP/cf.keys" <<'KEYS'
<Enter>
e mine
:touch TMPDIR/cf.open
:wait-file TMPDIR/cf.go
<Esc>
:save-display TMPDIR/cf.screen
:touch TMPDIR/cf.shown
:wait-file TMPDIR/cf.go2
<Esc>
KEYS
session cf
"$FS" notes set --notes "$NOTES" "$FIX" 0 --note "theirs" >"$TMP/set.out" 2>&1 ||
	fail "cf: notes set" "$(cat "$TMP/set.out")"
: >"$TMP/cf.go"
i=0
while [ ! -e "$TMP/cf.shown" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
check_grep "conflict shown in the editor" 'CONFLICT: changed elsewhere' "$TMP/cf.screen"
check_grep "conflict explained on the status line" 'changed elsewhere since you opened it: not saved' "$TMP/cf.screen"
show 0 >"$TMP/cf1.json"
check_grep "conflict: the stored text is not overwritten" '"note": *"theirs"' "$TMP/cf1.json"
: >"$TMP/cf.go2"
wait "$PID"
check_eq "cf: browser exit" 0 $?
show 0 >"$TMP/cf2.json"
check_grep "conflict: closing keeps the stored text" '"note": *"theirs\\n--- your edit' "$TMP/cf2.json"
check_grep "conflict: closing keeps the editor's text" 'cli text mine"' "$TMP/cf2.json"
check_grep "conflict: the label stays" '"label": *"prompt label"' "$TMP/cf2.json"
