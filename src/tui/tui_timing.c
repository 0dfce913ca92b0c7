/*
 * tui_timing.c: FEATSCOPE_TIMING=FILE, the browser's frame timings and
 * memory for bench/tui.sh: the first frame, each key to its finished
 * frame, slow keys (every key with FEATSCOPE_TIMING_EACH=1), each
 * keystroke inside a prompt that updates the screen as it is typed (the
 * list's filter), the longest idle work, and the resident set sampled as
 * it runs.
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
#include <time.h>
#include <unistd.h>

/* FEATSCOPE_TIMING=FILE: frame timings and memory for bench/tui.sh. */
static struct {
	FILE *f;          /* where the figures go, NULL when off */
	double t0;        /* tui_main entry */
	double first_ms;  /* entry to the first finished frame */
	double *lat;      /* key to finished frame, ms */
	int n, cap;       /* count and capacity */
	long rss_first;   /* VmRSS at the first frame, kB */
	long rss_min, rss_max; /* VmRSS range sampled after the first frame */
	long anon_first, anon_max; /* RssAnon (heap, not the mapped index) */
	int lastkey;      /* the key being timed */
	double tkey;      /* when it came, 0 when none is being timed */
	int each;         /* FEATSCOPE_TIMING_EACH=1: a line per key */
	double *plat;     /* keystroke in a prompt to its finished frame, ms */
	int pn, pcap;     /* count and capacity */
	int nticks;       /* idle ticks that did work */
	double tick_max;  /* the longest of them, ms */
} tt;

/* A field of /proc/self/status in kB, -1 when unknown. */
static long tui_proc_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = atol(line + n + 1);
	if (f)
		fclose(f);
	return v;
}

static int tui_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void tui_timing_end(void)
{
	if (!tt.f)
		return;
	qsort(tt.lat, (size_t)tt.n, sizeof *tt.lat, tui_cmp_double);
	fprintf(tt.f, "first_frame_ms %.2f\n", tt.first_ms);
	fprintf(tt.f, "keys %d\n", tt.n);
	if (tt.n) {
		fprintf(tt.f, "p50_ms %.3f\n", tt.lat[tt.n / 2]);
		fprintf(tt.f, "p99_ms %.3f\n", tt.lat[(int)(tt.n * 0.99)]);
		fprintf(tt.f, "max_ms %.3f\n", tt.lat[tt.n - 1]);
	}
	if (tt.pn) {
		qsort(tt.plat, (size_t)tt.pn, sizeof *tt.plat, tui_cmp_double);
		fprintf(tt.f, "prompt_keys %d\nprompt_key_p50_ms %.3f\nprompt_key_p99_ms %.3f\nprompt_key_max_ms %.3f\n",
			tt.pn, tt.plat[tt.pn / 2], tt.plat[(int)(tt.pn * 0.99)], tt.plat[tt.pn - 1]);
	}
	fprintf(tt.f, "idle_ticks %d\nidle_tick_max_ms %.3f\n", tt.nticks, tt.tick_max);
	fprintf(tt.f, "rss_first_kb %ld\nrss_min_kb %ld\nrss_max_kb %ld\nrss_end_kb %ld\nhwm_kb %ld\n",
		tt.rss_first, tt.rss_min, tt.rss_max, tui_proc_kb("VmRSS"), tui_proc_kb("VmHWM"));
	fprintf(tt.f, "anon_first_kb %ld\nanon_max_kb %ld\nanon_end_kb %ld\n", tt.anon_first, tt.anon_max,
		tui_proc_kb("RssAnon"));
	fclose(tt.f);
	free(tt.lat);
	free(tt.plat);
	tt.f = NULL;
}

void tui_timing_start(void)
{
	const char *timing = getenv("FEATSCOPE_TIMING");
	tt.t0 = fs_now();
	if (timing && *timing)
		tt.f = fopen(timing, "w");
	const char *each = getenv("FEATSCOPE_TIMING_EACH");
	tt.each = each && strcmp(each, "1") == 0;
}

int tui_timed_tick(struct view *v)
{
	if (!v || !v->ops->tick)
		return 0;
	double t0 = fs_now();
	int r = v->ops->tick(v);
	double ms = (fs_now() - t0) * 1000;
	if (tt.f && r) {
		tt.nticks++;
		if (ms > tt.tick_max)
			tt.tick_max = ms;
		if (ms > 50)
			fprintf(tt.f, "slow_tick %.1f ms in %s\n", ms, v->title);
	}
	return r;
}

void tui_timing_prompt_key(double ms)
{
	if (!tt.f)
		return;
	if (tt.pn == tt.pcap) {
		tt.pcap = tt.pcap ? tt.pcap * 2 : 64;
		tt.plat = xrealloc(tt.plat, (size_t)tt.pcap * sizeof *tt.plat);
	}
	tt.plat[tt.pn++] = ms;
	if (tt.each || ms > 50)
		fprintf(tt.f, "prompt_key %.3f ms\n", ms);
}

void tui_timing_key(int key)
{
	tt.tkey = fs_now();
	tt.lastkey = key;
}

void tui_timing_frame(void)
{
	if (!tt.f)
		return;
	double now = fs_now();
	if (tt.first_ms == 0) {
		tt.first_ms = (now - tt.t0) * 1000;
		tt.rss_first = tt.rss_min = tt.rss_max = tui_proc_kb("VmRSS");
		tt.anon_first = tt.anon_max = tui_proc_kb("RssAnon");
	} else if (tt.tkey > 0) {
		if (tt.n == tt.cap) {
			tt.cap = tt.cap ? tt.cap * 2 : 1024;
			tt.lat = xrealloc(tt.lat, (size_t)tt.cap * sizeof *tt.lat);
		}
		tt.lat[tt.n++] = (now - tt.tkey) * 1000;
		if (tt.lat[tt.n - 1] > 50 || tt.each) {
			char kn[32];
			fprintf(tt.f, "%s %s %.*f ms in %s\n", tt.lat[tt.n - 1] > 50 ? "slow_key" : "key",
				keymap_key_name(tt.lastkey, kn, sizeof kn), tt.lat[tt.n - 1] > 50 ? 1 : 3,
				tt.lat[tt.n - 1], tui.top ? tui.top->title : "");
		}
		if (tt.n % 256 == 0) {
			long r = tui_proc_kb("VmRSS");
			if (r < tt.rss_min)
				tt.rss_min = r;
			if (r > tt.rss_max)
				tt.rss_max = r;
			r = tui_proc_kb("RssAnon");
			if (r > tt.anon_max)
				tt.anon_max = r;
		}
	}
	tt.tkey = 0;
}
