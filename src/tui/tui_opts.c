/*
 * tui_opts.c: the browser's command line: its entry (cmd_browse_entry:
 * the options, read by the one parser, cli/opt.c), its usage and, with no
 * index named, the shipped demo's path (in the build tree or installed).
 */
#include "tui/tui_int.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/prompt.h"
#include "tui/term.h"
#include "tui/view.h"
#include "cli/cmd.h"
#include "core/format.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* The index to open when none is named: the shipped demo. */
char *tui_demo_path(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		char *slash = strrchr(exe, '/');
		if (slash) {
			strcpy(slash + 1, "libfs.a");
			if (access(exe, F_OK) == 0)
				return xstrdup(FS_SRCDIR "/data/demo.sqlite");
		}
	}
	return xstrdup(FS_PKGDATADIR "/demo.sqlite");
}

/* The browser's options, one row each: the enum BR_* and browse_opts (CLI_OPTIONS). */
#define BROWSE_OPTS(X) \
	X(BR_NOCOLOR, "no-color", 0, OPT_FLAG, NULL, 0, 0, "no colours (NO_COLOR in the environment does the same)") \
	X(BR_NOCOLOUR, "no-colour", 0, OPT_FLAG, NULL, 0, 0, NULL) \
	X(BR_NOTES, "notes", 0, OPT_STR | OPT_MANY, "FILE", 0, 0, "the notes database of the next index (one each, in order)") \
	X(BR_SAE, "sae", 0, OPT_STR | OPT_MANY, "[FILE:]SAE", 0, 0, "a dictionary that holds a graph's transcoder features (one per layer)")
CLI_OPTIONS(browse_opts, BROWSE_OPTS);

static int browse_run(const cmd_entry *e, int argc, char **argv)
{
	(void)e;
	return tui_main(argc, argv);
}

const cmd_entry cmd_browse_entry = {
	.name = "", .args = "[INDEX | GRAPH.json]...", .opts = browse_opts, .run_argv = browse_run,
	.summary = "browse INDEX (default: the shipped demo index); with several, in one session; a GRAPH.json opens the graph screen",
	.min_args = 0, .max_args = -1, .hidden = 1,
};

int tui_usage(void)
{
	char *line = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&line, &n);
	if (f) {
		cli_usage_line(&cmd_browse_entry, f);
		fclose(f);
	}
	fs_warn("usage: %s", line ? line : "featscope [INDEX]...");
	free(line);
	return FS_EXIT_USAGE;
}

int tui_is_graph_path(const char *path)
{
	size_t n = strlen(path);
	return n > 5 && strcasecmp(path + n - 5, ".json") == 0;
}

int tui_opts_parse(int argc, char **argv, tui_opts *o)
{
	cli_parser p;
	cli_init(&p, &cmd_browse_entry, argc, argv);
	int k, stop;
	while ((k = cli_walk(&p, &stop)) != CLI_END) {
		switch (k) {
		case CLI_ARG: o->paths[o->npaths++] = p.val; break;
		case BR_NOCOLOR:
		case BR_NOCOLOUR: o->no_color = 1; break;
		case BR_NOTES: o->notes[o->nnotes++] = p.val; break;
		case BR_SAE: o->saes[o->nsaes++] = p.val; break;
		}
	}
	if (stop >= 0)
		return stop;
	if (o->nnotes > (o->npaths > 1 ? o->npaths : 1)) {
		fs_warn("%d --notes files for %d index%s: one --notes a file at most, in the order of the files",
			o->nnotes, o->npaths > 1 ? o->npaths : 1, o->npaths > 1 ? "es" : "");
		return tui_usage();
	}
	return -1;
}
