/*
 * cli.c: query subcommands
 * (placeholder: being written now.)
 */
#include "cmd.h"
#include "util.h"

int cmd_info(int argc, char **argv)
{
	(void)argc;
	fs_warn("%s: not available yet", argv[0]);
	return FS_EXIT_ERR;
}

int cmd_show(int argc, char **argv)
{
	(void)argc;
	fs_warn("%s: not available yet", argv[0]);
	return FS_EXIT_ERR;
}

int cmd_search(int argc, char **argv)
{
	(void)argc;
	fs_warn("%s: not available yet", argv[0]);
	return FS_EXIT_ERR;
}

int cmd_token(int argc, char **argv)
{
	(void)argc;
	fs_warn("%s: not available yet", argv[0]);
	return FS_EXIT_ERR;
}


