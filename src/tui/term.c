/*
 * term.c: curses set-up and tear-down, colour table and modes, key input
 * from the keyboard or a headless script, mouse events and screen dumps
 * (see term.h). Nothing else in featscope calls initscr, newterm or endwin.
 */
#include "tui/term.h"
#include "tui/keymap.h"
#include "core/util.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

/* How one colour class looks in each mode. */
typedef struct {
	short fg256, bg256; /* 256-colour pair (-1: terminal default) */
	short fg8, bg8;     /* 8-colour pair */
	attr_t attr;        /* extra attributes in colour modes */
	attr_t mono;        /* attributes in monochrome */
	char code;          /* its letter in the attribute map of a dump */
} term_color;

static const term_color term_colors[TC_COUNT] = {
	[TC_NORMAL] = {-1, -1, -1, -1, 0, 0, ' '},
	[TC_TITLE] = {231, 25, COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD, 'T'},
	[TC_STATUS] = {231, 238, COLOR_WHITE, COLOR_BLUE, 0, A_REVERSE, 'S'},
	[TC_SELECT] = {16, 117, COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE, 'R'},
	[TC_HEADER] = {110, -1, COLOR_CYAN, -1, A_BOLD, A_BOLD, 'H'},
	[TC_DIM] = {245, -1, COLOR_BLUE, -1, 0, A_DIM, 'd'},
	[TC_ESCAPE] = {201, -1, COLOR_MAGENTA, -1, 0, A_UNDERLINE | A_DIM, 'E'},
	[TC_ERROR] = {196, -1, COLOR_RED, -1, A_BOLD, A_BOLD, '!'},
	[TC_MATCH] = {16, 220, COLOR_BLACK, COLOR_YELLOW, 0, A_STANDOUT, 'M'},
	[TC_USER] = {114, -1, COLOR_GREEN, -1, A_BOLD, A_BOLD, 'U'},
	[TC_POS] = {71, -1, COLOR_GREEN, -1, 0, 0, '+'},
	[TC_NEG] = {167, -1, COLOR_RED, -1, 0, 0, '-'},
	[TC_BAR] = {75, -1, COLOR_CYAN, -1, 0, 0, 'B'},
};

/* Heat backgrounds, light yellow to red (256 colours); levels 1..7. */
static const short term_heat256[TERM_HEAT_LEVELS] = {-1, 230, 229, 222, 215, 209, 203, 196};
/* In 8 colours and monochrome the levels become attributes. */
static const attr_t term_heat_attr[TERM_HEAT_LEVELS] = {
	0, A_UNDERLINE, A_UNDERLINE, A_BOLD, A_BOLD, A_BOLD | A_UNDERLINE,
	A_BOLD | A_REVERSE, A_BOLD | A_REVERSE};
static const short term_cl256[TERM_CLUSTER_COLORS] = {203, 114, 221, 75, 176, 80};
static const short term_cl8[TERM_CLUSTER_COLORS] = {COLOR_RED, COLOR_GREEN, COLOR_YELLOW,
						     COLOR_BLUE, COLOR_MAGENTA, COLOR_CYAN};

#define PAIR_HEAT (TC_COUNT + 1)                      /* first heat pair */
#define PAIR_CLUSTER (PAIR_HEAT + TERM_HEAT_LEVELS)   /* first cluster pair */

/* A key read from a headless script, with its mouse data. */
typedef struct {
	int key;       /* key code */
	int my, mx;    /* mouse position for mouse keys */
	int mkind;     /* TERM_CLICK... for mouse keys, else 0 */
	char *arg;     /* ":save-display FILE" / ":resize CxL" directive argument */
} term_skey;

/* Pseudo keys of script directives, handled inside term_getkey. */
#define TERM_DIR_DUMP -10
#define TERM_DIR_RESIZE -11
#define TERM_DIR_WAIT -12  /* ":wait-file PATH": pause until PATH exists (30 s at most) */
#define TERM_DIR_TOUCH -13 /* ":touch PATH": create PATH; both only with FEATSCOPE_SCRIPT_SYNC=1 (tests) */

