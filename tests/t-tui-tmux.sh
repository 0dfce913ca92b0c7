#!/bin/sh
# t-tui-tmux.sh: the real binary in a real terminal: a detached tmux
# session on a private server socket (tmux -L fs-test-PID), driven with
# send-keys as a person would (open the index, search, open a feature,
# follow a neighbour, go back, resize, quit), with capture-pane to check
# each screen. The tmux server is killed on exit whatever happens.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
	fail tmux-present "tmux is not installed (bootstrap installs it)"
	exit 1
fi
FIX=$(fixture_index) || { fail tmux-fixture "fixture_index failed"; exit 1; }
SOCK=fs-test-$$
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$TMP"' EXIT
TERMNAME=tmux-256color
infocmp "$TERMNAME" >/dev/null 2>&1 || TERMNAME=screen-256color

# wait_for NAME PATTERN: poll the pane (up to ~10 s) until grep -E finds
# PATTERN; one check line either way. The last capture is in $TMP/pane.
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		tm capture-pane -p -t fs >"$TMP/pane" 2>/dev/null
		if grep -Eq -- "$2" "$TMP/pane"; then
			ok "$1"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	fail "$1" "no /$2/ on screen: $(head -c 600 "$TMP/pane" | tr '\n' '~')"
	return 1
}

# A session that outlives the others keeps the server up between runs (a
# server whose last session ends exits, and a new session would race it).
tm new-session -d -s keep -x 20 -y 5 "sleep 600"
start() {
	tm kill-session -t fs >/dev/null 2>&1
	tm new-session -d -s fs -x "$1" -y "$2" \
		"env TERM=$TERMNAME LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME=$HOME $3; echo \$? >$TMP/rc; sleep 30"
}

