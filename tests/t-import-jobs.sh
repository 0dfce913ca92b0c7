#!/bin/sh
# t-import-jobs.sh: `featscope build --jobs N` on a Neuronpedia export of
# many batch files and on a delphi cache of slices (issue 35). Built with 1, 2 and 4 jobs, the indexes hold
# the same rows, table by table, compared with the sqlite3 shell (meta but
# its creation time and uuid): a generated export of three files a folder,
# and the fixture's activations cut into files so that one feature's rows
# span two of them. What the export holds is counted apart with zcat and
# python3 (features, explanations, activation rows), so that the
# comparison compares something. Then bad input with --jobs 2 gives the
# one line, exit 2 and nothing written that one process gives: a broken
# JSON line in the second file, a truncated gzip file, a batch file that
# is a dangling link. The same for a delphi cache of two slices (and its
# second slice truncated). And --jobs on a native build is refused.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
GEN=$B/tests/import-fix
[ -x "$GEN" ] || { fail jobs-fixture "tests/import-fix is not built (make check builds it)"; exit 0; }
cd "$TMP" || exit 1

# same NAME A B: the two indexes hold the same rows
same() {
	n=$1 a=$2 b=$3
	for t in $(sqlite3 "$a" "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name"); do
		if [ "$t" = meta ]; then
			q="select key, value from meta where key not in ('created', 'uuid') order by key"
		else
			q="select * from \"$t\" order by rowid"
		fi
		sqlite3 "$a" "$q" >"$TMP/a.txt" 2>&1
		sqlite3 "$b" "$q" >"$TMP/b.txt" 2>&1
		if ! cmp -s "$TMP/a.txt" "$TMP/b.txt"; then
			fail "$n: table $t the same" "$(diff "$TMP/a.txt" "$TMP/b.txt" | head -4 | tr '\n' ' ')"
			return
		fi
	done
	ok "$n: every table the same"
}

# counted NAME INDEX EXPORT: the index holds the export's features,
# labels and examples (counted from the files, not by featscope)
counted() {
	n=$1 ix=$2 ex=$3
	want=$("$PY" - "$ex" <<'PY'
import glob, gzip, json, sys
def rows(sub):
    out = []
    for f in glob.glob(sys.argv[1] + "/" + sub + "/batch-*"):
        op = gzip.open if f.endswith(".gz") else open
        with op(f, "rt") as fh:
            out += [json.loads(l) for l in fh if l.strip()]
    return out
acts = rows("activations")
feats = {int(r["index"]) for r in rows("features")} | {int(r["index"]) for r in acts}
labelled = {int(r["index"]) for r in rows("explanations")}
print(len(feats), len(labelled), len(acts))
PY
)
	got="$(sqlite3 "$ix" "select count(*) from features") $(sqlite3 "$ix" "select count(*) from features where label is not null and label != ''") $(sqlite3 "$ix" "select count(*) from examples")"
	check_eq "$n: features, labels and examples as in the export" "$want" "$got"
}

# a generated export: 2050 features, so three batch files a folder
"$GEN" neuronpedia "$TMP/gen" 2050 2 >/dev/null
check_eq "generated export: three activation files" 3 "$(ls "$TMP/gen/activations" | wc -l | tr -d ' ')"
for j in 1 2 4; do
	check "generated export: --jobs $j builds" "$FS" build --no-progress --jobs "$j" -o "$TMP/gen$j.sqlite" "$TMP/gen"
done
counted "generated export" "$TMP/gen1.sqlite" "$TMP/gen"
same "generated export, --jobs 2 and 1" "$TMP/gen1.sqlite" "$TMP/gen2.sqlite"
same "generated export, -j 4 and 1" "$TMP/gen1.sqlite" "$TMP/gen4.sqlite"

# the fixture, its activation rows cut in three files: a feature's rows
# run on from one file into the next, and the first file is gzip
FX=$S/tests/fixtures/import/neuronpedia
mkdir -p "$TMP/fx"
cp -r "$FX/." "$TMP/fx/"
A=$TMP/fx/activations/batch-0.jsonl
n=$(wc -l <"$A")
head -n 2 "$A" | gzip >"$TMP/fx/activations/batch-0.jsonl.gz"
sed -n "3,$((n - 1))p" "$A" >"$TMP/fx/activations/batch-1.jsonl"
tail -n 1 "$A" >"$TMP/fx/activations/batch-2.jsonl"
rm "$A"
check_eq "fixture: a feature's rows span two files" 1 "$("$PY" - "$TMP/fx/activations" <<'PY'
import gzip, json, sys
d = sys.argv[1]
a = [json.loads(l)["index"] for l in gzip.open(d + "/batch-0.jsonl.gz", "rt")]
b = [json.loads(l)["index"] for l in open(d + "/batch-1.jsonl") if l.strip()]
print(int(str(a[-1]) == str(b[0])))
PY
)"
for j in 1 2 4; do
	check "fixture in files: --jobs $j builds" "$FS" build --no-progress --jobs "$j" -o "$TMP/fx$j.sqlite" "$TMP/fx"
