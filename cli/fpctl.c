// SPDX-License-Identifier: GPL-2.0-only
/*
 * fpctl: configure and inspect the fastpath module.
 *
 *	fpctl [OPTIONS] OBJECT [COMMAND [KEYWORD VALUE]...]
 *	fpctl [OPTIONS] -batch FILE
 *
 * The command line is ip's: single-dash long options matched by prefix in
 * a fixed order (so "-t" is -timestamp and "-ts" -tshort), then objects,
 * commands and keywords that may be abbreviated to any unique prefix.
 * Each command line is parsed entirely before any netlink socket opens.
 *
 * The options are parsed here rather than with argp: argp (getopt) reads
 * "-json" as the short options -j -s -o -n, and even with ARGP_LONG_ONLY
 * it resolves prefixes by ambiguity rather than by ip's order, accepts
 * bundles such as "-jp" that ip rejects, and cannot name the word it
 * failed on.  What argp would add, --help and --version, are two entries
 * of the table below; the usage text is generated from the command tables.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fpctl.h"

#ifndef FPCTL_VERSION
#error "FPCTL_VERSION must be defined (from the top-level VERSION file)"
#endif

bool opt_json;
bool opt_pretty;
bool opt_oneline;
int opt_stats;
int opt_timestamp;

/* An object: either a table of commands or a single handler. */
struct fp_obj {
	const char *name;
	const struct fp_cmd *cmds;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static int do_help(int argc, char **argv);

static const struct fp_obj objs[] = {
	{ "help", NULL, do_help, "[ OBJECT [ COMMAND ] ]" },
	{ "enable", NULL, do_enable, enable_help },
	{ "disable", NULL, do_disable, disable_help },
	{ "dev", dev_cmds, NULL, NULL },
	{ "rule", rule_cmds, NULL, NULL },
	{ "flow", flow_cmds, NULL, NULL },
	{ "stats", NULL, do_stats, stats_help },
	{ "config", config_cmds, NULL, NULL },
	{ "monitor", NULL, do_monitor, monitor_help },
	{ "save", NULL, do_save, save_help },
	{ NULL }
};

/* One usage line; help text continues on lines aligned after the command. */
static void help_line(FILE *f, const char *lead, const char *obj,
		      const char *cmd, const char *help)
{
	int indent = fprintf(f, "%sfpctl %s%s%s", lead, obj, *cmd ? " " : "", cmd);
	const char *end;

	if (!*help) {
		fputc('\n', f);
		return;
	}
	for (;;) {
		end = strchrnul(help, '\n');
		fprintf(f, " %.*s\n", (int)(end - help), help);
		if (!*end)
			return;
		help = end + 1;
		fprintf(f, "%*s", indent, "");
	}
}

static void obj_help(const struct fp_obj *o, FILE *f, const char *lead)
{
	const struct fp_cmd *c;

	if (!o->cmds) {
		help_line(f, lead, o->name, "", o->help);
		return;
	}
	for (c = o->cmds; c->name; c++, lead = "       ")
		help_line(f, lead, o->name, c->name, c->help);
}

static void usage(FILE *f)
{
	const struct fp_obj *o;

	fputs("Usage: fpctl [ OPTIONS ] OBJECT [ COMMAND [ ARGUMENTS ] ]\n"
	      "       fpctl [ OPTIONS ] -batch FILE\n"
	      "       fpctl OBJECT [ COMMAND ] help\n", f);
	for (o = objs; o->name; o++)
		obj_help(o, f, "       ");
	fputs("OBJECT := {", f);
	for (o = objs + 1; o->name; o++)
		fprintf(f, " %s%s", o->name, o[1].name ? " |" : " }\n");
	fputs("OPTIONS := { -j[son] | -p[retty] | -s[tats] | -n[etns] NETNS |\n"
	      "             -b[atch] FILE | -f[orce] | -o[neline] | -t[imestamp] |\n"
	      "             -ts[hort] | -V[ersion] | -h[elp] }\n", f);
}

static const struct fp_cmd *find_cmd(const struct fp_obj *o, const char *word)
{
	char ctx[32], hint[48];
	int i;

	snprintf(ctx, sizeof(ctx), " for \"%s\"", o->name);
	snprintf(hint, sizeof(hint), ", try \"fpctl %s help\"", o->name);
	i = name_find(word, o->cmds, sizeof(*o->cmds), "command", ctx, hint);
	return i < 0 ? NULL : &o->cmds[i];
}

static const struct fp_obj *find_obj(const char *word)
{
	int i = name_find(word, objs, sizeof(*objs), "object", "",
			  ", try \"fpctl help\"");

	return i < 0 ? NULL : &objs[i];
}

/* The usage of an object, or of one of its commands (argv[0]). */
static int help_for(const struct fp_obj *o, int argc, char **argv)
{
	const struct fp_cmd *c;

	if (!argc) {
		obj_help(o, stdout, "Usage: ");
		return EXIT_OK;
	}
	if (!o->cmds || argc > 1)
		return usage_err("unknown keyword \"%s\" for \"help\"",
				 argv[!!o->cmds]);
	c = find_cmd(o, argv[0]);
	if (!c)
		return EXIT_USAGE;
	help_line(stdout, "Usage: ", o->name, c->name, c->help);
	return EXIT_OK;
}

/* fpctl help [OBJECT [COMMAND]] */
static int do_help(int argc, char **argv)
{
	const struct fp_obj *o;

	if (!argc) {
		usage(stdout);
		return EXIT_OK;
	}
	o = find_obj(argv[0]);
	return o ? help_for(o, argc - 1, argv + 1) : EXIT_USAGE;
}

static bool is_help(int argc, char **argv)
{
	return argc && !strcmp(argv[0], "help");
}

/* Run one command line, OBJECT first; "show" is the default command. */
static int dispatch(int argc, char **argv)
{
	const struct fp_obj *o = find_obj(argv[0]);
	const struct fp_cmd *c;

	if (!o)
		return EXIT_USAGE;
	argc--;
	argv++;
	if (is_help(argc, argv))
		return help_for(o, 0, NULL);
	if (!o->cmds)
		return o->fn(argc, argv);
	c = argc ? find_cmd(o, argv[0]) : o->cmds;
	if (!c)
		return EXIT_USAGE;
	if (argc)
		argc--, argv++;
	if (is_help(argc, argv)) {
		help_line(stdout, "Usage: ", o->name, c->name, c->help);
		return EXIT_OK;
	}
	return c->fn(argc, argv);
}

/*
 * -batch: one command line per line of @name ("-": standard input), words
 * separated by blanks, "#" starting a comment.  A failed command is
 * followed by "Command failed FILE:LINE", as ip does, and ends the batch
 * unless -force.  The status of the first failure, or 0.
 */
static int batch(const char *name, bool force)
{
	FILE *f = strcmp(name, "-") ? fopen(name, "r") : stdin;
	unsigned int lineno = 0;
	char *line = NULL, **argv = NULL, *w, *save;
	size_t cap = 0;
	ssize_t len;
	int ret = EXIT_OK, err, argc;

	if (!f) {
		fp_err("cannot open \"%s\": %s", name, strerror(errno));
		return EXIT_FAIL;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		/* At most one word for every two characters. */
		free(argv);
		argv = malloc((len / 2 + 2) * sizeof(*argv));
		if (!argv) {
			fp_err("%s", strerror(ENOMEM));
			ret = EXIT_FAIL;
			break;
		}
		argc = 0;
		for (w = strtok_r(line, " \t\r\n", &save); w && *w != '#';
		     w = strtok_r(NULL, " \t\r\n", &save))
			argv[argc++] = w;
		if (!argc)
			continue;
		err = dispatch(argc, argv);
		if (!err)
			continue;
		fflush(stdout);
		fprintf(stderr, "Command failed %s:%u\n", name, lineno);
		if (!ret)
			ret = err;
		if (!force)
			break;
	}
	if (ferror(f)) {
		fp_err("cannot read \"%s\": %s", name, strerror(errno));
		ret = ret ?: EXIT_FAIL;
	}
	free(argv);
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

/* Without the module, -V still succeeds: it says the module is absent. */
static int version(void)
{
	const char *mod = NULL;
	int err;

	err = fp_open(true);
	if (!err)
		mod = fp_version();
	printf("fpctl %s, module %s\n", FPCTL_VERSION,
	       err == -ENOENT ? "not loaded" : mod ?: "unknown");
	return mod || err == -ENOENT ? EXIT_OK : EXIT_FAIL;
}

/* Like "ip -n": run in /run/netns/NAME, before names are resolved. */
static int enter_netns(const char *name)
{
	char path[256];
	int fd;

	if (!*name || strchr(name, '/') ||
	    snprintf(path, sizeof(path), "/run/netns/%s", name) >= (int)sizeof(path))
		return usage_err("invalid network namespace name \"%s\"", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fp_err("cannot open network namespace \"%s\": %s", name,
		       strerror(errno));
		return EXIT_FAIL;
	}
	if (setns(fd, CLONE_NEWNET)) {
		fp_err("cannot enter network namespace \"%s\": %s", name,
		       strerror(errno));
		close(fd);
		return EXIT_FAIL;
	}
	close(fd);
	return EXIT_OK;
}

enum opt {
	O_JSON, O_PRETTY, O_STATS, O_NETNS, O_VERSION, O_BATCH, O_FORCE,
	O_ONELINE, O_TIMESTAMP, O_TSHORT, O_HELP, O_GNU_VERSION
};

/*
 * In ip's order: a word is the first option it is a prefix of.  "--X" is
 * read as "-X" (and "--X=VALUE" as "-X VALUE"), so that the GNU spellings
 * fpctl always accepted keep working; --version, one of them, is not
 * abbreviated.
 */
static const struct {
	const char *name;
	bool value;
	bool whole;		/* no abbreviation */
} options[] = {
	[O_JSON] = { "-json" },
	[O_PRETTY] = { "-pretty" },
	[O_STATS] = { "-stats" },
	[O_NETNS] = { "-netns", true },
	[O_VERSION] = { "-Version" },
	[O_BATCH] = { "-batch", true },
	[O_FORCE] = { "-force" },
	[O_ONELINE] = { "-oneline" },
	[O_TIMESTAMP] = { "-timestamp" },
	[O_TSHORT] = { "-tshort" },
	[O_HELP] = { "-help" },
	[O_GNU_VERSION] = { "-version", false, true },
};

struct globals {
	const char *netns;
	const char *batch;
	bool force;
	bool version;
	bool help;
};

/* The option @argv[0] (and its value): the number of words it took, or -1. */
static int parse_option(int argc, char **argv, struct globals *g)
{
	const char *word = argv[0], *opt = word, *value = NULL;
	size_t len, i;
	int words = 1;

	if (opt[1] == '-') {
		opt++;
		value = strchr(opt, '=');
	}
	len = value ? (size_t)(value - opt) : strlen(opt);
	for (i = 0; len >= 2 && i < ARRAY_SIZE(options); i++)
		if ((options[i].whole ? len == strlen(options[i].name) :
					len <= strlen(options[i].name)) &&
		    !strncmp(options[i].name, opt, len))
			break;
	if (len < 2 || i == ARRAY_SIZE(options)) {
		usage_err("unknown option \"%s\", try \"fpctl help\"", word);
		return -1;
	}
	if (value && !options[i].value) {
		usage_err("option \"%.*s\" takes no value", (int)(value - word), word);
		return -1;
	}
	if (value) {
		value++;
	} else if (options[i].value) {
		if (argc < 2) {
			usage_err("missing value for \"%s\"", word);
			return -1;
		}
		value = argv[words++];
	}

	switch (i) {
	case O_JSON:
		opt_json = true;
		break;
	case O_PRETTY:
		opt_pretty = true;
		break;
	case O_STATS:
		opt_stats++;
		break;
	case O_NETNS:
		g->netns = value;
		break;
	case O_VERSION:
	case O_GNU_VERSION:
		g->version = true;
		break;
	case O_BATCH:
		g->batch = value;
		break;
	case O_FORCE:
		g->force = true;
		break;
	case O_ONELINE:
		opt_oneline = true;
		break;
	case O_TIMESTAMP:
		opt_timestamp = opt_timestamp ?: TS_LONG;
		break;
	case O_TSHORT:
		opt_timestamp = TS_SHORT;
		break;
	case O_HELP:
		g->help = true;
		break;
	}
	return words;
}

int main(int argc, char **argv)
{
	struct globals g = { 0 };
	int i = 1, n, ret;

	while (i < argc && argv[i][0] == '-' && argv[i][1]) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		n = parse_option(argc - i, argv + i, &g);
		if (n < 0)
			return EXIT_USAGE;
		i += n;
	}
	if (g.help) {
		usage(stdout);
		return EXIT_OK;
	}
	if (g.netns) {
		ret = enter_netns(g.netns);
		if (ret)
			return ret;
	}
	if (g.version)
		ret = version();
	else if (g.batch && i < argc)
		ret = usage_err("unexpected \"%s\" after \"-batch %s\"", argv[i],
				g.batch);
	else if (g.batch)
		ret = batch(g.batch, g.force);
	else if (i == argc) {
		usage(stderr);
		ret = EXIT_USAGE;
	} else {
		ret = dispatch(argc - i, argv + i);
	}
	fp_close();
	return ret;
}
