/*
 * unit-label.c: the demo harvest's automatic labels (model/harvest_label.c)
 * on synthetic firings: a feature at the first token of its contexts is
 * named by position, a character inside one word is named in that word,
 * SAM columns and the tabs that end them carry one 1-based number, and
 * ALL-CAPS English words are not protein sequence.
 */
#include "../model/harvest_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/index.h"
#include "unit.h"

/* harvest.c defines these for the program; the test has its own. */
const char *const hv_group_names[HV_GROUPS] = {
	"dna", "code", "prose", "scripts", "structured"};

static uint8_t text[1 << 16];
static size_t tlen;

/* Append s to the text. */
static size_t put(const char *s)
{
	size_t at = tlen, n = strlen(s);
	memcpy(text + tlen, s, n);
	tlen += n;
	return at;
}

/* The end of the context that starts at pos (the harvest's rule, stated
 * here apart from the labeller's hv_cut_end: the last line end in
 * (pos + HV_MIN, pos + HV_MAX], else HV_MAX bytes; ASCII text here). */
static size_t cut(size_t pos)
{
	size_t lim = pos + HV_MAX < tlen ? pos + HV_MAX : tlen;
	for (size_t q = lim; q > pos + HV_MIN; q--)
		if (text[q - 1] == '\n')
			return q;
	return lim;
}

/* A feature with the given firing offsets (document doc, group grp). */
static void feat(hv_feat *F, const size_t *at, int n, int doc, int grp)
{
	memset(F, 0, sizeof *F);
	for (int i = 0; i < n && i < HV_TOP; i++) {
		F->top[i].act = 1.0f + (float)i / 100;
		F->top[i].at = (uint32_t)at[i];
		F->top[i].doc = doc;
		F->ntop++;
	}
	F->fires = n;
	F->sum = n;
	F->grp[grp] = (uint32_t)n;
}

static void label(const hv_feat *F, const hv_doc *docs, char *name)
{
	char desc[1024];
	hv_label(F, text, tlen, docs, name, desc, sizeof desc);
	printf("# %s | %s\n", name, desc);
}