start 100 30 "$FS $FIX"
wait_for tmux-opens 'features: fix' || exit 1
wait_for tmux-list-rows 'DNA bases in ACGT runs'
# Full-text search, then open the feature whose label matched.
tm send-keys -t fs s
wait_for tmux-search-prompt '^search:'
tm send-keys -t fs Golden Enter
wait_for tmux-search-results "search 'Golden'"
tm send-keys -t fs Enter
wait_for tmux-feature-page 'feature 5 .*\[3\]'
wait_for tmux-feature-label 'Golden Gate Bridge'
wait_for tmux-feature-contexts 'top activations'
# Colours reach the terminal: the heat ramp's 256-colour backgrounds.
tm capture-pane -p -e -t fs >"$TMP/pane-e"
check_grep tmux-heat-colours '48;5;(230|229|222|215|209|203|196)' "$TMP/pane-e"
# Follow a neighbour (the builder's decoder geometry), come back, resize.
tm send-keys -t fs x
wait_for tmux-fix-neighbours 'neighbours of 5 .*\[4\]'
tm send-keys -t fs Enter
wait_for tmux-fix-neighbour-opened 'feature [0-9]+ .*\[5\]'
tm send-keys -t fs q
wait_for tmux-fix-back 'neighbours of 5 .*\[4\]'
tm resize-window -t fs -x 70 -y 20
wait_for tmux-fix-resized '^ neighbours of 5 .{30,}\[4\]$'
awk 'length($0) > 70 { bad = 1 } END { exit bad }' "$TMP/pane" && ok tmux-fix-resize-fits || fail tmux-fix-resize-fits "lines wider than 70 columns"
tm send-keys -t fs q
wait_for tmux-fix-back-feature 'feature 5 .*\[3\]'
tm send-keys -t fs '?'
wait_for tmux-help 'Everywhere'
tm send-keys -t fs q q q
wait_for tmux-back-to-list 'features: fix'
tm send-keys -t fs Q
i=0
while [ ! -s "$TMP/rc" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check_eq tmux-quit-exit-0 0 "$(cat "$TMP/rc" 2>/dev/null)"

# Neighbours (the small fixture has them in two dictionaries): open a
# feature, its neighbours, follow one, come back, resize, quit.
"$B/tools/tui-fixture" small "$TMP/small.sqlite"
rm -f "$TMP/rc"
start 100 30 "$FS $TMP/small.sqlite"
wait_for tmux-small-opens 'features: alpha'
tm send-keys -t fs Enter
wait_for tmux-small-feature 'feature alpha/0 .*\[2\]'
tm send-keys -t fs x
wait_for tmux-neighbours 'neighbours of alpha/0 .*\[3\]'
wait_for tmux-neighbours-rows '0\.800 .* alpha/1 +accented letters'
tm send-keys -t fs j Enter
wait_for tmux-neighbour-opened 'feature alpha/2 .*\[4\]'
tm send-keys -t fs q
wait_for tmux-back 'neighbours of alpha/0 .*\[3\]'
tm send-keys -t fs d
wait_for tmux-other-dict 'neighbours of alpha/0 in beta'
# Resize the window: the layout follows; too small, then big again.
tm resize-window -t fs -x 60 -y 15
wait_for tmux-resize-narrow '^ neighbours of alpha/0 in beta +small.sqlite \[3\]$'
awk 'length($0) > 60 { bad = 1 } END { exit bad }' "$TMP/pane" && ok tmux-resize-fits || fail tmux-resize-fits "lines wider than 60 columns"
tm resize-window -t fs -x 30 -y 8
wait_for tmux-too-small 'terminal too small'
tm resize-window -t fs -x 100 -y 30
wait_for tmux-resize-back '^ neighbours of alpha/0 in beta +small.sqlite \[3\]$'
# A context's escape sequences never reach the terminal raw.
tm send-keys -t fs q q j j j Enter
wait_for tmux-escapes-shown 'red \\x1b\[31mALERT\\x1b\[0m'
tm send-keys -t fs Q
i=0
while [ ! -s "$TMP/rc" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check_eq tmux-small-quit-exit-0 0 "$(cat "$TMP/rc" 2>/dev/null)"

# NO_COLOR: no colour sequences at all, the screen still drawn.
rm -f "$TMP/rc"
start 80 24 "NO_COLOR=1 $FS $FIX"
wait_for tmux-nocolor-opens 'DNA bases'
tm send-keys -t fs Enter
wait_for tmux-nocolor-feature 'top activations'
tm capture-pane -p -e -t fs >"$TMP/pane-e"
check_nogrep tmux-nocolor-no-colours '\[[0-9;]*(3[0-7]|4[0-7]|38;5|48;5)[;m]' "$TMP/pane-e"
tm send-keys -t fs Q

# The shipped demo, opened with no argument, as the README's first command
# does: search, open a feature, follow a neighbour, go back, resize, quit.
if [ -f "$S/data/demo.sqlite" ]; then
	rm -f "$TMP/rc"
	start 120 35 "$FS"
	wait_for tmux-demo-opens 'features: res4k' || exit 1
	tm send-keys -t fs s
	wait_for tmux-demo-search-prompt '^search:'
	tm send-keys -t fs DNA Enter
	wait_for tmux-demo-search-results "search 'DNA'"
	tm send-keys -t fs Enter
	wait_for tmux-demo-feature 'top activations'
	tm send-keys -t fs x
	wait_for tmux-demo-neighbours 'neighbours of [a-z0-9/]+'
	tm send-keys -t fs Enter
	wait_for tmux-demo-neighbour-opened 'feature [a-z0-9/]+ .*\[5\]'
	tm send-keys -t fs q
	wait_for tmux-demo-back 'neighbours of [a-z0-9/]+'
	tm resize-window -t fs -x 80 -y 24
	wait_for tmux-demo-resized '^ neighbours of [a-z0-9/]+.{20,}\[4\]$'
	# display width, not bytes: the demo's labels hold Hangul and CJK
	check tmux-demo-resize-fits python3 -c '
import sys, unicodedata
w = lambda l: sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in l)
bad = [l for l in open(sys.argv[1], encoding="utf-8").read().splitlines() if w(l) > 80]
assert not bad, bad' "$TMP/pane"
	# A long regex scan (about 25 s over the demo's contexts: heavy
	# backtracking) shows its progress, keeps the screen live and stops on Esc.
	tm send-keys -t fs q q q
	wait_for tmux-demo-list-again 'features: res4k'
	tm send-keys -t fs r
	wait_for tmux-demo-regex-prompt '^regex:'
	tm send-keys -t fs -l '(?:.|..){1,12}\d{40}'
	tm send-keys -t fs Enter
	wait_for tmux-demo-regex-scanning 'scanning +[0-9]+% .*Esc cancels'
	t0=$(date +%s)
	tm send-keys -t fs Escape
	wait_for tmux-demo-regex-cancelled 'cancelled'
	check tmux-demo-regex-cancel-prompt test $(( $(date +%s) - t0 )) -le 5
	tm send-keys -t fs Q
	i=0
	while [ ! -s "$TMP/rc" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	check_eq tmux-demo-quit-exit-0 0 "$(cat "$TMP/rc" 2>/dev/null)"
else
	fail tmux-demo "data/demo.sqlite is missing"
fi
tm kill-server >/dev/null 2>&1
ok tmux-cleanup