/* The terminal's state. */
static struct {
	int mode;            /* TERM_MONO, TERM_8, TERM_256 */
	int headless;        /* drawing to /dev/null from a script */
	SCREEN *scr;         /* the newterm screen in headless mode */
	FILE *out, *in;      /* its /dev/null streams */
	term_skey *script;   /* parsed script keys */
	size_t nscript, pos; /* count and next to deliver */
	int my, mx, mkind;   /* last mouse event */
	int gone;            /* the terminal's input ended (EOF, EIO, hang-up) */
} term;

int term_headless(void) { return term.headless; }
int term_mode(void) { return term.mode; }

/* Drop the parsed script keys. */
static void term_free_script(void)
{
	for (size_t i = 0; i < term.nscript; i++)
		free(term.script[i].arg);
	free(term.script);
	term.script = NULL;
	term.nscript = term.pos = 0;
}

/* Parse a script into keys: "# comment", ":command" or a line of keys. */
static int term_load_script(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return fs_seterr(err, errlen, "%s: %s", path, strerror(errno));
	size_t cap = 256;
	term.script = xmalloc(cap * sizeof *term.script);
	char line[4096];
	int lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (n == 0 || (line[0] == '#' && (line[1] == ' ' || line[1] == 0)))
			continue; /* a comment ("#" alone or "# text") */
		const char *p = line;
		int cmd = line[0] == ':';
		/* Directives act when the script reaches them, whatever is on the
		 * screen (a prompt included): dump the screen, or resize it. */
		if (strncmp(line, ":wait-file ", 11) == 0 || strncmp(line, ":touch ", 7) == 0) {
			/* a test's handshake with a program running beside the
			 * browser (a CLI write while the editor is open) */
			if (term.nscript + 2 >= cap) {
				cap *= 2;
				term.script = xrealloc(term.script, cap * sizeof *term.script);
			}
			int wait = line[1] == 'w';
			term.script[term.nscript++] = (term_skey){wait ? TERM_DIR_WAIT : TERM_DIR_TOUCH, 0, 0, 0,
								  xstrdup(line + (wait ? 11 : 7))};
			continue;
		}
		if (strncmp(line, ":save-display ", 14) == 0 || strncmp(line, ":resize ", 8) == 0) {
			if (term.nscript + 2 >= cap) {
				cap *= 2;
				term.script = xrealloc(term.script, cap * sizeof *term.script);
			}
			int dump = line[1] == 's';
			term.script[term.nscript++] = (term_skey){dump ? TERM_DIR_DUMP : TERM_DIR_RESIZE, 0, 0, 0,
								  xstrdup(line + (dump ? 14 : 8))};
			continue;
		}
		while (*p) {
			if (term.nscript + 2 >= cap) {
				cap *= 2;
				term.script = xrealloc(term.script, cap * sizeof *term.script);
			}
			term_skey k = {0, 0, 0, 0, NULL};
			int used = 0;
			if (cmd) {
				int l = utf8_len((const unsigned char *)p, strlen(p));
				if (l == 0) {
					fclose(f);
					term_free_script();
					return fs_seterr(err, errlen, "%s:%d: script: invalid UTF-8", path, lineno);
				}
				k.key = (int)utf8_decode((const unsigned char *)p, l);
				used = l;
			} else if (sscanf(p, "<Click:%d,%d>%n", &k.my, &k.mx, &used) == 2 && used) {
				k.key = KM_FKEY(KEY_MOUSE);
				k.mkind = TERM_CLICK;
			} else if (strncmp(p, "<WheelUp>", 9) == 0 || strncmp(p, "<WheelDown>", 11) == 0) {
				k.key = KM_FKEY(KEY_MOUSE);
				k.mkind = p[6] == 'U' ? TERM_WHEEL_UP : TERM_WHEEL_DOWN;
				used = k.mkind == TERM_WHEEL_UP ? 9 : 11;
			} else {
				k.key = keymap_parse_key(p, &used);
				if (k.key < 0) {
					fclose(f);
					term_free_script();
					return fs_seterr(err, errlen, "%s:%d: script: unknown key at '%.20s'",
							 path, lineno, p);
				}
			}
			term.script[term.nscript++] = k;
			p += used;
		}
		if (cmd)
			term.script[term.nscript++] = (term_skey){'\n', 0, 0, 0, NULL};
	}
	fclose(f);
	return 0;
}

