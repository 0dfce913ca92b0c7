#!/bin/sh
# t-notes-kill.sh: notes survive a SIGKILL of the TUI mid-edit. In a real
# tmux, the browser's note editor ('e') saves on close (Ctrl-X) and after
# an idle pause in typing; we kill -9 the program while the editor is open,
# then check with sqlite3 and the CLI, and by restarting the browser, that
# every note saved before the kill is there and the database is intact.
# Skipped (no FAIL) when tmux or sqlite3 is missing or the program has no
# note editor (its key table, from gen keys, lacks edit-note).
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

skip() { echo "# t-notes-kill: skipped: $1"; exit 0; }
command -v tmux >/dev/null 2>&1 || skip "no tmux"
command -v sqlite3 >/dev/null 2>&1 || skip "no sqlite3"
"$FS" gen keys 2>/dev/null | sed 's/\\-/-/g' >"$TMP/keys"
grep -q 'edit-note' "$TMP/keys" || skip "this featscope has no note editor (no edit-note in gen keys)"

IX=$(fixture_index) || { fail kill-fixture "fixture_index failed"; exit 1; }
NDB=$TMP/kill-notes.sqlite
# a private tmux server whose socket lives (and dies) in $TMP
T() { tmux -S "$TMP/tmux.sock" -f /dev/null "$@"; }
trap 'T kill-server >/dev/null 2>&1; rm -rf "$TMP"' EXIT

# wait_for WHAT CMD...: poll (every 0.1 s, at most 10 s) until CMD succeeds
wait_for() {
	local what=$1 i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -ge 100 ]; then
			echo "# timed out waiting for $what"
			T capture-pane -p -t fs 2>/dev/null | sed 's/^/# | /'
			return 1
		fi
		sleep 0.1
	done
}
screen_has() { T capture-pane -p -t fs | grep -q -- "$1"; }
# the key of the feature holding exactly this note (the browser decides
# which feature is selected; the test does not assume it)
key_of() { sqlite3 "$NDB" "SELECT key FROM notes WHERE note = '$1'" 2>/dev/null; }
db_has_note() { [ -n "$(key_of "$1")" ]; }
start() {
	T new-session -d -s fs -x 110 -y 32 \
		"exec env TERM=xterm-256color LANG=C.UTF-8 HOME=$HOME XDG_DATA_HOME=$XDG_DATA_HOME $FS --notes $NDB $IX"
	wait_for "the browser to draw" screen_has 'fix/1\|uppercase'
}

start || { fail kill-start "the browser did not start in tmux"; exit 1; }
PID=$(T list-panes -t fs -F '#{pane_pid}')

# 1: a note typed and closed with Ctrl-X on the first feature
T send-keys -t fs e
wait_for "the editor" screen_has 'Ctrl-X' || fail kill-editor-opens "no editor after 'e'"
T send-keys -t fs -l 'closed before the kill'
T send-keys -t fs C-x
wait_for "the save on close" db_has_note 'closed before the kill'
check_eq kill-saved-on-close 0 $?
K1=$(key_of 'closed before the kill')

# 2: on the next feature, typing then a pause: the idle save
T send-keys -t fs j
T send-keys -t fs e
wait_for "the second editor" screen_has 'Ctrl-X'
T send-keys -t fs -l 'saved by the idle pause'
wait_for "the idle save" db_has_note 'saved by the idle pause'
check_eq kill-saved-when-idle 0 $?
K2=$(key_of 'saved by the idle pause')
if [ -n "$K2" ] && [ "$K2" != "$K1" ]; then ok kill-second-feature; else fail kill-second-feature "keys [$K1] [$K2]"; fi

# 3: more typing, and SIGKILL at once, editor still open
T send-keys -t fs -l ' and then more'
kill -9 "$PID"
wait_for "the program to die" sh -c "! kill -0 $PID"
check_eq kill-killed 0 $?

check_eq kill-integrity ok "$(sqlite3 "$NDB" 'PRAGMA integrity_check')"
check_eq kill-note-1-kept 'closed before the kill' "$(sqlite3 "$NDB" "SELECT note FROM notes WHERE key = '$K1'")"
N2=$(sqlite3 "$NDB" "SELECT note FROM notes WHERE key = '$K2'")
case "$N2" in
'saved by the idle pause'*) ok kill-note-2-kept ;;
*) fail kill-note-2-kept "got [$N2]" ;;
esac
"$FS" notes show "$IX" "$K1" --notes "$NDB" >"$TMP/show" 2>&1
check_grep kill-cli-reads '^    closed before the kill$' "$TMP/show"

# 4: the browser starts again on the same notes and shows them
T kill-server >/dev/null 2>&1
start
check_eq kill-restart 0 $?
T send-keys -t fs e
wait_for "the note in the editor after restart" screen_has 'closed before the kill'
check_eq kill-restart-shows-note 0 $?
T send-keys -t fs C-x
T send-keys -t fs Q
