// SPDX-License-Identifier: GPL-2.0-only
/* fpctl monitor [flow] [counters [interval MS]]: stream flow events. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/fastpath.h>

#include "fpctl.h"

const char monitor_help[] = "[ flow ] [ counters [ interval MS ] ]";

static const char *const reason_names[] = {
	[FASTPATH_DEL_REASON_TCP_CLOSE] = "tcp-close",
	[FASTPATH_DEL_REASON_IDLE] = "idle",
	[FASTPATH_DEL_REASON_CONNTRACK] = "conntrack",
	[FASTPATH_DEL_REASON_ROUTE] = "route",
	[FASTPATH_DEL_REASON_NEIGH] = "neigh",
	[FASTPATH_DEL_REASON_MTU] = "mtu",
	[FASTPATH_DEL_REASON_DEV] = "dev",
	[FASTPATH_DEL_REASON_FLUSH] = "flush",
	[FASTPATH_DEL_REASON_RULE] = "rule",
	[FASTPATH_DEL_REASON_SHUTDOWN] = "shutdown",
};

struct monitor {
	bool flow;		/* new and del events */
	bool counters;		/* stats events */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int event_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct monitor *m = arg;
	uint32_t reason;
	const char *event;

	switch (cmd) {
	case FASTPATH_CMD_FLOW_NEW_NTF:
		event = m->flow ? "new" : NULL;
		break;
	case FASTPATH_CMD_FLOW_DEL_NTF:
		event = m->flow ? "del" : NULL;
		break;
	case FASTPATH_CMD_FLOW_STATS_NTF:
		event = m->counters ? "stats" : NULL;
		break;
	default:
		event = NULL;	/* a newer module's event */
	}
	if (!event)
		return 0;

	pr_open_object(NULL);
	pr_str(PR_ANY, "event", "%s ", event);
	print_flow(tb, true);
	if (cmd == FASTPATH_CMD_FLOW_DEL_NTF) {
		reason = attr_u32(tb[FASTPATH_A_FLOW_REASON]);
		pr_str(PR_ANY, "reason", " reason %s",
		       enum_name(reason_names, ARRAY_SIZE(reason_names), reason));
	}
	pr_text("\n");
	pr_close_object();
	return 0;
}

static int parse(int argc, char **argv, struct monitor *m, uint64_t *interval)
{
	*interval = 0;
	for (; argc; argc--, argv++) {
		if (!strcmp(*argv, "flow")) {
			m->flow = true;
		} else if (!strcmp(*argv, "counters")) {
			m->counters = true;
		} else if (!strcmp(*argv, "interval")) {
			if (!m->counters || *interval)
				return usage_err("\"interval\" must follow \"counters\" once");
			if (argc < 2)
				return usage_err("missing value for \"interval\"");
			argc--;
			argv++;
			if (parse_uint("interval", *argv, 100, UINT32_MAX, interval))
				return EXIT_USAGE;
		} else {
			return usage_err("unknown keyword \"%s\" for \"monitor\"",
					 *argv);
		}
	}
	if (!m->flow && !m->counters)
		m->flow = m->counters = true;
	return EXIT_OK;
}

/* Runs until SIGINT or SIGTERM, which end it successfully. */
int do_monitor(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct monitor m = { 0 };
	uint32_t vals[FASTPATH_A_CONFIG_MAX];
	sigset_t block, orig;
	struct pollfd pfd;
	uint64_t interval;
	int err;

	err = parse(argc, argv, &m, &interval);
	if (err)
		return err;
	if (fp_open(false))
		return EXIT_FAIL;
	if (interval) {
		vals[FASTPATH_A_CONFIG_STATS_INTERVAL - 1] = interval;
		if (config_set(1u << (FASTPATH_A_CONFIG_STATS_INTERVAL - 1), vals))
			return EXIT_FAIL;
	}
	if (fp_open_monitor(&pfd.fd))
		return EXIT_FAIL;
	pfd.events = POLLIN;

	/* Signals are only delivered inside ppoll(): no lost wakeup. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			fp_err("poll: %s", strerror(errno));
			return EXIT_FAIL;
		}
		if (fp_recv_events(FASTPATH_A_FLOW_MAX, event_cb, &m))
			return EXIT_FAIL;
	}
	return EXIT_OK;
}