int main(void)
{
	hv_doc docs[4];
	char name[HV_NAME];
	hv_feat F;
	size_t at[HV_TOP] = {0};
	uint64_t r = 7;

	/* 1. prose without line ends: contexts are cut every HV_MAX bytes,
	 * inside lines; the feature fires on the first byte of 32 of them */
	docs[0] = (hv_doc){2, "prose-pkg", "usr/share/doc/a.txt#1", 0, 0};
	for (int i = 0; i < 40 * HV_MAX; i++) {
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		char c[2] = {(char)("abcdefghij klmnopqrst ,.;"[(r >> 33) % 25]), 0};
		put(c);
	}
	docs[0].len = tlen;
	int k = 0;
	for (size_t pos = 0; pos + HV_MIN <= tlen && k < HV_TOP; pos = cut(pos))
		at[k++] = pos;
	feat(&F, at, k, 0, 2);
	label(&F, docs, name);
	CHECK(k == HV_TOP && strcmp(name, "position 0 (first token of the "
	                            "context)") == 0,
	      "label-position-feature-named-by-position");
	CHECK(index_label_is_position(name, "auto"),
	      "label-position-marker-read-by-the-index");
	/* the same characters one byte later are no position feature */
	for (int i = 0; i < k; i++)
		at[i] += 1 + (size_t)(i % 5) * 7;
	feat(&F, at, k, 0, 2);
	label(&F, docs, name);
	CHECK(strncmp(name, "position ", 9) != 0 &&
	      !index_label_is_position(name, "auto"),
	      "label-scattered-positions-not-position");

	/* 1b. the first token of 32 documents (the model's first token),
	 * Hangul and other characters: a position feature too */
	hv_doc many[HV_TOP + 1];
	static const char *const first[4] = {"그", "슬", "A", "("};
	for (int i = 0; i < HV_TOP; i++) {
		many[i] = (hv_doc){3, "ko-pkg", "usr/share/help/ko/x.page#0", tlen, 0};
		at[i] = put(first[i % 4]);
		for (int j = 0; j < 3; j++)
			put(" 도움말 페이지의 본문입니다");
		put("\n");
		many[i].len = tlen - many[i].off;
	}
	feat(&F, at, HV_TOP, 0, 3);
	for (int i = 0; i < HV_TOP; i++)
		F.top[i].doc = i;
	label(&F, many, name);
	CHECK(strcmp(name, "position 0 (first token of the context)") == 0,
	      "label-document-start-feature-named-by-position");

	/* 1c. a feature of line starts: every context of a document of
	 * 70-byte lines starts after a line end; not a position feature */
	many[0] = (hv_doc){2, "prose-pkg", "usr/share/doc/b.txt#1", tlen, 0};
	for (int i = 0; i < HV_TOP + 1; i++) {
		char line[80];
		snprintf(line, sizeof line, "%c%-68s\n", "Tw(#"[i % 4],
		         "his line of the text runs on to seventy bytes");
		size_t s0 = put(line);
		if (i > 0)
			at[i - 1] = s0;
	}
	many[0].len = tlen - many[0].off;
	feat(&F, at, HV_TOP, 0, 2);
	label(&F, many, name);
	CHECK(strncmp(name, "position ", 9) != 0,
	      "label-line-start-feature-not-position");

	/* 2. 'n' inside "append", in code lines */
	docs[1] = (hv_doc){1, "code-pkg", "usr/lib/x/a.py#1", tlen, 0};
	for (int i = 0; i < HV_TOP; i++) {
		char line[64];
		snprintf(line, sizeof line, "    items%d.append(value%d)\n", i, i);
		at[i] = put(line) + 4 + strlen("items") + (i > 9 ? 2 : 1) + 1 + 4;
	}
	docs[1].len = tlen - docs[1].off;
	feat(&F, at, HV_TOP, 1, 1);
	label(&F, docs, name);
	CHECK(text[at[0]] == 'n' && strstr(name, "'n' in appe_d") != NULL,
	      "label-character-named-in-its-word");
	CHECK(strncmp(name, "lowercase letters: ", 19) == 0,
	      "label-word-context-keeps-the-class");

	/* 2b. '_' ends a frame (it marks the character): 'u' in value_t */
	hv_doc code2 = {1, "code-pkg", "usr/include/x/b.h#1", tlen, 0};
	for (int i = 0; i < HV_TOP; i++) {
		char line[64];
		snprintf(line, sizeof line, "static value_t slot%d;\n", i);
		at[i] = put(line) + strlen("static val");
	}
	code2.len = tlen - code2.off;
	feat(&F, at, HV_TOP, 0, 1);
	label(&F, &code2, name);
	CHECK(text[at[0]] == 'u' && strstr(name, "'u' in val_e") != NULL &&
	      strstr(name, "val_e_") == NULL,
	      "label-frame-ends-at-underscore");

	/* 3. SAM: the tab after POS (column 4) and the POS field itself */
	docs[2] = (hv_doc){0, "sam-pkg", "usr/share/x/reads.sam#1", tlen, 0};
	size_t tab[HV_TOP], fld[HV_TOP];
	for (int i = 0; i < HV_TOP; i++) {
		char line[160];
		snprintf(line, sizeof line,
		         "r%d\t0\tchr1\t%d\t60\t8M\t*\t0\t0\tACGTACGT\tIIIIIIII\n",
		         i, 100 + i);
		size_t s = put(line);
		size_t q = s;
		for (int tabs = 0; tabs < 3; q++)
			tabs += text[q] == '\t';
		fld[i] = q; /* first digit of POS */
		while (text[q] != '\t')
			q++;
		tab[i] = q; /* the tab that ends POS */
	}
	docs[2].len = tlen - docs[2].off;
	feat(&F, tab, HV_TOP, 2, 0);
	label(&F, docs, name);
	CHECK(strncmp(name, "SAM tab after column 4 (POS)", 28) == 0,
	      "label-sam-tab-numbered-by-its-column");
	feat(&F, fld, HV_TOP, 2, 0);
	label(&F, docs, name);
	CHECK(strncmp(name, "SAM column 4 (POS)", 18) == 0,
	      "label-sam-column-same-number");

	/* 4. ALL-CAPS licence words: every letter an amino-acid letter, but
	 * English in a prose document */
	docs[3] = (hv_doc){2, "doc-pkg", "usr/share/doc/x/copyright#1", tlen, 0};
	const char *caps[] = {"MERCHANTABILITY", "WARRANTIES", "DISCLAIMERS",
	                      "SPECIALTIES"};
	for (int i = 0; i < HV_TOP; i++) {
		char line[96];
		snprintf(line, sizeof line, "without any %s of the kind.\n",
		         caps[i % 4]);
		at[i] = put(line) + strlen("without any ") + 2 + (size_t)(i % 3);
	}
	docs[3].len = tlen - docs[3].off;
	feat(&F, at, HV_TOP, 3, 2);
	label(&F, docs, name);
	CHECK(strstr(name, "protein") == NULL &&
	      strncmp(name, "uppercase letters", 17) == 0,
	      "label-all-caps-words-not-protein");
	CHECK(strlen(name) <= 63, "label-name-at-most-63-bytes");
	TEST_END();
}