static void term_colors_init(int no_color)
{
	const char *nc = getenv("NO_COLOR");
	term.mode = TERM_MONO;
	if (no_color || (nc && *nc) || !has_colors())
		return;
	if (start_color() == ERR)
		return;
	use_default_colors();
	term.mode = COLORS >= 256 && COLOR_PAIRS >= PAIR_CLUSTER + TERM_CLUSTER_COLORS ? TERM_256 : TERM_8;
	for (int c = 1; c < TC_COUNT; c++) {
		const term_color *t = &term_colors[c];
		if (term.mode == TERM_256)
			init_pair((short)c, t->fg256, t->bg256);
		else
			init_pair((short)c, t->fg8, t->bg8);
	}
	for (int l = 1; l < TERM_HEAT_LEVELS && term.mode == TERM_256; l++)
		init_pair((short)(PAIR_HEAT + l), l == TERM_HEAT_LEVELS - 1 ? 231 : 16, term_heat256[l]);
	for (int i = 0; i < TERM_CLUSTER_COLORS; i++)
		init_pair((short)(PAIR_CLUSTER + i), term.mode == TERM_256 ? term_cl256[i] : term_cl8[i], -1);
}

/* No XON/XOFF flow control while the browser runs: Ctrl-S is the editor's
 * "save now", not a screen freeze until Ctrl-Q. ncurses records the mode
 * as its program mode and restores the user's own (saved by newterm) at
 * endwin. */
static void term_flow_off(void)
{
	struct termios t;
	if (tcgetattr(STDIN_FILENO, &t) != 0)
		return;
	t.c_iflag &= ~(tcflag_t)(IXON | IXOFF);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
		def_prog_mode();
}

/* After curses gave ERR sooner than the timeout: has the terminal gone
 * (end of file, a hang-up with SIGHUP ignored, a closed descriptor)?
 * curses answers ERR at once then, and the main loop would spin at 100%
 * CPU. A hang-up shows in poll; anything else counts as gone after many
 * immediate ERRs in a row (a live terminal gives none). */
