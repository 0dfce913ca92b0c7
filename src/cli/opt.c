/*
 * opt.c: the one option parser of every subcommand (see cmd.h): long
 * options as --opt=V or --opt V, short ones as -xV, -x V or clusters of
 * flags (-iF), "--" to end options, --help everywhere, and one-line usage
 * errors that name the option. The usage text of a command is built here
 * from its table entry, so it exists once.
 */
#include "cli/cmd.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_init(cli_parser *p, const cmd_entry *e, int argc, char **argv)
{
	memset(p, 0, sizeof *p);
	p->e = e;
	p->argc = argc;
	p->argv = argv;
	p->i = 1;
}

int cli_usage_error(const cmd_entry *e, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!*e->name) /* the browser */
		fs_warn("%s (featscope --help)", msg);
	else
		fs_warn("%s: %s (featscope %s --help)", e->name, msg, e->name);
	return FS_EXIT_USAGE;
}

/* The value of option o is in p->val: check it (OPT_INT) and return its index. */
static int take_value(cli_parser *p, int k, const char *spelled)
{
	const cli_opt *o = &p->e->opts[k];
	if ((o->kind & OPT_KIND) == OPT_FLOAT) {
		char *end;
		double x = strtod(p->val, &end);
		if (!*p->val || *end || !(x >= (double)o->lo && x <= (double)o->hi)) {
			cli_usage_error(p->e, "%s: expected a number from %g to %g, got '%s'", spelled, (double)o->lo,
					(double)o->hi, p->val);
			return CLI_FAIL;
		}
		p->fnum = x;
		return k;
	}
	if ((o->kind & OPT_KIND) != OPT_INT)
		return k;
	int64_t v;
	if (fs_parse_i64(p->val, &v) != 0 || v < o->lo || v > o->hi) {
		cli_usage_error(p->e, "%s: expected a whole number from %lld to %lld, got '%s'", spelled,
				(long long)o->lo, (long long)o->hi, p->val);
		return CLI_FAIL;
	}
	p->num = v;
	return k;
}

/* "-5", "-0.5": a negative number, read as an argument. */
static int is_number(const char *s)
{
	return s[0] == '-' && s[1] >= '0' && s[1] <= '9';
}

static int next_short(cli_parser *p)
{
	char c = *p->cluster++;
	char spelled[3] = {'-', c, 0};
	if (c == 'h') {
		cli_usage(p->e, stdout);
		return CLI_HELP;
	}
	for (int k = 0; p->e->opts && p->e->opts[k].name; k++) {
		const cli_opt *o = &p->e->opts[k];
		if (o->shortopt != c)
			continue;
		if ((o->kind & OPT_KIND) == OPT_FLAG) {
			if (!*p->cluster)
				p->cluster = NULL;
			return k;
		}
		if (*p->cluster) {
			p->val = p->cluster;
		} else if (p->i < p->argc) {
			p->val = p->argv[p->i++];
		} else {
			cli_usage_error(p->e, "%s needs a value (%s)", spelled, o->metavar ? o->metavar : "VALUE");
			return CLI_FAIL;
		}
		p->cluster = NULL;
		return take_value(p, k, spelled);
	}
	cli_usage_error(p->e, "unknown option '%s'", spelled);
	return CLI_FAIL;
}

/* cli_next before the row's id: the option's row in e->opts. */
static int next_row(cli_parser *p)
{
	if (p->cluster && *p->cluster)
		return next_short(p);
	p->cluster = NULL;
	if (p->i >= p->argc)
		return CLI_END;
	const char *a = p->argv[p->i++];
	if (p->dashdash || a[0] != '-' || !a[1] || is_number(a)) {
		p->val = a;
		return CLI_ARG;
	}
	if (a[1] != '-') {
		p->cluster = a + 1;
		return next_short(p);
	}
	if (!a[2]) {
		p->dashdash = 1;
		return next_row(p);
	}
	const char *name = a + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	if (len == 4 && !strncmp(name, "help", 4)) {
		cli_usage(p->e, stdout);
		return CLI_HELP;
	}
	for (int k = 0; p->e->opts && p->e->opts[k].name; k++) {
		const cli_opt *o = &p->e->opts[k];
		if (strlen(o->name) != len || strncmp(o->name, name, len) != 0)
			continue;
		char spelled[64];
		snprintf(spelled, sizeof spelled, "--%s", o->name);
		if ((o->kind & OPT_KIND) == OPT_FLAG) {
			if (eq) {
				cli_usage_error(p->e, "%s takes no value", spelled);
				return CLI_FAIL;
			}
			return k;
		}
		if (eq) {
			p->val = eq + 1;
		} else if (p->i < p->argc) {
			p->val = p->argv[p->i++];
		} else {
			cli_usage_error(p->e, "%s needs a value (%s)", spelled, o->metavar ? o->metavar : "VALUE");
			return CLI_FAIL;
		}
		return take_value(p, k, spelled);
	}
	cli_usage_error(p->e, "unknown option '%.*s'", (int)(len + 2), a);
	return CLI_FAIL;
}

