/*
 * main.c: the featscope program's entry point: --help and --version, and
 * dispatch to a subcommand through the command table (src/cli/commands.c).
 * With no subcommand, the argument is an index to browse and the
 * full-screen browser starts.
 */
#include "config.h"
#include "cli/cmd.h"
#include "core/util.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		cmd_help_all(stdout);
		return FS_EXIT_OK;
	}
	if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("featscope %s\n", PACKAGE_VERSION);
		return FS_EXIT_OK;
	}
	if (argc >= 2 && argv[1][0] != '-') {
		int rc = cmd_dispatch(argc - 1, argv + 1);
		if (rc >= 0)
			return rc;
	}
	/* No command: the browser, with the remaining arguments. */
	argv[0] = (char *)"featscope";
	return cmd_run(&cmd_browse_entry, argc, argv);
}
