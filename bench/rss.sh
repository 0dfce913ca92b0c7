#!/bin/sh
# bench/rss.sh: peak resident memory (max RSS) of `featscope build` as its
# native JSONL input grows, to show memory is bounded by the number of
# features (top-k and reservoir samples), not by the input. The input is
# generated on the fly and streamed through a pipe (`build ... -`), so no
# large file is written; 64-token records, 24 activations each, over
# $FEATURES features (default 4096: the per-feature samples fill up after
# about 40 MB of input; beyond that RSS must stay flat). The peer column is `gzip -1` on the same stream: a pure
# streaming program whose memory is constant by construction.
# Second table: the browser in headless script mode paging (PgDn) through
# EVERY feature of indexes of growing size (tools/tui-fixture big N),
# peak RSS against the index size: the list must not load all features.
# The peer is the sqlite3 shell reading the same features table once.
# Usage: bench/rss.sh [MB...]   (default: 50 200 800)
#   TUI_SIZES="100000 1000000" (features; empty to skip the browser table)
#   SKIP_BUILD=1 (only the browser table)
# Prints one row per size: input, records, peak RSS and time of the build,
# and the peer's RSS.
# Environment: FS=path/to/featscope (default ./featscope), FEATURES, TMPDIR.
set -eu
FS=${FS:-./featscope}
[ -x "$FS" ] || { echo "rss.sh: $FS not built (set FS=)" >&2; exit 2; }
[ $# -gt 0 ] || set -- 50 200 800
FEATURES=${FEATURES:-4096}
TUI_SIZES=${TUI_SIZES-100000 1000000}
FIXTURE=${FIXTURE:-$(dirname "$FS")/tools/tui-fixture}
T=$(mktemp -d "${TMPDIR:-/tmp}/fs-rss.XXXXXX")
trap 'rm -rf "$T"' EXIT

# gen MB: about MB megabytes of records on stdout (deterministic).
gen() {
	python3 - "$1" "$FEATURES" <<'PY'
import json, random, sys
target = int(sys.argv[1]) * 1000000
nfeat = int(sys.argv[2])
rnd = random.Random(42)
words = [" the", " cat", " sat", " on", " mat", " and", " DNA", " ACGT", " def", " return",
         " 42", " Paris", " river", " golden", " gate", " bridge", "ing", "ed", ".", ","]
toks = []
for _ in range(4096):
    toks.append(json.dumps([rnd.choice(words) for _ in range(63)])[:-1])
acts = []
for _ in range(4096):
    a = sorted({(rnd.randrange(64), rnd.randrange(nfeat)) for _ in range(24)})
    acts.append(json.dumps([[p, f, round(rnd.uniform(0.05, 8), 3)] for p, f in a]))
out = sys.stdout
done = n = 0
buf = []
while done < target:
    # the record number as the last token keeps every context distinct
    line = '{"tokens": %s, " r%d"], "acts": %s, "source": "gen"}\n' % (
        toks[n & 4095], n, acts[(n * 2654435761 >> 7) & 4095])
    buf.append(line)
    done += len(line)
    n += 1
    if len(buf) == 4096:
        out.write("".join(buf))
        buf = []
out.write("".join(buf))
sys.stderr.write("%d\n" % n)
PY
}

[ "${SKIP_BUILD:-}" ] && set --
[ $# = 0 ] || printf '%8s %10s %14s %12s %10s %14s\n' "input MB" records "build RSS MB" "build s" "MB/s" "gzip -1 RSS MB"
for mb in "$@"; do
	gen "$mb" 2>"$T/n" | /usr/bin/time -f '%M %e' -o "$T/time" "$FS" build --no-progress \
		-o "$T/x.sqlite" - 2>"$T/err" >/dev/null || { cat "$T/err" >&2; exit 1; }
	read -r rss secs <"$T/time"
	gen "$mb" 2>/dev/null | /usr/bin/time -f '%M' -o "$T/gz" gzip -1 >/dev/null
	printf '%8s %10s %14.1f %12s %10.1f %14.1f\n' "$mb" "$(cat "$T/n")" "$(echo "$rss / 1024" | bc -l)" \
		"$secs" "$(echo "$mb / ($secs + 0.001)" | bc -l)" "$(echo "$(cat "$T/gz") / 1024" | bc -l)"
	rm -f "$T/x.sqlite"
done

[ -n "$TUI_SIZES" ] || exit 0
[ -x "$FIXTURE" ] || { echo "rss.sh: $FIXTURE not built (make tools/tui-fixture); no browser table" >&2; exit 0; }
echo
# Peak RSS counts the pages of the memory-mapped index the scroll touched
# (file-backed, shared, dropped under pressure); heap is RssAnon, the
# browser's own memory, from its FEATSCOPE_TIMING report.
printf '%10s %10s %14s %16s %12s %18s\n' features "index MB" "peak RSS MB" "peak heap MB" "scroll s" "sqlite3 scan RSS MB"
for n in $TUI_SIZES; do
	ix=$T/tui-$n.sqlite
	"$FIXTURE" big "$n" "$ix" >/dev/null
	# one PgDn per screen of 47 rows, to the last feature, then quit
	awk -v n=$(( n / 47 + 2 )) 'BEGIN { for (i = 0; i < n; i++) print "<PgDn>"; print "Q" }' >"$T/keys"
	FEATSCOPE_TIMING=$T/timing FEATSCOPE_SCRIPT=$T/keys FEATSCOPE_SIZE=120x50 TERM=xterm-256color HOME=$T \
		/usr/bin/time -f '%M %e' -o "$T/time" "$FS" "$ix" >/dev/null 2>"$T/err" || { cat "$T/err" >&2; exit 1; }
	read -r rss secs <"$T/time"
	/usr/bin/time -f '%M' -o "$T/peer" sqlite3 "$ix" "SELECT idx, density, max_act, label FROM features ORDER BY idx" >/dev/null
	anon=$(sed -n 's/^anon_max_kb //p' "$T/timing")
	printf '%10s %10.1f %14.1f %16.1f %12s %18.1f\n' "$n" "$(echo "$(stat -c %s "$ix") / 1000000" | bc -l)" \
		"$(echo "$rss / 1024" | bc -l)" "$(echo "${anon:-0} / 1024" | bc -l)" "$secs" \
		"$(echo "$(cat "$T/peer") / 1024" | bc -l)"
	rm -f "$ix"
done
