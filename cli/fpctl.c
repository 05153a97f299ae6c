// SPDX-License-Identifier: GPL-2.0-only
/*
 * fpctl: configure and inspect the fastpath module.
 *
 *	fpctl [OPTIONS] OBJECT [COMMAND [KEYWORD VALUE]...]
 *
 * Global options are parsed with argp up to the first non-option; the rest
 * is the iproute2-style command line, matched exactly and parsed entirely
 * before any netlink socket is opened.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fpctl.h"

#ifndef FPCTL_VERSION
#error "FPCTL_VERSION must be defined (from the top-level VERSION file)"
#endif

bool opt_json;
bool opt_pretty;
int opt_stats;

/* An object: either a table of commands or a single handler. */
struct fp_obj {
	const char *name;
	const struct fp_cmd *cmds;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct fp_obj objs[] = {
	{ "enable", NULL, do_enable, enable_help },
	{ "disable", NULL, do_disable, disable_help },
	{ "dev", dev_cmds, NULL, NULL },
	{ "rule", rule_cmds, NULL, NULL },
	{ "flow", flow_cmds, NULL, NULL },
	{ "stats", NULL, do_stats, stats_help },
	{ "config", config_cmds, NULL, NULL },
	{ "monitor", NULL, do_monitor, monitor_help },
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

	fputs("Usage: fpctl [OPTIONS] OBJECT [COMMAND [ARGUMENTS]]\n"
	      "       fpctl help\n"
	      "       fpctl OBJECT help\n", f);
	for (o = objs; o->name; o++)
		obj_help(o, f, "       ");
	fputs("OBJECT := { enable | disable | dev | rule | flow | stats | config | monitor }\n"
	      "OPTIONS := { -j[son] | -p[retty] | -s[tats] | -n[etns] NETNS |\n"
	      "             -V[ersion] | -h[elp] }\n", f);
}

/* "show" is the default command, as in iproute2. */
int run_cmd(const char *obj, const struct fp_cmd *cmds, int argc, char **argv)
{
	const char *name = argc ? argv[0] : "show";
	const struct fp_cmd *c;

	for (c = cmds; c->name; c++)
		if (!strcmp(name, c->name))
			return c->fn(argc ? argc - 1 : 0, argv + !!argc);
	return usage_err("unknown command \"%s\" for \"%s\", try \"fpctl %s help\"",
			 name, obj, obj);
}

static int dispatch(int argc, char **argv)
{
	const struct fp_obj *o;

	if (!strcmp(argv[0], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (o = objs; o->name; o++)
		if (!strcmp(argv[0], o->name))
			break;
	if (!o->name)
		return usage_err("unknown object \"%s\", try \"fpctl help\"",
				 argv[0]);
	argc--;
	argv++;
	if (argc == 1 && !strcmp(argv[0], "help")) {
		obj_help(o, stdout, "Usage: ");
		return EXIT_OK;
	}
	return o->cmds ? run_cmd(o->name, o->cmds, argc, argv)
		       : o->fn(argc, argv);
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

struct globals {
	const char *netns;
	bool version;
	bool help;
	int first;		/* argv index of OBJECT, 0 if none */
};

static const struct argp_option options[] = {
	{ "json", 'j', NULL, 0, "JSON output", 0 },
	{ "pretty", 'p', NULL, 0, "indented JSON output", 0 },
	{ "stats", 's', NULL, 0, "more statistics (repeatable)", 0 },
	{ "netns", 'n', "NETNS", 0, "run in network namespace NETNS", 0 },
	{ "version", 'V', NULL, 0, "print fpctl's and the module's version", 0 },
	{ "help", 'h', NULL, 0, "print help", 0 },
	{ NULL }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct globals *g = state->input;
	const char *bad;

	switch (key) {
	case 'j':
		opt_json = true;
		break;
	case 'p':
		opt_pretty = true;
		break;
	case 's':
		opt_stats++;
		break;
	case 'n':
		g->netns = arg;
		break;
	case 'V':
		g->version = true;
		break;
	case 'h':
		g->help = true;
		break;
	case ARGP_KEY_ARG:
		/* Options end at OBJECT: the rest belongs to the command. */
		g->first = state->next - 1;
		state->next = state->argc;
		break;
	case ARGP_KEY_ERROR:
		bad = state->argv[state->next - 1];
		if (!strcmp(bad, "-n") || !strcmp(bad, "--netns"))
			usage_err("missing value for \"%s\"", bad);
		else
			usage_err("unknown option \"%s\", try \"fpctl help\"", bad);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = options, .parser = parse_opt };
	struct globals g = { 0 };
	int ret;

	if (argp_parse(&argp, argc, argv,
		       ARGP_IN_ORDER | ARGP_NO_ERRS | ARGP_NO_HELP, NULL, &g))
		return EXIT_USAGE;
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
	else if (!g.first) {
		usage(stderr);
		ret = EXIT_USAGE;
	} else {
		ret = dispatch(argc - g.first, argv + g.first);
	}
	fp_close();
	return ret;
}
