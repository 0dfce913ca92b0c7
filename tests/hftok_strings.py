# tests/hftok_strings.py N SEED [TOKENIZER.JSON...]: prints tricky inputs for
# the tokenizer test, one a line, as hex of their bytes (they need not be
# UTF-8): a sample of every script, white space runs of every kind, digits
# and long numbers, emoji (ZWJ sequences, skin tones, flags, keycaps), code
# in several languages, the text of every added token of the given
# tokenizer.json files (alone and inside text), decomposed (NFD) text that
# NFC changes, invalid UTF-8 as featscope reads it (stray continuation
# bytes, truncated sequences, overlong forms, surrogates, bytes never in
# UTF-8), then N random mixtures of all these. Deterministic.
import json, random, sys

n = int(sys.argv[1]); rng = random.Random(int(sys.argv[2]))
scripts = [
    "Hello world", "The quick brown fox jumps over the lazy dog.", "ÀÉÎÕÜ àéîõü ÿ ß ſ ﬁ ﬂ", "Łódź Ŧŧ ǅ ǈ Ǳ",
    "ɐɓɔɖ ʃʒ ʔ", "Ελληνικά γλώσσα ΑΒΓ", "Русский язык Ёё", "Українська ґ ї", "Հայերեն", "עברית שָׁלוֹם",
    "العربية مرحبا بالعالم", "فارسی", "ܣܘܪܝܝܐ", "ދިވެހި", "ߒߞߏ", "ࠀࠁ", "हिन्दी भाषा", "বাংলা", "ਪੰਜਾਬੀ",
    "ગુજરાતી", "ଓଡ଼ିଆ", "தமிழ்", "తెలుగు", "ಕನ್ನಡ", "മലയാളം", "සිංහල", "ไทย ภาษา", "ລາວ", "བོད་ཡིག",
    "မြန်မာ", "ქართული", "ᄀᄁ 한국어 조선말", "ኢትዮጵያ", "ᏣᎳᎩ", "ᐃᓄᒃᑎᑐᑦ", "ᚠᚢᚦ", "ᚁᚂ", "ខ្មែរ", "ᠮᠣᠩᠭᠣᠯ",
    "ᥐᥑ", "ᦀᦁ", "ᨀᨁ", "ᬅᬆ", "ᮃᮄ", "ᰀᰁ", "ᱚᱛ", "ꓐꓑ", "ꔀꔁ", "Ꙁꙁ", "ꚠꚡ", "ꠀꠁ", "ꢂꢃ", "ꤊꤋ", "ꤰꤱ",
    "ꦄꦅ", "ꨀꨁ", "ꫠꫡ", "ꯀꯁ", "中文 汉字 繁體字", "日本語 ひらがな カタカナ ｶﾀｶﾅ", "𠀀𠀁 𪜀", "〆〇〡",
    "ㄅㄆ", "ꀀꀁ", "𐌰𐌱𐌲", "𐎠𐎡", "𐐀𐐨", "𓀀𓀁", "𒀀𒀁", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟘𝟙𝟚", "ℕℤℚℝℂ", "Ⅻ ⅻ ⅰ",
    "①②③ ⑴ ⒈", "½ ¼ ¾ ² ³ ¹", "٠١٢٣٤٥٦٧٨٩", "०१२३", "০১২", "๐๑๒", "１２３ＡＢＣ", "∀∃∈∉∑∏√∞≈≠≤≥",
    "←↑→↓↔", "■□▲△●○", "♠♣♥♦", "☀☁☂", "⌘⌥⇧", "€£¥₹₽₿¢", "§¶†‡•…‰′″", "«»‹›„“”‘’", "–—―‐", "¿¡", "·",
    "\u00ad\u200b\u200c\u200d\u2060\ufeff", "\u202a\u202b\u202c\u202d\u202e", "\u0000\u0001\u0007\u001b\u007f",
    "\u0080\u0085\u009f", "\ue000\uf8ff", "\U000f0000", "\ufffd\ufffc", "\ufdd0\ufffe\uffff",
]
spaces = [" ", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\u00a0", "\u1680", "\u2000", "\u2002", "\u2003",
          "\u2009", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\u0085", "\u180e", "\u200b"]
emoji = ["😀", "😂", "🤖", "🧠", "✨", "❤️", "❤", "👍", "👍🏽", "👍🏿", "👨‍👩‍👧‍👦", "👩‍💻", "🏳️‍🌈", "🏴‍☠️",
         "🇫🇷", "🇯🇵", "🇺🇸🇬🇧", "1️⃣", "#️⃣", "©️", "™", "🫠", "🧑🏽‍🚀", "👁️‍🗨️", "🐈‍⬛"]
code = [
    "def f(x):\n    return x ** 2  # square\n", "if __name__ == '__main__':\n\tmain()\n",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }\n",
    "const x = (a, b) => a ?? b; // nullish\nlet s = `t${x}`;\n", "fn main() { let v: Vec<u8> = vec![1, 2]; }\n",
    "<div class=\"a\">&amp; &lt;b&gt;</div>\n", "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;\n",
    "for i in $(seq 1 10); do echo \"$i\"; done\n", "{\"key\": [1, 2.5, null, true], \"k2\": \"v\"}",
    "x+=1;y-=2;z*=3;w/=4;a%=5;b<<=1;c>>=2;d&=e|f^g;", "    \n\t\t\n        end", "a_b_c snake_case camelCase PascalCase",
    "https://example.com/path?q=1&r=2#frag", "user@example.org", "C:\\Users\\me\\file.txt", "0x7fffffff 0b1010 1e-9 3.14f",
    "I'm you're we've they'll she'd it's don't CAN'T I'M YOU'RE", "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'Ll",
]
numbers = ["0", "7", "42", "123", "1234", "12345", "123456789", "3.14159", "1,000,000", "2026-12-07", "10:35",
           "-17", "+3", "1e10", "99.99%", "$5", "v1.2.3"]
