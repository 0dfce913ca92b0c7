/*
 * grep_scan.c: the scan engine. Worker threads take chunks from a shared
 * counter; each owns a read-only connection and context reader of its own
 * and a per-thread accumulator; matches are mapped to the tokens they
 * overlap and the stored examples on matched contexts are summed per
 * feature (see grep.h for the definitions). The calling thread wakes
 * every interval to merge the accumulators into a partial ranking for its
 * callback. Also here: background jobs (grep_start/grep_cancel/grep_join)
 * and the literal substring search for text full-text search cannot
 * tokenise (over the chunks the index's text-gram filter lets through).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "grep/grep_int.h"
#include "core/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#define GREP_MATCH_LIMIT 2000000u   /* default PCRE2 match limit per context */
#define GREP_DEPTH_LIMIT 100000u    /* interpreter backtracking depth */
#define GREP_JIT_STACK (1024 * 1024)/* most JIT stack per worker */

typedef struct grep_scan_state grep_scan_state;


/* The path names another file than the one ix reads (an index rebuilt
 * under an open browser): a connection opened again by path would mix two
 * files, so the scan refuses. */
static void grep_rebuilt_err(fs_index *ix, char *err, size_t errlen)
{
	fs_seterr(err, errlen, "%s: the index file changed since it was opened (rebuilt?): "
		  "not searched; open it again to search the new one", index_path(ix));
}

/* One worker thread. */
typedef struct {
	grep_scan_state *s;         /* shared state */
	fs_index *ix;               /* own read-only connection */
	index_ctx_reader *rd;       /* its token and example queries */
	pcre2_match_data *md;       /* match data for the pattern */
	pcre2_match_context *mc;    /* match limits and JIT stack */
	pcre2_jit_stack *js;        /* JIT stack */
	pthread_mutex_t mu;         /* guards acc and the counters below */
	grep_acc acc;               /* per-feature sums of this worker */
	int64_t matches;            /* matches found */
	int64_t ctx_matched;        /* contexts with a match */
	int64_t tok_matched;        /* tokens overlapped by a match */
	size_t *spans;              /* match spans of the current context */
	int nspan, capspan;         /* spans used and allocated (pairs) */
	uint8_t *marked;            /* matched-token flags of the current context */
	int capmarked;              /* bytes allocated in marked */
	int64_t ctx;                /* context being folded (example callback) */
	int rc;                     /* GREP_DONE or an error code */
	char err[512];              /* message when rc < 0 */
	pthread_t th;               /* the thread */
} grep_worker;

struct grep_scan_state {
	const grep_pattern *p;      /* the pattern */
	uint32_t match_limit;       /* per-context PCRE2 match limit */
	int64_t nchunks;            /* chunks 1..nchunks */
	atomic_llong next;          /* next chunk id to take */
	atomic_ullong bytes_done;   /* text bytes scanned */
	atomic_llong chunks_done;   /* chunks scanned */
	atomic_int stop;            /* set by a worker on error */
	atomic_int *cancel;         /* the caller's cancel flag, may be NULL */
	uint8_t *may;               /* chunks 1..ncov that may hold the plain
	                               string (index_text_candidates), or NULL */
	int64_t ncov;               /* chunks it covers */
	uint64_t bytes_total;       /* text in the index */
	pthread_mutex_t mu;         /* guards running */
	pthread_cond_t cv;          /* signalled when a worker ends */
	int running;                /* workers still running */
};

/* Contexts per whole-text prefilter call (see grep_scan_chunk). */
#define GREP_FILTER_WINDOW 64

static int grep_stopped(grep_scan_state *s)
{
	return atomic_load(&s->stop) || (s->cancel && atomic_load(s->cancel));
}

static void grep_push_span(grep_worker *w, size_t a, size_t b)
{
	if (w->nspan == w->capspan) {
		w->capspan = w->capspan ? 2 * w->capspan : 64;
		w->spans = xrealloc(w->spans, (size_t)w->capspan * 2 * sizeof *w->spans);
	}
	w->spans[2 * w->nspan] = a;
	w->spans[2 * w->nspan + 1] = b;
	w->nspan++;
}

