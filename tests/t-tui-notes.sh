#!/bin/sh
# t-tui-notes.sh: the user's notes from the browser: own label, tags,
# bookmark and a multi-line note typed in the editor are saved through
# notes_put (checked with `featscope notes show`), shown on the feature
# page and in the list, kept across sessions; the editor also saves after
# an idle pause while still open (real terminal, tmux).
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

G=$S/tests/golden
FIX=$(fixture_index) || { fail tui-notes-fixture "fixture_index failed"; exit 1; }
NOTES=$TMP/notes.sqlite

# golden NAME: compare $TMP/NAME.out with tests/golden/NAME.screen.
golden() {
	if [ "${GENERATE:-}" = 1 ]; then
		cp "$TMP/$1.out" "$G/$1.screen"
		ok "screen-$1 (generated)"
	elif cmp -s "$TMP/$1.out" "$G/$1.screen"; then
		ok "screen-$1"
	else
		fail "screen-$1" "differs from tests/golden/$1.screen: $(diff "$G/$1.screen" "$TMP/$1.out" 2>&1 | head -8 | tr '\n' '~')"
	fi
}
# 80x10 shows only the planted features (the fixture's noise features vary
# with the compiler that built tests/genfix).
run() { FEATSCOPE_SCRIPT=$1 FEATSCOPE_SIZE=80x10 TERM=xterm-256color "$FS" --notes "$NOTES" "$FIX" 2>"$TMP/run.err"; }

cat >"$TMP/s1.keys" <<'KEYS'
<Enter>
Lmy DNA label<Enter>
Tdna planted<Enter>
b
efirst line<Enter>second: 東京<Esc>
:save-display TMPDIR/notes-feature.out
q
:save-display TMPDIR/notes-list.out
KEYS
sed -i "s|TMPDIR|$TMP|" "$TMP/s1.keys"
run "$TMP/s1.keys"
check_eq notes-session-exit 0 $?
golden notes-feature
golden notes-list
"$FS" notes show --notes "$NOTES" "$FIX" 0 >"$TMP/show.txt" 2>&1
check_grep notes-saved-label 'my DNA label' "$TMP/show.txt"
check_grep notes-saved-tags 'dna' "$TMP/show.txt"
check_grep notes-saved-tag2 'planted' "$TMP/show.txt"
check_grep notes-saved-note 'second: 東京' "$TMP/show.txt"
"$FS" notes show --json --notes "$NOTES" "$FIX" 0 >"$TMP/show.json" 2>&1
check_grep notes-saved-bookmark '"bookmark": *(true|1)' "$TMP/show.json"
check_grep notes-saved-multiline 'first line\\nsecond' "$TMP/show.json"

# A second session sees them; unbookmark, and the automatic label stays.
cat >"$TMP/s2.keys" <<'KEYS'
<Enter>
b
:save-display TMPDIR/notes-again.out
KEYS
sed -i "s|TMPDIR|$TMP|" "$TMP/s2.keys"
run "$TMP/s2.keys"
golden notes-again
"$FS" notes show --json --notes "$NOTES" "$FIX" 0 >"$TMP/show2.json" 2>&1
check_grep notes-unbookmarked '"bookmark": *(false|0)' "$TMP/show2.json"
check_grep notes-still-labelled 'my DNA label' "$TMP/show2.json"

# Cancelling the label prompt changes nothing.
printf '<Enter>\nLzzz<Esc>\n' >"$TMP/s3.keys"
run "$TMP/s3.keys"
"$FS" notes show --notes "$NOTES" "$FIX" 0 >"$TMP/show3.txt" 2>&1
check_nogrep notes-cancel-keeps 'zzz' "$TMP/show3.txt"

# Idle autosave while the editor is still open (a real terminal).
if command -v tmux >/dev/null 2>&1; then
	SOCK=fs-test-$$
	tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
	trap 'tm kill-server >/dev/null 2>&1; rm -rf "$TMP"' EXIT
	tm new-session -d -s fs -x 80 -y 24 "env TERM=tmux-256color LANG=C.UTF-8 $FS --notes $NOTES $FIX; sleep 30"
	i=0
	until tm capture-pane -p -t fs | grep -q 'DNA'; do sleep 0.1; i=$((i + 1)); [ $i -gt 100 ] && break; done
	tm send-keys -t fs j Enter
	sleep 0.3
	tm send-keys -t fs e
	sleep 0.3
	tm send-keys -t fs 'typed then paused'
	i=0
	found=no
	while [ $i -lt 50 ]; do
		sleep 0.1
		"$FS" notes show --notes "$NOTES" "$FIX" 1 2>/dev/null | grep -q 'typed then paused' && { found=yes; break; }
		i=$((i + 1))
	done
	check_eq notes-idle-autosave yes "$found"
	tm capture-pane -p -t fs >"$TMP/pane"
	check_grep notes-editor-open 'note on 1' "$TMP/pane"
	tm send-keys -t fs Escape
	sleep 0.2
	tm send-keys -t fs Q
	tm kill-server >/dev/null 2>&1
fi

# The browser and the command line open the same default notes database
# (keyed by the index's dictionaries): a label set from the CLI shows up.
"$FS" notes set "$FIX" 2 --label "digits (set from the CLI)" >/dev/null
printf '%s\n' "2" "<Enter>" ":save-display $TMP/shared.out" >"$TMP/shared.keys"
FEATSCOPE_SCRIPT=$TMP/shared.keys FEATSCOPE_SIZE=100x30 TERM=xterm-256color "$FS" "$FIX" 2>"$TMP/shared.err"
check_grep "tui-cli-share-notes" "digits \(set from the CLI\)" "$TMP/shared.out"
