/*
 * cli_notes_import.c: `featscope notes import FILE INDEX`: reads what
 * `featscope export` wrote (json or tsv, told apart by the first byte),
 * then merges it into the notes database in one transaction: a field that
 * differs from the database's is a conflict, reported and left as stored
 * unless --force; tags and list members are added. All storage goes
 * through notes.h.
 */
#include "cli/cli_notes.h"
#include "cli/cliutil.h"
#include "core/escape.h"
#include "core/input.h"
#include "core/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* One feature's notes read from an export file. */
typedef struct {
	char *key;       /* "SAE/N" */
	char *label;     /* user label */
	char *note;      /* note text */
	char *tags;      /* space-separated */
	int bookmark;    /* 0/1 */
	char **lists;    /* lists it is in */
	int nlists;
	long line;       /* line in the file (tsv), 0 for json */
} imp_rec;

/* A list read from an export file. */
typedef struct {
	char *name;          /* list name */
	char *description;   /* its description */
	char **members;      /* keys */
	int nmembers;
} imp_list;

/* Everything read from one export file. */
typedef struct {
	const char *file;  /* for messages */
	imp_rec *recs;
	int nrecs;
	imp_list *lists;
	int nlists;
	imp_list *sn;    /* supernodes: name, description = the graph's slug, members = node ids */
	int nsn;
} imp_doc;

static void imp_free(imp_doc *d)
{
	for (int i = 0; i < d->nrecs; i++) {
		free(d->recs[i].key);
		free(d->recs[i].label);
		free(d->recs[i].note);
		free(d->recs[i].tags);
		notes_strv_free(d->recs[i].lists, d->recs[i].nlists);
	}
	for (int i = 0; i < d->nlists; i++) {
		free(d->lists[i].name);
		free(d->lists[i].description);
		notes_strv_free(d->lists[i].members, d->lists[i].nmembers);
	}
	free(d->recs);
	free(d->lists);
	for (int i = 0; i < d->nsn; i++) {
		free(d->sn[i].name);
		free(d->sn[i].description);
		notes_strv_free(d->sn[i].members, d->sn[i].nmembers);
	}
	free(d->sn);
}

static imp_rec *imp_add(imp_doc *d)
{
	d->recs = xrealloc(d->recs, sizeof *d->recs * (size_t)(d->nrecs + 1));
	imp_rec *r = &d->recs[d->nrecs++];
	memset(r, 0, sizeof *r);
	return r;
}

static void strv_append(char ***v, int *n, const char *s)
{
	*v = xrealloc(*v, sizeof **v * (size_t)(*n + 2));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

/* The file is parsed with JSON_ALLOW_NUL, so that fields import does not
 * read (an exported context's text) may hold \u0000; a string that import
 * keeps must not: 1 after a message naming the file and the field when v
 * holds a NUL, else 0. */
static int has_nul(const imp_doc *d, json_t *v, const char *where, const char *field)
{
	if (strlen(json_string_value(v)) == json_string_length(v))
		return 0;
	fs_warn("%s: %s: %s: a NUL character (\\u0000) is not allowed", d->file, where, field);
	return 1;
}

/* A JSON string field (absent or null: ""); -1 with a message when it is
 * another type or holds a NUL. */
static int jstr(const imp_doc *d, json_t *o, const char *field, const char *where, char **out)
{
	json_t *v = json_object_get(o, field);
	*out = NULL;
	if (!v || json_is_null(v)) {
		*out = xstrdup("");
		return 0;
	}
	if (!json_is_string(v)) {
		fs_warn("%s: %s: %s: must be a string", d->file, where, field);
		return -1;
	}
	if (has_nul(d, v, where, field))
		return -1;
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* A JSON array of strings (or one space-separated string). */
static int jstrv(const imp_doc *d, json_t *o, const char *field, const char *where, char ***out, int *n)
{
	json_t *v = json_object_get(o, field);
	*out = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		if (has_nul(d, v, where, field))
			return -1;
		char *s = notes_tags_normalise(json_string_value(v)), *sv;
		for (char *t = strtok_r(s, " ", &sv); t; t = strtok_r(NULL, " ", &sv))
			strv_append(out, n, t);
		free(s);
		return 0;
	}
	if (!json_is_array(v)) {
		fs_warn("%s: %s: %s: must be an array of strings", d->file, where, field);
		return -1;
	}
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			fs_warn("%s: %s: %s[%zu]: must be a string", d->file, where, field, i);
			return -1;
		}
		char elem[96];
		snprintf(elem, sizeof elem, "%s[%zu]", field, i);
		if (has_nul(d, e, where, elem))
			return -1;
		strv_append(out, n, json_string_value(e));
	}
	return 0;
}

