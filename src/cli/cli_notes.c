/*
 * cli_notes.c: the `featscope notes` subcommand: set, show, list, search
 * notes, manage named lists, and import what `featscope export` wrote (json
 * or tsv), merging into the notes database and reporting conflicts instead
 * of overwriting them. All storage goes through notes.h.
 */
#include "cli/cliutil.h"
#include "cli/cmd.h"
#include "core/escape.h"
#include "core/json.h"
#include "index/index.h"
#include "core/input.h"
#include "notes/notes.h"
#include "core/util.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parsed command line of one notes subcommand. */
typedef struct {
	const char *pos[64];     /* positional arguments (INDEX first; FILE INDEX for import) */
	int npos;                /* how many */
	const char *notes;       /* --notes DB */
	const char *label;       /* --label, NULL when not given */
	const char *note;        /* --note, NULL when not given */
	const char *note_file;   /* --note-file FILE ("-": stdin) */
	const char *description; /* --description */
	const char *tags[64];    /* --tag, repeatable */
	int ntags;
	const char *untags[64];  /* --untag, repeatable */
	int nuntags;
	int bookmark;            /* 1 --bookmark, 0 --no-bookmark, -1 neither */
	int json;                /* --json */
	int force;               /* --force */
} notes_args;

/* The options of the notes subcommands; each subcommand's spec is a
 * selection of these, and notes_parse fills notes_args by name. */
#define N_NOTES {"notes", 0, OPT_STR, "DB", 0, 0, "the notes database (default: one per index under $XDG_DATA_HOME/featscope)"}
#define N_JSON {"json", 'j', OPT_FLAG, NULL, 0, 0, "JSON output"}
#define N_END {NULL, 0, 0, NULL, 0, 0, NULL}
static const cli_opt set_opts[] = {
	N_NOTES,
	{"label", 0, OPT_STR, "L", 0, 0, "your label"},
	{"note", 0, OPT_STR, "TEXT", 0, 0, "the note"},
	{"note-file", 0, OPT_STR, "FILE", 0, 0, "the note from FILE (-: standard input)"},
	{"tag", 0, OPT_STR, "T", 0, 0, "add a tag (repeatable)"},
	{"untag", 0, OPT_STR, "T", 0, 0, "remove a tag (repeatable)"},
	{"bookmark", 0, OPT_FLAG, NULL, 0, 0, "bookmark the feature"},
	{"no-bookmark", 0, OPT_FLAG, NULL, 0, 0, "remove the bookmark"},
	N_END,
};
static const cli_opt json_opts[] = {N_NOTES, N_JSON, N_END};
static const cli_opt plain_opts[] = {N_NOTES, N_END};
static const cli_opt list_add_opts[] = {
	N_NOTES, {"description", 0, OPT_STR, "D", 0, 0, "the list's description"}, N_END};
static const cli_opt import_opts_spec[] = {
	N_NOTES, {"force", 0, OPT_FLAG, NULL, 0, 0, "on a conflict take the file's value"}, N_END};

/* Walk the command line of notes subcommand e into a; 0, or an exit code
 * with *stop set. */
static int notes_parse(const cmd_entry *e, int argc, char **argv, notes_args *a, int *stop)
{
	memset(a, 0, sizeof *a);
	a->bookmark = -1;
	*stop = 1;
	cli_parser p;
	cli_init(&p, e, argc, argv);
	for (;;) {
		int k = cli_next(&p);
		if (k == CLI_END)
			break;
		if (k == CLI_HELP)
			return FS_EXIT_OK;
		if (k == CLI_FAIL)
			return FS_EXIT_USAGE;
		if (k == CLI_ARG) {
			if (a->npos == 64 || (e->max_args >= 0 && a->npos >= e->max_args))
				return cli_usage_error(e, "unexpected argument '%s'%s", p.val,
						       a->npos == 64 ? " (at most 63 features at once)" : "");
			a->pos[a->npos++] = p.val;
			continue;
		}
		const char *n = e->opts[k].name;
		if (!strcmp(n, "notes"))
			a->notes = p.val;
		else if (!strcmp(n, "label"))
			a->label = p.val;
		else if (!strcmp(n, "note"))
			a->note = p.val;
		else if (!strcmp(n, "note-file"))
			a->note_file = p.val;
		else if (!strcmp(n, "description"))
			a->description = p.val;
		else if (!strcmp(n, "tag") || !strcmp(n, "untag")) {
			int un = n[0] == 'u';
			if ((un ? a->nuntags : a->ntags) == 64)
				return cli_usage_error(e, "--%s: at most 64 of them at once", n);
			if (un)
				a->untags[a->nuntags++] = p.val;
			else
				a->tags[a->ntags++] = p.val;
		} else if (!strcmp(n, "bookmark"))
			a->bookmark = 1;
		else if (!strcmp(n, "no-bookmark"))
			a->bookmark = 0;
		else if (!strcmp(n, "json"))
			a->json = 1;
		else if (!strcmp(n, "force"))
			a->force = 1;
	}
	if (a->npos < e->min_args)
		return cli_usage_error(e, "missing arguments in 'featscope %s %s'", e->name, e->args);
	*stop = 0;
	return 0;
}

