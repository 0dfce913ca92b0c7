/*
 * cli_geom.c: the neighbours and clusters subcommands (geometry area).
 * (placeholder until that area lands.)
 */
#include "cmd.h"
#include "util.h"

int cmd_neighbours(int argc, char **argv)
{
	(void)argc;
	fs_warn("%s: not available yet", argv[0]);
	return FS_EXIT_ERR;
}

int cmd_clusters(int argc, char **argv)
{
	(void)argc;
	fs_warn("%s: not available yet", argv[0]);
	return FS_EXIT_ERR;
}
