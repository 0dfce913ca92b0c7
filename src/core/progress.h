/*
 * progress.h: the one progress report of long work. An engine (the
 * builder, the importers, the geometry, ...) says where it stands through
 * an fs_progress that a front end made; the front end's draw function
 * shows it (the command line: a line on stderr with the rate and the time
 * left, when stderr is a terminal). A NULL fs_progress, or one without a
 * draw function, is silent: engines never print.
 */
#ifndef FS_PROGRESS_H
#define FS_PROGRESS_H

#include <stdint.h>

#include "core/util.h"

/* What a draw call reports. */
typedef enum {
	PROGRESS_DRAW,  /* the stage's state: done of total (total <= 0: unknown) */
	PROGRESS_END,   /* the stage is over: its last line */
	PROGRESS_NOTE,  /* a line of its own: the label is the whole text */
	PROGRESS_BREAK, /* end a drawn line (output follows) */
} fs_progress_event;

typedef struct fs_progress fs_progress;
typedef void (*fs_progress_draw)(fs_progress *p, fs_progress_event ev, int64_t done, int64_t total);

struct fs_progress {
	fs_progress_draw draw; /* NULL: silent */
	void *ud;              /* the front end's */
	char label[512];       /* the stage: "build: contexts", "geometry res1k: map" */
	char unit[32];         /* what done counts ("records", "tokens"); "" for a share of total */
	char detail[256];      /* more, after the counts ("37%", "12 features, 40 examples"); may be "" */
	double t0;             /* the stage's start (fs_now) */
	double last;           /* the last draw */
	int shown;             /* a line is drawn and not yet ended (the drawer keeps it) */
};

/* 1 when reports are shown. */
int progress_on(const fs_progress *p);
/* A new stage: label, unit, clock (its first draw a quarter of a second
 * later, so that quick work draws nothing). */
void progress_start(fs_progress *p, const char *unit, const char *fmt, ...) FS_PRINTF(3, 4);
/* The label of the stage now, its clock kept. */
void progress_label(fs_progress *p, const char *fmt, ...) FS_PRINTF(2, 3);
/* The detail after the counts ("" clears it). */
void progress_detail(fs_progress *p, const char *fmt, ...) FS_PRINTF(2, 3);
/* done of total (total <= 0: unknown), drawn at most four times a second. */
void progress_update(fs_progress *p, int64_t done, int64_t total);
/* The stage's last line, with done (always drawn). */
void progress_end(fs_progress *p, int64_t done);
/* A line of its own (always drawn). */
void progress_note(fs_progress *p, const char *fmt, ...) FS_PRINTF(2, 3);
/* End a line drawn by progress_update before other output. */
void progress_break(fs_progress *p);

#endif