done
counted "fixture in files" "$TMP/fx1.sqlite" "$TMP/fx"
same "fixture in files, --jobs 2 and 1" "$TMP/fx1.sqlite" "$TMP/fx2.sqlite"
same "fixture in files, --jobs 4 and 1" "$TMP/fx1.sqlite" "$TMP/fx4.sqlite"

# bad NAME WANT-REGEX EXPORT: with --jobs 2, exit 2, one line matching,
# the line one process gives, nothing written
bad() {
	n=$1 want=$2 ex=$3
	mkdir -p "$TMP/out"
	"$FS" build --no-progress -o "$TMP/out/x.sqlite" "$ex" >/dev/null 2>"$TMP/one.err"
	"$FS" build --no-progress -j 2 -o "$TMP/out/x.sqlite" "$ex" >/dev/null 2>"$TMP/two.err"
	rc=$?
	if [ "$rc" != 2 ]; then
		fail "$n" "exit $rc, wanted 2: $(head -c 300 "$TMP/two.err")"
	elif ! grep -Eq -- "$want" "$TMP/two.err"; then
		fail "$n" "no /$want/ in: $(head -c 300 "$TMP/two.err")"
	elif [ "$(wc -l <"$TMP/two.err")" != 1 ]; then
		fail "$n" "more than one line: $(head -c 300 "$TMP/two.err")"
	elif ! cmp -s "$TMP/one.err" "$TMP/two.err"; then
		fail "$n" "not the line of one process: $(cat "$TMP/one.err")"
	elif [ -n "$(ls -A "$TMP/out")" ]; then
		fail "$n" "left behind: $(ls -A "$TMP/out")"
	else
		ok "$n"
	fi
	rm -rf "$TMP/out"
}

cp -r "$TMP/fx" "$TMP/b1"
sed -i '2s/.*/{"index": "0", "tokens": [/' "$TMP/b1/activations/batch-1.jsonl"
bad "--jobs 2: broken JSON line in the second file" '^featscope: .*/b1/activations/batch-1\.jsonl:2: JSON: column' "$TMP/b1"

cp -r "$TMP/gen" "$TMP/b2"
f=$TMP/b2/activations/batch-1.jsonl.gz
head -c $(($(wc -c <"$f") / 2)) "$f" >"$f.cut" && mv "$f.cut" "$f"
bad "--jobs 2: truncated gzip file" '^featscope: .*/b2/activations/batch-1\.jsonl\.gz' "$TMP/b2"

cp -r "$TMP/gen" "$TMP/b3"
ln -s "$TMP/nowhere.jsonl.gz" "$TMP/b3/activations/batch-3.jsonl.gz"
bad "--jobs 2: a batch file that is missing" '^featscope: .*/b3/activations/batch-3\.jsonl\.gz: open: ' "$TMP/b3"

# a delphi cache of two slices (import-fix), read by workers slice by
# slice; what it holds counted apart with python3 (latents with a hit:
# the locations' third column, relative to the slice)
"$GEN" delphi "$TMP/dl" >/dev/null
V=$S/tests/fixtures/import/delphi-tokenizer.json
for j in 1 2 4; do
	check "delphi cache: --jobs $j builds" "$FS" build --no-progress -j "$j" -o "$TMP/dl$j.sqlite" --from delphi --vocab "$V" "$TMP/dl"
done
check_eq "delphi cache: every latent of both slices" 8 "$(sqlite3 "$TMP/dl1.sqlite" "select count(*) from features")"
check_eq "delphi cache: examples stored" 1 "$(sqlite3 "$TMP/dl1.sqlite" "select count(*) > 0 from examples")"
same "delphi cache, --jobs 2 and 1" "$TMP/dl1.sqlite" "$TMP/dl2.sqlite"
same "delphi cache, --jobs 4 and 1" "$TMP/dl1.sqlite" "$TMP/dl4.sqlite"
cp -r "$TMP/dl" "$TMP/b4"
f=$TMP/b4/latents/layers.3/4_7.safetensors
head -c $(($(wc -c <"$f") - 7)) "$f" >"$f.cut" && mv "$f.cut" "$f"
bad "--jobs 2: delphi, the second slice truncated" '^featscope: .*/b4/latents/layers\.3/4_7\.safetensors' "$TMP/b4"

printf '{"tokens": ["a"], "acts": {"0": [0.5]}}\n' >"$TMP/rec.jsonl"
check_exit "--jobs on a native build: refused" 2 "$FS" build -j 2 -o "$TMP/n.sqlite" "$TMP/rec.jsonl"
check_grep "--jobs on a native build: says so" '^featscope: .*--jobs: only when importing' "$TMP/.err"
