/*
 * keymap.c: the browser's one table of actions and keys (see keymap.h):
 * lookup by key and scope, by long name, the key notation parser shared
 * with the headless script reader, and the man page writer.
 */
#include "tui/keymap.h"
#include "core/util.h"

#include <curses.h>
#include <string.h>

/* One action as declared in KEYMAP_ACTIONS. */
typedef struct {
	const char *name;  /* long name for ':' and the help */
	const char *scope; /* "global" or a view name */
	const char *keys;  /* default keys, space-separated notation */
	const char *help;  /* one line */
} km_entry;

static const km_entry km_table[ACT_COUNT] = {
	[ACT_NONE] = {"", "", "", ""},
#define KM_ROW(id, name, scope, keys, help) [ACT_##id] = {name, scope, keys, help},
	KEYMAP_ACTIONS(KM_ROW)
#undef KM_ROW
};

/* Named keys of the notation. */
static const struct {
	const char *name; /* inside <...> */
	int key;          /* key code */
} km_names[] = {
	{"Up", KM_FKEY(KEY_UP)}, {"Down", KM_FKEY(KEY_DOWN)},
	{"Left", KM_FKEY(KEY_LEFT)}, {"Right", KM_FKEY(KEY_RIGHT)},
	{"PgUp", KM_FKEY(KEY_PPAGE)}, {"PgDn", KM_FKEY(KEY_NPAGE)},
	{"Home", KM_FKEY(KEY_HOME)}, {"End", KM_FKEY(KEY_END)},
	{"Enter", '\n'}, {"Esc", KM_ESC}, {"Tab", '\t'}, {"Space", ' '},
	{"BS", KM_FKEY(KEY_BACKSPACE)}, {"Del", KM_FKEY(KEY_DC)},
	{"BTab", KM_FKEY(KEY_BTAB)}, {"Resize", KM_FKEY(KEY_RESIZE)},
	{"lt", '<'}, {"Colon", ':'},
};

/* Other codes that mean the same as a table key. */
static int km_canon(int key)
{
	switch (key) {
	case '\r':
	case KM_FKEY(KEY_ENTER):
		return '\n';
	case 127:
	case 8:
		return KM_FKEY(KEY_BACKSPACE);
	default:
		return key;
	}
}

int keymap_parse_key(const char *s, int *used)
{
	if (!*s)
		return -1;
	if (s[0] == '<') {
		const char *e = strchr(s, '>');
		if (e && e > s + 1) {
			size_t n = (size_t)(e - s - 1);
			*used = (int)(e - s + 1);
			if (n == 3 && s[1] == 'C' && s[2] == '-') {
				int c = (unsigned char)s[3];
				if (c >= 'a' && c <= 'z')
					return c - 'a' + 1;
				if (c >= '@' && c <= '_')
					return c - '@';
				return -1;
			}
			if (n >= 2 && n <= 3 && s[1] == 'F' && s[2] >= '0' && s[2] <= '9') {
				int k = s[2] - '0';
				if (n == 3) {
					if (s[3] < '0' || s[3] > '9')
						return -1;
					k = k * 10 + (s[3] - '0');
				}
				return k >= 1 && k <= 12 ? KM_FKEY(KEY_F(k)) : -1;
			}
			for (size_t i = 0; i < sizeof km_names / sizeof km_names[0]; i++)
				if (strlen(km_names[i].name) == n && memcmp(km_names[i].name, s + 1, n) == 0)
					return km_names[i].key;
			return -1;
		}
	}
	int l = utf8_len((const unsigned char *)s, strlen(s));
	if (l == 0)
		return -1;
	*used = l;
	return (int)utf8_decode((const unsigned char *)s, l);
}

const char *keymap_key_name(int key, char *out, size_t outlen)
{
	for (size_t i = 0; i < sizeof km_names / sizeof km_names[0]; i++)
		if (km_names[i].key == key && key != '<' && key != ':') {
			snprintf(out, outlen, "<%s>", km_names[i].name);
			return out;
		}
	if (key >= 1 && key < 32)
		snprintf(out, outlen, "<C-%c>", key + 'a' - 1);
	else if (key >= KM_FKEY(KEY_F(1)) && key <= KM_FKEY(KEY_F(12)))
		snprintf(out, outlen, "<F%d>", key - KM_FKEY(KEY_F0));
	else if (key > 0 && key < 0x110000) {
		char u[8];
		int n = utf8_encode((uint32_t)key, u);
		snprintf(out, outlen, "%.*s", n, u);
	} else
		snprintf(out, outlen, "<0x%x>", (unsigned)key);
	return out;
}

/* True when the table's key list keys holds key. */
static int km_has_key(const char *keys, int key)
{
	const char *p = keys;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		int used = 0, k = keymap_parse_key(p, &used);
		if (k < 0)
			return 0;
		if (k == key)
			return 1;
		p += used;
	}
	return 0;
}

int keymap_lookup(const char *scope, int key)
{
	key = km_canon(key);
	for (int pass = 0; pass < 2; pass++) {
		const char *want = pass == 0 ? scope : "global";
		if (!want)
			continue;
		for (int a = 1; a < ACT_COUNT; a++)
			if (strcmp(km_table[a].scope, want) == 0 && km_has_key(km_table[a].keys, key))
				return a;
	}
	return ACT_NONE;
}

int keymap_by_name(const char *name)
{
	for (int a = 1; a < ACT_COUNT; a++)
		if (strcmp(km_table[a].name, name) == 0)
			return a;
	return ACT_NONE;
}

const char *keymap_name(int act) { return act > 0 && act < ACT_COUNT ? km_table[act].name : ""; }
const char *keymap_scope(int act) { return act > 0 && act < ACT_COUNT ? km_table[act].scope : ""; }
const char *keymap_keys(int act) { return act > 0 && act < ACT_COUNT ? km_table[act].keys : ""; }
const char *keymap_help(int act) { return act > 0 && act < ACT_COUNT ? km_table[act].help : ""; }

/* roff-escape s: backslashes, and a leading dot or quote. */
static void km_roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

void keymap_write_man(FILE *f)
{
	static const char *scopes[] = {"global", "list", "feature", "neighbours", "regex", "map", "note",
				       "compare"};
	static const char *titles[] = {"Everywhere", "Feature list", "Feature page", "Neighbours",
				       "Regex", "Map", "Note editor", "Compare"};
	fputs(".\\\" Generated by featscope --keymap-man from src/tui/keymap.h; do not edit.\n", f);
	for (size_t s = 0; s < sizeof scopes / sizeof scopes[0]; s++) {
		fprintf(f, ".SS %s\n", titles[s]);
		for (int a = 1; a < ACT_COUNT; a++) {
			if (strcmp(km_table[a].scope, scopes[s]) != 0)
				continue;
			fputs(".TP\n.B ", f);
			km_roff(f, km_table[a].keys);
			fputs("\n", f);
			km_roff(f, km_table[a].help);
			fputs(" (\\fI", f);
			km_roff(f, km_table[a].name);
			fputs("\\fP)\n", f);
		}
	}
}