/* All non-empty matches in one context's text; 0, or an error code. */
static int grep_match_ctx(grep_worker *w, const unsigned char *subj, size_t len,
			  int valid, int64_t ctx)
{
	const grep_pattern *p = w->s->p;
	pcre2_code *code = valid ? p->code : p->code_inv;
	int jit = valid ? p->jit : p->jit_inv;
	uint32_t opts = PCRE2_NOTEMPTY | (valid ? PCRE2_NO_UTF_CHECK : 0);
	int token = (p->flags & GREP_TOKEN) != 0;
	size_t pos = 0;
	w->nspan = 0;
	while (pos <= len) {
		int rc = jit ? pcre2_jit_match(code, subj, len, pos, opts, w->md, w->mc)
			     : pcre2_match(code, subj, len, pos, opts, w->md, w->mc);
		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(rc, msg, sizeof msg);
			if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
			    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
				snprintf(w->err, sizeof w->err,
					 "pattern hit the match limit in context %lld (%s): "
					 "it backtracks too much; simplify it or raise --match-limit",
					 (long long)ctx, (char *)msg);
				return GREP_ELIMIT;
			}
			snprintf(w->err, sizeof w->err, "matching context %lld: %s",
				 (long long)ctx, (char *)msg);
			return GREP_ERR;
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(w->md);
		size_t a = ov[0], b = ov[1];
		if (b > a)
			grep_push_span(w, a, b);
		/* Next start: after the match, or (for exact token matching,
		 * which must see overlapping candidates) the next character. */
		size_t next = (token || b <= a) ? (a > pos ? a : pos) + 1 : b;
		while (next < len && (subj[next] & 0xC0) == 0x80)
			next++;
		if (next <= pos)
			next = pos + 1;
		pos = next;
	}
	return 0;
}

static void grep_fold_example(void *ud, int64_t fid, const float *acts, int ntok)
{
	grep_worker *w = ud; /* w->mu is held (grep_fold_ctx) */
	grep_acc_example(&w->acc, fid, w->ctx, acts, ntok, w->marked);
}

/* Map a matched context's spans to tokens and fold its examples. */
static int grep_fold_ctx(grep_worker *w, int64_t ctx, const char *text, size_t len)
{
	uint32_t *off = NULL;
	int ntok = index_ctx_reader_toks(w->rd, ctx, (uint32_t)len, &off);
	if (ntok < 0) {
		snprintf(w->err, sizeof w->err, "context %lld: no token boundaries: %s",
			 (long long)ctx, index_errmsg(w->ix));
		return GREP_ERR;
	}
	if (ntok + 1 > w->capmarked) {
		w->capmarked = ntok + 64;
		w->marked = xrealloc(w->marked, (size_t)w->capmarked);
	}
	int nm = grep_mark_tokens(w->spans, w->nspan, off, ntok, text,
				  (w->s->p->flags & GREP_TOKEN) != 0, w->marked);
	free(off);
	/* one lock for the context and its examples (the merging thread
	 * takes it to read the sums) */
	pthread_mutex_lock(&w->mu);
	w->matches += w->nspan;
	w->ctx_matched++;
	w->tok_matched += nm;
	w->ctx = ctx;
	int ne = nm ? index_ctx_reader_examples(w->rd, ctx, ntok, grep_fold_example, w) : 0;
	pthread_mutex_unlock(&w->mu);
	if (ne < 0) {
		snprintf(w->err, sizeof w->err, "examples of context %lld: %s",
			 (long long)ctx, index_errmsg(w->ix));
		return GREP_ERR;
	}
	return 0;
}

