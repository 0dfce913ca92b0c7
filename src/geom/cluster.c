/*
 * cluster.c: the concept tree (see cluster.h). Each node with more than
 * leaf_max rows is split by spherical k-means into up to `branch` children
 * (as many as needed for children near leaf_max); children smaller than
 * min_size are merged into the nearest remaining centroid; a split that
 * leaves one child ends the branch. Names come from the members' labels:
 * words counted once per member. A node with siblings is named by the
 * words that set it apart from them (frequent in the node, rare among its
 * siblings: name_by_siblings), so that no top-level node is named by what
 * every node shares; a node without siblings, or with nothing that sets
 * it apart, by how many members share a word times how rare it is in the
 * whole set (words in over half of all labels are taken for boilerplate).
 * cluster_sibling_repeats counts the names that still repeat among
 * siblings.
 */
#include "geom/cluster.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom/knn.h"
#include "core/util.h"

/* Words in a name ("(N features)" and words_name's three included). */
#define CLUSTER_WORDS_MAX 8

/* ----------------------------------------------------------------- words */

/* Words that say nothing about a concept: English function words and the
 * boilerplate of explanations ("auto: fires on tokens like ..."). */
static const char *const cluster_stop[] = {
	"a", "about", "activates", "activating", "activation", "activations", "after",
	"all", "also", "an", "and", "any", "are", "as", "at", "auto", "be", "before",
	"between", "but", "by", "can", "common", "commonly", "context", "contexts",
	"especially", "etc", "feature", "features", "fire", "fires", "firing", "for",
	"from", "has", "have", "in", "including", "into", "is", "it", "its", "like",
	"mention", "mentions", "not", "of", "often", "on", "or", "other", "particular",
	"pattern", "patterns", "phrase", "phrases", "reference", "references", "related",
	"relating", "such", "term", "terms", "text", "than", "that", "the", "their",
	"them", "these", "this", "those", "to", "token", "tokens", "top", "use", "used",
	"using", "various", "was", "were", "when", "where", "which", "while", "with",
	"word", "words",
};

static int is_stop(const char *w)
{
	int lo = 0, hi = (int)(sizeof cluster_stop / sizeof *cluster_stop) - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = strcmp(w, cluster_stop[mid]);
		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return 0;
}

/* Word table: distinct words and, per label, the ids of its words. */
typedef struct {
	char **word;          /* distinct words */
	int64_t n_words;      /* entries in word */
	int64_t *slot;        /* open-addressing hash table of word ids, -1 empty */
	int64_t n_slots;      /* its size (a power of two) */
	int64_t *off;         /* per label: offset of its word ids (n_labels + 1) */
	int64_t *ids;         /* word ids, distinct within a label */
	int64_t *df;          /* labels using each word */
	int64_t n_labels;     /* labels */
} cluster_words;

