#!/bin/sh
# t-graph-cli.sh: `featscope graph` on four real circuit-tracer graphs
# (tests/fixtures/graphs: Neuronpedia's three, circuit-tracer's own Gemma 3
# 1B one), every figure checked against python3's own
# reading of the same file (json module; written here, independent of the C
# code): node counts by kind and by layer, the logits and their tokens, a
# node's strongest links, the feature index decoded from `feature`, the k
# strongest paths (a top-k dynamic programme over the DAG), pruning; DOT
# parsed by Graphviz (dot -Tplain), Mermaid's lines counted; every bad input
# refused with one line naming the file and the field, exit 2. A generated
# graph of 100,000 nodes and 10 million links opens (skipped with
# FS_SKIP_SLOW=1: it takes tens of seconds).
. "$(dirname "$0")/lib.sh"

GD=$S/tests/fixtures/graphs
CLT=$GD/123-gemma-2-2b-clt-hp.json
GS=$GD/123-gemma-2-2b-gemmascope-transcoder-16k.json
QW=$GD/123-qwen3-4b-transcoder-hp.json
G3=$GD/123-gemma-3-1b-pt-gemmascope2-16k.json
PY=python3
command -v $PY >/dev/null || { fail graph-python "python3 is missing"; exit 0; }
command -v dot >/dev/null || fail graph-dot "graphviz (dot) is missing: run ./bootstrap"

# The reference: python3's reading of a graph file.
cat >"$TMP/ref.py" <<'PY'
import json, re, sys, math
KIND = {"cross layer transcoder": "feature", "mlp reconstruction error": "error",
        "embedding": "embedding", "logit": "logit"}
def load(p):
    g = json.load(open(p, encoding="utf-8"))
    return g
def kind(n):
    t = n["feature_type"]
    return KIND.get(t, "feature" if "transcoder" in t else t)
def summary(g):
    by_kind = {"feature": 0, "error": 0, "embedding": 0, "logit": 0}
    by_layer = {}
    for n in g["nodes"]:
        by_kind[kind(n)] += 1
        by_layer[str(n["layer"])] = by_layer.get(str(n["layer"]), 0) + 1
    logits = [n for n in g["nodes"] if kind(n) == "logit"]
    logits.sort(key=lambda n: -n["token_prob"])
    toks = []
    for n in logits:
        m = re.match(r'^Output "(.*)" \(p=[^)]*\)$', n["clerp"], re.S)
        toks.append([n["node_id"], m.group(1) if m else "", n["token_prob"], n["is_target_logit"]])
    return {"nodes": len(g["nodes"]), "links": len(g["links"]), "by_kind": by_kind,
            "by_layer": by_layer, "logits": toks, "prompt_tokens": g["metadata"]["prompt_tokens"]}
def order(g):
    return {n["node_id"]: i for i, n in enumerate(g["nodes"])}
def links_of(g, nid, top):
    o = order(g)
    inc = [(l["source"], l["weight"]) for l in g["links"] if l["target"] == nid]
    out = [(l["target"], l["weight"]) for l in g["links"] if l["source"] == nid]
    inc.sort(key=lambda t: (-abs(t[1]), o[t[0]]))
    out.sort(key=lambda t: (-abs(t[1]), o[t[0]]))
    return {"incoming_total": len(inc), "outgoing_total": len(out),
            "incoming": [[a, b] for a, b in inc[:top]], "outgoing": [[a, b] for a, b in out[:top]]}
def unpair(z):
    w = (math.isqrt(8 * z + 1) - 1) // 2
    b = z - w * (w + 1) // 2
    return w - b, b
def paths(g, logit, k, keep_nodes=None, keep_links=None):
    # top-k |product| of paths from sources (nodes with no link in) to each
    # node, in topological order: the best k into v come from the best k
    # into each predecessor
    nodes = [n["node_id"] for n in g["nodes"]]
    ins = {v: [] for v in nodes}
    for i, l in enumerate(g["links"]):
        if keep_links is not None and not keep_links[i]:
            continue
        ins[l["target"]].append((l["source"], l["weight"]))
    memo = {}
    def best(v):
        if v in memo:
            return memo[v]
        if not ins[v]:
            r = [(1.0, (v,))]
        else:
            c = []
            for u, w in ins[v]:
                for s, p in best(u):
                    c.append((s * w, p + (v,)))
            c.sort(key=lambda t: -abs(t[0]))
            r = c[:k]
        memo[v] = r
        return r
    sys.setrecursionlimit(100000)
    return best(logit)
