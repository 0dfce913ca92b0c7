/*
 * cli_notes.c: the `featscope notes` subcommand: set, show, list, search
 * notes and manage named lists; `notes import` (what `featscope export`
 * wrote, merged into the notes database) is cli_notes_import.c. All storage
 * goes through notes.h.
 */
#include "cli/cli_notes.h"
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

/* The options of the notes subcommands: every one once, its id (NO_*)
 * and its row (ROW_id); each subcommand's table picks the ids it takes
 * (cmd.h's CLI_PICK), and notes_parse reads an option by its id. */
enum { NO_NOTES, NO_JSON, NO_LABEL, NO_NOTE, NO_NOTEFILE, NO_TAG, NO_TAGS, NO_UNTAG, NO_BOOKMARK, NO_NOBOOKMARK,
       NO_DESCRIPTION, NO_FORCE };
#define ROW_NO_NOTES {"notes", 0, OPT_STR, "DB", 0, 0, "the notes database (default: one per index under $XDG_DATA_HOME/featscope)"}
#define ROW_NO_JSON {"json", 'j', OPT_FLAG, NULL, 0, 0, "JSON output"}
#define ROW_NO_LABEL {"label", 0, OPT_STR, "L", 0, 0, "your label"}
#define ROW_NO_NOTE {"note", 0, OPT_STR, "TEXT", 0, 0, "the note"}
#define ROW_NO_NOTEFILE {"note-file", 0, OPT_STR, "FILE", 0, 0, "the note from FILE (-: standard input)"}
#define ROW_NO_TAG {"tag", 0, OPT_STR, "T", 0, 0, "add a tag (repeatable)"}
#define ROW_NO_TAGS {"tags", 0, OPT_STR, "T", 0, 0, "the same as --tag"}
#define ROW_NO_UNTAG {"untag", 0, OPT_STR, "T", 0, 0, "remove a tag (repeatable)"}
#define ROW_NO_BOOKMARK {"bookmark", 0, OPT_FLAG, NULL, 0, 0, "bookmark the feature"}
#define ROW_NO_NOBOOKMARK {"no-bookmark", 0, OPT_FLAG, NULL, 0, 0, "remove the bookmark"}
#define ROW_NO_DESCRIPTION {"description", 0, OPT_STR, "D", 0, 0, "the list's description"}
#define ROW_NO_FORCE {"force", 0, OPT_FLAG, NULL, 0, 0, "on a conflict take the file's value"}
#define SET_OPTS(X)                                                                                   \
	X(NO_NOTES) X(NO_LABEL) X(NO_NOTE) X(NO_NOTEFILE) X(NO_TAG) X(NO_TAGS) X(NO_UNTAG) X(NO_BOOKMARK) \
	X(NO_NOBOOKMARK)
#define JSON_OPTS(X) X(NO_NOTES) X(NO_JSON)
#define PLAIN_OPTS(X) X(NO_NOTES)
#define LIST_ADD_OPTS(X) X(NO_NOTES) X(NO_DESCRIPTION)
#define IMPORT_OPTS(X) X(NO_NOTES) X(NO_FORCE)
CLI_PICK(set_opts, SET_OPTS);
CLI_PICK(json_opts, JSON_OPTS);
CLI_PICK(plain_opts, PLAIN_OPTS);
CLI_PICK(list_add_opts, LIST_ADD_OPTS);
CLI_PICK(import_opts_spec, IMPORT_OPTS);

/* Walk the command line of notes subcommand e into a; 0, or an exit code
 * with *stop set. */
static int notes_parse(const cmd_entry *e, int argc, char **argv, notes_args *a, int *stop)
{
	memset(a, 0, sizeof *a);
	a->bookmark = -1;
	*stop = 1;
	cli_parser p;
	cli_init(&p, e, argc, argv);
	int k, rc;
	while ((k = cli_walk(&p, &rc)) != CLI_END) {
		if (k == CLI_ARG) {
			if (a->npos == 64 || (e->max_args >= 0 && a->npos >= e->max_args))
				return cli_usage_error(e, "unexpected argument '%s'%s", p.val,
						       a->npos == 64 ? " (at most 63 features at once)" : "");
			a->pos[a->npos++] = p.val;
			continue;
		}
		switch (k) {
		case NO_NOTES: a->notes = p.val; break;
		case NO_LABEL: a->label = p.val; break;
		case NO_NOTE: a->note = p.val; break;
		case NO_NOTEFILE: a->note_file = p.val; break;
		case NO_DESCRIPTION: a->description = p.val; break;
		case NO_TAG:
		case NO_TAGS:
			if (a->ntags == 64)
				return cli_usage_error(e, "--tag: at most 64 of them at once");
			a->tags[a->ntags++] = p.val;
			break;
		case NO_UNTAG:
			if (a->nuntags == 64)
				return cli_usage_error(e, "--untag: at most 64 of them at once");
			a->untags[a->nuntags++] = p.val;
			break;
		case NO_BOOKMARK: a->bookmark = 1; break;
		case NO_NOBOOKMARK: a->bookmark = 0; break;
		case NO_JSON: a->json = 1; break;
		case NO_FORCE: a->force = 1; break;
		}
	}
	if (rc >= 0)
		return rc;
	if (a->npos < e->min_args)
		return cli_usage_error(e, "missing arguments in 'featscope %s %s'", e->name, e->args);
	*stop = 0;
	return 0;
}

