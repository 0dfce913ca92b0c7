#!/bin/sh
# t-tui-graph-tmux.sh: the graph screen in a real terminal: a detached
# tmux session on a private server socket, driven with send-keys: open a
# real graph (Neuronpedia's gemma-2-2b CLT fixture) with an index, walk a
# link in and back, prune live, open the graph from the feature list with
# R, quit. What the pane shows is checked against python3's json reading
# of the file. The tmux server is killed on exit whatever happens.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
	fail tmux-present "tmux is not installed (bootstrap installs it)"
	exit 1
fi
GF=$S/tests/fixtures/graphs/123-gemma-2-2b-clt-hp.json
FIX=$(fixture_index) || { fail tmux-graph-fixture "fixture_index failed"; exit 1; }
SOCK=fs-test-graph-$$
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server >/dev/null 2>&1; rm -rf "$TMP"' EXIT
TERMNAME=tmux-256color
infocmp "$TERMNAME" >/dev/null 2>&1 || TERMNAME=screen-256color

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
py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$GF"; }

SLUG=$(py 'd["metadata"]["slug"]')
NN=$(py 'len(d["nodes"])')
TOP=$(py 'max((n for n in d["nodes"] if n["feature_type"] == "logit"), key=lambda n: n["token_prob"])["node_id"]')
IN=$(py 'max((l for l in d["links"] if l["target"] == "'"$TOP"'"), key=lambda l: abs(l["weight"]))["source"]')

tm new-session -d -s keep -x 20 -y 5 "sleep 600"
tm new-session -d -s fs -x 110 -y 32 \
	"env TERM=$TERMNAME LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME=$HOME XDG_DATA_HOME=$XDG_DATA_HOME $FS $FIX $GF; echo \$? >$TMP/rc; sleep 30"
wait_for tmux-graph-opens "graph $SLUG: [0-9]+/$NN nodes" || exit 1
wait_for tmux-graph-top-logit "logit $TOP "
wait_for tmux-graph-paths 'paths to logit .*: [0-9]+$'
tm send-keys -t fs : 'node-more 1' Enter
wait_for tmux-graph-all-kept "$NN/$NN nodes"
tm send-keys -t fs : 'link-more 1' Enter
tm send-keys -t fs i
wait_for tmux-graph-link-in " $IN "
tm send-keys -t fs u
wait_for tmux-graph-back "logit $TOP "
tm send-keys -t fs '<'
wait_for tmux-graph-prune-live 'node<=0.95'
# back to the list, then the graph again with R
tm send-keys -t fs q
wait_for tmux-graph-list 'features: fix'
tm send-keys -t fs R
wait_for tmux-graph-ask '^graph file:'
tm send-keys -t fs "$GF" Enter
wait_for tmux-graph-reopened "graph $SLUG: "
tm send-keys -t fs Q
i=0
while [ ! -s "$TMP/rc" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check_eq tmux-graph-quit-exit-0 0 "$(cat "$TMP/rc" 2>/dev/null)"
