/*
 * grep.c: PCRE2 concept probe over the index's text (search engine area).
 * (placeholder until that area lands: the subcommand reports that it is
 * not available yet and exits 1.)
 */
#include "cmd.h"
#include "util.h"

int cmd_grep(int argc, char **argv)
{
	(void)argc;
	fs_warn("%s: not available yet", argv[0]);
	return FS_EXIT_ERR;
}
