#!/bin/sh
# bench/graph.sh: attribution graphs (issue 36). A generated graph of
# NODES nodes and LINKS links (default 10,000 and 1,000,000, the issue's
# size): `featscope graph FILE` (process start, the streamed read, the
# summary) next to python3 reading the same file with its json module
# (json.load alone: the figure shows the cost of everything else), as a
# ratio; graph_load alone (bench/graphbench); and re-pruning at a new
# threshold (graph_prune, what the graph screen does on a key), with p50,
# p99 and max. Targets: open <= 1 s, re-prune <= 100 ms.
# Usage: bench/graph.sh [NODES] [LINKS] [RUNS]
B=${FS_BUILDDIR:-$(pwd)}
S=$(cd "$(dirname "$0")/.." && pwd)
FS=$B/featscope
NODES=${1:-10000} LINKS=${2:-1000000} RUNS=${3:-7}
. "$(dirname "$0")/lib.sh"
W=${TMPDIR:-/tmp}/fs-graph-bench.$$
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
F=$W/graph.json
python3 - "$F" "$NODES" "$LINKS" <<'PY'
import random, sys
random.seed(3)
path, N, L = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
layers = 26
f = open(path, "w")
f.write('{"metadata":{"slug":"bench","scan":"gemma-2-2b","prompt_tokens":["<bos>","a","b","c"],"prompt":"<bos>abc",'
        '"info":{"transcoder_set":"gemma"}},"qParams":{"supernodes":[]},"nodes":[')
per = max(1, N // (layers + 2))
ids = []
for i in range(N):
    if i < per:
        nid, t, ly = "E_%d_%d" % (i, i % 4), "embedding", '"E"'
    elif i >= N - 5:
        nid, t, ly = "27_%d_3" % i, "logit", '"27"'
    else:
        l = min(layers - 1, i // per - 1)
        nid, t, ly = "%d_%d_%d" % (l, i, i % 4), "cross layer transcoder", '"%d"' % l
    ids.append(nid)
    f.write('%s{"node_id":"%s","feature":%d,"layer":%s,"ctx_idx":%d,"feature_type":"%s","token_prob":0.0,'
            '"is_target_logit":false,"jsNodeId":"%s","clerp":"","influence":%.4f,"activation":%.3f}'
            % ("," if i else "", nid, i, ly, i % 4, t, nid, random.random(), random.random() * 10))
f.write('],"links":[')
out = []
for j in range(L):
    a = random.randrange(N - 5)
    b = random.randrange(a + 1, N)
    out.append('{"source":"%s","target":"%s","weight":%.6f}' % (ids[a], ids[b], random.gauss(0, 1)))
f.write(",".join(out))
f.write("]}")
PY
size=$(wc -c <"$F")
echo "graph: $NODES nodes, $LINKS links, $size bytes; $RUNS runs each"
"$FS" graph "$F" >/dev/null || { echo "bench/graph.sh: featscope graph failed" >&2; exit 1; }
: >"$W/fs"; : >"$W/py"
for i in $(seq "$RUNS"); do
	t0=$(date +%s%N); "$FS" graph "$F" >/dev/null; t1=$(date +%s%N)
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$F"; t2=$(date +%s%N)
	echo $(( (t1 - t0) / 1000 )) >>"$W/fs"
	echo $(( (t2 - t1) / 1000 )) >>"$W/py"
done
"$B/bench/graphbench" "$F" "$RUNS" 200 >"$W/gb" || exit 1
# p50, p99 and max of a column of microseconds or milliseconds
pct() { sort -n | awk '{ v[NR] = $1 } END { p50 = v[int((NR + 1) / 2)]; i = int(NR * 0.99 + 0.999); if (i < 1) i = 1; if (i > NR) i = NR; print p50, v[i], v[NR], v[1] }'; }
set -- $(pct <"$W/fs"); fs50=$1 fs99=$2 fsmax=$3 fsmin=$4
set -- $(pct <"$W/py"); py50=$1
set -- $(awk '$1 == "load" { print $2 }' "$W/gb" | pct); ld50=$1 ld99=$2 ldmax=$3 ldmin=$4
set -- $(awk '$1 == "prune" { print $2 }' "$W/gb" | pct); pr50=$1 pr99=$2 prmax=$3 prmin=$4
ms() { awk -v x="$1" 'BEGIN { printf "%.1f", x / 1000 }'; }
ratio=$(awk -v a="$fs50" -v b="$py50" 'BEGIN { printf "%.2f", b / a }')
printf '%-44s %9s %9s %9s   %s\n' "" "p50 ms" "p99 ms" "max ms" "peer"
printf '%-44s %9s %9s %9s   python3 json.load %s ms (ratio %s; > 1: featscope faster)\n' \
	"featscope graph FILE (open + summary)" "$(ms "$fs50")" "$(ms "$fs99")" "$(ms "$fsmax")" "$(ms "$py50")" "$ratio"
printf '%-44s %9.1f %9.1f %9.1f\n' "graph_load alone" "$ld50" "$ld99" "$ldmax"
printf '%-44s %9.2f %9.2f %9.2f\n' "re-prune at a new threshold (200 runs)" "$pr50" "$pr99" "$prmax"
figure "graph open + summary ($NODES nodes, $LINKS links)" ms "$(ms "$fs50")" "$(ms "$fsmin")" "$(ms "$fsmax")" \
	"python3 json.load" "$(ms "$py50")" "$ratio" "value<=" 1000
figure "graph re-prune ($NODES nodes, $LINKS links), p99" ms "$pr99" "$prmin" "$prmax" - - - "value<=" 100
