#!/bin/sh
# t-tui-graph.sh: the graph screen, headless (FEATSCOPE_SCRIPT), on a real
# attribution graph (Neuronpedia's gemma-2-2b CLT fixture, see
# tests/fixtures/graphs/SOURCE.txt). What the screen shows is checked
# against python3's json reading of the same file: the counts, the prompt's
# tokens, the logit it starts on, the node at the end of the strongest link
# in and out; supernodes against the sqlite3 shell's reading of the notes
# database and python3's of `notes export`; Enter against an index built
# from a Neuronpedia export whose dictionary is the graph's (model
# gemma-2-2b, layer 24) and without it.
. "${FS_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

GF=$S/tests/fixtures/graphs/123-gemma-2-2b-clt-hp.json
for tool in python3 sqlite3; do
	command -v $tool >/dev/null 2>&1 || { fail "graph-needs-$tool" "$tool is not installed"; exit 1; }
done
[ -f "$GF" ] || { fail graph-fixture "$GF is missing"; exit 1; }
FIX=$(fixture_index) || { fail graph-fixture-index "fixture_index failed"; exit 1; }

# py EXPR: EXPR over d (the graph) and helpers, printed.
py() {
	python3 - "$GF" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
nodes = {n["node_id"]: n for n in d["nodes"]}
logits = [n for n in d["nodes"] if n["feature_type"] == "logit"]
top_logit = max(logits, key=lambda n: n["token_prob"])["node_id"]
def strongest(nid, into):
    ls = [l for l in d["links"] if (l["target"] if into else l["source"]) == nid
          and l["source"] != l["target"]]
    best = max(ls, key=lambda l: abs(l["weight"]))
    return best["source"] if into else best["target"]
print(eval(sys.argv[2]))
PY
}

# run NAME SIZE KEYS ARGS...: the script KEYS ('|' between lines), then the
# screen saved in $TMP/NAME.out; exit status in $TMP/NAME.rc.
run() {
	name=$1 size=$2 keys=$3
	shift 3
	printf '%s\n' "$keys" | tr '|' '\n' >"$TMP/$name.keys"
	echo ":save-display $TMP/$name.out" >>"$TMP/$name.keys"
	FEATSCOPE_SCRIPT=$TMP/$name.keys FEATSCOPE_SIZE=$size TERM=xterm-256color \
		"$FS" "$@" >"$TMP/$name.stdout" 2>"$TMP/$name.err"
	echo $? >"$TMP/$name.rc"
	[ -f "$TMP/$name.out" ] || echo "(no screen: $(head -c 300 "$TMP/$name.err"))" >"$TMP/$name.out"
	# the text part only (the attribute map follows the "--" line)
	sed '/^--$/,$d' "$TMP/$name.out" >"$TMP/$name.txt"
}

NN=$(py 'len(d["nodes"])')
NL=$(py 'len(d["links"])')
SLUG=$(py 'd["metadata"]["slug"]')
TOP=$(py 'top_logit')

# Opening: `featscope INDEX FILE.json` starts on the graph screen.
run open 100x30 "" --notes "$TMP/n.sqlite" "$FIX" "$GF"
check_eq graph-open-exit 0 "$(cat "$TMP/open.rc")"
check_grep graph-title-counts "graph $SLUG: [0-9]+/$NN nodes, [0-9]+/$NL links" "$TMP/open.txt"
toks=$(py '" ".join(d["metadata"]["prompt_tokens"])')
line2=$(sed -n 2p "$TMP/open.txt")
okt=1
for t in $toks; do
	case "$line2" in *"$t"*) ;; *) okt=0 ;; esac
done
check_eq graph-tokens-across-the-top 1 "$okt"
check_grep graph-rows-logits-top '^out ' "$TMP/open.txt"
check_eq graph-embeddings-bottom-row emb "$(grep -E '^(out|emb|L[0-9]+) ' "$TMP/open.txt" | tail -1 | cut -c1-3)"
check_grep graph-starts-on-top-logit "logit $TOP " "$TMP/open.txt"