/* Match context i of a chunk exactly and fold it when it matches. */
static int grep_do_ctx(grep_worker *w, const fs_chunk *ch, int i, int valid)
{
	/* Context i is [off[i], off[i + 1] - 1): a NUL follows it. */
	size_t a = ch->off[i], b = ch->off[i + 1] - 1;
	const unsigned char *subj = (const unsigned char *)ch->text + a;
	int v = valid || utf8_valid(subj, b - a);
	int64_t ctx = ch->first_ctx + i;
	int rc = grep_match_ctx(w, subj, b - a, v, ctx);
	if (rc == 0 && w->nspan > 0)
		rc = grep_fold_ctx(w, ctx, (const char *)subj, b - a);
	return rc;
}

/* The context of a chunk holding byte pos (the last with off[i] <= pos). */
static int grep_ctx_at(const fs_chunk *ch, size_t pos)
{
	int lo = 0, hi = ch->n - 1;
	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;
		if (ch->off[mid] <= pos)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* One chunk: through the whole-chunk prefilter when the pattern has one
 * (candidate contexts are validated one by one), else one context at a
 * time after validating the whole chunk once. */
static int grep_scan_chunk(grep_worker *w, const fs_chunk *ch)
{
	const grep_pattern *p = w->s->p;
	int valid = 0, i = 0, rc = 0;
	if (!p->filter || p->skip_ascii)
		valid = utf8_valid((const unsigned char *)ch->text, ch->len);
	if (p->filter && (valid || !p->skip_ascii) && ch->n > 0) {
		const unsigned char *t = (const unsigned char *)ch->text;
		size_t pos = 0;
		while (i < ch->n && rc == 0) {
			if (grep_stopped(w->s))
				return 0;
			if (p->lit) {
				pos = grep_lit_find(p->lit, t, pos, ch->len);
				if (pos >= ch->len)
					return 0;
				int c = grep_ctx_at(ch, pos);
				if (c < i)
					c = i;
				rc = grep_do_ctx(w, ch, c, valid);
				i = c + 1;
				if (i < ch->n)
					pos = ch->off[i];
				continue;
			}
			if (p->skip_ascii) {
				/* Try each non-ASCII character, anchored. */
				pos = grep_next_high(t, pos, ch->len);
				if (pos >= ch->len)
					return 0;
				int r = p->jit_anch
					? pcre2_jit_match(p->anch, t, ch->len, pos, PCRE2_NOTEMPTY | PCRE2_NO_UTF_CHECK, w->md, w->mc)
					: pcre2_match(p->anch, t, ch->len, pos, PCRE2_NOTEMPTY | PCRE2_NO_UTF_CHECK, w->md, w->mc);
				if (r == PCRE2_ERROR_NOMATCH) {
					pos++;
					while (pos < ch->len && (t[pos] & 0xC0) == 0x80)
						pos++;
					continue;
				}
				if (r < 0)
					break;
				int c = grep_ctx_at(ch, pos);
				if (c < i)
					c = i;
				rc = grep_do_ctx(w, ch, c, valid);
				i = c + 1;
				if (i < ch->n)
					pos = ch->off[i];
				continue;
			}
			/* The filter runs over windows of GREP_FILTER_WINDOW contexts
			 * (they end after a context's NUL, so no match is cut), so
			 * that cancelling never waits for a whole chunk of heavy
			 * backtracking. */
			int wi = i + GREP_FILTER_WINDOW < ch->n ? i + GREP_FILTER_WINDOW : ch->n;
			size_t wend = wi < ch->n ? ch->off[wi] : ch->len;
			int r = p->jit_filter
				? pcre2_jit_match(p->filter, t, wend, pos, PCRE2_NOTEMPTY, w->md, w->mc)
				: pcre2_match(p->filter, t, wend, pos, PCRE2_NOTEMPTY, w->md, w->mc);
			if (r == PCRE2_ERROR_NOMATCH) {
				if (wi >= ch->n)
					return 0;
				i = wi;
				pos = wend;
				continue;
			}
			if (r < 0)
				break; /* limits and the like: finish one context at a time */
			int c = grep_ctx_at(ch, pcre2_get_ovector_pointer(w->md)[0]);
			if (c < i)
				c = i;
			rc = grep_do_ctx(w, ch, c, valid);
			i = c + 1;
			if (i < ch->n)
				pos = ch->off[i];
		}
	}
	for (; i < ch->n && rc == 0; i++) {
		if ((i & 15) == 15 && grep_stopped(w->s))
			break;
		rc = grep_do_ctx(w, ch, i, valid);
	}
	return rc;
}

static void *grep_worker_main(void *arg)
{
	grep_worker *w = arg;
	grep_scan_state *s = w->s;
	int rc = 0;
	while (rc == 0 && !grep_stopped(s)) {
		int64_t id = atomic_fetch_add(&s->next, 1);
		if (id > s->nchunks)
			break;
		if (id <= s->ncov && !(s->may[(id - 1) / 8] >> ((id - 1) % 8) & 1)) {
			atomic_fetch_add(&s->chunks_done, 1); /* ruled out: no match there */
			continue;
		}
		const fs_chunk *ch = index_ctx_reader_chunk(w->rd, id);
		if (!ch) {
			snprintf(w->err, sizeof w->err, "reading text chunk %lld: %s",
				 (long long)id, index_errmsg(w->ix));
			rc = GREP_ERR;
			break;
		}
		rc = grep_scan_chunk(w, ch);
		atomic_fetch_add(&s->bytes_done, (unsigned long long)ch->len);
		atomic_fetch_add(&s->chunks_done, 1);
	}
	w->rc = rc;
	if (rc < 0)
		atomic_store(&s->stop, 1);
	pthread_mutex_lock(&s->mu);
	s->running--;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Merge the workers' sums into m and rank them into r. */
static void grep_snapshot(grep_worker *ws, int nw, grep_acc *m, const double *act_mass,
			  const int *sae_of, const grep_opts *o, grep_scan_state *s,
			  double t0, grep_result *r)
{
	memset(r, 0, sizeof *r);
	for (int64_t f = 0; f < m->nfid; f++) {
		m->mass[f] = 0;
		m->fire[f] = m->cover[f] = m->contexts[f] = 0;
	}
	for (int i = 0; i < nw; i++) {
		grep_worker *w = &ws[i];
		pthread_mutex_lock(&w->mu);
		if (w->acc.nfid > m->nfid) {
			grep_acc_grow(m, w->acc.nfid - 1);
		}
		for (int64_t f = 0; f < w->acc.nfid; f++) {
			if (!w->acc.cover[f])
				continue;
			m->mass[f] += w->acc.mass[f];
			m->fire[f] += w->acc.fire[f];
			m->cover[f] += w->acc.cover[f];
			m->contexts[f] += w->acc.contexts[f];
		}
		r->matches += w->matches;
		r->ctx_matched += w->ctx_matched;
		r->tok_matched += w->tok_matched;
		pthread_mutex_unlock(&w->mu);
	}
	grep_rank(m, act_mass, sae_of, o->sae, o->sort, o->limit, r);
	r->bytes_done = atomic_load(&s->bytes_done);
	r->chunks_done = atomic_load(&s->chunks_done);
	r->chunks_total = s->nchunks;
	if (s->may && r->chunks_done == r->chunks_total) /* the skipped chunks' bytes */
		r->bytes_done = s->bytes_total;
	r->seconds = fs_now() - t0;
}

static int grep_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > GREP_MAX_THREADS ? GREP_MAX_THREADS : (int)n;
}

int grep_scan(fs_index *ix, const grep_pattern *p, const grep_opts *o,
	      grep_result *out, char *err, size_t errlen)
{
	double t0 = fs_now();
	grep_scan_state s;
	memset(&s, 0, sizeof s);
	s.p = p;
	s.match_limit = o->match_limit ? o->match_limit : GREP_MATCH_LIMIT;
	s.nchunks = index_n_chunks(ix);
	atomic_init(&s.next, 1);
	atomic_init(&s.bytes_done, 0);
	atomic_init(&s.chunks_done, 0);
	atomic_init(&s.stop, 0);
	s.cancel = o->cancel;
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	memset(out, 0, sizeof *out);

	int64_t nfid = 0, total = 0;
	double *act_mass = NULL;
	int *sae_of = NULL;

	int nw = o->threads > 0 ? o->threads : grep_online_cpus();
	if (nw > GREP_MAX_THREADS)
		nw = GREP_MAX_THREADS;
	if (nw > s.nchunks)
		nw = s.nchunks > 0 ? (int)s.nchunks : 1;
	grep_worker *ws = xcalloc((size_t)nw, sizeof *ws);
	int started = 0, rc = GREP_DONE;
	for (int i = 0; i < nw; i++) {
		grep_worker *w = &ws[i];
		char e[256];
		w->s = &s;
		w->ix = index_open(index_path(ix), e, sizeof e);
		if (!w->ix) {
			fs_seterr(err, errlen, "%s", e);
			rc = GREP_ERR;
			break;
		}
		if (!index_same_file(ix, w->ix)) {
			grep_rebuilt_err(ix, err, errlen);
			rc = GREP_ERR;
			break;
		}
		w->rd = index_ctx_reader_open(w->ix);
		if (!w->rd) {
			fs_seterr(err, errlen, "%s: %s", index_path(ix), index_errmsg(w->ix));
			rc = GREP_ERR;
			break;
		}
		if (i == 0) {
			/* Through the first worker's connection: none of the
			 * scan's queries runs on ix's (see grep.h). */
			if (index_feature_masses(w->ix, &nfid, &act_mass, &sae_of) != 0) {
				fs_seterr(err, errlen, "reading features: %s", index_errmsg(w->ix));
				rc = GREP_ERR;
				break;
			}
			total = index_text_bytes(w->ix);
			if (total < 0)
				total = 0;
			s.bytes_total = (uint64_t)total;
			/* A plain string: only the chunks the index's text-gram
			 * filter lets through (a match holds the string's bytes). */
			if (p->lit) {
				size_t ln;
				int ci;
				const char *ls = grep_lit_string(p->lit, &ln, &ci);
				index_text_candidates(w->ix, ls, ln, ci, &s.may, &s.ncov);
			}
		}
		w->md = pcre2_match_data_create_from_pattern(p->code, NULL);
		w->mc = pcre2_match_context_create(NULL);
		w->js = pcre2_jit_stack_create(32 * 1024, GREP_JIT_STACK, NULL);
		pcre2_set_match_limit(w->mc, s.match_limit);
		pcre2_set_depth_limit(w->mc, GREP_DEPTH_LIMIT);
		pcre2_jit_stack_assign(w->mc, NULL, w->js);
		pthread_mutex_init(&w->mu, NULL);
		grep_acc_init(&w->acc, nfid);
	}
	if (rc == GREP_DONE) {
		pthread_mutex_lock(&s.mu);
		for (int i = 0; i < nw; i++) {
			if (pthread_create(&ws[i].th, NULL, grep_worker_main, &ws[i]) != 0) {
				atomic_store(&s.stop, 1);
				rc = fs_seterr(err, errlen, "cannot start a thread: %s", strerror(errno));
				break;
			}
			started++;
			s.running++;
		}
		grep_acc merged;
		grep_acc_init(&merged, nfid);
		double iv = o->interval > 0 ? o->interval : 0.1;
		while (s.running > 0) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			long ns = ts.tv_nsec + (long)(iv * 1e9);
			ts.tv_sec += ns / 1000000000L;
			ts.tv_nsec = ns % 1000000000L;
			int w8 = pthread_cond_timedwait(&s.cv, &s.mu, &ts);
			if (w8 == ETIMEDOUT && s.running > 0 && o->on_result && !atomic_load(&s.stop)) {
				pthread_mutex_unlock(&s.mu);
				grep_result pr;
				grep_snapshot(ws, nw, &merged, act_mass, sae_of, o, &s, t0, &pr);
				pr.bytes_total = (uint64_t)total;
				o->on_result(o->ud, &pr, 0);
				grep_result_free(&pr);
				pthread_mutex_lock(&s.mu);
			}
		}
		pthread_mutex_unlock(&s.mu);
		for (int i = 0; i < started; i++)
			pthread_join(ws[i].th, NULL);
		for (int i = 0; i < started && rc == GREP_DONE; i++)
			if (ws[i].rc < 0) {
				rc = ws[i].rc;
				fs_seterr(err, errlen, "%s", ws[i].err);
			}
		if (rc == GREP_DONE) {
			grep_snapshot(ws, nw, &merged, act_mass, sae_of, o, &s, t0, out);
			out->bytes_total = (uint64_t)total;
			if (s.cancel && atomic_load(s.cancel) &&
			    out->chunks_done < out->chunks_total)
				rc = GREP_CANCELLED;
			if (o->on_result)
				o->on_result(o->ud, out, 1);
		}
		grep_acc_free(&merged);
	}
	for (int i = 0; i < nw; i++) {
		grep_worker *w = &ws[i];
		index_ctx_reader_close(w->rd);
		if (w->ix)
			index_close(w->ix);
		if (w->md) {
			pcre2_match_data_free(w->md);
			pcre2_match_context_free(w->mc);
			pcre2_jit_stack_free(w->js);
			pthread_mutex_destroy(&w->mu);
			grep_acc_free(&w->acc);
		}
		free(w->spans);
		free(w->marked);
	}
	free(ws);
	free(s.may);
	free(act_mass);
	free(sae_of);
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
	return rc;
}

