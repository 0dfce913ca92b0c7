#!/bin/sh
# bench/import.sh: importing a large Neuronpedia-style export. Generates a
# synthetic export (gzip JSON Lines, features/explanations/activations) of
# about BENCH_GB gigabytes of JSON (default 1) under a scratch folder,
# imports it with `featscope build` (one process, then --jobs 2), and
# prints records/s, MB/s (of JSON and of gzip) and peak RSS, next to the
# peer `gzip -dc | wc -l` (the bare cost of reading the same files) as a
# ratio. The three run interleaved BENCH_REPS times (default 3): median,
# p99 and max wall time of each, and the load average. Everything
# generated is deleted at the end. Not part of `make check`.
# Usage: bench/import.sh   (from the build folder; FS_BUILDDIR, BENCH_GB, BENCH_REPS, TMPDIR)
set -eu
B=${FS_BUILDDIR:-$(pwd)}
FS=$B/featscope
GEN=$B/tests/import-fix
GB=${BENCH_GB:-1}
REPS=${BENCH_REPS:-3}
[ -x "$FS" ] || { echo "bench/import.sh: build featscope first" >&2; exit 2; }
[ -x "$GEN" ] || make -C "$B" tests/import-fix >/dev/null
[ -x /usr/bin/time ] || { echo "bench/import.sh: needs /usr/bin/time (GNU time)" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/fs-bench-import.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM

# ~1.09 kB of JSON per activation row (64 tokens); 200 rows per feature
ROWS=200
NFEAT=$(awk -v gb="$GB" -v r="$ROWS" 'BEGIN { printf "%d", gb * 1e9 / (1090 * r) + 1 }')
echo "generating: $NFEAT features x $ROWS activation rows ..."
"$GEN" neuronpedia "$W/export" "$NFEAT" "$ROWS"
GZ_BYTES=$(du -cb "$W"/export/*/*.gz | tail -1 | cut -f1)
JSON_BYTES=$(gzip -dc "$W"/export/*/*.gz | wc -c)
RECORDS=$(gzip -dc "$W"/export/*/*.gz | wc -l)
echo "export: $RECORDS records, $(awk -v b="$JSON_BYTES" 'BEGIN{printf "%.2f", b/1e9}') GB of JSON, $(awk -v b="$GZ_BYTES" 'BEGIN{printf "%.0f", b/1e6}') MB gzip"

# timed runs: seconds (elapsed), peak RSS in kB and CPU seconds (user +
# system, children included) from GNU time; the CPU figure is the steadier
# one on a shared machine. One line "WALL RSS CPU" per run in $W/NAME.
run() {
	/usr/bin/time -f '%e %M %U %S' -o "$W/time" "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
	awk '{ print $1, $2, $3 + $4 }' "$W/time"
}

sync
: >"$W/peer"; : >"$W/j1"; : >"$W/j2"
r=0
while [ "$r" -lt "$REPS" ]; do
	run sh -c "gzip -dc '$W'/export/*/*.gz | wc -l" >>"$W/peer"
	run "$FS" build --no-progress -j 1 -o "$W/bench.sqlite" "$W/export" >>"$W/j1"
	rm -f "$W/bench.sqlite"
	run "$FS" build --no-progress -j 2 -o "$W/bench.sqlite" "$W/export" >>"$W/j2"
	IDX_BYTES=$(wc -c <"$W/bench.sqlite")
	rm -f "$W/bench.sqlite"
	r=$((r + 1))
done
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# "P50 P99 MAX CPU50 RSSMAX" of a run file
summary() {
	awk '{ print $1 }' "$1" | sort -n | awk -v f="$1" '{ v[NR] = $1 } END {
		i99 = int(NR * 0.99 + 0.999); if (i99 < 1) i99 = 1; if (i99 > NR) i99 = NR
		printf "%s %s %s", v[int((NR + 1) / 2)], v[i99], v[NR]
	}'
	printf ' %s' "$(awk '{ print $3 }' "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
	printf ' %s\n' "$(awk '{ print $2 }' "$1" | sort -n | tail -1)"
}
PEER=$(summary "$W/peer")
J1=$(summary "$W/j1")
J2=$(summary "$W/j2")

echo "$REPS runs each, interleaved; load average before the runs ended: $LOAD; $(nproc) cores"
for row in "peer gzip -dc | wc -l:$PEER" "featscope build -j 1:$J1" "featscope build -j 2:$J2"; do
	name=${row%%:*}
	set -- ${row#*:}
	set -- "$@" $PEER
	awk -v n="$name" -v s="$1" -v s99="$2" -v mx="$3" -v c="$4" -v kb="$5" -v p="$6" -v pc="$9" \
	    -v r="$RECORDS" -v j="$JSON_BYTES" 'BEGIN {
		if (s <= 0) s = 0.01; if (p <= 0) p = 0.01; if (c <= 0) c = 0.01; if (pc <= 0) pc = 0.01
		printf "%-24s p50 %.2f s, p99 %.2f s, max %.2f s wall; %.1f s CPU; %.0f records/s, %.1f MB/s of JSON; peak RSS %.0f MB; ratio peer/this %.2fx wall, %.2fx CPU\n",
			n ":", s, s99, mx, c, r / s, j / 1e6 / s, kb / 1024, p / s, pc / c
	}'
done
awk -v ix="$IDX_BYTES" -v nf="$NFEAT" 'BEGIN { printf "index: %.0f MB for %d features\n", ix / 1e6, nf }'

. "$(dirname "$0")/lib.sh"
for row in "1:$J1" "2:$J2"; do
	jobs=${row%%:*}
	set -- ${row#*:}
	set -- "$@" $PEER
	figure "import Neuronpedia export ($RECORDS records), --jobs $jobs, wall" s "$1" "$1" "$3" "gzip -dc | wc -l" "$6" \
		"$(awk -v s="$1" -v p="$6" 'BEGIN { printf "%.2f", p / (s > 0 ? s : 0.01) }')" "ratio>=" 0.5
done
