/*
 * cliutil.c: helpers shared by the query subcommands (see cliutil.h).
 */
#include "cli/cliutil.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>

fs_index *cli_open_index(const char *path)
{
	char err[1024];
	fs_index *ix = index_open(path, err, sizeof err);
	if (!ix)
		fs_warn("%s", err);
	return ix;
}

void cli_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (s)
		puts(s);
	free(s);
	json_decref(j);
}
