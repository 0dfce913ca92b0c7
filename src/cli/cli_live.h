/*
 * cli_live.h: what the two files of the live-model subcommands share,
 * for them only: cli_live.c (attach, steer, and the parts below) and
 * cli_analyze.c (analyze).
 */
#ifndef FS_CLI_LIVE_H
#define FS_CLI_LIVE_H

#include "cli/cmd.h"
#include "index/index.h"
#include "live/session.h"

#include <stddef.h>
#include <stdint.h>

/* Options of analyze and steer. */
typedef struct {
	const char *sae;      /* --sae */
	int top;              /* --top K */
	int limit;            /* --limit N */
	double max_density;   /* --max-density D (2: no filter) */
	int positions;        /* --positions: position features shown too */
	int json;             /* --json */
	char **features;      /* --feature F=V, argc slots */
	int nfeat;            /* how many */
	live_steer_mode mode; /* --mode */
	const char *prompt;   /* --prompt */
	int tokens;           /* --tokens N */
	double temperature;   /* --temperature T */
	uint64_t seed;        /* --seed S */
	int runs;             /* --runs N: seeds S .. S+N-1 */
} live_opts;

/* The largest |V| of a --feature F=V. */
#define LIVE_MAX_STEER 1e6
/* Open the index and its live model with the dictionary of --sae, else of
 * the first --feature named with its dictionary (SAE/N, #FID), else the
 * first attached; NULL after one line on stderr. */
fs_index *cli_live_open(const char *ixpath, const live_opts *o, live_session *ls);
/* Parse analyze's or steer's command line into o and the positional
 * arguments (the first two in pos, their count in *npos); -1 after a
 * message or --help, *rc then being the exit code. */
int cli_live_parse_opts(const cmd_entry *e, int argc, char **argv, live_opts *o, const char **pos, int *npos,
			int *rc);
/* The steering terms of --feature options (their fids in fids); -1 after
 * a message. */
int cli_live_parse_terms(live_session *ls, const live_opts *o, live_steer_term *terms, int64_t *fids);

/* Options of analyze and steer; each command lists those it takes. */
#define LIVE_OPT_SAE {"sae", 0, OPT_STR, "NAME", 0, 0, "the attached dictionary to use (default: that of a feature named SAE/N, else the first)"}
#define LIVE_OPT_FEATURE {"feature", 'f', OPT_STR, "F=V", 0, 0, "steer feature F at value V (repeatable)"}
#define LIVE_OPT_MODE {"mode", 0, OPT_STR, "clamp|add", 0, 0, "clamp the features to V (default) or add V times their directions"}
#define LIVE_OPT_JSON {"json", 'j', OPT_FLAG, NULL, 0, 0, "JSON output"}

#endif