static uint64_t word_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int64_t word_id(cluster_words *cw, const char *w)
{
	if (cw->n_words * 2 >= cw->n_slots) {
		int64_t ns = cw->n_slots ? cw->n_slots * 2 : 1024;
		int64_t *sl = xmalloc((size_t)ns * sizeof *sl);
		for (int64_t i = 0; i < ns; i++)
			sl[i] = -1;
		for (int64_t i = 0; i < cw->n_words; i++) {
			uint64_t h = word_hash(cw->word[i]) & (uint64_t)(ns - 1);
			while (sl[h] >= 0)
				h = (h + 1) & (uint64_t)(ns - 1);
			sl[h] = i;
		}
		free(cw->slot);
		cw->slot = sl;
		cw->n_slots = ns;
		cw->word = xrealloc(cw->word, (size_t)ns * sizeof *cw->word);
	}
	uint64_t h = word_hash(w) & (uint64_t)(cw->n_slots - 1);
	while (cw->slot[h] >= 0) {
		if (!strcmp(cw->word[cw->slot[h]], w))
			return cw->slot[h];
		h = (h + 1) & (uint64_t)(cw->n_slots - 1);
	}
	cw->word[cw->n_words] = xstrdup(w);
	cw->slot[h] = cw->n_words;
	return cw->n_words++;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Split every label into lowercase words of 3+ bytes (letters, digits and
 * any non-ASCII byte), dropping stop-words, numbers, lone non-ASCII
 * characters and an "auto:" lead. */
static void words_build(cluster_words *cw, const char *const *labels, int64_t n)
{
	memset(cw, 0, sizeof *cw);
	cw->n_labels = n;
	cw->off = xcalloc((size_t)n + 1, sizeof *cw->off);
	fs_buf ids = {0};
	char w[64];
	for (int64_t i = 0; i < n; i++) {
		const char *s = labels ? labels[i] : NULL;
		size_t first = ids.len / sizeof(int64_t);
		if (s && !strncmp(s, "auto:", 5))
			s += 5;
		while (s && *s) {
			unsigned char ch = (unsigned char)*s;
			if (!(isalnum(ch) || ch >= 0x80)) {
				s++;
				continue;
			}
			int len = 0, alpha = 0;
			while (*s && (isalnum((unsigned char)*s) || (unsigned char)*s >= 0x80)) {
				unsigned char c = (unsigned char)*s++;
				if (!isdigit(c))
					alpha = 1;
				if (len < (int)sizeof w - 1)
					w[len++] = (char)tolower(c);
			}
			w[len] = 0;
			/* a lone non-ASCII character is a quoted character
			 * ("'述'"), not a word */
			unsigned char w0 = (unsigned char)w[0];
			int lone = w0 >= 0xC0 && len == (w0 >= 0xF0 ? 4 : w0 >= 0xE0 ? 3 : 2);
			if (len < 3 || !alpha || lone || is_stop(w))
				continue;
			int64_t id = word_id(cw, w);
			buf_add(&ids, &id, sizeof id);
		}
		/* distinct ids of this label */
		size_t m = ids.len / sizeof(int64_t) - first, u = 0;
		if (m > 0) {
			int64_t *p = (int64_t *)(void *)ids.p + first;
			qsort(p, m, sizeof *p, cmp_i64);
			for (size_t a = 0; a < m; a++)
				if (a == 0 || p[a] != p[a - 1])
					p[u++] = p[a];
		}
		ids.len = (first + u) * sizeof(int64_t);
		cw->off[i + 1] = (int64_t)(first + u);
	}
	cw->ids = (int64_t *)(void *)ids.p;
	cw->df = xcalloc((size_t)(cw->n_words > 0 ? cw->n_words : 1), sizeof *cw->df);
	for (int64_t a = 0; a < cw->off[n]; a++)
		cw->df[cw->ids[a]]++;
}

static void words_free(cluster_words *cw)
{
	for (int64_t i = 0; i < cw->n_words; i++)
		free(cw->word[i]);
	free(cw->word);
	free(cw->slot);
	free(cw->off);
	free(cw->ids);
	free(cw->df);
	memset(cw, 0, sizeof *cw);
}


/* Word id with score sc into the n best so far (best[], bs[]: highest
 * first, ties by the word's spelling; -1 for an empty place). */
static void rank_word(const cluster_words *cw, int64_t *best, double *bs, int n, int64_t id, double sc)
{
	for (int p = 0; p < n; p++) {
		if (best[p] < 0 || sc > bs[p] || (sc == bs[p] && strcmp(cw->word[id], cw->word[best[p]]) < 0)) {
			for (int q = n - 1; q > p; q--) {
				best[q] = best[q - 1];
				bs[q] = bs[q - 1];
			}
			best[p] = id;
			bs[p] = sc;
			return;
		}
	}
}
/* Name of a group of rows: up to three words shared by members (by at
 * least two when four or more members have labels), best score first. cnt
 * is scratch of n_words zeros, left zero. */
static char *words_name(const cluster_words *cw, const int64_t *members, int64_t m,
			int64_t *cnt)
{
	fs_buf touched = {0};
	for (int64_t a = 0; a < m; a++) {
		int64_t r = members[a];
		for (int64_t b = cw->off[r]; b < cw->off[r + 1]; b++) {
			int64_t id = cw->ids[b];
			if (cnt[id]++ == 0)
				buf_add(&touched, &id, sizeof id);
		}
	}
	int64_t nt = (int64_t)(touched.len / sizeof(int64_t));
	int64_t *tw = (int64_t *)(void *)touched.p;
	/* a word must be shared when several members have labels */
	int64_t labelled = 0;
	for (int64_t a = 0; a < m; a++)
		labelled += cw->off[members[a] + 1] > cw->off[members[a]];
	int64_t need = labelled >= 4 ? 2 : 1;
	int64_t best[3] = {-1, -1, -1};
	double bs[3] = {0, 0, 0};
	for (int64_t a = 0; a < nt; a++) {
		int64_t id = tw[a];
		/* words in most labels of a sizeable set are boilerplate */
		if (cnt[id] < need || (cw->n_labels >= 8 && 2 * cw->df[id] > cw->n_labels))
			continue;
		double sc = (double)cnt[id] * log((double)(cw->n_labels + 1) / (double)cw->df[id]);
		rank_word(cw, best, bs, 3, id, sc);
	}
	for (int64_t a = 0; a < nt; a++)
		cnt[tw[a]] = 0;
	buf_free(&touched);
	fs_buf out = {0};
	for (int p = 0; p < 3 && best[p] >= 0; p++) {
		if (p)
			buf_adds(&out, ", ");
		buf_adds(&out, cw->word[best[p]]);
	}
	if (!out.len)
		buf_printf(&out, "(%lld features)", (long long)m);
	return out.p;
}

char *cluster_name(const char *const *labels, int64_t n_all, const int64_t *members,
		   int64_t m)
{
	cluster_words cw;
	words_build(&cw, labels, n_all);
	int64_t *cnt = xcalloc((size_t)(cw.n_words > 0 ? cw.n_words : 1), sizeof *cnt);
	char *s = words_name(&cw, members, m, cnt);
	free(cnt);
	words_free(&cw);
	return s;
}

/* ------------------------------------------------------------------ tree */

/* State of one tree build. */
typedef struct {
	const float *X;       /* all rows, normalised */
	int d;                /* row width */
	cluster_opts o;       /* parameters with defaults filled in */
	cluster_words cw;     /* words of the labels */
	int64_t *cnt;         /* scratch for naming */
	cluster_tree *t;      /* the tree being built */
	int64_t cap;          /* nodes allocated */
	int64_t **mem;        /* per node: its rows (for naming against siblings) */
} cluster_state;

static int64_t node_add(cluster_state *st, int64_t parent, int depth, const int64_t *rows,
			int64_t m)
{
	cluster_tree *t = st->t;
	if (t->n_nodes == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 64;
		t->nodes = xrealloc(t->nodes, (size_t)st->cap * sizeof *t->nodes);
		st->mem = xrealloc(st->mem, (size_t)st->cap * sizeof *st->mem);
	}
	st->mem[t->n_nodes] = xmalloc((size_t)(m > 0 ? m : 1) * sizeof **st->mem);
	memcpy(st->mem[t->n_nodes], rows, (size_t)m * sizeof *rows);
	cluster_node *nd = &t->nodes[t->n_nodes];
	nd->parent = parent;
	nd->depth = depth;
	nd->size = m;
	nd->n_children = 0;
	nd->label = words_name(&st->cw, rows, m, st->cnt);
	if (parent >= 0)
		t->nodes[parent].n_children++;
	return t->n_nodes++;
}

/* Order of children: larger first, then by centroid number. */
typedef struct {
	int64_t size;  /* members */
	int c;         /* centroid */
} cluster_child;

static int cmp_child(const void *a, const void *b)
{
	const cluster_child *x = a, *y = b;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->c - y->c;
}

/*
 * Split rows (m of them) into children under parent (-1: they become
 * roots at depth). Makes a leaf of the whole group when it is small, too
 * deep, or will not split.
 */
static void split(cluster_state *st, int64_t parent, int depth, int64_t *rows, int64_t m,
		  uint64_t seed)
{
	const cluster_opts *o = &st->o;
	int d = st->d;
	/* a few more centroids than leaves strictly need: parts of one group
	 * are merged again below, while too few would scatter a group */
	int nc = (int)((2 * m + o->leaf_max - 1) / o->leaf_max);
	if (nc > o->branch)
		nc = o->branch;
	if (m <= o->leaf_max || depth >= o->max_depth || nc < 2) {
		int64_t id = node_add(st, parent, depth, rows, m);
		for (int64_t a = 0; a < m; a++)
			st->t->leaf[rows[a]] = id;
		return;
	}
	float *Y = xmalloc((size_t)m * d * sizeof *Y);
	for (int64_t a = 0; a < m; a++)
		memcpy(Y + a * d, st->X + rows[a] * d, (size_t)d * sizeof *Y);
	float *cent = xmalloc((size_t)nc * d * sizeof *cent);
	int32_t *as = xmalloc((size_t)m * sizeof *as);
	knn_kmeans(Y, m, d, nc, o->iters, seed, cent, as);
	/* merge children below min_size into the nearest kept centroid */
	int64_t *cs = xcalloc((size_t)nc, sizeof *cs);
	for (int64_t a = 0; a < m; a++)
		cs[as[a]]++;
	int kept = 0;
	for (int c = 0; c < nc; c++)
		kept += cs[c] >= o->min_size;
	if (kept >= 1) {
		for (int64_t a = 0; a < m; a++) {
			if (cs[as[a]] >= o->min_size)
				continue;
			int bc = -1;
			float bv = -INFINITY;
			for (int c = 0; c < nc; c++) {
				if (cs[c] < o->min_size)
					continue;
				float v = 0;
				for (int j = 0; j < d; j++)
					v += Y[a * d + j] * cent[(size_t)c * d + j];
				if (v > bv) {
					bv = v;
					bc = c;
				}
			}
			as[a] = bc;
		}
		for (int c = 0; c < nc; c++)
			cs[c] = 0;
		for (int64_t a = 0; a < m; a++)
			cs[as[a]]++;
	}
	/* merge children that are one tight group split in parts: centroids
	 * nearly parallel and together small enough for a leaf */
	for (;;) {
		int ba = -1, bb = -1;
		float bv = o->merge_cos;
		for (int a = 0; a < nc; a++)
			for (int b = a + 1; b < nc; b++) {
				if (!cs[a] || !cs[b] || cs[a] + cs[b] > o->leaf_max)
					continue;
				float v = 0;
				for (int j = 0; j < d; j++)
					v += cent[(size_t)a * d + j] * cent[(size_t)b * d + j];
				if (v >= bv) {
					bv = v;
					ba = a;
					bb = b;
				}
			}
		if (ba < 0)
			break;
		double ss = 0;
		for (int j = 0; j < d; j++) {
			float *ca = cent + (size_t)ba * d + j;
			*ca = *ca * (float)cs[ba] + cent[(size_t)bb * d + j] * (float)cs[bb];
			ss += (double)*ca * *ca;
		}
		for (int j = 0; j < d && ss > 0; j++)
			cent[(size_t)ba * d + j] /= (float)sqrt(ss);
		for (int64_t a = 0; a < m; a++)
			if (as[a] == bb)
				as[a] = ba;
		cs[ba] += cs[bb];
		cs[bb] = 0;
	}
	cluster_child *ch = xmalloc((size_t)nc * sizeof *ch);
	int nch = 0;
	for (int c = 0; c < nc; c++)
		if (cs[c] > 0)
			ch[nch++] = (cluster_child){cs[c], c};
	free(Y);
	free(cent);
	if (nch < 2) {
		/* no split: a leaf of everything */
		free(ch);
		free(cs);
		free(as);
		int64_t id = node_add(st, parent, depth, rows, m);
		for (int64_t a = 0; a < m; a++)
			st->t->leaf[rows[a]] = id;
		return;
	}
	qsort(ch, (size_t)nch, sizeof *ch, cmp_child);
	/* this node (unless these are the roots), then each child in turn */
	int64_t self = parent;
	int cdepth = depth;
	if (parent != -2) {
		self = node_add(st, parent, depth, rows, m);
		cdepth = depth + 1;
	} else {
		self = -1;
	}
	int64_t *sub = xmalloc((size_t)m * sizeof *sub);
	for (int q = 0; q < nch; q++) {
		int64_t ms = 0;
		for (int64_t a = 0; a < m; a++)
			if (as[a] == ch[q].c)
				sub[ms++] = rows[a];
		uint64_t s2 = seed * 1000003u + (uint64_t)q + 1;
		split(st, self, cdepth, sub, ms, s2);
	}
	free(sub);
	free(ch);
	free(cs);
	free(as);
}

/* A name's words sorted, so that "letters, lowercase" and "lowercase,
 * letters" are one name (malloc'd). */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *name_canon(const char *name)
{
	char *s = xstrdup(name ? name : "");
	char *w[CLUSTER_WORDS_MAX];
	int n = 0;
	for (char *p = s; p && n < CLUSTER_WORDS_MAX;) {
		w[n++] = p;
		p = strstr(p, ", ");
		if (p) {
			*p = 0;
			p += 2;
		}
	}
	qsort(w, (size_t)n, sizeof *w, cmp_str);
	fs_buf out = {0};
	buf_adds(&out, "");
	for (int i = 0; i < n; i++) {
		if (i)
			buf_adds(&out, ", ");
		buf_adds(&out, w[i]);
	}
	free(s);
	return out.p;
}

/* Score of a word for a node against its siblings: in cnt of the node's m
 * members and in sib of the siblings' ms; > 0 only when the word is more
 * frequent in the node than among its siblings (a log-ratio of the two
 * shares, smoothed, weighted by the node's count: tf-idf with the siblings
 * as the other documents). */
static double contrast_score(int64_t cnt, int64_t m, int64_t sib, int64_t ms)
{
	double p = (double)cnt / (double)m;
	double q = ms > 0 ? (double)sib / (double)ms : 0;
	double e = 0.5 / (double)(m + ms);
	return p > q ? (double)cnt * log((p + e) / (q + e)) : 0;
}

/*
 * Name every node that has siblings by the words that set it apart from
 * them: the best-scoring words of contrast_score (up to three, each at
 * least half the best score, shared by two members when four or more
 * have labels), and further ranked words (up to CLUSTER_RANKED) while an
 * earlier sibling has the same name. A word all siblings share
 * ("letters") scores nothing; a
 * node whose members' words are no more frequent than its siblings' keeps
 * the name from the whole set (words_name).
 */
#define CLUSTER_RANKED 5 /* words ranked per node, the most a name takes */
static void name_by_siblings(cluster_state *st)
{
	cluster_tree *t = st->t;
	const cluster_words *cw = &st->cw;
	int64_t nn = t->n_nodes;
	if (nn < 2)
		return;
	/* children grouped by parent (-1: the roots), counting sort */
	int64_t *first = xcalloc((size_t)nn + 2, sizeof *first);
	int64_t *kids = xmalloc((size_t)nn * sizeof *kids);
	for (int64_t i = 0; i < nn; i++)
		first[t->nodes[i].parent + 2]++;
	for (int64_t p = 1; p <= nn + 1; p++)
		first[p] += first[p - 1];
	for (int64_t i = 0; i < nn; i++)
		kids[first[t->nodes[i].parent + 1]++] = i;
	/* first[p + 1] is now the end of parent p's children, first[p] their start */
	int64_t nw = cw->n_words > 0 ? cw->n_words : 1;
	int64_t *tot = xcalloc((size_t)nw, sizeof *tot);
	int64_t *cnt = st->cnt;
	fs_buf ttouch = {0}, ctouch = {0};
	for (int64_t p = -1; p < nn; p++) {
		int64_t lo = p + 1 > 0 ? first[p] : 0, hi = first[p + 1];
		if (hi - lo < 2)
			continue;
		int64_t M = 0;
		ttouch.len = 0;
		for (int64_t k = lo; k < hi; k++) {
			int64_t c = kids[k];
			M += t->nodes[c].size;
			for (int64_t a = 0; a < t->nodes[c].size; a++) {
				int64_t r = st->mem[c][a];
				for (int64_t b = cw->off[r]; b < cw->off[r + 1]; b++)
					if (tot[cw->ids[b]]++ == 0)
						buf_add(&ttouch, &cw->ids[b], sizeof(int64_t));
			}
		}
		for (int64_t k = lo; k < hi; k++) {
			int64_t c = kids[k], m = t->nodes[c].size, labelled = 0;
			ctouch.len = 0;
			for (int64_t a = 0; a < m; a++) {
				int64_t r = st->mem[c][a];
				labelled += cw->off[r + 1] > cw->off[r];
				for (int64_t b = cw->off[r]; b < cw->off[r + 1]; b++)
					if (cnt[cw->ids[b]]++ == 0)
						buf_add(&ctouch, &cw->ids[b], sizeof(int64_t));
			}
			int64_t need = labelled >= 4 ? 2 : 1;
			int64_t best[CLUSTER_RANKED];
			double bs[CLUSTER_RANKED];
			for (int q = 0; q < CLUSTER_RANKED; q++) {
				best[q] = -1;
				bs[q] = 0;
			}
			const int64_t *tw = (const int64_t *)(void *)ctouch.p;
			int64_t nt = (int64_t)(ctouch.len / sizeof(int64_t));
			for (int64_t a = 0; a < nt; a++) {
				int64_t id = tw[a];
				if (cnt[id] < need)
					continue;
				double sc = contrast_score(cnt[id], m, tot[id] - cnt[id], M - m);
				if (sc <= 0)
					continue;
				rank_word(cw, best, bs, CLUSTER_RANKED, id, sc);
			}
			for (int64_t a = 0; a < nt; a++)
				cnt[tw[a]] = 0;
			if (best[0] < 0)
				continue;
			/* up to three words scoring at least half the best; more
			 * of the ranked words while an earlier sibling has the
			 * same name */
			int nwords = 0;
			while (nwords < 3 && nwords < CLUSTER_RANKED && best[nwords] >= 0 &&
			       bs[nwords] * 2 >= bs[0])
				nwords++;
			fs_buf out = {0};
			for (;;) {
				out.len = 0;
				for (int q = 0; q < nwords; q++) {
					if (q)
						buf_adds(&out, ", ");
					buf_adds(&out, cw->word[best[q]]);
				}
				char *mine = name_canon(out.p);
				int same = 0;
				for (int64_t e = lo; e < k && !same; e++) {
					char *other = name_canon(t->nodes[kids[e]].label);
					same = strcmp(other, mine) == 0;
					free(other);
				}
				free(mine);
				if (!same || nwords == CLUSTER_RANKED || best[nwords] < 0)
					break;
				nwords++;
			}
			free(t->nodes[c].label);
			t->nodes[c].label = out.p;
		}
		const int64_t *tt = (const int64_t *)(void *)ttouch.p;
		for (int64_t a = 0; a < (int64_t)(ttouch.len / sizeof(int64_t)); a++)
			tot[tt[a]] = 0;
	}
	buf_free(&ttouch);
	buf_free(&ctouch);
	free(tot);
	free(kids);
	free(first);
}

int cluster_build(const float *X, int64_t n, int d, const char *const *labels,
		  const cluster_opts *o, cluster_tree *t)
{
	memset(t, 0, sizeof *t);
	t->n_rows = n;
	t->leaf = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *t->leaf);
	if (n <= 0)
		return 0;
	cluster_state st;
	memset(&st, 0, sizeof st);
	st.X = X;
	st.d = d;
	st.t = t;
	st.o.branch = o && o->branch > 1 ? o->branch : 12;
	st.o.leaf_max = o && o->leaf_max > 0 ? o->leaf_max : 48;
	st.o.min_size = o && o->min_size > 0 ? o->min_size : 4;
	st.o.max_depth = o && o->max_depth > 0 ? o->max_depth : 8;
	st.o.iters = o && o->iters > 0 ? o->iters : 15;
	st.o.merge_cos = o && o->merge_cos > 0 ? o->merge_cos : 0.8f;
	st.o.seed = o ? o->seed : 0;
	words_build(&st.cw, labels, n);
	st.cnt = xcalloc((size_t)(st.cw.n_words > 0 ? st.cw.n_words : 1), sizeof *st.cnt);
	int64_t *rows = xmalloc((size_t)n * sizeof *rows);
	for (int64_t i = 0; i < n; i++)
		rows[i] = i;
	/* parent -2: the first split's children are the roots */
	split(&st, -2, 0, rows, n, st.o.seed + 1);
	/* a set too small to split is one root leaf: fix its parent */
	for (int64_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].parent == -2)
			t->nodes[i].parent = -1;
	if (labels)
		name_by_siblings(&st);
	for (int64_t i = 0; i < t->n_nodes; i++)
		free(st.mem[i]);
	free(st.mem);
	free(rows);
	free(st.cnt);
	words_free(&st.cw);
	return 0;
}

