#!/bin/sh
# t-core-limits.sh: records over the record cap (--max-record-bytes, 256 MiB
# by default) stop the build with one line before the memory is taken:
# a long plain line, a gzip bomb in JSONL, a gzip bomb as a single-document
# import; a NUL byte in a --labels line is an error, not a label shifted
# onto the next feature.
. "$(dirname "$0")/lib.sh"

FIX=$(fixture_index) || { fail rel-limits-fixture "fixture_index failed"; exit 1; }
FD=$(dirname "$FIX")
mkdir -p "$TMP/out"

# bad NAME REGEX ARGS...: exit 2, one line matching, no index left
bad() {
	n=$1 want=$2
	shift 2
	timeout 60 "$FS" build --no-progress -o "$TMP/out/x.sqlite" "$@" >"$TMP/.out" 2>"$TMP/.err"
	rc=$?
	if [ "$rc" != 2 ]; then
		fail "$n" "exit $rc, wanted 2: $(head -c 300 "$TMP/.err")"
	elif ! grep -Eq -- "$want" "$TMP/.err"; then
		fail "$n" "no /$want/ in: $(head -c 300 "$TMP/.err")"
	elif [ "$(wc -l <"$TMP/.err")" != 1 ]; then
		fail "$n" "more than one line: $(head -c 300 "$TMP/.err")"
	elif [ -n "$(ls -A "$TMP/out")" ]; then
		fail "$n" "left behind: $(ls -A "$TMP/out")"
	else
		ok "$n"
	fi
	rm -rf "$TMP/out"/* "$TMP/out"/.[!.]* 2>/dev/null
}

# a 300 KB record against a 100 KB cap stands for a 300 MB one against the
# default (same code path, a thousandth of the time)
python3 - "$TMP" <<'PY'
import gzip, sys
d = sys.argv[1]
rec = '{"tokens":["%s"],"acts":[[0,0,1]]}\n' % ('a' * 300000)
open(d + '/long.jsonl', 'w').write('{"tokens":["a"],"acts":[[0,0,1]]}\n' + rec)
# gzip bombs: 64 MB of one line in 64 KB, and 300 MB (past the default cap)
def bomb(path, mb, prefix=b'{"tokens":["', doc=False):
    with gzip.open(path, 'wb', compresslevel=6) as f:
        f.write(prefix)
        chunk = b'a' * (1 << 20)
        for _ in range(mb):
            f.write(chunk)
        f.write(b'"]}\n')
bomb(d + '/bomb64.jsonl.gz', 64)
bomb(d + '/bomb300.jsonl.gz', 300)
bomb(d + '/bomb.json.gz', 64, prefix=b'{"feature_data_dict": {"0": {"x": "')
PY
bad "plain record over the cap" 'long\.jsonl:2: record: longer than 100000 bytes \(--max-record-bytes' \
	--max-record-bytes 100000 "$TMP/long.jsonl"
check "plain record under a larger cap builds" "$FS" build --no-progress -o "$TMP/long.sqlite" \
	--max-record-bytes=400000 "$TMP/long.jsonl"
bad "gzip bomb over the cap" 'bomb64\.jsonl\.gz:1: record: longer than 1 MiB' --max-record-bytes 1048576 "$TMP/bomb64.jsonl.gz"
bad "gzip bomb as one document over the cap" 'bomb\.json\.gz: record: expands past 1 MiB' \
	--max-record-bytes 1048576 --from sae_vis "$TMP/bomb.json.gz"
bad "--max-record-bytes: not a size" 'max-record-bytes: expected a whole number' --max-record-bytes lots "$TMP/long.jsonl"

# the default cap, and the memory it takes: under 256 MiB of line, not the
# whole 300 MB (nor the 6 GB a 2 GB line once reached)
python3 - "$FS" "$TMP/out/x.sqlite" "$TMP/bomb300.jsonl.gz" >"$TMP/rss" 2>"$TMP/.err" <<'PY'
import resource, subprocess, sys
r = subprocess.run([sys.argv[1], 'build', '--no-progress', '-o', sys.argv[2], sys.argv[3]], stderr=subprocess.PIPE)
sys.stderr.write(r.stderr.decode(errors='replace'))
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
PY
read rc mb <"$TMP/rss"
check_eq "gzip bomb past the default cap: exit 2" 2 "$rc"
check_grep "gzip bomb past the default cap: message" 'bomb300\.jsonl\.gz:1: record: longer than 256 MiB' "$TMP/.err"
if [ "${mb:-9999}" -lt 900 ]; then ok "gzip bomb past the default cap: peak memory ${mb} MB"; else
	fail "gzip bomb past the default cap: peak memory" "${mb} MB"; fi
rm -rf "$TMP/out"/* "$TMP"/bomb*

# a NUL byte in a labels line
printf '0\tfirst\n1\tab\000cd\n2\tthird\n' >"$TMP/labels.tsv"
bad "labels: NUL byte is an error" 'labels\.tsv:2: label: a NUL byte at column 5' --labels "$TMP/labels.tsv" "$FD/records.jsonl"