# Everything kept (thresholds 1): the strongest link into the top logit,
# out of the node it reaches, and back.
IN=$(py 'strongest(top_logit, True)')
OUT=$(py "strongest('$IN', False)")
run walk 100x30 ":node-more 1|:link-more 1|i" "$FIX" "$GF"
check_grep graph-all-kept "$NN/$NN nodes, $NL/$NL links" "$TMP/walk.txt"
check_grep graph-link-in " $IN " "$TMP/walk.txt"
run walk2 100x30 ":node-more 1|:link-more 1|i|o" "$FIX" "$GF"
check_grep graph-link-out " $OUT " "$TMP/walk2.txt"
run walk3 100x30 ":node-more 1|:link-more 1|i|o|u|u" "$FIX" "$GF"
check_grep graph-walk-back "logit $TOP " "$TMP/walk3.txt"

# Live pruning: fewer nodes at a lower influence threshold; embeddings
# and logits always stay. The title's count never exceeds python's count
# of the nodes the rule allows (influence at most the threshold).
run prune 100x30 ":node-more 0.4" "$FIX" "$GF"
allowed=$(py 'sum(1 for n in d["nodes"] if n["feature_type"] in ("embedding", "logit") or (n["influence"] is not None and n["influence"] <= 0.4))')
kept=$(sed -n 's/.*: \([0-9]*\)\/[0-9]* nodes.*/\1/p' "$TMP/prune.txt" | head -1)
always=$(py 'sum(1 for n in d["nodes"] if n["feature_type"] in ("embedding", "logit"))')
if [ -n "$kept" ] && [ "$kept" -le "$allowed" ] && [ "$kept" -ge "$always" ] && [ "$kept" -lt "$NN" ]; then
	ok graph-prune-live
else
	fail graph-prune-live "kept [$kept], allowed $allowed, always $always, of $NN"
fi
run prune-keys 100x30 "<lt>|<lt>|<lt>" "$FIX" "$GF"
check_grep graph-prune-keys "node<=0.35 link<=0.80" "$TMP/prune-keys.txt"

# The selected logit's paths, each from an embedding to that logit.
check_grep graph-paths-pane "paths to logit" "$TMP/open.txt"
first=$(grep -A1 'paths to logit' "$TMP/open.txt" | tail -1)
case "$first" in *"emb@"*" > "*"logit@"*) ok graph-path-emb-to-logit ;; *) fail graph-path-emb-to-logit "[$first]" ;; esac

# Enter on a feature (the strongest source of the third logit by
# probability, everything kept): no open index holds gemma-2-2b's CLT...
L24=$(py 'strongest(sorted(logits, key=lambda n: -n["token_prob"])[2]["node_id"], True)')
check_eq graph-enter-node-is-feature "cross layer transcoder" "$(py "nodes['$L24']['feature_type']")"
ENTER=":node-more 1|:link-more 1|]|]|i|<Enter>"
run enter-none 100x30 "$ENTER" "$FIX" "$GF"
check_grep graph-enter-no-index "no open index holds $(py 'd["metadata"]["info"]["transcoder_set"]')" "$TMP/enter-none.txt"
# ... and an index built from a Neuronpedia export of that dictionary
LAYER=$(py "nodes['$L24']['layer']")
IDX=$(py "'$L24'.split('_')[1]")
mkdir -p "$TMP/np/features" "$TMP/np/activations"
printf '{"modelId":"gemma-2-2b","layer":"%s-clt-hp","index":"%s","maxActApprox":7.9,"frac_nonzero":0.01}\n' "$LAYER" "$IDX" \
	>"$TMP/np/features/batch-0.jsonl"
printf '{"id":"c1","modelId":"gemma-2-2b","layer":"%s-clt-hp","index":"%s","tokens":["<bos>","1","2","3"],"values":[0,0,0.5,7.9],"maxValue":7.9,"maxValueTokenIndex":3,"minValue":0}\n' "$LAYER" "$IDX" \
	>"$TMP/np/activations/batch-0.jsonl"
"$FS" build --no-progress -o "$TMP/np.sqlite" "$TMP/np" >/dev/null 2>&1 || fail graph-np-index "build failed"
run enter-index 100x30 "$ENTER" "$TMP/np.sqlite" "$GF"
check_grep graph-enter-opens-feature "^ feature $IDX " "$TMP/enter-index.txt"
check_grep graph-enter-feature-dict "dictionary $LAYER-clt-hp \\(gemma-2-2b\\)" "$TMP/enter-index.txt"
# --sae names the dictionary when the model does not say it
"$FS" build --no-progress --model other -o "$TMP/np2.sqlite" "$TMP/np" >/dev/null 2>&1
run enter-sae 100x30 "$ENTER" "$TMP/np2.sqlite" "$GF"
check_grep graph-enter-other-model-no "no open index holds" "$TMP/enter-sae.txt"
run enter-sae2 100x30 "$ENTER" --sae "$LAYER-clt-hp" "$TMP/np2.sqlite" "$GF"
check_grep graph-enter-sae-option "^ feature $IDX " "$TMP/enter-sae2.txt"