/* A node's parent and name, sorted to find siblings of the same name. */
typedef struct {
	int64_t parent;     /* parent node, -1 for a root */
	char *label;        /* its name's words sorted (name_canon) */
} cluster_pl;

static int cmp_pl(const void *a, const void *b)
{
	const cluster_pl *x = a, *y = b;
	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return strcmp(x->label, y->label);
}

int64_t cluster_sibling_repeats(const cluster_tree *t)
{
	if (t->n_nodes < 2)
		return 0;
	cluster_pl *v = xmalloc((size_t)t->n_nodes * sizeof *v);
	for (int64_t i = 0; i < t->n_nodes; i++)
		v[i] = (cluster_pl){t->nodes[i].parent, name_canon(t->nodes[i].label)};
	qsort(v, (size_t)t->n_nodes, sizeof *v, cmp_pl);
	/* every node in a run of two or more equal (parent, name) counts */
	int64_t rep = 0;
	for (int64_t i = 0; i < t->n_nodes; i++)
		if ((i > 0 && cmp_pl(&v[i], &v[i - 1]) == 0) ||
		    (i + 1 < t->n_nodes && cmp_pl(&v[i], &v[i + 1]) == 0))
			rep++;
	for (int64_t i = 0; i < t->n_nodes; i++)
		free(v[i].label);
	free(v);
	return rep;
}

void cluster_tree_free(cluster_tree *t)
{
	for (int64_t i = 0; i < t->n_nodes; i++)
		free(t->nodes[i].label);
	free(t->nodes);
	free(t->leaf);
	memset(t, 0, sizeof *t);
}