/* Open the index (positional INDEX) and its notes database. */
static int notes_open_both(const notes_args *a, const char *index_path, fs_index **ix, fs_notes **n)
{
	char err[1024];
	*ix = index_open(index_path, err, sizeof err);
	if (!*ix) {
		fs_warn("%s", err);
		return FS_EXIT_USAGE;
	}
	*n = notes_open_index(*ix, a->notes, err, sizeof err);
	if (!*n) {
		fs_warn("%s", err);
		index_close(*ix);
		*ix = NULL;
		return FS_EXIT_ERR;
	}
	const char *stored = notes_identity_stored(*n);
	char id[32];
	notes_identity(*ix, id, sizeof id);
	if (*stored && strcmp(stored, id) != 0)
		fs_warn("warning: %s was made for another index (identity %s, this one %s); feature names may not match",
			notes_path(*n), stored, id);
	return 0;
}

static int resolve_key(fs_index *ix, const char *name, char *key, size_t keylen)
{
	char err[512];
	if (notes_resolve(ix, name, key, keylen, err, sizeof err) != 0) {
		fs_warn("%s", err);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- printing */

/* First line of a note, for one-line listings. */
static void first_line(fs_buf *b, const char *s, size_t max)
{
	size_t l = strcspn(s, "\n");
	int more = s[l] != 0;
	if (l > max) {
		l = max;
		more = 1;
	}
	/* do not cut a UTF-8 sequence */
	while (l > 0 && ((unsigned char)s[l] & 0xc0) == 0x80)
		l--;
	buf_add(b, s, l);
	if (more)
		buf_adds(b, "…");
}

static json_t *note_json(const fs_note *no, char **lists, int nlists)
{
	json_t *o = json_object();
	json_object_set_new(o, "feature", jw_str(no->key));
	json_object_set_new(o, "label", jw_str(no->label));
	json_object_set_new(o, "note", jw_str(no->note));
	json_t *t = json_array();
	char *tags = xstrdup(no->tags);
	for (char *sv, *tok = strtok_r(tags, " ", &sv); tok; tok = strtok_r(NULL, " ", &sv))
		json_array_append_new(t, jw_str(tok));
	free(tags);
	json_object_set_new(o, "tags", t);
	json_object_set_new(o, "bookmark", json_boolean(no->bookmark));
	json_t *l = json_array();
	for (int i = 0; i < nlists; i++)
		json_array_append_new(l, jw_str(lists[i]));
	json_object_set_new(o, "lists", l);
	json_object_set_new(o, "updated", json_integer(no->updated));
	return o;
}

#define json_print cli_print_json

static int do_show(fs_index *ix, fs_notes *n, const notes_args *a)
{
	if (a->npos != 2) {
		fs_warn("notes show: needs INDEX FEATURE");
		return FS_EXIT_USAGE;
	}
	char key[256];
	if (resolve_key(ix, a->pos[1], key, sizeof key) < 0)
		return FS_EXIT_USAGE;
	fs_note no;
	int rc = notes_get(n, key, &no);
	if (rc < 0) {
		fs_warn("%s", notes_errmsg(n));
		note_free(&no);
		return FS_EXIT_ERR;
	}
	char **lists;
	int nl = notes_key_lists(n, key, &lists);
	if (nl < 0)
		nl = 0;
	if (a->json) {
		json_print(note_json(&no, lists, nl));
	} else {
		int64_t fid = index_resolve(ix, key, NULL, 0);
		fs_feature f;
		printf("feature:   %s\n", cli_esc(key));
		if (fid > 0 && index_feature(ix, fid, &f) == 0) {
			printf("auto:      %s\n", cli_esc(f.label));
			feature_free(&f);
		}
		printf("label:     %s\n", cli_esc(no.label));
		printf("tags:      %s\n", cli_esc(no.tags));
		printf("bookmark:  %s\n", no.bookmark ? "yes" : "no");
		printf("lists:    ");
		for (int i = 0; i < nl; i++)
			printf(" %s", cli_esc(lists[i]));
		printf("\nnote:\n");
		if (*no.note) {
			/* line by line, each line escaped (tabs kept) */
			const char *p = no.note;
			fs_buf lb = {0};
			while (*p) {
				size_t l = strcspn(p, "\n");
				lb.len = 0;
				escape_append(&lb, p, l, ESC_KEEP_TAB);
				printf("    %s\n", lb.p);
				p += l + (p[l] ? 1 : 0);
			}
			buf_free(&lb);
		}
	}
	strv_free(lists, nl);
	note_free(&no);
	return FS_EXIT_OK;
}

/* Print keys one per line (or as a JSON array of notes). */
static int print_keys(fs_notes *n, char **keys, int cnt, int json)
{
	json_t *arr = json ? json_array() : NULL;
	for (int i = 0; i < cnt; i++) {
		fs_note no;
		if (notes_get(n, keys[i], &no) < 0) {
			fs_warn("%s", notes_errmsg(n));
			note_free(&no);
			json_decref(arr);
			return FS_EXIT_ERR;
		}
		if (json) {
			char **lists;
			int nl = notes_key_lists(n, keys[i], &lists);
			json_array_append_new(arr, note_json(&no, lists, nl < 0 ? 0 : nl));
			strv_free(lists, nl);
		} else {
			fs_buf b = {0};
			buf_adds(&b, "");
			first_line(&b, no.note, 60);
			printf("%-12s %s %-24s %-20s %s\n", cli_esc(keys[i]), no.bookmark ? "*" : " ",
			       cli_esc(no.label), cli_esc(no.tags), cli_esc(b.p));
			buf_free(&b);
		}
		note_free(&no);
	}
	if (json)
		json_print(arr);
	return FS_EXIT_OK;
}

/* -------------------------------------------------------------- set */

static int do_set(fs_index *ix, fs_notes *n, const notes_args *a)
{
	if (a->npos != 2) {
		fs_warn("notes set: needs INDEX FEATURE");
		return FS_EXIT_USAGE;
	}
	if (!a->label && !a->note && !a->note_file && !a->ntags && !a->nuntags && a->bookmark < 0) {
		fs_warn("notes set: nothing to set (use --label, --note, --note-file, --tag, --untag or --[no-]bookmark)");
		return FS_EXIT_USAGE;
	}
	char key[256];
	if (resolve_key(ix, a->pos[1], key, sizeof key) < 0)
		return FS_EXIT_USAGE;
	fs_note no;
	if (notes_get(n, key, &no) < 0) {
		fs_warn("%s", notes_errmsg(n));
		note_free(&no);
		return FS_EXIT_ERR;
	}
	if (a->label) {
		free(no.label);
		no.label = xstrdup(a->label);
	}
	if (a->note) {
		free(no.note);
		no.note = xstrdup(a->note);
	}
	if (a->note_file) {
		char err[1024];
		size_t len;
		char *t = input_slurp(a->note_file, &len, err, sizeof err);
		if (!t) {
			fs_warn("%s", err);
			note_free(&no);
			return FS_EXIT_USAGE;
		}
		if (strlen(t) != len) {
			fs_warn("%s: note: holds a NUL byte; notes are text", a->note_file);
			free(t);
			note_free(&no);
			return FS_EXIT_USAGE;
		}
		while (len && t[len - 1] == '\n')
			t[--len] = 0;
		free(no.note);
		no.note = t;
	}
	if (a->bookmark >= 0)
		no.bookmark = a->bookmark;
	fs_buf t = {0};
	buf_adds(&t, no.tags);
	for (int i = 0; i < a->ntags; i++) {
		buf_addc(&t, ' ');
		buf_adds(&t, a->tags[i]);
	}
	char *tags = notes_tags_normalise(t.p);
	buf_free(&t);
	if (a->nuntags) {
		fs_buf k = {0};
		buf_adds(&k, "");
		char *sv;
		for (char *tok = strtok_r(tags, " ", &sv); tok; tok = strtok_r(NULL, " ", &sv)) {
			int drop = 0;
			for (int i = 0; i < a->nuntags; i++)
				drop |= strcmp(tok, a->untags[i]) == 0;
			if (drop)
				continue;
			if (k.len)
				buf_addc(&k, ' ');
			buf_adds(&k, tok);
		}
		free(tags);
		tags = k.p;
	}
	free(no.tags);
	no.tags = tags;
	int rc = notes_put(n, &no);
	note_free(&no);
	if (rc < 0) {
		fs_warn("%s; not saved, the notes database is as it was", notes_errmsg(n));
		return FS_EXIT_ERR;
	}
	return FS_EXIT_OK;
}

/* ------------------------------------------------------------ lists */

static int do_lists(fs_notes *n, int json)
{
	char **names;
	int cnt = notes_list_names(n, &names);
	if (cnt < 0) {
		fs_warn("%s", notes_errmsg(n));
		return FS_EXIT_ERR;
	}
	json_t *arr = json ? json_array() : NULL;
	for (int i = 0; i < cnt; i++) {
		char **m;
		int nm = notes_list_members(n, names[i], &m);
		char *d = notes_list_description(n, names[i]);
		if (arr) {
			json_t *l = json_object(), *ma = json_array();
			json_object_set_new(l, "name", jw_str(names[i]));
			json_object_set_new(l, "description", jw_str(d));
			for (int k = 0; k < nm; k++)
				json_array_append_new(ma, jw_str(m[k]));
			json_object_set_new(l, "features", ma);
			json_array_append_new(arr, l);
		} else {
			printf("%-16s %5d  %s\n", cli_esc(names[i]), nm < 0 ? 0 : nm, cli_esc(d));
		}
		free(d);
		strv_free(m, nm);
	}
	strv_free(names, cnt);
	if (arr) {
		json_t *o = json_object();
		json_object_set_new(o, "lists", arr);
		json_print(o);
	}
	return FS_EXIT_OK;
}

static int do_list_edit(fs_index *ix, fs_notes *n, const notes_args *a, int add)
{
	if (a->npos < 2) {
		fs_warn("notes %s: needs INDEX LIST [FEATURE...]", add ? "list-add" : "list-rm");
		return FS_EXIT_USAGE;
	}
	const char *list = a->pos[1];
	if (!notes_list_name_ok(list)) {
		fs_warn("notes: list name '%s': use letters, digits and punctuation, no spaces or commas", list);
		return FS_EXIT_USAGE;
	}
	/* resolve every feature first: nothing is written on a bad name */
	char (*keys)[256] = xcalloc((size_t)a->npos, sizeof *keys);
	for (int i = 2; i < a->npos; i++)
		if (resolve_key(ix, a->pos[i], keys[i], sizeof keys[i]) < 0) {
			free(keys);
			return FS_EXIT_USAGE;
		}
	int bad = notes_begin(n) < 0;
	if (!bad && add)
		bad = notes_list_add(n, list, a->description, NULL) < 0;
	for (int i = 2; !bad && i < a->npos; i++)
		bad = add ? notes_list_add(n, list, NULL, keys[i]) < 0 : notes_list_remove(n, list, keys[i]) < 0;
	if (!bad && !add && a->npos == 2)
		bad = notes_list_remove(n, list, NULL) < 0;
	if (!bad)
		bad = notes_commit(n) < 0;
	free(keys);
	if (bad) {
		fs_warn("%s", notes_errmsg(n));
		notes_rollback(n);
		return FS_EXIT_ERR;
	}
	return FS_EXIT_OK;
}

/* ----------------------------------------------------------- import */

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
} imp_doc;

static void imp_free(imp_doc *d)
{
	for (int i = 0; i < d->nrecs; i++) {
		free(d->recs[i].key);
		free(d->recs[i].label);
		free(d->recs[i].note);
		free(d->recs[i].tags);
		strv_free(d->recs[i].lists, d->recs[i].nlists);
	}
	for (int i = 0; i < d->nlists; i++) {
		free(d->lists[i].name);
		free(d->lists[i].description);
		strv_free(d->lists[i].members, d->lists[i].nmembers);
	}
	free(d->recs);
	free(d->lists);
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

/* A JSON string field (absent or null: ""); -1 with a message when it is
 * another type. */
static int jstr(const imp_doc *d, json_t *o, const char *field, const char *where, char **out)
{
	json_t *v = json_object_get(o, field);
	if (!v || json_is_null(v)) {
		*out = xstrdup("");
		return 0;
	}
	if (!json_is_string(v)) {
		fs_warn("%s: %s: %s: must be a string", d->file, where, field);
		return -1;
	}
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
		strv_append(out, n, json_string_value(e));
	}
	return 0;
}

static int imp_json(imp_doc *d, const char *text, size_t len)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
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
		snprintf(where, sizeof where, "features[%zu]", i);
		if (!json_is_object(f)) {
			fs_warn("%s: %s: must be an object", d->file, where);
			goto out;
		}
		imp_rec *r = imp_add(d);
		char **tv;
		int nt;
		if (jstr(d, f, "feature", where, &r->key) < 0 || jstr(d, f, "label", where, &r->label) < 0 ||
		    jstr(d, f, "note", where, &r->note) < 0 || jstrv(d, f, "tags", where, &tv, &nt) < 0 ||
		    jstrv(d, f, "lists", where, &r->lists, &r->nlists) < 0)
			goto out;
		fs_buf tb = {0};
		buf_adds(&tb, "");
		for (int k = 0; k < nt; k++) {
			if (k)
				buf_addc(&tb, ' ');
			buf_adds(&tb, tv[k]);
		}
		strv_free(tv, nt);
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
		snprintf(where, sizeof where, "lists[%zu]", i);
		if (!json_is_object(l)) {
			fs_warn("%s: %s: must be an object", d->file, where);
			goto out;
		}
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
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* Undo the tsv escapes of export (\t \n \r \\). -1 on a bad escape. */
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
		switch (c) {
		case 't': buf_addc(&b, '\t'); break;
		case 'n': buf_addc(&b, '\n'); break;
		case 'r': buf_addc(&b, '\r'); break;
		case '\\': buf_addc(&b, '\\'); break;
		default:
			buf_free(&b);
			return -1;
		}
	}
	*out = b.p;
	return 0;
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
					fs_warn("%s:%ld: %s: bad backslash escape (use \\t \\n \\r \\\\)", d->file, line, names[c]);
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
	strv_free(m, nm);
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

