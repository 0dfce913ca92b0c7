/*
 * hookpoint.c: the names of the hook points (hookpoint.h): featscope's
 * own ("mlp_out.3") and TransformerLens's ("blocks.3.hook_mlp_out"), read
 * and written.
 */
#include "nn/hookpoint.h"
#include "core/util.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const point_names[LIVE_NKINDS] = {"resid_pre", "resid_post", "mlp_hidden",
						     "mlp_out",   "attn_out",   "mlp_in"};

int live_point_parse(const char *s, live_point *p)
{
	for (int k = 0; k < LIVE_NKINDS; k++) {
		size_t n = strlen(point_names[k]);
		if (strncmp(s, point_names[k], n) != 0)
			continue;
		if (s[n] == '\0') {
			p->kind = (live_hook_kind)k;
			p->layer = -1;
			return 0;
		}
		int64_t l;
		if (s[n] == '.' && fs_parse_i64(s + n + 1, &l) == 0 && l >= 0 && l < 4096) {
			p->kind = (live_hook_kind)k;
			p->layer = (int)l;
			return 0;
		}
	}
	return -1;
}

const char *live_point_name(live_point p, char *out, size_t outlen)
{
	const char *k = (unsigned)p.kind < LIVE_NKINDS ? point_names[p.kind] : "?";
	if (p.layer < 0)
		snprintf(out, outlen, "%s", k);
	else
		snprintf(out, outlen, "%s.%d", k, p.layer);
	return out;
}

/* TransformerLens / SAELens names of the points, after "blocks.L.": the
 * first of a kind is the one live_point_name_tl writes. */
static const struct {
	const char *name;    /* after "blocks.L." */
	live_hook_kind kind; /* the point */
} tl_names[] = {
	{"hook_resid_pre", LIVE_RESID_PRE},       {"hook_resid_post", LIVE_RESID_POST},
	{"mlp.hook_post", LIVE_MLP_HIDDEN},       {"hook_mlp_out", LIVE_MLP_OUT},
	{"hook_attn_out", LIVE_ATTN_OUT},         {"ln2.hook_normalized", LIVE_MLP_IN},
	{"hook_mlp_in", LIVE_MLP_IN},
};

int live_point_parse_tl(const char *s, live_point *p, char *err, size_t errlen)
{
	char nm[128]; /* the name as a message shows it */
	snprintf(nm, sizeof nm, "%s", s);
	fs_msg_clean(nm);
	const char *q = s;
	int64_t l = -1;
	if (strncmp(q, "blocks.", 7) == 0 && q[7] >= '0' && q[7] <= '9') {
		l = 0;
		for (q += 7; *q >= '0' && *q <= '9' && l < 4096; q++)
			l = l * 10 + (*q - '0');
	}
	if (l < 0 || l >= 4096 || *q != '.') {
		fs_seterr(err, errlen, "'%s' is not a hook name (blocks.L.hook_resid_pre, ...)", nm);
		return -1;
	}
	q++;
	for (size_t i = 0; i < sizeof tl_names / sizeof tl_names[0]; i++)
		if (strcmp(q, tl_names[i].name) == 0) {
			p->kind = tl_names[i].kind;
			p->layer = (int)l;
			return 0;
		}
	if (strcmp(q, "hook_resid_mid") == 0)
		fs_seterr(err, errlen, "'%s': the residual stream between attention and MLP (hook_resid_mid) is not a "
			  "hook point here; a transcoder's input is blocks.L.ln2.hook_normalized (mlp_in)",
			  nm);
	else
		fs_seterr(err, errlen, "'%s' is not a hook point (blocks.L.hook_resid_pre, hook_resid_post, "
			  "hook_attn_out, hook_mlp_out, mlp.hook_post, ln2.hook_normalized or hook_mlp_in)",
			  nm);
	return -1;
}

int live_tl_layer(const char *s)
{
	const char *q = s ? strstr(s, "blocks.") : NULL;
	if (!q || q[7] < '0' || q[7] > '9')
		return -1;
	long l = 0;
	for (q += 7; *q >= '0' && *q <= '9'; q++)
		if ((l = l * 10 + (*q - '0')) >= (1L << 20))
			return -1;
	return (int)l;
}

const char *live_point_name_tl(live_point p, char *out, size_t outlen)
{
	for (size_t i = 0; i < sizeof tl_names / sizeof tl_names[0]; i++)
		if (tl_names[i].kind == p.kind) {
			snprintf(out, outlen, "blocks.%d.%s", p.layer, tl_names[i].name);
			return out;
		}
	snprintf(out, outlen, "blocks.%d.?", p.layer);
	return out;
}