def prune(g, nthr, ethr):
    keep = {}
    for n in g["nodes"]:
        k = kind(n)
        inf = n.get("influence")
        keep[n["node_id"]] = k in ("embedding", "logit") or nthr >= 1 or inf is None or inf <= nthr
    kl = [False] * len(g["links"])
    o = order(g)
    byt = {}
    for i, l in enumerate(g["links"]):
        byt.setdefault(l["target"], []).append(i)
    for t, idx in byt.items():
        if not keep[t]:
            continue
        idx = [i for i in idx if keep[g["links"][i]["source"]]]
        idx.sort(key=lambda i: (-abs(g["links"][i]["weight"]), o[g["links"][i]["source"]]))
        total = sum(abs(g["links"][i]["weight"]) for i in idx)
        cum = 0.0
        for i in idx:
            if ethr < 1 and cum >= ethr * total:
                break
            kl[i] = True
            cum += abs(g["links"][i]["weight"])
    return keep, kl
PY

# ------------------------------------------------------------ summaries
export REF="$TMP/ref.py"
for F in "$CLT" "$GS" "$QW" "$G3"; do
	n=$(basename "$F" .json)
	"$FS" graph "$F" --json >"$TMP/$n.sum.json" 2>&1
	r=$($PY - "$F" "$TMP/$n.sum.json" <<'PY'
import json, sys, os
exec(open(os.environ["REF"]).read())
g = load(sys.argv[1]); got = json.load(open(sys.argv[2]))
ref = summary(g)
bad = [k for k in ("nodes", "links", "by_kind", "by_layer", "prompt_tokens") if got[k] != ref[k]]
if got["slug"] != g["metadata"]["slug"] or got["transcoder_set"] != g["metadata"]["info"]["transcoder_set"]:
    bad.append("slug or transcoder_set")
gl = [[l["id"], l["token"], l["probability"], l["target"]] for l in got["logits"]]
if gl != ref["logits"]:
    bad.append("logits %r %r" % (gl, ref["logits"]))
print("; ".join(bad) if bad else "same")
PY
)
	check_eq "summary-$n: counts by kind and layer, logits and their tokens, as python reads them" same "$r"
done

# the text summary: the prompt, the target logit with its probability, a layer row
"$FS" graph "$CLT" >"$TMP/clt.txt" 2>&1
check_grep summary-text-prompt '^prompt: <bos>123$' "$TMP/clt.txt"
check_grep summary-text-target '^  0\.2334 +"4"  \(target\)  27_235310_3$' "$TMP/clt.txt"
check_grep summary-text-kinds '^nodes by kind: feature 13, error 2, embedding 4, logit 5$' "$TMP/clt.txt"
check_grep summary-text-layer24 '^ +24 3$' "$TMP/clt.txt"

