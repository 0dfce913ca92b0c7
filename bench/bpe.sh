#!/bin/sh
# bench/bpe.sh: the GPT-2 tokenizer on long pre-tokens (issue 31). CJK
# text without spaces is one piece of GPT-2's pre-split, so its cost is
# that of merging one long piece, and a vocabulary trained on CJK applies
# thousands of different merges to it. Made here: a byte-level vocabulary
# of 3000 CJK characters (their byte-pair and character merges) and 16000
# two-character words (about 19000 merges), and texts of 75, 150 and
# 300 KB of those words without spaces; each is encoded through
# tests/gpt2-tool encode and the seconds printed (the tokenizer's load
# included). TOOL=PATH times another build's gpt2-tool (before/after).
# Usage: bench/bpe.sh  (from the build directory, or set FS_BUILDDIR)
set -eu
B=${FS_BUILDDIR:-$(pwd)}
TOOL=${TOOL:-$B/tests/gpt2-tool}
[ -x "$TOOL" ] || make -C "$B" tests/gpt2-tool >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/fs-bench-bpe.XXXXXX")
trap 'rm -rf "$W"' EXIT
/usr/bin/python3 - "$W" <<'PY'
import json, random, sys
w = sys.argv[1]
bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
cs, n = bs[:], 0
for b in range(256):
    if b not in bs:
        bs.append(b)
        cs.append(256 + n)
        n += 1
b2u = dict(zip(bs, [chr(c) for c in cs]))
rng = random.Random(1)
chars = [chr(c) for c in range(0x4e00, 0x4e00 + 3000)]
u = lambda s: "".join(b2u[b] for b in s.encode())
vocab = {b2u[b]: b for b in range(256)}
merges = []
def add(a, c):
    if a + c not in vocab:
        vocab[a + c] = len(vocab)
        merges.append(a + " " + c)
for ch in chars:
    t = u(ch)
    add(t[0], t[1])
for ch in chars:
    t = u(ch)
    add(t[:2], t[2])
words = [(rng.choice(chars), rng.choice(chars)) for _ in range(16000)]
for a, c in words:
    add(u(a), u(c))
vocab["<|endoftext|>"] = len(vocab)
json.dump(vocab, open(w + "/vocab.json", "w", encoding="utf-8"), ensure_ascii=False)
open(w + "/merges.txt", "w", encoding="utf-8").write("#version: 0.2\n" + "\n".join(merges) + "\n")
for kb in (75, 150, 300):
    s = "".join(a + c for a, c in (rng.choice(words) for _ in range(kb * 1024 // 6)))
    open("%s/s%d" % (w, kb), "w", encoding="utf-8").write(json.dumps(s, ensure_ascii=False) + "\n")
print("bpe: %d merges" % len(merges))
PY
for kb in 75 150 300; do
	t0=$(date +%s.%N)
	"$TOOL" encode "$W" "$W/s$kb" >"$W/ids$kb"
	t1=$(date +%s.%N)
	printf 'bpe: %3d KB of CJK without spaces: %7.2f s, %d tokens\n' "$kb" "$(echo "$t1 - $t0" | bc)" \
		"$(wc -w <"$W/ids$kb")"
done