static int term_input_gone(int *fast_errs)
{
	struct pollfd p = {STDIN_FILENO, POLLIN, 0};
	int r = poll(&p, 1, 0);
	if (r < 0)
		return errno != EINTR && errno != EAGAIN;
	if (r > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
		return 1;
	return ++*fast_errs >= 100;
}

int term_init(int no_color, char *err, size_t errlen)
{
	const char *script = getenv("FEATSCOPE_SCRIPT");
	if (script && *script) {
		int cols = 80, lines = 24;
		const char *sz = getenv("FEATSCOPE_SIZE");
		if (sz && *sz && (sscanf(sz, "%dx%d", &cols, &lines) != 2 || cols < 1 || lines < 1 ||
				  cols > 1000 || lines > 1000))
			return fs_seterr(err, errlen, "FEATSCOPE_SIZE: '%s' is not COLSxLINES", sz);
		if (term_load_script(script, err, errlen) < 0)
			return -1;
		char buf[16];
		snprintf(buf, sizeof buf, "%d", lines);
		setenv("LINES", buf, 1);
		snprintf(buf, sizeof buf, "%d", cols);
		setenv("COLUMNS", buf, 1);
		const char *tn = getenv("TERM");
		if (!tn || !*tn || strcmp(tn, "dumb") == 0)
			tn = "xterm-256color";
		term.out = fopen("/dev/null", "w");
		term.in = fopen("/dev/null", "r");
		if (!term.out || !term.in)
			return fs_seterr(err, errlen, "/dev/null: %s", strerror(errno));
		term.scr = newterm(tn, term.out, term.in);
		if (!term.scr)
			return fs_seterr(err, errlen, "TERM=%s: unknown terminal type", tn);
		set_term(term.scr);
		term.headless = 1;
	} else {
		if (!isatty(0) || !isatty(1))
			return fs_seterr(err, errlen, "the browser needs a terminal (stdin and stdout)");
		const char *tn = getenv("TERM");
		term.scr = newterm(tn && *tn ? tn : "xterm", stdout, stdin);
		if (!term.scr)
			return fs_seterr(err, errlen, "TERM=%s: unknown terminal type", tn ? tn : "");
		set_term(term.scr);
		set_escdelay(25);
		mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
		mouseinterval(200);
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	if (!term.headless)
		term_flow_off();
	term_colors_init(no_color);
	return 0;
}

void term_end(void)
{
	if (!term.scr)
		return;
	endwin();
	delscreen(term.scr);
	term.scr = NULL;
	if (term.out)
		fclose(term.out);
	if (term.in)
		fclose(term.in);
	term.out = term.in = NULL;
	term_free_script(); /* a later term_init starts afresh (fuzz-tui runs many) */
	term.headless = 0;
}

int term_getkey(int timeout_ms)
{
	while (term.headless) {
		if (term.pos >= term.nscript)
			return -2;
		term_skey k = term.script[term.pos++];
		if (k.key == TERM_DIR_DUMP) {
			if (term_save_display(k.arg) != 0)
				fs_warn("%s: cannot write the screen dump", k.arg);
			continue;
		}
		if (k.key == TERM_DIR_WAIT || k.key == TERM_DIR_TOUCH) {
			/* only for tests that ask (a fuzzed script must not stall
			 * 30 s or create files) */
			const char *sync = getenv("FEATSCOPE_SCRIPT_SYNC");
			if (!sync || strcmp(sync, "1") != 0)
				continue;
		}
		if (k.key == TERM_DIR_WAIT) {
			for (int i = 0; i < 3000 && access(k.arg, F_OK) != 0; i++) {
				struct timespec ts = {0, 10000000};
				nanosleep(&ts, NULL);
			}
			continue;
		}
		if (k.key == TERM_DIR_TOUCH) {
			int fd = open(k.arg, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			if (fd < 0)
				fs_warn("%s: %s", k.arg, strerror(errno));
			else
				close(fd);
			continue;
		}
		if (k.key == TERM_DIR_RESIZE) {
			int c, l;
			if (sscanf(k.arg, "%dx%d", &c, &l) == 2 && term_resize(c, l) == 0)
				return KM_FKEY(KEY_RESIZE);
			fs_warn("resize %s: want COLSxLINES", k.arg);
			continue;
		}
		if (k.mkind) {
			term.my = k.my;
			term.mx = k.mx;
			term.mkind = k.mkind;
		}
		return k.key;
	}
	if (term.gone)
		return -2; /* like a script's end: the browser closes, notes saved */
	static int fast_errs;
	wtimeout(stdscr, timeout_ms);
	wint_t wc;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = wget_wch(stdscr, &wc);
	if (r == ERR) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if ((timeout_ms < 0 || ms < timeout_ms / 2.0) && term_input_gone(&fast_errs)) {
			term.gone = 1;
			return -2;
		}
		if (timeout_ms >= 0 && ms >= timeout_ms / 2.0)
			fast_errs = 0;
		return -1;
	}
	fast_errs = 0;
	if (r == KEY_CODE_YES) {
		if (wc == KEY_MOUSE) {
			MEVENT ev;
			term.mkind = 0;
			if (getmouse(&ev) == OK) {
				term.my = ev.y;
				term.mx = ev.x;
				if (ev.bstate & BUTTON1_DOUBLE_CLICKED)
					term.mkind = TERM_DOUBLE_CLICK;
				else if (ev.bstate & BUTTON1_CLICKED)
					term.mkind = TERM_CLICK;
				else if (ev.bstate & BUTTON4_PRESSED)
					term.mkind = TERM_WHEEL_UP;
				else if (ev.bstate & BUTTON5_PRESSED)
					term.mkind = TERM_WHEEL_DOWN;
			}
		}
		return KM_FKEY((int)wc);
	}
	if (wc == '\r')
		return '\n';
	return (int)wc;
}

void term_mouse(int *y, int *x, int *kind)
{
	*y = term.my;
	*x = term.mx;
	*kind = term.mkind;
}

void term_set_x(int cls, unsigned long extra)
{
	const term_color *t = &term_colors[cls < 0 || cls >= TC_COUNT ? 0 : cls];
	if (term.mode == TERM_MONO)
		attr_set(t->mono | (attr_t)extra, 0, NULL);
	else
		attr_set(t->attr | (attr_t)extra, (short)cls, NULL);
}

void term_set(int cls) { term_set_x(cls, 0); }

void term_set_heat(int level, unsigned long extra)
{
	if (level < 0)
		level = 0;
	if (level >= TERM_HEAT_LEVELS)
		level = TERM_HEAT_LEVELS - 1;
	if (term.mode == TERM_256)
		attr_set((attr_t)extra, level ? (short)(PAIR_HEAT + level) : 0, NULL);
	else
		attr_set(term_heat_attr[level] | (attr_t)extra, 0, NULL);
}

void term_set_cluster(int64_t cluster)
{
	if (term.mode == TERM_MONO || cluster <= 0)
		attr_set(0, 0, NULL);
	else
		attr_set(0, (short)(PAIR_CLUSTER + cluster % TERM_CLUSTER_COLORS), NULL);
}

int term_resize(int cols, int lines)
{
	if (cols < 1 || lines < 1 || cols > 1000 || lines > 1000)
		return -1;
	return resizeterm(lines, cols) == OK ? 0 : -1;
}

/* The attribute map's letter for one cell. */
static char term_code(attr_t a, short pair)
{
	if (pair > 0 && pair < TC_COUNT)
		return term_colors[pair].code;
	if (pair >= PAIR_HEAT && pair < PAIR_CLUSTER)
		return (char)('0' + (pair - PAIR_HEAT));
	if (pair >= PAIR_CLUSTER && pair < PAIR_CLUSTER + TERM_CLUSTER_COLORS)
		return (char)('a' + (pair - PAIR_CLUSTER));
	if (a & (A_REVERSE | A_STANDOUT))
		return 'R';
	if ((a & A_BOLD) && (a & A_UNDERLINE))
		return '#';
	if (a & A_BOLD)
		return '*';
	if (a & A_UNDERLINE)
		return '_';
	return ' ';
}

int term_save_display(const char *path)
{
	char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f) {
		free(tmp);
		return -1;
	}
	fs_buf attrs = {0};
	for (int y = 0; y < LINES; y++) {
		fs_buf line = {0}, amap = {0};
		size_t keep = 0, akeep = 0;
		for (int x = 0; x < COLS;) {
			cchar_t cc;
			wchar_t wch[CCHARW_MAX + 1] = {0};
			attr_t a = 0;
			short pair = 0;
			int w = 1;
			if (mvin_wch(y, x, &cc) == OK && getcchar(&cc, wch, &a, &pair, NULL) != ERR) {
				int cw = wch[0] ? wcwidth(wch[0]) : 1;
				if (cw == 2)
					w = 2;
			}
			char code = term_code(a, pair);
			for (int i = 0; i < CCHARW_MAX && wch[i]; i++) {
				char u[8];
				buf_add(&line, u, (size_t)utf8_encode((uint32_t)wch[i], u));
			}
			if (!wch[0])
				buf_addc(&line, ' ');
			if (wch[0] && wch[0] != L' ')
				keep = line.len;
			for (int i = 0; i < w; i++)
				buf_addc(&amap, code);
			if (code != ' ')
				akeep = amap.len;
			x += w;
		}
		fprintf(f, "%.*s\n", (int)keep, line.p ? line.p : "");
		buf_add(&attrs, amap.p ? amap.p : "", akeep);
		buf_addc(&attrs, '\n');
		buf_free(&line);
		buf_free(&amap);
	}
	fprintf(f, "--\n%.*s", (int)attrs.len, attrs.p ? attrs.p : "");
	buf_free(&attrs);
	int bad = ferror(f) | fclose(f);
	if (bad || rename(tmp, path) != 0) {
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}