static int do_import(const notes_args *a)
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
	int rc = notes_open_both(a, a->pos[1], &ix, &n);
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
			note_free(&have);
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
		note_free(&have);
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
		       cli_esc(d.file), d.nrecs, n_new, n_upd, n_same, n_added, n_conf, n_conf == 1 ? "" : "s");
		rc = n_conf ? FS_EXIT_ERR : FS_EXIT_OK;
	}
	notes_close(n);
	index_close(ix);
	imp_free(&d);
	return rc;
}

/* --------------------------------------------------------------- main */

enum { S_SET, S_SHOW, S_LIST, S_SEARCH, S_LISTS, S_LIST_ADD, S_LIST_RM, S_IMPORT, S_PATH };

/* The notes subcommand whose entry is e (S_*). */
static int sub_of(const cmd_entry *e);

static int sub_run(const cmd_entry *e, int argc, char **argv)
{
	/* A file size limit must surface as a write error, not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	notes_args a;
	int stop, rc = notes_parse(e, argc, argv, &a, &stop);
	if (stop)
		return rc;
	int sub = sub_of(e);
	if (sub == S_IMPORT)
		return do_import(&a);
	fs_index *ix;
	fs_notes *n;
	if ((rc = notes_open_both(&a, a.pos[0], &ix, &n)) != 0)
		return rc;
	char **keys;
	int cnt;
	switch (sub) {
	case S_SET: rc = do_set(ix, n, &a); break;
	case S_SHOW: rc = do_show(ix, n, &a); break;
	case S_LIST:
	case S_SEARCH:
		cnt = sub == S_LIST ? notes_keys(n, &keys) : notes_search(n, a.pos[1], 0, &keys);
		rc = cnt < 0 ? (fs_warn("%s", notes_errmsg(n)), FS_EXIT_ERR) : print_keys(n, keys, cnt, a.json);
		strv_free(keys, cnt);
		break;
	case S_LISTS: rc = do_lists(n, a.json); break;
	case S_LIST_ADD:
	case S_LIST_RM: rc = do_list_edit(ix, n, &a, sub == S_LIST_ADD); break;
	default:
		if (a.json) {
			json_t *o = json_object();
			json_object_set_new(o, "path", jw_str(notes_path(n)));
			json_print(o);
		} else {
			printf("%s\n", cli_esc(notes_path(n)));
		}
		break;
	}
	notes_close(n);
	index_close(ix);
	return rc;
}

/* The subcommands, in the order usage lists them. */
static const cmd_entry subs[] = {
	[S_SET] = {.name = "notes set", .args = "INDEX FEATURE", .opts = set_opts, .run = sub_run,
		   .summary = "set your label, note, tags or bookmark of a feature", .min_args = 2, .max_args = 2},
	[S_SHOW] = {.name = "notes show", .args = "INDEX FEATURE", .opts = json_opts, .run = sub_run,
		    .summary = "one feature's notes", .min_args = 2, .max_args = 2},
	[S_LIST] = {.name = "notes list", .args = "INDEX", .opts = json_opts, .run = sub_run,
		    .summary = "every feature with notes", .min_args = 1, .max_args = 1},
	[S_SEARCH] = {.name = "notes search", .args = "INDEX QUERY", .opts = json_opts, .run = sub_run,
		      .summary = "features whose label, note or tags match", .min_args = 2, .max_args = 2},
	[S_LISTS] = {.name = "notes lists", .args = "INDEX", .opts = json_opts, .run = sub_run,
		     .summary = "the named lists", .min_args = 1, .max_args = 1},
	[S_LIST_ADD] = {.name = "notes list-add", .args = "INDEX LIST [FEATURE...]", .opts = list_add_opts,
			.run = sub_run, .summary = "create a list or add features to it", .min_args = 2, .max_args = -1},
	[S_LIST_RM] = {.name = "notes list-rm", .args = "INDEX LIST [FEATURE...]", .opts = plain_opts,
		       .run = sub_run, .summary = "remove features from a list (no FEATURE: the whole list)",
		       .min_args = 2, .max_args = -1},
	[S_IMPORT] = {.name = "notes import", .args = "FILE INDEX", .opts = import_opts_spec, .run = sub_run,
		      .summary = "merge what featscope export wrote (json or tsv), reporting conflicts",
		      .min_args = 2, .max_args = 2},
	[S_PATH] = {.name = "notes path", .args = "INDEX", .opts = json_opts, .run = sub_run,
		    .summary = "where the notes database of an index is", .min_args = 1, .max_args = 1},
};
static const cmd_entry *const sub_list[] = {
	&subs[S_SET], &subs[S_SHOW], &subs[S_LIST], &subs[S_SEARCH], &subs[S_LISTS],
	&subs[S_LIST_ADD], &subs[S_LIST_RM], &subs[S_IMPORT], &subs[S_PATH], NULL,
};

static int sub_of(const cmd_entry *e)
{
	return (int)(e - subs);
}

static int notes_run(const cmd_entry *e, int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_usage(e, stdout);
		return FS_EXIT_OK;
	}
	/* the subcommand: the first argument that is not an option (or the
	 * value of --notes) */
	int at = 1;
	while (at < argc && argv[at][0] == '-')
		at += !strcmp(argv[at], "--notes") ? 2 : 1;
	if (at >= argc)
		return cli_usage_error(e, "missing SUBCOMMAND (set, show, list, search, lists, list-add, list-rm, import, path)");
	for (int i = 0; sub_list[i]; i++) {
		const cmd_entry *s = sub_list[i];
		if (strcmp(s->name + 6, argv[at]) != 0)
			continue;
		/* the subcommand's own command line: its name, then the rest */
		char **v = xcalloc((size_t)argc, sizeof *v);
		int nv = 0;
		v[nv++] = argv[at];
		for (int k = 1; k < argc; k++)
			if (k != at)
				v[nv++] = argv[k];
		int rc = s->run(s, nv, v);
		free(v);
		return rc;
	}
	return cli_usage_error(e, "unknown subcommand '%s'", cli_esc(argv[at]));
}

const cmd_entry cmd_notes_entry = {
	.name = "notes",
	.args = "SUBCOMMAND ...",
	.run = notes_run,
	.summary = "manage the notes database: set, show, list, search, lists, list-add, list-rm, import, path",
	.min_args = 1,
	.max_args = -1,
	.subs = sub_list,
};
