/*
 * cmd.h: the subcommands of the featscope program. main.c parses nothing
 * but the subcommand name and global options, then hands argc/argv (argv[0]
 * is the subcommand name) to one of these. Each returns an exit code
 * (FS_EXIT_OK, FS_EXIT_ERR for runtime errors, FS_EXIT_USAGE for usage
 * errors and bad input).
 */
#ifndef FS_CMD_H
#define FS_CMD_H

int cmd_build(int argc, char **argv);      /* build.c   */
int cmd_info(int argc, char **argv);       /* cli.c     */
int cmd_show(int argc, char **argv);       /* cli.c     */
int cmd_search(int argc, char **argv);     /* cli.c     */
int cmd_token(int argc, char **argv);      /* cli.c: features firing on a token */
int cmd_neighbours(int argc, char **argv); /* cli_geom.c */
int cmd_clusters(int argc, char **argv);   /* cli_geom.c */
int cmd_compare(int argc, char **argv);    /* cli_compare.c: two dictionaries matched */
int cmd_family(int argc, char **argv);     /* cli_compare.c: a feature over wider widths */
int cmd_grep(int argc, char **argv);       /* grep.c    */
int cmd_export(int argc, char **argv);     /* export.c  */
int cmd_notes(int argc, char **argv);      /* notes.c   */
int cmd_tui(int argc, char **argv);        /* tui.c: argv[1] is the index or NULL */

#endif
