#!/bin/sh
# bench/tui-ab.sh: two builds of the browser side by side on bench/tui.sh's
# index, run alternately (old, new, old, new...): each prompt's whole time,
# from its key to the frame after Enter, p50/p99/max over ROUNDS runs per
# build, and the ratio old/new of the runs paired in order (p50), with
# the load average before and after. The peer is the other build.
# Usage: bench/tui-ab.sh OLD_BUILD_DIR NEW_BUILD_DIR [INDEX]
#   INDEX defaults to NEW_BUILD_DIR/bench/tui-1000000.sqlite (bench/tui.sh
#   makes it); ROUNDS=20; PROMPTS overrides the keys typed, each followed
#   by Enter ('s' full-text search, 'f' the list's filter).
set -u
[ $# -ge 2 ] || { echo "usage: bench/tui-ab.sh OLD_BUILD_DIR NEW_BUILD_DIR [INDEX]" >&2; exit 2; }
OLD=$1/featscope NEW=$2/featscope
IDX=${3:-$2/bench/tui-1000000.sqlite}
for f in "$OLD" "$NEW"; do
	[ -x "$f" ] || { echo "bench/tui-ab.sh: $f: no featscope there" >&2; exit 2; }
done
[ -f "$IDX" ] || { echo "bench/tui-ab.sh: $IDX: no index (run bench/tui.sh 1000000 first)" >&2; exit 2; }
ROUNDS=${ROUNDS:-20}
PROMPTS=${PROMPTS:-sriver sGATTACA friver fGA fGATTACA fnear}
T=$(mktemp -d "${TMPDIR:-/tmp}/fs-ab.XXXXXX")
trap 'rm -rf "$T"' EXIT
export LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for q in $PROMPTS; do
	printf '%s<Enter>\nQ\n' "$q" >"$T/keys"
	: >"$T/old"
	: >"$T/new"
	i=0
	while [ $i -lt "$ROUNDS" ]; do
		for v in old new; do
			bin=$OLD
			[ $v = new ] && bin=$NEW
			FEATSCOPE_TIMING=$T/t FEATSCOPE_SCRIPT=$T/keys FEATSCOPE_SIZE=120x50 "$bin" "$IDX"
			sed -n 's/^max_ms //p' "$T/t" >>"$T/$v"
		done
		i=$((i + 1))
	done
	for v in old new; do
		sort -n "$T/$v" | awk -v v=$v -v q="$q" '{ a[NR] = $1 }
			END { k = int(NR * 0.99); if (k < NR) k++
			      printf "%-10s %-4s n %d  p50 %8.2f  p99 %8.2f  max %8.2f ms\n", q, v, NR, a[int((NR + 1) / 2)], a[k], a[NR] }'
	done
	paste "$T/old" "$T/new" | awk '$2 > 0 { print $1 / $2 }' | sort -n |
		awk -v q="$q" '{ a[NR] = $1 } END { if (NR) printf "%-10s old/new p50 %.2fx\n", q, a[int((NR + 1) / 2)] }'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
