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
	char **spans;         /* --spans F, argc slots */
	int nspans;           /* how many */
	double above;         /* --above X */
	int lines;            /* --lines: each input line a document */
	const char **args;    /* every positional argument (argc slots) */
	int nargs;            /* how many */
} live_opts;

/* The largest |V| of a --feature F=V. */
#define LIVE_MAX_STEER 1e6
/* Open the index and its live model with the dictionary of --sae, else of
 * the first --feature named with its dictionary (SAE/N, #FID), else the
 * first attached; NULL after one line on stderr. */
fs_index *cli_live_open(const char *ixpath, const live_opts *o, live_session *ls);
/* Parse analyze's or steer's command line into o and the positional
 * arguments (the first two in pos, their count in *npos); -1 after a
 * message or --help, *rc then being the exit code. e's table is a
 * CLI_PICK of the LO_ rows below (the parser gives their ids). */
int cli_live_parse_opts(const cmd_entry *e, int argc, char **argv, live_opts *o, const char **pos, int *npos, int *rc);
/* A feature named N, SAE/N or #FID in the session's dictionary: its
 * index there in *idx; -1 after a message. */
int cli_live_resolve(live_session *ls, const char *name, int *idx);
/* The steering terms of --feature options (their fids in fids); -1 after
 * a message. */
int cli_live_parse_terms(live_session *ls, const live_opts *o, live_steer_term *terms, int64_t *fids);

/* Every option of analyze and steer: its id (LO_*) and its row (ROW_id).
 * A command lists the ids it takes once, in usage order (cmd.h's CLI_PICK
 * makes its table and the ids of its rows from that list), and
 * cli_live_parse_opts reads an option by its id. */
enum {
	LO_SAE, LO_FEATURE, LO_MODE, LO_JSON, LO_PROMPT, LO_TOKENS, LO_TEMPERATURE, LO_SEED, LO_RUNS,
	LO_TOP, LO_LIMIT, LO_MAXDENSITY, LO_POSITIONS, LO_SPANS, LO_ABOVE, LO_LINES,
};
#define ROW_LO_SAE {"sae", 0, OPT_STR, "NAME", 0, 0, "the attached dictionary to use (default: that of a feature named SAE/N, else the first)"}
#define ROW_LO_FEATURE {"feature", 'f', OPT_STR | OPT_MANY, "F=V", 0, 0, "steer feature F at value V (repeatable)"}
#define ROW_LO_MODE {"mode", 0, OPT_STR, "clamp|add", 0, 0, "clamp the features to V (default) or add V times their directions"}
#define ROW_LO_JSON {"json", 'j', OPT_FLAG, NULL, 0, 0, "JSON output"}
#define ROW_LO_PROMPT {"prompt", 'p', OPT_STR, "TEXT", 0, 0, "the text to continue (\"The \")"}
#define ROW_LO_TOKENS {"tokens", 't', OPT_INT, "N", 1, 100000, "tokens generated (64)"}
#define ROW_LO_TEMPERATURE {"temperature", 'T', OPT_FLOAT, "T", 0, 100, "sampling temperature, 0 greedy (0.8)"}
#define ROW_LO_SEED {"seed", 0, OPT_INT, "S", 0, 2147483647, "random seed (1)"}
#define ROW_LO_RUNS {"runs", 0, OPT_INT, "N", 1, 1000, "seeds S .. S+N-1 (1)"}
#define ROW_LO_TOP {"top", 'k', OPT_INT, "K", 1, 1000, "features shown per token (5)"}
#define ROW_LO_LIMIT {"limit", 'n', OPT_INT, "N", 1, 1000000, "features shown by total over the text (20)"}
#define ROW_LO_MAXDENSITY {"max-density", 0, OPT_FLOAT, "D", 0, 1, "hide features firing on more than this fraction of tokens"}
#define ROW_LO_POSITIONS {"positions", 0, OPT_FLAG, NULL, 0, 0, "show position features too (hidden by default)"}
#define ROW_LO_SPANS {"spans", 0, OPT_STR | OPT_MANY, "F", 0, 0, "JSON Lines of the spans where feature F fires (repeatable); the arguments after INDEX are then files ('-' or none: standard input)"}
#define ROW_LO_ABOVE {"above", 0, OPT_FLOAT, "X", -1000000, 1000000, "with --spans: a span's tokens have activations above X (0)"}
#define ROW_LO_LINES {"lines", 0, OPT_FLAG, NULL, 0, 0, "with --spans: each line of the input is a document"}


#endif