int cli_next(cli_parser *p)
{
	int k = next_row(p);
	return k >= 0 && p->e->opt_ids ? p->e->opt_ids[k] : k;
}

int cli_walk(cli_parser *p, int *stop)
{
	int k = cli_next(p);
	*stop = k == CLI_HELP ? FS_EXIT_OK : k == CLI_FAIL ? FS_EXIT_USAGE : -1;
	return k == CLI_HELP || k == CLI_FAIL ? CLI_END : k;
}

int64_t cli_num(const cli_args *a, int k, int64_t dflt)
{
	return a->set[k] ? a->num[k] : dflt;
}

double cli_float(const cli_args *a, int k, double dflt)
{
	return a->set[k] ? a->fnum[k] : dflt;
}

const char *cli_str(const cli_args *a, int k, const char *dflt)
{
	return a->set[k] ? a->str[k] : dflt;
}

int cli_parse(const cmd_entry *e, int argc, char **argv, cli_args *a, int *rc)
{
	memset(a, 0, sizeof *a);
	cli_parser p;
	cli_init(&p, e, argc, argv);
	int k, seq = 0;
	while ((k = cli_walk(&p, rc)) != CLI_END) {
		if (k == CLI_ARG) {
			if ((e->max_args >= 0 && a->npos >= e->max_args) || a->npos >= CLI_MAXPOS) {
				*rc = cli_usage_error(e, "unexpected argument '%s'", p.val);
				return 1;
			}
			a->pos[a->npos++] = p.val;
			continue;
		}
		if (k < CLI_MAXOPT) {
			a->set[k]++;
			a->str[k] = p.val;
			a->num[k] = p.num;
			a->fnum[k] = p.fnum;
			a->last[k] = ++seq;
		}
	}
	if (*rc >= 0)
		return 1;
	if (a->npos < e->min_args) {
		/* name the first missing argument from the synopsis */
		char want[64] = "";
		const char *s = e->args ? e->args : "";
		for (int n = 0; *s && n <= a->npos; n++) {
			while (*s == ' ')
				s++;
			size_t l = strcspn(s, " ");
			if (n == a->npos)
				snprintf(want, sizeof want, "%.*s", (int)l, s);
			s += l;
		}
		*rc = cli_usage_error(e, "missing %s in 'featscope %s %s'", *want ? want : "argument",
				      e->name, e->args ? e->args : "");
		return 1;
	}
	return 0;
}

void cli_usage(const cmd_entry *e, FILE *f)
{
	if (e->subs) {
		for (int i = 0; e->subs[i]; i++)
			if (!e->subs[i]->hidden)
				fprintf(f, "%s featscope %s %s\n", i ? "      " : "usage:", e->subs[i]->name,
					e->subs[i]->args ? e->subs[i]->args : "");
		fprintf(f, "%s\n", e->summary);
		fprintf(f, "featscope %s SUBCOMMAND --help shows one subcommand's options.\n", e->name);
		return;
	}
	if (!*e->name) { /* the browser: its options in the line */
		fputs("usage: ", f);
		cli_usage_line(e, f);
		fprintf(f, "\n%s\n", e->summary);
	} else {
		fprintf(f, "usage: featscope %s%s%s%s\n%s\n", e->name, e->args && *e->args ? " " : "",
			e->args ? e->args : "", e->opts && e->opts[0].name ? " [options]" : "", e->summary);
	}
	if (!e->opts || !e->opts[0].name)
		return;
	fprintf(f, "options:\n");
	for (int k = 0; e->opts[k].name; k++) {
		const cli_opt *o = &e->opts[k];
		if (!o->help)
			continue;
		char left[64], sh[5] = "    ";
		if (o->shortopt)
			snprintf(sh, sizeof sh, "-%c, ", o->shortopt);
		snprintf(left, sizeof left, "%s--%s%s%s", sh, o->name, o->metavar ? " " : "",
			 o->metavar ? o->metavar : "");
		fprintf(f, "  %-26s %s\n", left, o->help ? o->help : "");
	}
}

void cli_usage_line(const cmd_entry *e, FILE *f)
{
	fprintf(f, "featscope%s%s", *e->name ? " " : "", e->name);
	for (int k = 0; e->opts && e->opts[k].name; k++) {
		const cli_opt *o = &e->opts[k];
		if (!o->help)
			continue;
		fprintf(f, " [--%s%s%s]%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "",
			o->kind & OPT_MANY ? "..." : "");
	}
	if (e->args && *e->args)
		fprintf(f, " %s", e->args);
}