# ------------------------------------------------------------ one node
for spec in "$CLT:27_235310_3" "$CLT:E_235304_3" "$GS:25_6324_3" "$QW:37_19_3" "$QW:32_83184_3" \
	"$G3:24_1500_3" "$G3:E_2_0" "$G3:18_-1_3"; do
	F=${spec%:*} id=${spec##*:}
	r=$("$FS" graph "$F" "$id" --top 5 --json 2>&1 | $PY -c '
import json, sys, os
exec(open(os.environ["REF"]).read())
got = json.load(sys.stdin); g = load(sys.argv[1]); ref = links_of(g, sys.argv[2], 5)
out = {k: got[k] for k in ("incoming_total", "outgoing_total")}
out["incoming"] = [[l["id"], l["weight"]] for l in got["incoming"]]
out["outgoing"] = [[l["id"], l["weight"]] for l in got["outgoing"]]
print("same" if out == ref else "%r != %r" % (out, ref))' "$F" "$id" 2>&1)
	check_eq "node-$id: its 5 strongest links in and out, as python sorts them" same "$r"
done
"$FS" graph "$CLT" 20_93988_3 >"$TMP/node.txt" 2>&1
check_grep node-text-head '^node 20_93988_3: L20 #93988 @3$' "$TMP/node.txt"
check_grep node-text-index 'index 93988 \(feature 4418893024\)' "$TMP/node.txt"
check_grep node-text-in '^incoming links \(2, strongest 2\):$' "$TMP/node.txt"
check_grep node-text-link '^ +1\.656  13_82873_3 ' "$TMP/node.txt"
# the other names of a node: jsNodeId and LAYER/INDEX@POS
"$FS" graph "$CLT" L_235310-3 --json >"$TMP/js.json" 2>&1
check_grep node-jsnodeid '"id": "27_235310_3"' "$TMP/js.json"
"$FS" graph "$CLT" 20/93988@3 --json >"$TMP/lip.json" 2>&1
check_grep node-layer-index-pos '"id": "20_93988_3"' "$TMP/lip.json"

# the feature index decoded from `feature` (the Cantor pairing, python's
# isqrt) for every feature node of the four files
for F in "$CLT" "$GS" "$QW" "$G3"; do
	n=$(basename "$F" .json)
	r=$($PY - "$F" "$FS" <<'PY'
import json, sys, os, subprocess
exec(open(os.environ["REF"]).read())
g = load(sys.argv[1]); bad = 0; seen = 0
feats = [n for n in g["nodes"] if kind(n) == "feature"]
for n in feats[::max(1, len(feats) // 12)]:
    got = json.loads(subprocess.run([sys.argv[2], "graph", sys.argv[1], n["node_id"], "--json", "--top", "1"],
                                    capture_output=True, text=True).stdout)
    layer, index = unpair(n["feature"])
    seen += 1
    if layer != int(n["layer"]) or got["index"] != index or got["feature"] != n["feature"]:
        bad += 1
print("ok" if bad == 0 and seen else "bad %d of %d" % (bad, seen))
PY
)
	check_eq "index-$n: feature = Cantor pairing of (layer, index), decoded" ok "$r"
done
# circuit-tracer's own Gemma 3 1B file, every feature node: the pairing holds
# (its layer field, a string, and the index in its node_id), and featscope
# decodes the same layer and index; error nodes (feature -1) have no index
r=$($PY - "$G3" "$FS" <<'PY'
import json, sys, os, subprocess
exec(open(os.environ["REF"]).read())
g = load(sys.argv[1]); bad = []; seen = 0
for n in g["nodes"]:
    if kind(n) not in ("feature", "error"):
        continue
    got = json.loads(subprocess.run([sys.argv[2], "graph", sys.argv[1], n["node_id"], "--json", "--top", "1"],
                                    capture_output=True, text=True).stdout)
    seen += 1
    if got["layer"] != n["layer"] or got["feature"] != n["feature"]:
        bad.append(n["node_id"])
    elif kind(n) == "error":
        if n["feature"] != -1 or got.get("index") is not None:
            bad.append(n["node_id"])
    else:
        layer, index = unpair(n["feature"])
        if layer != int(n["layer"]) or str(index) != n["node_id"].split("_")[1] or got["index"] != index:
            bad.append(n["node_id"])
print("ok %d" % seen if not bad else "bad %r" % bad)
PY
)
check_eq "index-gemma-3-1b: every feature and error node, pairing and decoding" "ok 48" "$r"

# ------------------------------------------------------------ paths
for spec in "$CLT:27_235310_3:4" "$CLT:27_144988_3:澳门" "$GS:27_235318_3:6" "$QW:37_19_3:4" \
	"$G3:27_236812_3:4" "$G3:27_236761_3:."; do
	F=${spec%%:*} rest=${spec#*:} id=${rest%%:*} tok=${rest#*:}
	for name in "$id" "$tok"; do
		r=$("$FS" graph "$F" --paths "$name" --top 6 --json 2>&1 | $PY -c '
import json, sys, os
exec(open(os.environ["REF"]).read())
got = json.load(sys.stdin); g = load(sys.argv[1]); ref = paths(g, sys.argv[2], 6)
bad = []
if got["logit"] != sys.argv[2]: bad.append("logit " + got["logit"])
if len(got["paths"]) != len(ref): bad.append("count %d != %d" % (len(got["paths"]), len(ref)))
for p, (s, nodes) in zip(got["paths"], ref):
    if abs(p["score"] - s) > 1e-9 * max(1, abs(s)): bad.append("score %r != %r" % (p["score"], s))
    # the same score from a different route (a tie) is fine; otherwise the route
    if sum(1 for t in ref if abs(abs(t[0]) - abs(s)) < 1e-12) == 1 and tuple(p["nodes"]) != nodes:
        bad.append("nodes %r != %r" % (p["nodes"], nodes))
    prod = 1.0
    for w in p["weights"]: prod *= w
    if abs(prod - p["score"]) > 1e-9 * max(1, abs(prod)): bad.append("weights")
print("; ".join(bad) if bad else "same")' "$F" "$id" 2>&1)
		check_eq "paths-$(basename "$F" .json)-$name: the 6 strongest, as python's top-k DP finds them" same "$r"
	done
done
"$FS" graph "$CLT" --paths 4 --top 2 >"$TMP/paths.txt" 2>&1
check_grep paths-text-first '^  1 +17\.12  emb "3" @3 -> logit "4" p=0\.233$' "$TMP/paths.txt"
check_grep paths-text-second '^  2 +11\.27  emb "3" @3 -> L13 #82873 @3 -> L20 #93988 @3 -> logit "4"' "$TMP/paths.txt"

# ------------------------------------------------------------ pruning
for F in "$CLT" "$GS" "$QW" "$G3"; do
	n=$(basename "$F" .json)
	for th in "0.45 0.8" "0.3 0.5" "1 0.9" "0.5 1"; do
		set -- $th
		"$FS" graph "$F" --node-threshold "$1" --edge-threshold "$2" --json >"$TMP/pr.json" 2>&1
		r=$($PY - "$F" "$TMP/pr.json" "$1" "$2" <<'PY'
import json, sys, os
exec(open(os.environ["REF"]).read())
g = load(sys.argv[1]); got = json.load(open(sys.argv[2]))
kn, kl = prune(g, float(sys.argv[3]), float(sys.argv[4]))
want = (sum(kn.values()), sum(kl))
have = (got.get("kept_nodes"), got.get("kept_links"))
print("same" if want == have else "%r != %r" % (have, want))
PY
)
		check_eq "prune-$n-$1-$2: kept nodes and links as python's pruning" same "$r"
	done
done
# paths walk only what pruning kept
"$FS" graph "$QW" --node-threshold 0.4 --edge-threshold 0.7 --paths 37_19_3 --top 4 --json >"$TMP/pp.json" 2>&1
r=$($PY - "$QW" "$TMP/pp.json" <<'PY'
import json, sys, os
exec(open(os.environ["REF"]).read())
g = load(sys.argv[1]); got = json.load(open(sys.argv[2]))
kn, kl = prune(g, 0.4, 0.7)
kl2 = [kl[i] and kn[l["source"]] and kn[l["target"]] for i, l in enumerate(g["links"])]
ref = paths(g, "37_19_3", 4, keep_links=kl2)
# a source is a node with no kept link in
ok = len(ref) == len(got["paths"]) and all(abs(p["score"] - s) <= 1e-9 * max(1, abs(s)) for p, (s, _) in zip(got["paths"], ref))
print("same" if ok else "%r != %r" % ([p["score"] for p in got["paths"]], [s for s, _ in ref]))
PY
)
check_eq "paths-pruned: only kept nodes and links, as python finds them" same "$r"

# a broken file with a cycle (1 -> 2 -> 1): the search ends; the cycle is cut
# at its first node (its link in from 2 dropped), which becomes a source
cat >"$TMP/cycle.json" <<'J'
{"nodes":[{"node_id":"E_9_0","feature_type":"embedding","layer":"E","ctx_idx":0},
{"node_id":"1_1_0","feature_type":"cross layer transcoder","layer":"1","ctx_idx":0},
{"node_id":"2_1_0","feature_type":"cross layer transcoder","layer":"2","ctx_idx":0},
{"node_id":"3_5_0","feature_type":"logit","layer":"3","ctx_idx":0,"clerp":"Output \"x\" (p=0.5)"}],
"links":[{"source":"1_1_0","target":"2_1_0","weight":2},{"source":"2_1_0","target":"1_1_0","weight":3},
{"source":"2_1_0","target":"3_5_0","weight":1},{"source":"E_9_0","target":"3_5_0","weight":0.5}]}
J
"$FS" graph "$TMP/cycle.json" --paths x --json >"$TMP/cycle.out" 2>&1
r=$($PY -c 'import json,sys; p=json.load(open(sys.argv[1]))["paths"]; print([(x["nodes"], x["score"]) for x in p])' "$TMP/cycle.out" 2>&1)
check_eq paths-cycle "[(['1_1_0', '2_1_0', '3_5_0'], 2.0), (['E_9_0', '3_5_0'], 0.5)]" "$r"

# ------------------------------------------------------------ DOT and Mermaid
for F in "$CLT" "$QW"; do
	n=$(basename "$F" .json)
	"$FS" graph "$F" --node-threshold 0.45 --edge-threshold 0.8 --json >"$TMP/k.json" 2>&1
	kn=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["kept_nodes"])' "$TMP/k.json")
	kl=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["kept_links"])' "$TMP/k.json")
	if "$FS" graph "$F" --node-threshold 0.45 --edge-threshold 0.8 --dot -o "$TMP/$n.dot" 2>"$TMP/dot.err"; then
		if command -v dot >/dev/null && dot -Tplain "$TMP/$n.dot" >"$TMP/$n.plain" 2>"$TMP/dotp.err"; then
			check_eq "dot-$n: Graphviz reads it; its nodes are the kept ones" "$kn" "$(grep -c '^node ' "$TMP/$n.plain")"
			check_eq "dot-$n: its edges are the kept links" "$kl" "$(grep -c '^edge ' "$TMP/$n.plain")"
		else
			fail "dot-$n" "dot -Tplain refused it: $(head -c 300 "$TMP/dotp.err")"
		fi
	else
		fail "dot-$n" "$(cat "$TMP/dot.err")"
	fi
	"$FS" graph "$F" --node-threshold 0.45 --edge-threshold 0.8 --mermaid >"$TMP/$n.mmd" 2>&1
	check_eq "mermaid-$n: a flowchart" "flowchart BT" "$(head -1 "$TMP/$n.mmd")"
	check_eq "mermaid-$n: a line per kept node" "$kn" "$(grep -cE '^    n[0-9]+[[(]"' "$TMP/$n.mmd")"
	check_eq "mermaid-$n: a line per kept link" "$kl" "$(grep -cE '^    n[0-9]+ -->\|"[-0-9.e+]+"\| n[0-9]+$' "$TMP/$n.mmd")"
done
check_grep mermaid-quote 'n19\("logit #quot;4#quot; p=0\.233"\)' "$TMP/123-gemma-2-2b-clt-hp.mmd"
# -o: written whole through a temporary file: an existing file replaced,
# a folder that is not there: exit 1, nothing left behind
echo old >"$TMP/out.dot"
check dot-replace "$FS" graph "$CLT" --dot -o "$TMP/out.dot"
check_eq dot-replace-whole "digraph attribution {" "$(head -1 "$TMP/out.dot")"
check_exit dot-unwritable 1 "$FS" graph "$CLT" --dot -o "$TMP/nodir/x.dot"
check_grep dot-unwritable-line 'nodir/x\.dot' "$TMP/.err"
check_eq dot-no-temporary-left "" "$(ls "$TMP" | grep '\.tmp\.')"
check_exit usage-dot-json 2 "$FS" graph "$CLT" --dot --json
check_exit usage-o-alone 2 "$FS" graph "$CLT" -o "$TMP/x"
check_exit usage-node-and-paths 2 "$FS" graph "$CLT" E_2_0 --paths 4
check_exit usage-o-is-input 2 "$FS" graph "$CLT" --dot -o "$CLT"

# supernodes become clusters (qParams.supernodes: a name, then node ids)
$PY - "$CLT" "$TMP/sn.json" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
g["qParams"]["supernodes"] = [["say \"four\"", "20_93988_3", "13_82873_3"], ["<emb>", "E_235304_3", "missing_node"]]
json.dump(g, open(sys.argv[2], "w"))
PY
"$FS" graph "$TMP/sn.json" --dot >"$TMP/sn.dot" 2>&1
check_grep supernode-cluster 'subgraph cluster_0 \{' "$TMP/sn.dot"
check_grep supernode-name-quoted 'label="say \\"four\\""' "$TMP/sn.dot"
if command -v dot >/dev/null; then
	dot -Tplain "$TMP/sn.dot" >/dev/null 2>"$TMP/sn.err" && ok supernode-dot-parses || fail supernode-dot-parses "$(cat "$TMP/sn.err")"
fi

# hostile text: a clerp with an escape sequence and a bidi override is shown escaped everywhere
$PY - "$CLT" "$TMP/host.json" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
g["nodes"][9]["clerp"] = "evil\x1b[2J\u202etext\"q"
json.dump(g, open(sys.argv[2], "w"))
PY
"$FS" graph "$TMP/host.json" 13_82873_3 >"$TMP/host.txt" 2>&1
check_grep hostile-text-escaped 'clerp: evil\\x1b\[2J<U\+202E>text"q' "$TMP/host.txt"
"$FS" graph "$TMP/host.json" --dot >"$TMP/host.dot" 2>&1
"$FS" graph "$TMP/host.json" --mermaid >"$TMP/host.mmd" 2>&1
for f in host.txt host.dot host.mmd; do
	if $PY -c 'import sys; b=open(sys.argv[1],"rb").read(); sys.exit(1 if (b"\x1b" in b or "\u202e".encode() in b) else 0)' "$TMP/$f"; then
		ok "hostile-$f: no raw escape or bidi byte"
	else
		fail "hostile-$f" "raw control bytes written"
	fi
done
check_grep hostile-dot 'evil\\\\x1b\[2J<U\+202E>text\\"q' "$TMP/host.dot"
check_grep hostile-mermaid 'evil\\x1b\[2J#lt;U\+202E#gt;text#quot;q' "$TMP/host.mmd"

# ------------------------------------------------------------ bad input
# mutate NAME PYTHON: a copy of the CLT fixture changed by the python statement (g is the graph)
mutate() {
	$PY - "$CLT" "$TMP/$1.json" "$2" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(g, open(sys.argv[2], "w"), indent=1)
PY
}
# bad NAME PATTERN: exit 2, one line naming the file and the field
bad() {
	"$FS" graph "$TMP/$1.json" >"$TMP/$1.out" 2>"$TMP/$1.err"
	rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$TMP/$1.err")" = 1 ] && grep -Eq -- "$2" "$TMP/$1.err" && [ ! -s "$TMP/$1.out" ]; then
		ok "bad-$1"
	else
		fail "bad-$1" "exit $rc: $(cat "$TMP/$1.err")"
	fi
}
mutate missing-node 'g["links"][3]["target"] = "nowhere_1_2"'
bad missing-node "^featscope: $TMP/missing-node.json:[0-9]+: links\\[3\\]\\.target: no node has the id \"nowhere_1_2\"$"
mutate weight-string 'g["links"][5]["weight"] = "0.5"'
bad weight-string "^featscope: $TMP/weight-string.json:[0-9]+: links\\[5\\]\\.weight: not a number$"
mutate weight-null 'g["links"][0]["weight"] = None'
bad weight-null 'links\[0\]\.weight: not a number$'
mutate weight-missing 'del g["links"][7]["weight"]'
bad weight-missing 'links\[7\]: no weight$'
mutate dup-id 'g["nodes"][7]["node_id"] = g["nodes"][2]["node_id"]'
bad dup-id 'nodes\[7\]\.node_id: "0_74544_3" is the id of an earlier node too$'
mutate kind 'g["nodes"][0]["feature_type"] = "attention head"'
bad kind 'nodes\[0\]\.feature_type: "attention head" is not a kind of node'
mutate layer 'g["nodes"][1]["layer"] = "x"'
bad layer 'nodes\[1\]\.layer: not a layer number'
mutate no-links 'del g["links"]'
bad no-links 'links: missing: not an attribution graph'
mutate no-nodes 'g = {"nodes_": 1, "links": []}'
bad no-nodes 'nodes: missing: not an attribution graph'
mutate influence 'g["nodes"][3]["influence"] = "high"'
bad influence 'nodes\[3\]\.influence: not a number$'
printf '[1, 2, 3]\n' >"$TMP/array.json"
bad array 'top level: not a JSON object, so not an attribution graph$'
printf '{"some": "other json"}\n' >"$TMP/other.json"
bad other 'nodes: missing: not an attribution graph'
head -c 7000 "$CLT" >"$TMP/trunc.json"
bad trunc 'trunc.json:1: .*truncated'
: >"$TMP/empty.json"
bad empty 'top level: empty file$'
# links before nodes: still read
$PY - "$CLT" "$TMP/order.json" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
json.dump({"links": g["links"], "metadata": g["metadata"], "nodes": g["nodes"]}, open(sys.argv[2], "w"))
PY
"$FS" graph "$TMP/order.json" --json >"$TMP/order.out" 2>&1
check_grep links-first-read '"links": 75' "$TMP/order.out"
check_exit node-not-found 2 "$FS" graph "$CLT" 99_1_1
check_grep node-not-found-line 'no node 99_1_1' "$TMP/.err"
check_exit paths-not-logit 2 "$FS" graph "$CLT" --paths E_2_0
check_grep paths-not-logit-line 'node E_2_0 is not a logit \(its kind: embedding\)' "$TMP/.err"
check_exit paths-no-token 2 "$FS" graph "$CLT" --paths zzz
check_exit no-file 2 "$FS" graph "$TMP/none.json"

# ------------------------------------------------------------ a big graph
if [ -n "${FS_SKIP_SLOW:-}" ]; then
	echo "ok big-graph (skipped: FS_SKIP_SLOW)"
else
	$PY - "$TMP/big.json" <<'PY'
import random, sys
random.seed(7)
N, L, layers = 100000, 10000000, 26
f = open(sys.argv[1], "w")
f.write('{"metadata":{"slug":"big","prompt_tokens":["a","b"]},"nodes":[')
per = N // (layers + 2)
ids = []
for i in range(N):
    if i < per:
        nid, t, ly = "E_%d_%d" % (i, i % 2), "embedding", '"E"'
    elif i >= N - 10:
        nid, t, ly = "%d_%d_1" % (layers + 1, i), "logit", '"%d"' % (layers + 1)
    else:
        l = min(layers - 1, i // per - 1)
        nid, t, ly = "%d_%d_%d" % (l, i, i % 2), "cross layer transcoder", '"%d"' % l
    ids.append(nid)
    f.write('%s{"node_id":"%s","feature":%d,"layer":%s,"ctx_idx":%d,"feature_type":"%s","influence":%.3f,"activation":1.5,"clerp":""}'
            % ("," if i else "", nid, i, ly, i % 2, t, (i % 1000) / 1000))
f.write('],"links":[')
src = [random.randrange(N - 10) for _ in range(1000)]
chunk = []
for j in range(L):
    a = random.randrange(N - 10)
    b = a + 1 + (j * 7919) % (N - a - 1)
    chunk.append('{"source":"%s","target":"%s","weight":%.2f}' % (ids[a], ids[b], ((j % 200) - 100) / 50))
    if len(chunk) == 100000:
        f.write(("," if j >= 100000 else "") + ",".join(chunk))
        chunk = []
if chunk:
    f.write("," + ",".join(chunk))
f.write("]}")
PY
	if "$FS" graph "$TMP/big.json" --json >"$TMP/big.out" 2>"$TMP/big.err"; then
		check_grep big-graph-nodes '"nodes": 100000' "$TMP/big.out"
		check_grep big-graph-links '"links": 10000000' "$TMP/big.out"
	else
		fail big-graph "$(head -c 300 "$TMP/big.err")"
	fi
	rm -f "$TMP/big.json"
fi
