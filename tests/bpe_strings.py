# tests/bpe_strings.py N SEED: prints N tricky strings for the tokenizer
# test, one JSON string a line: contractions, letters of many scripts,
# runs of spaces, tabs and newlines (ASCII and Unicode white space), digits,
# emoji (ZWJ sequences, skin tones, flags), CJK, combining marks,
# punctuation, and the special token spelled as text. Deterministic.
import json, random, sys

n = int(sys.argv[1]); rng = random.Random(int(sys.argv[2]))
pieces = [
    "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "’s", "don't", "I'm", "we'll", "they'RE",
    "''", "'", "o'clock", "rock'n'roll", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\u00a0",
    "\u3000", "\u2009", "\u200b", "\ufeff", "\u0085", "\u2028", "\u202f", "\x0b", "\x0c",
    "hello", "Hello", "HELLO", "world", "the", "The", "ing", "tokenization", "featscope", "GPT",
    "0", "1", "12", "123", "1234", "2026", "3.14159", "1,000,000", "٣٤٥", "¼", "²", "Ⅻ", "１２３",
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "❤️", "🤖", "🧠", "✨",
    "中文", "日本語", "한국어", "漢字かなカナ", "。", "、", "「引用」",
    "é", "e\u0301", "n\u0303", "a\u0308\u0304", "Ω", "Привет", "мир", "Ελληνικά", "שלום", "مرحبا",
    "हिन्दी", "ไทย", "ქართული", "Ⓐ", "ﬁ", "ß", "İ", "ǅ",
    ".", ",", "!", "?", "...", "—", "–", "-", "_", "(", ")", "[", "]", "{", "}", "<", ">", "/", "\\",
    "@", "#", "$", "%", "^", "&", "*", "+", "=", "|", "~", "`", "\"", ";", ":", "«", "»", "€", "£",
    "<|endoftext|>", "http://example.com/a?b=c", "foo_bar", "x86_64", "\x00", "\x01", "\x7f", "\u00ad",
]
fixed = ["", " ", "a", "  a", "a  ", " \n", "\n ", "hello world", "Hello, world!", "I'm here, you're there.",
         "   leading", "trailing   ", "mid    dle", "tab\there", "1 2 3", "100 dollars", "e\u0301t\u00e9",
         "👍🏽👍🏽", "中文 中文", "😀😀😀 ok", "a" * 300, " " * 50, "abc" * 100, "\n" * 20 + "x"]
for s in fixed:
    print(json.dumps(s, ensure_ascii=False))
for _ in range(n - len(fixed)):
    k = rng.randint(1, 12)
    s = "".join(rng.choice(pieces) + (" " if rng.random() < 0.3 else "") for _ in range(k))
    print(json.dumps(s, ensure_ascii=False))