/* ------------------------------------------------------ background jobs */

struct grep_job {
	fs_index *ix;               /* the index (its path is all that is used) */
	const grep_pattern *p;      /* the pattern */
	grep_opts o;                /* options (cancel points at ours or the caller's) */
	atomic_int cancel;          /* our cancel flag */
	grep_result res;            /* the final ranking */
	int rc;                     /* grep_scan's return */
	char err[512];              /* its message */
	pthread_t th;               /* the scanning thread */
	atomic_int finished;        /* grep_scan has returned */
};

static void *grep_job_main(void *arg)
{
	grep_job *j = arg;
	j->rc = grep_scan(j->ix, j->p, &j->o, &j->res, j->err, sizeof j->err);
	atomic_store(&j->finished, 1);
	return NULL;
}

grep_job *grep_start(fs_index *ix, const grep_pattern *p, const grep_opts *o)
{
	grep_job *j = xcalloc(1, sizeof *j);
	j->ix = ix;
	j->p = p;
	j->o = *o;
	atomic_init(&j->cancel, 0);
	atomic_init(&j->finished, 0);
	if (!j->o.cancel)
		j->o.cancel = &j->cancel;
	if (pthread_create(&j->th, NULL, grep_job_main, j) != 0) {
		free(j);
		return NULL;
	}
	return j;
}

