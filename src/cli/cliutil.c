/*
 * cliutil.c: helpers shared by the subcommands (see cliutil.h).
 */
#include "cli/cliutil.h"
#include "core/escape.h"
#include "core/json.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fs_index *cli_open_index(const char *path)
{
	char err[1024];
	fs_index *ix = index_open(path, err, sizeof err);
	if (!ix)
		fs_warn("%s", err);
	return ix;
}

int64_t cli_resolve(fs_index *ix, const char *name)
{
	char err[512];
	int64_t fid = index_resolve(ix, name, err, sizeof err);
	if (fid >= 0)
		return fid;
	/* state the valid range of the dictionary the name points into */
	const char *slash = strrchr(name, '/');
	const fs_sae *d = NULL;
	if (name[0] == '#') {
		fs_warn("%s (global ids are #1 to #%lld)", err, (long long)index_n_features(ix));
		return -1;
	}
	if (slash) {
		char *sae = xstrndup(name, (size_t)(slash - name));
		d = index_sae_by_name(ix, sae);
		free(sae);
	} else if (index_n_saes(ix) > 0) {
		d = index_sae(ix, 0);
	}
	if (d && d->n_features > 0)
		fs_warn("%s (%s has features 0 to %lld)", err, d->name, (long long)d->n_features - 1);
	else
		fs_warn("%s", err);
	return -1;
}

const char *cli_esc(const char *s)
{
	static fs_buf ring[8];
	static int next;
	fs_buf *b = &ring[next++ % 8];
	b->len = 0;
	escape_append(b, s ? s : "", s ? strlen(s) : 0, 0);
	return b->p;
}

void cli_print_padded(const char *s, int width)
{
	const char *e = cli_esc(s);
	fputs(e, stdout);
	for (int c = escape_columns(e); c < width; c++)
		putchar(' ');
}

void cli_print_json(json_t *j)
{
	if (jw_print(stdout, j, JW_PRETTY, 0) != 0)
		fs_warn("writing JSON: out of memory or write error");
}

json_t *cli_list_json(fs_notes *n, const char *name)
{
	char **m;
	int nm = notes_list_members(n, name, &m);
	char *d = notes_list_description(n, name);
	json_t *l = json_object(), *ma = json_array();
	json_object_set_new(l, "name", jw_str(name));
	json_object_set_new(l, "description", jw_str(d));
	for (int k = 0; k < nm; k++)
		json_array_append_new(ma, jw_str(m[k]));
	json_object_set_new(l, "features", ma);
	free(d);
	notes_strv_free(m, nm > 0 ? nm : 0);
	return l;
}
