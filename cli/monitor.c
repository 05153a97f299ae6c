// SPDX-License-Identifier: GPL-2.0-only
/*
 * fpctl monitor [flow] [counters [interval MS]]: stream flow events.
 *
 * The kernel sends a flow's counters every stats-interval (a setting of
 * the namespace, shared by every listener).  "interval MS" never changes
 * it: the monitor keeps the latest counters of each flow and prints them
 * every MS, which is why MS may not be below stats-interval.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <linux/fastpath.h>

#include "fpctl.h"

const char monitor_help[] = "[ flow ] [ counters [ interval MS ] ]";

enum { M_FLOW, M_COUNTERS, M_INTERVAL };

static const char *const monitor_keys[] = { "flow", "counters", "interval", NULL };

struct monitor {
	bool flow;		/* new and del events */
	bool counters;		/* stats events */
	uint64_t interval;	/* ms between printed counters, 0: as they come */
	void *held;		/* tsearch tree of struct held, by flow id */
};

/* The latest counters of a flow, its attributes as the kernel sent them. */
struct held {
	uint32_t id;
	size_t len;
	char attrs[];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * With -timestamp, ip's "Timestamp: ..." line before each event; with
 * -tshort, "[ISO 8601] " before it on its line; in JSON, a "timestamp"
 * member in ISO 8601 (RFC 3339) with the UTC offset.
 */
static void print_timestamp(void)
{
	char date[32], iso[64], zone[8];
	struct timeval tv;
	struct tm tm;

	if (!opt_timestamp)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(iso, sizeof(iso), "%s.%06ld%.3s:%s", date, (long)tv.tv_usec,
		 zone, zone + 3);
	pr_str(PR_JSON, "timestamp", NULL, iso);
	if (opt_timestamp == TS_SHORT) {
		pr_text("[%s.%06ld] ", date, (long)tv.tv_usec);
	} else {
		strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
		pr_text("Timestamp: %s %ld usec\n", date, (long)tv.tv_usec);
	}
}

static void print_event(uint8_t cmd, struct nlattr **tb)
{
	static const char *const events[] = {
		[FASTPATH_CMD_FLOW_NEW_NTF] = "new",
		[FASTPATH_CMD_FLOW_DEL_NTF] = "del",
		[FASTPATH_CMD_FLOW_STATS_NTF] = "stats",
	};
	uint32_t reason;

	pr_open_object(NULL);
	print_timestamp();
	pr_str(PR_ANY, "event", "%s ", events[cmd]);
	print_flow(tb, FLOW_ONELINE);
	if (cmd == FASTPATH_CMD_FLOW_DEL_NTF) {
		reason = attr_u32(tb[FASTPATH_A_FLOW_REASON]);
		pr_str(PR_ANY, "reason", " reason %s",
		       enum_name(fp_del_reason_names, fp_del_reason_count, reason));
	}
	pr_text("\n");
	pr_close_object();
}

static int held_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct held *)a)->id, y = ((const struct held *)b)->id;

	return x < y ? -1 : x > y;
}

/* Keep the counters of @tb, replacing those held for the same flow. */
static int hold(struct monitor *m, struct nlattr **tb)
{
	struct held *h, **slot;
	size_t len = 0;
	int i;

	for (i = 1; i <= FASTPATH_A_FLOW_MAX; i++)
		if (tb[i])
			len += NLA_ALIGN(tb[i]->nla_len);
	h = malloc(sizeof(*h) + len);
	if (!h) {
		fp_err("%s", strerror(ENOMEM));
		return -1;
	}
	h->id = attr_u32(tb[FASTPATH_A_FLOW_ID]);
	h->len = 0;
	for (i = 1; i <= FASTPATH_A_FLOW_MAX; i++) {
		if (!tb[i])
			continue;
		memcpy(h->attrs + h->len, tb[i], NLA_ALIGN(tb[i]->nla_len));
		h->len += NLA_ALIGN(tb[i]->nla_len);
	}
	slot = tsearch(h, &m->held, held_cmp);
	if (!slot) {
		free(h);
		fp_err("%s", strerror(ENOMEM));
		return -1;
	}
	if (*slot != h) {
		free(*slot);
		*slot = h;
	}
	return 0;
}

