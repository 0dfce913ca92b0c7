/*
 * main.c: the featscope program's entry point: --help and --version, and
 * dispatch to a subcommand (see cmd.h). With no subcommand, the argument
 * is an index to browse and the full-screen browser starts.
 */
#include "config.h"
#include "cli/cmd.h"
#include "core/util.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;                 /* subcommand */
	int (*run)(int argc, char **argv);/* its implementation */
	const char *args;                 /* usage synopsis */
	const char *help;                 /* one line for --help */
} commands[] = {
	{"build", cmd_build, "-o OUT.sqlite [options] RECORDS.jsonl[.gz]...", "build an index from activation records or other tools' files"},
	{"info", cmd_info, "INDEX", "summarise an index: dictionaries, counts, sizes"},
	{"show", cmd_show, "INDEX FEATURE", "one feature: label, stats, histogram, logits, top contexts"},
	{"search", cmd_search, "INDEX QUERY", "full-text search over contexts and labels"},
	{"token", cmd_token, "INDEX TOKEN", "features with the most activation on a token"},
	{"grep", cmd_grep, "INDEX PATTERN", "features that track a regex (PCRE2) on the text"},
	{"neighbours", cmd_neighbours, "INDEX FEATURE [--k N] [--in SAE]", "nearest features by decoder cosine"},
	{"clusters", cmd_clusters, "INDEX [NODE]", "one level of the concept tree"},
	{"compare", cmd_compare, "INDEX SAE_A SAE_B | A.sqlite:SAE B.sqlite:SAE [--top K] [--json]", "match two dictionaries: decoder cosine, co-activation, baselines"},
	{"family", cmd_family, "INDEX FEATURE [--top K] [--json]", "a feature's family over the wider dictionaries of its hook point"},
	{"export", cmd_export, "INDEX [--format F] [--only noted|list:NAME]", "features with labels and notes as text, markdown, json or tsv"},
	{"notes", cmd_notes, "import FILE | ...", "manage the notes database"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: featscope [--no-color] [--notes FILE] [INDEX]\n"
		   "       featscope COMMAND [ARGS]\n\n"
		   "With no command, browse INDEX (default: the shipped demo index).\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-11s %s\n  %-11s   %s\n", commands[i].name, commands[i].help, "", commands[i].args);
	fprintf(f, "\nMost commands take --json. See featscope(1), featscope-build(1), featscope-index(5).\n");
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return FS_EXIT_OK;
	}
	if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("featscope %s\n", PACKAGE_VERSION);
		return FS_EXIT_OK;
	}
	if (argc >= 2 && argv[1][0] != '-') {
		for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				return commands[i].run(argc - 1, argv + 1);
	}
	/* No command: the browser, with the remaining arguments. */
	argv[0] = (char *)"featscope";
	return cmd_tui(argc, argv);
}
