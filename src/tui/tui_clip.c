/*
 * tui_clip.c: 'Y', copying: the screen's text or the selected feature's
 * summary, escaped, to a file, and to the terminal's clipboard by OSC 52
 * when FEATSCOPE_OSC52=1.
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

/* Base64 of s[0, n) (malloc'd), for OSC 52. */
static char *tui_base64(const char *s, size_t n)
{
	static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		*o++ = tb[v >> 18 & 63];
		*o++ = tb[v >> 12 & 63];
		*o++ = i + 1 < n ? tb[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? tb[v & 63] : '=';
	}
	*o = 0;
	return out;
}

/* 'Y': the screen's text to copy (a context), else the selected
 * feature's summary; written escaped (core/escape) to a file, and to the
 * terminal's clipboard by OSC 52 when FEATSCOPE_OSC52=1 (off by default:
 * a terminal that honours it lets any program set the clipboard). */
void tui_copy(const char *arg)
{
	view *v = tui.top;
	char *raw = v && v->ops->copy ? v->ops->copy(v) : NULL;
	if (!raw) {
		int64_t fid = tui_selected();
		fs_feature f;
		if (fid <= 0 || index_feature(tui.ix, fid, &f) != 0) {
			tui_status(TC_ERROR, "nothing to copy here");
			return;
		}
		char name[64], lab[512], dens[32];
		int user;
		index_feature_name(tui.ix, fid, name, sizeof name);
		tui_label_feature(&f, lab, sizeof lab, &user);
		draw_density(f.density, dens, sizeof dens);
		fs_buf b = {0};
		buf_printf(&b, "feature %s: %s\ndensity %s, max activation %.4g, mean %.4g\n", name, lab, dens,
			   f.max_act, f.mean_act);
		fs_example *ex = NULL;
		int nex = index_examples(tui.ix, fid, &ex);
		for (int i = 0; i < nex && i < 3; i++) {
			fs_context c;
			if (index_context(tui.ix, ex[i].ctx, &c) != 0)
				continue;
			buf_printf(&b, "top context %lld (%.4g): %.*s\n", (long long)c.id, ex[i].max_act, c.len, c.text);
			index_context_free(&c);
		}
		index_examples_free(ex, nex > 0 ? nex : 0);
		index_feature_free(&f);
		raw = b.p;
	}
	fs_buf e = {0};
	/* line by line, so each stays a line */
	for (const char *p = raw; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		format_escaped(&e, p, l);
		buf_addc(&e, '\n');
		p += l + (nl ? 1 : 0);
	}
	free(raw);
	char *path = arg ? xstrdup(arg) : prompt_read("copy to file: ", getenv("FEATSCOPE_COPY_FILE") ? getenv("FEATSCOPE_COPY_FILE") : "featscope-copy.txt", NULL, NULL, NULL);
	if (path && *path) {
		FILE *fp = fopen(path, "w");
		if (!fp || fwrite(e.p, 1, e.len, fp) != e.len || fclose(fp) != 0)
			tui_status(TC_ERROR, "copy: cannot write '%s'", path);
		else
			tui_status(TC_STATUS, "copied to %s%s", path, getenv("FEATSCOPE_OSC52") && strcmp(getenv("FEATSCOPE_OSC52"), "1") == 0 ? " and the clipboard (OSC 52)" : "");
	}
	const char *osc = getenv("FEATSCOPE_OSC52");
	if (osc && strcmp(osc, "1") == 0 && e.len) {
		char *b64 = tui_base64(e.p, e.len);
		/* headless (tests): to stderr; else straight to the terminal */
		FILE *out = term_headless() ? stderr : stdout;
		fprintf(out, "\033]52;c;%s\a", b64);
		fflush(out);
		free(b64);
	}
	free(path);
	buf_free(&e);
}