static void print_held(const void *node, VISIT which, int depth)
{
	const struct held *h = *(struct held *const *)node;
	struct nlattr *tb[FASTPATH_A_FLOW_MAX + 1];

	(void)depth;
	if (which != postorder && which != leaf)
		return;
	if (nla_parse(tb, FASTPATH_A_FLOW_MAX, (struct nlattr *)h->attrs,
		      h->len, NULL) >= 0)
		print_event(FASTPATH_CMD_FLOW_STATS_NTF, tb);
}

/* Every MS: the flows whose counters the kernel sent since last time. */
static void flush_held(struct monitor *m)
{
	twalk(m->held, print_held);
	tdestroy(m->held, free);
	m->held = NULL;
}

static int event_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct monitor *m = arg;

	switch (cmd) {
	case FASTPATH_CMD_FLOW_NEW_NTF:
	case FASTPATH_CMD_FLOW_DEL_NTF:
		if (m->flow)
			print_event(cmd, tb);
		return 0;
	case FASTPATH_CMD_FLOW_STATS_NTF:
		if (!m->counters)
			return 0;
		if (m->interval)
			return hold(m, tb);
		print_event(cmd, tb);
		return 0;
	default:
		return 0;	/* a newer module's event */
	}
}

static int parse(int argc, char **argv, struct monitor *m)
{
	const struct fp_range *r = &fp_config_ranges[FASTPATH_A_CONFIG_STATS_INTERVAL - 1];
	int k;

	for (; argc; argc--, argv++) {
		k = name_find(*argv, monitor_keys, sizeof(*monitor_keys),
			      "keyword", " for \"monitor\"", "");
		if (k < 0)
			return EXIT_USAGE;
		if (k == M_FLOW) {
			m->flow = true;
		} else if (k == M_COUNTERS) {
			m->counters = true;
		} else {
			if (!m->counters || m->interval)
				return usage_err("\"interval\" must follow \"counters\" once");
			if (argc < 2)
				return usage_err("missing value for \"interval\"");
			argc--;
			argv++;
			if (parse_uint("interval", *argv, r->min, r->max, &m->interval))
				return EXIT_USAGE;
		}
	}
	if (!m->flow && !m->counters)
		m->flow = m->counters = true;
	return EXIT_OK;
}

/* The interval can only gather the kernel's notifications, not add any. */
static int check_interval(const struct monitor *m)
{
	uint32_t cfg[FASTPATH_A_CONFIG_MAX], kernel;

	if (!m->interval)
		return EXIT_OK;
	if (config_get(cfg))
		return EXIT_FAIL;
	kernel = cfg[FASTPATH_A_CONFIG_STATS_INTERVAL - 1];
	if (m->interval < kernel)
		return usage_err("interval %" PRIu64 ": below the kernel's stats-interval %" PRIu32
				 " (\"fpctl config set stats-interval %" PRIu64 "\" lowers it)",
				 m->interval, kernel, m->interval);
	return EXIT_OK;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs until SIGINT or SIGTERM, which end it successfully. */
int do_monitor(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct monitor m = { 0 };
	struct timespec wait, *timeout = NULL;
	int64_t next = 0, left;
	sigset_t block, orig;
	struct pollfd pfd;
	int err, n;

	err = parse(argc, argv, &m);
	if (err)
		return err;
	if (fp_open(false))
		return EXIT_FAIL;
	err = check_interval(&m);
	if (err)
		return err;
	if (fp_open_monitor(&pfd.fd))
		return EXIT_FAIL;
	pfd.events = POLLIN;
	if (m.interval) {
		next = now_ms() + m.interval;
		timeout = &wait;
	}

	/* Signals are only delivered inside ppoll(): no lost wakeup. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		if (timeout) {
			left = next - now_ms();
			if (left <= 0) {
				flush_held(&m);
				next += m.interval * (1 - left / (int64_t)m.interval);
				continue;
			}
			wait.tv_sec = left / 1000;
			wait.tv_nsec = left % 1000 * 1000000;
		}
		n = ppoll(&pfd, 1, timeout, &orig);
		if (n < 0 && errno != EINTR) {
			fp_err("poll: %s", strerror(errno));
			err = EXIT_FAIL;
			break;
		}
		if (n > 0 && fp_recv_events(FASTPATH_A_FLOW_MAX, event_cb, &m)) {
			err = EXIT_FAIL;
			break;
		}
	}
	tdestroy(m.held, free);
	/* In a batch, the next command needs a socket without the group. */
	fp_close();
	return err;
}