/* Open the index (positional INDEX) and its notes database. */
int cli_notes_open(const notes_args *a, const char *index_path, fs_index **ix, fs_notes **n)
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
	char key[256];
	if (resolve_key(ix, a->pos[1], key, sizeof key) < 0)
		return FS_EXIT_USAGE;
	fs_note no;
	int rc = notes_get(n, key, &no);
	if (rc < 0) {
		fs_warn("%s", notes_errmsg(n));
		notes_note_free(&no);
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
		printf("feature:   %s\n", escape_str(key));
		if (fid > 0 && index_feature(ix, fid, &f) == 0) {
			printf("auto:      %s\n", escape_str(f.label));
			index_feature_free(&f);
		}
		printf("label:     %s\n", escape_str(no.label));
		printf("tags:      %s\n", escape_str(no.tags));
		printf("bookmark:  %s\n", no.bookmark ? "yes" : "no");
		printf("lists:    ");
		for (int i = 0; i < nl; i++)
			printf(" %s", escape_str(lists[i]));
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
	notes_strv_free(lists, nl);
	notes_note_free(&no);
	return FS_EXIT_OK;
}

/* Print keys one per line (or as a JSON array of notes), in columns as
 * wide as their widest entry (terminal columns: labels may be CJK). */
static int print_keys(fs_notes *n, char **keys, int cnt, int json)
{
	json_t *arr = json ? json_array() : NULL;
	int wk = 0, wl = 0, wt = 0;
	for (int i = 0; !json && i < cnt; i++) {
		fs_note no;
		if (notes_get(n, keys[i], &no) >= 0) {
			int a = escape_columns(escape_str(keys[i])), b = escape_columns(escape_str(no.label)),
			    c = escape_columns(escape_str(no.tags));
			wk = a > wk ? a : wk;
			wl = b > wl ? b : wl;
			wt = c > wt ? c : wt;
		}
		notes_note_free(&no);
	}
	for (int i = 0; i < cnt; i++) {
		fs_note no;
		if (notes_get(n, keys[i], &no) < 0) {
			fs_warn("%s", notes_errmsg(n));
			notes_note_free(&no);
			json_decref(arr);
			return FS_EXIT_ERR;
		}
		if (json) {
			char **lists;
			int nl = notes_key_lists(n, keys[i], &lists);
			json_array_append_new(arr, note_json(&no, lists, nl < 0 ? 0 : nl));
			notes_strv_free(lists, nl);
		} else {
			fs_buf b = {0};
			buf_adds(&b, "");
			first_line(&b, no.note, 60);
			cli_print_padded(keys[i], wk);
			printf(" %s ", no.bookmark ? "*" : " ");
			cli_print_padded(no.label, wl);
			putchar(' ');
			cli_print_padded(no.tags, b.p[0] ? wt : 0);
			printf("%s%s\n", b.p[0] ? " " : "", escape_str(b.p));
			buf_free(&b);
		}
		notes_note_free(&no);
	}
	if (json)
		json_print(arr);
	return FS_EXIT_OK;
}

/* -------------------------------------------------------------- set */

static int do_set(fs_index *ix, fs_notes *n, const notes_args *a)
{
	if (!a->label && !a->note && !a->note_file && !a->ntags && !a->nuntags && a->bookmark < 0) {
		fs_warn("notes set: nothing to set (use --label, --note, --note-file, --tag, --untag or --[no-]bookmark)");
		return FS_EXIT_USAGE;
	}
	/* one rule for what a tag is: --tag 'has space' is not two tags, and
	 * --untag 'has space' could never match one */
	for (int i = 0; i < a->ntags + a->nuntags; i++) {
		const char *t = i < a->ntags ? a->tags[i] : a->untags[i - a->ntags];
		const char *why = notes_tag_problem(t);
		if (why) {
			fs_warn("notes set: %s: '%s' is not a tag: %s", i < a->ntags ? "--tag" : "--untag", t, why);
			return FS_EXIT_USAGE;
		}
	}
	char key[256];
	if (resolve_key(ix, a->pos[1], key, sizeof key) < 0)
		return FS_EXIT_USAGE;
	fs_note no;
	if (notes_get(n, key, &no) < 0) {
		fs_warn("%s", notes_errmsg(n));
		notes_note_free(&no);
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
			notes_note_free(&no);
			return FS_EXIT_USAGE;
		}
		if (strlen(t) != len) {
			fs_warn("%s: note: holds a NUL byte; notes are text", a->note_file);
			free(t);
			notes_note_free(&no);
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
	notes_note_free(&no);
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
		if (arr) {
			json_array_append_new(arr, cli_list_json(n, names[i]));
			continue;
		}
		char **m;
		int nm = notes_list_members(n, names[i], &m);
		char *d = notes_list_description(n, names[i]);
		printf("%-16s %5d  %s\n", escape_str(names[i]), nm < 0 ? 0 : nm, escape_str(d));
		free(d);
		notes_strv_free(m, nm);
	}
	notes_strv_free(names, cnt);
	if (arr) {
		json_t *o = json_object();
		json_object_set_new(o, "lists", arr);
		json_print(o);
	}
	return FS_EXIT_OK;
}