/* Element i of array `what` must be an object: 1, or 0 after a message.
 * where gets its place ("features[3]") for later messages. */
static int imp_object(const imp_doc *d, json_t *v, const char *what, size_t i, char *where, size_t n)
{
	snprintf(where, n, "%s[%zu]", what, i);
	if (json_is_object(v))
		return 1;
	fs_warn("%s: %s: must be an object", d->file, where);
	return 0;
}

static int imp_json(imp_doc *d, const char *text, size_t len)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_ALLOW_NUL, &je);
	if (!root) {
		fs_warn("%s:%d: json: %s", d->file, je.line, fs_msg_clean(je.text));
		return -1;
	}
	int rc = -1;
	json_t *feats = json_object_get(root, "features");
	if (!json_is_object(root) || !json_is_array(feats)) {
		fs_warn("%s:1: features: not a featscope export (no \"features\" array)", d->file);
		goto out;
	}
	size_t i;
	json_t *f;
	json_array_foreach(feats, i, f) {
		char where[64];
		if (!imp_object(d, f, "features", i, where, sizeof where))
			goto out;
		imp_rec *r = imp_add(d);
		char **tv;
		int nt;
		if (jstr(d, f, "feature", where, &r->key) < 0 || jstr(d, f, "label", where, &r->label) < 0 ||
		    jstr(d, f, "note", where, &r->note) < 0 || jstrv(d, f, "tags", where, &tv, &nt) < 0 ||
		    jstrv(d, f, "lists", where, &r->lists, &r->nlists) < 0)
			goto out;
		for (int k = 0; k < nt; k++) {
			const char *why = notes_tag_problem(tv[k]);
			if (why) {
				fs_warn("%s: %s: tags[%d]: '%s' is not a tag: %s", d->file, where, k, tv[k], why);
				notes_strv_free(tv, nt);
				goto out;
			}
		}
		fs_buf tb = {0};
		buf_adds(&tb, "");
		for (int k = 0; k < nt; k++) {
			if (k)
				buf_addc(&tb, ' ');
			buf_adds(&tb, tv[k]);
		}
		notes_strv_free(tv, nt);
		r->tags = notes_tags_normalise(tb.p);
		buf_free(&tb);
		if (!*r->key) {
			fs_warn("%s: %s: feature: missing", d->file, where);
			goto out;
		}
		json_t *b = json_object_get(f, "bookmark");
		if (b && !json_is_boolean(b) && !json_is_null(b)) {
			fs_warn("%s: %s: bookmark: must be true or false", d->file, where);
			goto out;
		}
		r->bookmark = json_is_true(b);
	}
	json_t *lists = json_object_get(root, "lists"), *l;
	if (lists && !json_is_array(lists)) {
		fs_warn("%s: lists: must be an array", d->file);
		goto out;
	}
	json_array_foreach(lists, i, l) {
		char where[64];
		if (!imp_object(d, l, "lists", i, where, sizeof where))
			goto out;
		d->lists = xrealloc(d->lists, sizeof *d->lists * (size_t)(d->nlists + 1));
		imp_list *il = &d->lists[d->nlists++];
		memset(il, 0, sizeof *il);
		if (jstr(d, l, "name", where, &il->name) < 0 ||
		    jstr(d, l, "description", where, &il->description) < 0 ||
		    jstrv(d, l, "features", where, &il->members, &il->nmembers) < 0)
			goto out;
		if (!notes_list_name_ok(il->name)) {
			fs_warn("%s: %s: name: '%s' is not a valid list name", d->file, where, il->name);
			goto out;
		}
	}
	json_t *sns = json_object_get(root, "supernodes");
	if (sns && !json_is_array(sns)) {
		fs_warn("%s: supernodes: must be an array", d->file);
		goto out;
	}
	json_array_foreach(sns, i, l) {
		char where[64];
		if (!imp_object(d, l, "supernodes", i, where, sizeof where))
			goto out;
		d->sn = xrealloc(d->sn, sizeof *d->sn * (size_t)(d->nsn + 1));
		imp_list *il = &d->sn[d->nsn++];
		memset(il, 0, sizeof *il);
		if (jstr(d, l, "name", where, &il->name) < 0 || jstr(d, l, "graph", where, &il->description) < 0 ||
		    jstrv(d, l, "members", where, &il->members, &il->nmembers) < 0)
			goto out;
		const char *why = notes_supernode_name_problem(il->name);
		if (why) {
			fs_warn("%s: %s: name: %s", d->file, where, why);
			goto out;
		}
		for (int m = 0; m < il->nmembers; m++)
			if (!*il->members[m] || strpbrk(il->members[m], " \t\n")) {
				fs_warn("%s: %s: members: '%s' is not a node id", d->file, where, il->members[m]);
				goto out;
			}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* The value of n hex digits at s, or -1. */
static long hex_digits(const char *s, size_t have, int n)
{
	long v = 0;
	if ((size_t)n > have)
		return -1;
	for (int i = 0; i < n; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Undo the tsv escapes of export (the reversible form of the escaping
 * rule, core/escape.h: \t \n \r \\ \xHH \uXXXX \UXXXXXXXX). -1 on a
 * bad escape. */
static int tsv_unescape(const char *s, size_t n, char **out)
{
	fs_buf b = {0};
	buf_adds(&b, "");
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			buf_addc(&b, s[i]);
			continue;
		}
		char c = ++i < n ? s[i] : 0;
		int w = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
		long v = w ? hex_digits(s + i + 1, n - i - 1, w) : 0;
		switch (c) {
		case 't': buf_addc(&b, '\t'); break;
		case 'n': buf_addc(&b, '\n'); break;
		case 'r': buf_addc(&b, '\r'); break;
		case '\\': buf_addc(&b, '\\'); break;
		case 'x':
			if (v <= 0) /* a NUL byte is no note text */
				goto bad;
			buf_addc(&b, (char)v);
			i += 2;
			break;
		case 'u':
		case 'U': {
			if (v < 0x80 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
				goto bad;
			unsigned char u[4];
			int l = v < 0x800 ? 2 : v < 0x10000 ? 3 : 4;
			if (l == 2) {
				u[0] = (unsigned char)(0xc0 | (v >> 6));
			} else if (l == 3) {
				u[0] = (unsigned char)(0xe0 | (v >> 12));
				u[1] = (unsigned char)(0x80 | ((v >> 6) & 0x3f));
			} else {
				u[0] = (unsigned char)(0xf0 | (v >> 18));
				u[1] = (unsigned char)(0x80 | ((v >> 12) & 0x3f));
				u[2] = (unsigned char)(0x80 | ((v >> 6) & 0x3f));
			}
			u[l - 1] = (unsigned char)(0x80 | (v & 0x3f));
			buf_add(&b, u, (size_t)l);
			i += (size_t)w;
			break;
		}
		default:
			goto bad;
		}
	}
	*out = b.p;
	return 0;
bad:
	buf_free(&b);
	return -1;
}

static int imp_tsv(imp_doc *d, const char *text, size_t len)
{
	enum { C_FEATURE, C_LABEL, C_NOTE, C_TAGS, C_BOOKMARK, C_LISTS, C_N };
	static const char *const names[C_N] = {"feature", "label", "note", "tags", "bookmark", "lists"};
	int col[C_N];
	for (int i = 0; i < C_N; i++)
		col[i] = -1;
	long line = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		line++;
		size_t ll = (size_t)(le - p);
		if (ll && p[ll - 1] == '\r')
			ll--;
		/* split into fields */
		const char *f[64];
		size_t fl[64];
		int nf = 0;
		for (const char *s = p;;) {
			const char *t = memchr(s, '\t', (size_t)(p + ll - s));
			if (nf < 64) {
				f[nf] = s;
				fl[nf++] = t ? (size_t)(t - s) : (size_t)(p + ll - s);
			}
			if (!t)
				break;
			s = t + 1;
		}
		if (line == 1) {
			for (int i = 0; i < nf; i++)
				for (int c = 0; c < C_N; c++)
					if (fl[i] == strlen(names[c]) && !memcmp(f[i], names[c], fl[i]))
						col[c] = i;
			if (col[C_FEATURE] < 0) {
				fs_warn("%s:1: feature: no 'feature' column in the header; not a featscope export", d->file);
				return -1;
			}
		} else if (ll > 0) {
			imp_rec *r = imp_add(d);
			r->line = line;
			char *v[C_N];
			for (int c = 0; c < C_N; c++) {
				v[c] = NULL;
				if (col[c] >= 0 && col[c] < nf && tsv_unescape(f[col[c]], fl[col[c]], &v[c]) < 0) {
					fs_warn("%s:%ld: %s: bad backslash escape (use \\t \\n \\r \\\\ \\xHH \\uXXXX)", d->file, line, names[c]);
					for (int k = 0; k < c; k++)
						free(v[k]);
					return -1;
				}
				if (!v[c])
					v[c] = xstrdup("");
			}
			r->key = v[C_FEATURE];
			r->label = v[C_LABEL];
			r->note = v[C_NOTE];
			const char *why;
			char *badtag = notes_tags_bad(v[C_TAGS], &why);
			if (badtag) {
				fs_warn("%s:%ld: tags: '%s' is not a tag: %s", d->file, line, badtag, why);
				free(badtag);
				for (int k = 0; k < C_N; k++)
					free(v[k]);
				r->key = r->label = r->note = NULL;
				return -1;
			}
			r->tags = notes_tags_normalise(v[C_TAGS]);
			free(v[C_TAGS]);
			const char *bm = v[C_BOOKMARK];
			if (!strcmp(bm, "yes") || !strcmp(bm, "1") || !strcmp(bm, "true"))
				r->bookmark = 1;
			else if (*bm && strcmp(bm, "no") && strcmp(bm, "0") && strcmp(bm, "false")) {
				fs_warn("%s:%ld: bookmark: '%s' is not yes or no", d->file, line, bm);
				free(v[C_BOOKMARK]);
				free(v[C_LISTS]);
				return -1;
			}
			free(v[C_BOOKMARK]);
			char *ls = notes_tags_normalise(v[C_LISTS]), *sv;
			free(v[C_LISTS]);
			for (char *t = strtok_r(ls, " ", &sv); t; t = strtok_r(NULL, " ", &sv))
				strv_append(&r->lists, &r->nlists, t);
			free(ls);
			if (!*r->key) {
				fs_warn("%s:%ld: feature: empty", d->file, line);
				return -1;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (line == 0) {
		fs_warn("%s:1: feature: empty file", d->file);
		return -1;
	}
	return 0;
}

/* Merge one text field: 0 same or taken, 1 conflict (kept unless force). */
static int merge_field(char **have, const char *in, int force, int *changed)
{
	if (!strcmp(*have, in) || !*in)
		return 0;
	if (!**have || force) {
		int conflict = **have != 0;
		free(*have);
		*have = xstrdup(in);
		*changed = 1;
		return conflict && !force ? 1 : 0;
	}
	return 1;
}

static void where_of(char *out, size_t n, const imp_doc *d, const imp_rec *r)
{
	if (r->line)
		snprintf(out, n, "%s:%ld", d->file, r->line);
	else
		snprintf(out, n, "%s", d->file);
}

/* Add key to list (creating the list) unless it is there already. */
static int imp_list_add(fs_notes *n, const char *list, const char *key, int *added)
{
	char **m;
	int nm = notes_list_members(n, list, &m);
	int have = 0;
	for (int i = 0; i < nm; i++)
		have |= !strcmp(m[i], key);
	notes_strv_free(m, nm);
	if (have)
		return 0;
	(*added)++;
	return notes_list_add(n, list, NULL, key);
}

/* Canonical key for a name read from a file; unknown names are kept. */
static void imp_canon(fs_index *ix, char **key, int *unknown)
{
	char k[256];
	if (notes_resolve(ix, *key, k, sizeof k, NULL, 0) == 0) {
		free(*key);
		*key = xstrdup(k);
	} else {
		(*unknown)++;
	}
}

int cli_notes_import(const notes_args *a)
{
	imp_doc d = {.file = a->pos[0]};
	char err[1024];
	size_t len;
	char *text = input_slurp(d.file, &len, err, sizeof err);
	if (!text) {
		fs_warn("%s", err);
		return FS_EXIT_USAGE;
	}
	size_t k = 0;
	while (k < len && (text[k] == ' ' || text[k] == '\n' || text[k] == '\t' || text[k] == '\r'))
		k++;
	int prc = k < len && text[k] == '{' ? imp_json(&d, text, len) : imp_tsv(&d, text, len);
	free(text);
	if (prc < 0) {
		imp_free(&d);
		return FS_EXIT_USAGE;
	}
	fs_index *ix;
	fs_notes *n;
	int rc = cli_notes_open(a, a->pos[1], &ix, &n);
	if (rc) {
		imp_free(&d);
		return rc;
	}
	int unknown = 0;
	for (int i = 0; i < d.nrecs; i++)
		imp_canon(ix, &d.recs[i].key, &unknown);
	for (int i = 0; i < d.nlists; i++)
		for (int m = 0; m < d.lists[i].nmembers; m++) {
			int dummy = 0;
			imp_canon(ix, &d.lists[i].members[m], &dummy);
		}

	int n_new = 0, n_upd = 0, n_same = 0, n_conf = 0, n_added = 0, bad = notes_begin(n) < 0;
	for (int i = 0; !bad && i < d.nrecs; i++) {
		imp_rec *r = &d.recs[i];
		fs_note have;
		int got = notes_get(n, r->key, &have);
		if (got < 0) {
			notes_note_free(&have);
			bad = 1;
			break;
		}
		int changed = 0;
		char where[600];
		where_of(where, sizeof where, &d, r);
		if (merge_field(&have.label, r->label, a->force, &changed)) {
			fs_warn("%s: %s: label: differs from the notes database (\"%s\"); kept the database's (--force takes the file's)",
				where, r->key, have.label);
			n_conf++;
		}
		if (merge_field(&have.note, r->note, a->force, &changed)) {
			fs_warn("%s: %s: note: differs from the notes database; kept the database's (--force takes the file's)",
				where, r->key);
			n_conf++;
		}
		char *u = xasprintf("%s %s", have.tags, r->tags), *t = notes_tags_normalise(u);
		free(u);
		if (strcmp(t, have.tags) != 0) {
			free(have.tags);
			have.tags = t;
			changed = 1;
		} else {
			free(t);
		}
		if (r->bookmark && !have.bookmark) {
			have.bookmark = 1;
			changed = 1;
		}
		if (changed)
			bad = notes_put(n, &have) < 0;
		if (changed)
			got == 1 ? n_new++ : n_upd++;
		else
			n_same++;
		notes_note_free(&have);
		for (int l = 0; !bad && l < r->nlists; l++) {
			if (!notes_list_name_ok(r->lists[l])) {
				fs_warn("%s: %s: lists: '%s' is not a valid list name; skipped", where, r->key, r->lists[l]);
				continue;
			}
			bad = imp_list_add(n, r->lists[l], r->key, &n_added) < 0;
		}
	}
	for (int i = 0; !bad && i < d.nlists; i++) {
		imp_list *il = &d.lists[i];
		char *desc = notes_list_description(n, il->name);
		if (!desc || (!*desc && *il->description) || (a->force && *il->description))
			bad = notes_list_add(n, il->name, il->description, NULL) < 0;
		else if (*il->description && strcmp(desc, il->description) != 0) {
			fs_warn("%s: list %s: description: differs from the notes database (\"%s\"); kept the database's (--force takes the file's)",
				d.file, il->name, desc);
			n_conf++;
		}
		free(desc);
		for (int m = 0; !bad && m < il->nmembers; m++)
			bad = imp_list_add(n, il->name, il->members[m], &n_added) < 0;
	}
	/* supernodes: the file's replace the database's of the same graph and
	 * name */
	for (int i = 0; !bad && i < d.nsn; i++) {
		fs_buf ids = {0};
		for (int m = 0; m < d.sn[i].nmembers; m++)
			buf_printf(&ids, "%s%s", m ? " " : "", d.sn[i].members[m]);
		bad = notes_supernode_put(n, d.sn[i].description, d.sn[i].name, ids.p ? ids.p : "") < 0;
		buf_free(&ids);
	}
	if (!bad)
		bad = notes_commit(n) < 0;
	if (bad) {
		fs_warn("%s; nothing imported", notes_errmsg(n));
		notes_rollback(n);
		rc = FS_EXIT_ERR;
	} else {
		if (unknown)
			fs_warn("warning: %s: %d feature%s not in %s (notes kept under their names)",
				d.file, unknown, unknown == 1 ? " is" : "s are", a->pos[1]);
		printf("%s: %d features: %d new, %d updated, %d unchanged; %d list entries added; %d conflict%s\n",
		       escape_str(d.file), d.nrecs, n_new, n_upd, n_same, n_added, n_conf, n_conf == 1 ? "" : "s");
		if (d.nsn)
			printf("%s: %d supernode%s of graphs saved\n", escape_str(d.file), d.nsn, d.nsn == 1 ? "" : "s");
		rc = n_conf ? FS_EXIT_ERR : FS_EXIT_OK;
	}
	notes_close(n);
	index_close(ix);
	imp_free(&d);
	return rc;
}