void grep_cancel(grep_job *j)
{
	atomic_store(j->o.cancel, 1);
}

int grep_finished(grep_job *j)
{
	return atomic_load(&j->finished);
}

int grep_join(grep_job *j, grep_result *out, char *err, size_t errlen)
{
	pthread_join(j->th, NULL);
	int rc = j->rc;
	if (rc < 0)
		fs_seterr(err, errlen, "%s", j->err);
	if (out)
		*out = j->res;
	else
		grep_result_free(&j->res);
	free(j);
	return rc;
}

/* ----------------------------------------------------- substring search */

int grep_substring(fs_index *ix, const char *s, int caseless, int limit,
		   int64_t **ctx, char *err, size_t errlen)
{
	*ctx = NULL;
	grep_pattern *p = grep_compile(s, GREP_LITERAL | (caseless ? GREP_CASELESS : 0), err, errlen);
	if (!p)
		return -1;
	/* An own connection (and reader with reused buffers), as the scan's
	 * workers have: ix may be in use on another thread. */
	fs_index *own = index_open(index_path(ix), err, errlen);
	if (own && !index_same_file(ix, own)) {
		grep_rebuilt_err(ix, err, errlen);
		index_close(own);
		grep_pattern_free(p);
		return -1;
	}
	index_ctx_reader *rd = own ? index_ctx_reader_open(own) : NULL;
	if (!rd) {
		if (own)
			fs_seterr(err, errlen, "%s: %s", index_path(ix), index_errmsg(own));
		index_close(own);
		grep_pattern_free(p);
		return -1;
	}
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(p->code, NULL);
	int n = 0, cap = 0, rc = 0;
	int64_t nch = index_n_chunks(own), ncov = 0;
	/* Only the chunks the index's text-gram filter lets through (all of
	 * them when it has none). */
	uint8_t *may = NULL;
	index_text_candidates(own, s, strlen(s), caseless, &may, &ncov);
	for (int64_t id = 1; id <= nch && (limit <= 0 || n < limit) && rc == 0; id++) {
		if (id <= ncov && !(may[(id - 1) / 8] >> ((id - 1) % 8) & 1))
			continue;
		const fs_chunk *ch = index_ctx_reader_chunk(rd, id);
		if (!ch) {
			rc = fs_seterr(err, errlen, "reading text chunk %lld: %s",
				       (long long)id, index_errmsg(own));
			break;
		}
		const unsigned char *t = (const unsigned char *)ch->text;
		for (int i = 0; i < ch->n && (limit <= 0 || n < limit); i++) {
			/* Jump to the next context holding a candidate. */
			size_t pos = ch->off[i], at = ch->len;
			if (p->lit) {
				at = grep_lit_find(p->lit, t, pos, ch->len);
			} else if (p->filter) {
				int r = pcre2_match(p->filter, t, ch->len, pos, 0, md, NULL);
				if (r >= 0)
					at = pcre2_get_ovector_pointer(md)[0];
				else if (r != PCRE2_ERROR_NOMATCH)
					at = pos; /* let the exact match report it */
			} else {
				at = pos;
			}
			if (at >= ch->len)
				break;
			int c = grep_ctx_at(ch, at);
			if (c > i)
				i = c;
			/* The exact test on that context alone. */
			size_t a = ch->off[i], b = ch->off[i + 1] - 1;
			const unsigned char *subj = t + a;
			int v = utf8_valid(subj, b - a);
			int r = pcre2_match(v ? p->code : p->code_inv, subj, b - a, 0,
					    v ? PCRE2_NO_UTF_CHECK : 0, md, NULL);
			if (r >= 0) {
				if (n == cap)
					*ctx = xrealloc(*ctx, (size_t)(cap = cap ? 2 * cap : 64) * sizeof **ctx);
				(*ctx)[n++] = ch->first_ctx + i;
			} else if (r != PCRE2_ERROR_NOMATCH) {
				rc = fs_seterr(err, errlen, "matching context %lld: error %d",
					       (long long)(ch->first_ctx + i), r);
				break;
			}
		}
	}
	pcre2_match_data_free(md);
	free(may);
	index_ctx_reader_close(rd);
	index_close(own);
	grep_pattern_free(p);
	if (rc < 0) {
		free(*ctx);
		*ctx = NULL;
		return -1;
	}
	return n;
}

int grep_search_contexts(fs_index *ix, const char *query, int substring, int limit,
			 int64_t **ctx, int *how, char *err, size_t errlen)
{
	*ctx = NULL;
	*how = GREP_SEARCH_FTS;
	int n = 0;
	if (!substring) {
		int phrase = 0;
		n = index_search(ix, 0, query, limit, ctx, &phrase);
		if (n < 0)
			return fs_seterr(err, errlen, "%s: %s", query, index_errmsg(ix));
		if (phrase)
			*how = GREP_SEARCH_PHRASE;
		if (n > 0)
			return n;
		free(*ctx);
		*ctx = NULL;
	}
	*how = GREP_SEARCH_SUBSTRING;
	return grep_substring(ix, query, 0, limit, ctx, err, errlen);
}