nfd = ["e\u0301", "E\u0301cole", "n\u0303", "a\u0308\u0304", "o\u0323\u0302", "Vie\u0323\u0302t Nam",
       "\u1100\u1161\u11a8", "\u1112\u1161\u11ab\u1100\u1173\u11af", "a\u0301\u0327", "a\u0327\u0301",
       "\u212b", "\u2126", "\u00c5\u030a", "q\u0307\u0323", "\u0915\u093c", "\u09c7\u09be", "\u0b47\u0b3e",
       "\u30ab\u3099", "\u304b\u3099\u3099", "\u0041\u030a\u0301", "\u1e9b\u0323", "\u0344", "\u0f73"]
invalid = [b"\x80", b"\xbf", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xed\xbf\xbf",
           b"\xf0\x80\x80\xaf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xfe", b"\xff", b"\xe4\xb8",
           b"\xf0\x9f\x98", b"\xc3", b"\xe2\x82", b"\x80\x80\x80", b"\xc3\x28", b"\xa0\xa1"]

specials = []
for path in sys.argv[3:]:
    for t in json.load(open(path, encoding="utf-8")).get("added_tokens", []):
        specials.append(t["content"])

out = []
def add(s):
    out.append(s.encode("utf-8") if isinstance(s, str) else s)

for s in scripts + emoji + code + numbers + nfd:
    add(s)
for sp in spaces:
    for k in (1, 2, 3, 5, 16):
        add(sp * k)
        add("a" + sp * k + "b")
        add(sp * k + "word" + sp * k)
for d in range(1, 41):
    add("".join(str((i * 7 + d) % 10) for i in range(d)))
    add("x" + "9" * d + " ")
for bad in invalid:
    add(bad)
    add(b"ab" + bad + b"cd")
    add(b"\xe4\xb8\xad" + bad + " 文".encode())
seen = set()
for s in specials:
    if s in seen:
        continue
    seen.add(s)
    add(s)
    add("x" + s + " y")
for a in specials[:40]:
    add(a + a + "\n" + a + " " + a)

pools = [scripts, spaces, emoji, code, numbers, nfd, specials[:300] or ["<s>"], [" "], ["\n"]]
fixed = len(out)
for _ in range(n):
    k = rng.randint(1, 10)
    parts = []
    for _ in range(k):
        if rng.random() < 0.06:
            parts.append(rng.choice(invalid))
            continue
        pool = rng.choice(pools)
        s = rng.choice(pool)
        if pool is scripts and rng.random() < 0.5:
            i = rng.randint(0, len(s)); s = s[i:i + rng.randint(1, 6)]
        if rng.random() < 0.2:
            s = s * rng.randint(2, 4)
        parts.append(s.encode("utf-8"))
    add(b"".join(parts))
add("a" * 500)
add(("中文" * 300))
add(" ".join(scripts))
for s in out:
    print(s.hex())