static int do_list_edit(fs_index *ix, fs_notes *n, const notes_args *a, int add)
{
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
		return cli_notes_import(&a);
	fs_index *ix;
	fs_notes *n;
	if ((rc = cli_notes_open(&a, a.pos[0], &ix, &n)) != 0)
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
		notes_strv_free(keys, cnt);
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
			printf("%s\n", escape_str(notes_path(n)));
		}
		break;
	}
	notes_close(n);
	index_close(ix);
	return rc;
}

/* The subcommands, in the order usage lists them. */
static const cmd_entry subs[] = {
	[S_SET] = {.name = "notes set", .args = "INDEX FEATURE", CLI_PICKED(set_opts), .run_argv = sub_run,
		   .summary = "set your label, note, tags or bookmark of a feature", .min_args = 2, .max_args = 2},
	[S_SHOW] = {.name = "notes show", .args = "INDEX FEATURE", CLI_PICKED(json_opts), .run_argv = sub_run,
		    .summary = "one feature's notes", .min_args = 2, .max_args = 2},
	[S_LIST] = {.name = "notes list", .args = "INDEX", CLI_PICKED(json_opts), .run_argv = sub_run,
		    .summary = "every feature with notes", .min_args = 1, .max_args = 1},
	[S_SEARCH] = {.name = "notes search", .args = "INDEX QUERY", CLI_PICKED(json_opts), .run_argv = sub_run,
		      .summary = "features whose label, note or tags match", .min_args = 2, .max_args = 2},
	[S_LISTS] = {.name = "notes lists", .args = "INDEX", CLI_PICKED(json_opts), .run_argv = sub_run,
		     .summary = "the named lists", .min_args = 1, .max_args = 1},
	[S_LIST_ADD] = {.name = "notes list-add", .args = "INDEX LIST [FEATURE...]", CLI_PICKED(list_add_opts),
			.run_argv = sub_run, .summary = "create a list or add features to it", .min_args = 2, .max_args = -1},
	[S_LIST_RM] = {.name = "notes list-rm", .args = "INDEX LIST [FEATURE...]", CLI_PICKED(plain_opts),
		       .run_argv = sub_run, .summary = "remove features from a list (no FEATURE: the whole list)",
		       .min_args = 2, .max_args = -1},
	[S_IMPORT] = {.name = "notes import", .args = "FILE INDEX", CLI_PICKED(import_opts_spec), .run_argv = sub_run,
		      .summary = "merge what featscope export wrote (json or tsv), reporting conflicts",
		      .min_args = 2, .max_args = 2},
	[S_PATH] = {.name = "notes path", .args = "INDEX", CLI_PICKED(json_opts), .run_argv = sub_run,
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
	/* `notes help [SUBCOMMAND]`: the same as --help */
	if (!strcmp(argv[at], "help")) {
		const cmd_entry *h = e;
		for (int i = 0; at + 1 < argc && sub_list[i]; i++)
			if (!strcmp(sub_list[i]->name + 6, argv[at + 1]))
				h = sub_list[i];
		if (at + 1 < argc && h == e)
			return cli_usage_error(e, "help: unknown subcommand '%s'", argv[at + 1]);
		cli_usage(h, stdout);
		return FS_EXIT_OK;
	}
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
		int rc = cmd_run(s, nv, v);
		free(v);
		return rc;
	}
	return cli_usage_error(e, "unknown subcommand '%s'", argv[at]);
}

const cmd_entry cmd_notes_entry = {
	.name = "notes", .args = "SUBCOMMAND ...", .run_argv = notes_run, .subs = sub_list,
	.summary = "manage the notes database: set, show, list, search, lists, list-add, list-rm, import, path",
	.min_args = 1, .max_args = -1,
};