# Supernodes: two nodes marked and named, saved under the graph's slug.
run group 100x30 ":node-more 1|:link-more 1|v|i|v|:supernode say four|z" --notes "$TMP/n.sqlite" "$FIX" "$GF"
check_eq graph-supernode-slug "$SLUG|say four" "$(sqlite3 "$TMP/n.sqlite" "SELECT slug || '|' || name FROM supernodes")"
# (members are in node order: compare as sets)
want=$(printf '%s\n' "$TOP" "$IN" | sort | tr '\n' ' ')
have=$(sqlite3 "$TMP/n.sqlite" "SELECT members FROM supernodes WHERE slug = '$SLUG' AND name = 'say four'" | tr ' ' '\n' | sort | tr '\n' ' ')
check_eq graph-supernode-members "$want" "$have"
check_grep graph-supernode-folded "in supernode 'say four' \\(folded\\)" "$TMP/group.txt"
check_grep graph-supernode-glyph '^(out|L[0-9]+|emb) +.*@' "$TMP/group.txt"
# reopened: the group is there
run regroup 100x30 "" --notes "$TMP/n.sqlite" "$FIX" "$GF"
check_grep graph-supernode-reopened "in supernode 'say four'" "$TMP/regroup.txt"

# qParams.supernodes of the file are shown as supernodes too (and stay
# out of the notes).
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["qParams"]["supernodes"]=[["from the file", sys.argv[3]]]; json.dump(d, open(sys.argv[2],"w"))' \
	"$GF" "$TMP/withsn.json" "$TOP"
run filesn 100x30 "" --notes "$TMP/n3.sqlite" "$FIX" "$TMP/withsn.json"
check_grep graph-file-supernode "in supernode 'from the file'" "$TMP/filesn.txt"
check_eq graph-file-supernode-not-saved 0 "$(sqlite3 "$TMP/n3.sqlite" "SELECT count(*) FROM supernodes")"

# Export of the pruned graph, the supernode as a cluster.
run export 100x30 ":node-more 1|:link-more 1|:graph-export dot $TMP/g.dot|:graph-export mermaid $TMP/g.mmd" \
	--notes "$TMP/n.sqlite" "$FIX" "$GF"
check_grep graph-export-dot 'digraph' "$TMP/g.dot"
check_grep graph-export-dot-cluster 'say four' "$TMP/g.dot"
check_grep graph-export-mermaid 'say four' "$TMP/g.mmd"
check_eq graph-export-no-temp "" "$(ls "$TMP" | grep '\.tmp\.' || true)"

# Exported with the notes and imported into another notes database.
"$FS" export --notes "$TMP/n.sqlite" --format json -o "$TMP/notes.json" "$FIX" 2>"$TMP/exp.err"
check_eq graph-export-notes-json "$SLUG|say four|$want" \
	"$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["supernodes"][0]; print(s["graph"]+"|"+s["name"]+"|"+"".join(m+" " for m in sorted(s["members"])))' "$TMP/notes.json")"
"$FS" notes import --notes "$TMP/n2.sqlite" "$TMP/notes.json" "$FIX" >"$TMP/imp.out" 2>&1
have2=$(sqlite3 "$TMP/n2.sqlite" "SELECT members FROM supernodes WHERE slug = '$SLUG' AND name = 'say four'" | tr ' ' '\n' | sort | tr '\n' ' ')
check_eq graph-supernode-imported "$want" "$have2"

# Bad graphs: one line naming the file, exit 2, before any screen.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["links"][0]["target"]="nope"; json.dump(d, open(sys.argv[2],"w"))' "$GF" "$TMP/bad.json"
check_exit graph-bad-link-exit 2 "$FS" "$FIX" "$TMP/bad.json"
check_grep graph-bad-link-line 'bad.json' "$TMP/.err"
check_eq graph-bad-one-line 1 "$(wc -l <"$TMP/.err" | tr -d ' ')"
