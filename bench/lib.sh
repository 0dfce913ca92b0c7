# bench/lib.sh: sourced by the bench/*.sh scripts. `figure` records one row
# of the benchmark table that bench/run prints: when BENCH_TABLE names a
# file, the row is appended to it as tab-separated fields; otherwise
# nothing happens (the scripts print their own human-readable lines).
#
#   figure NAME UNIT VALUE MIN MAX PEER PEER_VALUE RATIO CHECK LIMIT
#
# VALUE/MIN/MAX: featscope's median, fastest and slowest run (in UNIT);
# PEER and PEER_VALUE: the peer tool and its median (in UNIT), or "-";
# RATIO: how many times faster featscope is than the peer (peer time /
# featscope time; > 1 is faster), or "-"; CHECK and LIMIT state the target:
# "ratio>=" LIMIT (RATIO at least LIMIT), "value<=" LIMIT (VALUE at most
# LIMIT, in UNIT) or "-" "-" (no target). The met column is computed here.
figure() {
	[ -n "${BENCH_TABLE:-}" ] || return 0
	awk -v n="$1" -v u="$2" -v v="$3" -v lo="$4" -v hi="$5" -v p="$6" -v pv="$7" \
		-v r="$8" -v c="$9" -v l="${10}" 'BEGIN {
		met = "-"; t = "-"
		if (c == "ratio>=") { t = ">= " l "x"; met = (r != "-" && r + 0 >= l + 0) ? "met" : "MISSED" }
		if (c == "value<=") { t = "<= " l " " u; met = (v + 0 <= l + 0) ? "met" : "MISSED" }
		printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n, u, v, lo, hi, p, pv, r, t, met
	}' >>"$BENCH_TABLE"
}

# median, min and max of the numbers on stdin, one per line: "MED MIN MAX"
stats3() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "0 0 0"; exit } print v[int((NR + 1) / 2)], v[1], v[NR] }'; }
