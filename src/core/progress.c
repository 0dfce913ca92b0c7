/*
 * progress.c: the one progress report (see progress.h): the stage's
 * state kept here, the drawing left to the front end's function.
 */
#include "core/progress.h"

#include <stdarg.h>
#include <stdio.h>

int progress_on(const fs_progress *p)
{
	return p && p->draw;
}

void progress_start(fs_progress *p, const char *unit, const char *fmt, ...)
{
	if (!progress_on(p))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->label, sizeof p->label, fmt, ap);
	va_end(ap);
	snprintf(p->unit, sizeof p->unit, "%s", unit ? unit : "");
	p->detail[0] = 0;
	p->t0 = p->last = fs_now();
}

void progress_label(fs_progress *p, const char *fmt, ...)
{
	if (!progress_on(p))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->label, sizeof p->label, fmt, ap);
	va_end(ap);
}

void progress_detail(fs_progress *p, const char *fmt, ...)
{
	if (!progress_on(p))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->detail, sizeof p->detail, fmt, ap);
	va_end(ap);
}

void progress_update(fs_progress *p, int64_t done, int64_t total)
{
	if (!progress_on(p))
		return;
	double now = fs_now();
	if (now - p->last < 0.25)
		return;
	p->last = now;
	p->draw(p, PROGRESS_DRAW, done, total);
}

void progress_end(fs_progress *p, int64_t done)
{
	if (progress_on(p))
		p->draw(p, PROGRESS_END, done, 0);
}

void progress_note(fs_progress *p, const char *fmt, ...)
{
	if (!progress_on(p))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->label, sizeof p->label, fmt, ap);
	va_end(ap);
	p->detail[0] = 0;
	p->draw(p, PROGRESS_NOTE, 0, 0);
}

void progress_break(fs_progress *p)
{
	if (progress_on(p) && p->shown)
		p->draw(p, PROGRESS_BREAK, 0, 0);
}
