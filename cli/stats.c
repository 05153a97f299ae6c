// SPDX-License-Identifier: GPL-2.0-only
/*
 * fpctl stats [prometheus]: the namespace's global counters, every
 * exception reason and, for Prometheus, the enabled devices' counters.
 */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fastpath.h>

#include "fpctl.h"

const char stats_help[] = "[ prometheus ]";

static int stats_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct nlattr *exc[FASTPATH_A_EXCEPTIONS_MAX + 1];
	char key[32];
	int i;

	(void)cmd;
	(void)arg;
	pr_open_object(NULL);
	pr_u64(PR_ANY, "fast_packets", "fast %" PRIu64 " pkts",
	       attr_u64(tb[FASTPATH_A_STATS_FAST_PACKETS]));
	pr_u64(PR_ANY, "fast_bytes", " %" PRIu64 " bytes",
	       attr_u64(tb[FASTPATH_A_STATS_FAST_BYTES]));
	pr_u64(PR_ANY, "slow_packets", " slow %" PRIu64 " pkts\n",
	       attr_u64(tb[FASTPATH_A_STATS_SLOW_PACKETS]));
	pr_u64(PR_ANY, "flows_active", "flows active %" PRIu64,
	       attr_u32(tb[FASTPATH_A_STATS_FLOWS_ACTIVE]));
	pr_u64(PR_ANY, "flows_learned", " learned %" PRIu64,
	       attr_u64(tb[FASTPATH_A_STATS_FLOWS_LEARNED]));
	pr_u64(PR_ANY, "flows_removed", " removed %" PRIu64,
	       attr_u64(tb[FASTPATH_A_STATS_FLOWS_REMOVED]));
	pr_u64(PR_ANY, "flows_refused", " refused %" PRIu64,
	       attr_u32(tb[FASTPATH_A_STATS_FLOWS_REFUSED]));
	pr_u64(PR_ANY, "flow_limit", " limit %" PRIu64,
	       attr_u32(tb[FASTPATH_A_STATS_FLOW_LIMIT]));
	pr_u64(PR_ANY, "memory", " memory %" PRIu64 " bytes\n",
	       attr_u64(tb[FASTPATH_A_STATS_MEMORY]));
	pr_u64(PR_ANY, "verify_passed", "verify passed %" PRIu64,
	       attr_u64(tb[FASTPATH_A_STATS_VERIFY_PASSED]));
	pr_u64(PR_ANY, "verify_failed", " failed %" PRIu64 "\n",
	       attr_u64(tb[FASTPATH_A_STATS_VERIFY_FAILED]));

	attr_nested(exc, FASTPATH_A_EXCEPTIONS_MAX, tb[FASTPATH_A_STATS_EXCEPTIONS]);
	pr_open_object("exceptions");
	pr_text("exceptions\n");
	for (i = 0; fp_exceptions_names[i]; i++) {
		pr_u64(PR_JSON, snake_case(fp_exceptions_names[i], key, sizeof(key)),
		       NULL, attr_u64(exc[i + 1]));
		pr_text("    %-12s %" PRIu64 "\n", fp_exceptions_names[i],
			attr_u64(exc[i + 1]));
	}
	pr_close_object();
	pr_close_object();
	return 0;
}

/*
 * Prometheus text exposition format, for node_exporter's textfile
 * collector.  Counters are totals since the namespace started; gauges
 * are the table's state.
 */
struct metric {
	int attr;
	const char *name;	/* after "fastpath_" */
	const char *type;
	const char *help;
};

static const struct metric stats_metrics[] = {
	{ FASTPATH_A_STATS_FAST_PACKETS, "fast_packets_total", "counter",
	  "Packets forwarded on the fast path." },
	{ FASTPATH_A_STATS_FAST_BYTES, "fast_bytes_total", "counter",
	  "Bytes forwarded on the fast path." },
	{ FASTPATH_A_STATS_SLOW_PACKETS, "slow_packets_total", "counter",
	  "Packets received on enabled devices and left to the normal stack." },
	{ FASTPATH_A_STATS_FLOWS_ACTIVE, "flows_active", "gauge",
	  "Flows in the table." },
	{ FASTPATH_A_STATS_FLOWS_LEARNED, "flows_learned_total", "counter",
	  "Flows learned." },
	{ FASTPATH_A_STATS_FLOWS_REMOVED, "flows_removed_total", "counter",
	  "Flows removed." },
	{ FASTPATH_A_STATS_FLOWS_REFUSED, "flows_refused", "gauge",
	  "Connections kept only to remember why they are not offloaded." },
	{ FASTPATH_A_STATS_FLOW_LIMIT, "flow_limit", "gauge",
	  "Maximum number of flows in the table." },
	{ FASTPATH_A_STATS_MEMORY, "memory_bytes", "gauge",
	  "Bytes held by the flow table." },
	{ FASTPATH_A_STATS_VERIFY_PASSED, "verify_passed_total", "counter",
	  "Verifications that found the fast path exact." },
	{ FASTPATH_A_STATS_VERIFY_FAILED, "verify_failed_total", "counter",
	  "Verifications that found a difference, which kept or took a direction "
	  "off the fast path." },
};

static const struct metric dev_metrics[] = {
	{ FASTPATH_A_DEV_RX_PACKETS, "dev_rx_packets_total", "counter",
	  "Packets received on the device and forwarded on the fast path." },
	{ FASTPATH_A_DEV_RX_BYTES, "dev_rx_bytes_total", "counter",
	  "Bytes received on the device and forwarded on the fast path." },
	{ FASTPATH_A_DEV_TX_PACKETS, "dev_tx_packets_total", "counter",
	  "Fast-path packets transmitted on the device." },
	{ FASTPATH_A_DEV_TX_BYTES, "dev_tx_bytes_total", "counter",
	  "Fast-path bytes transmitted on the device." },
	{ FASTPATH_A_DEV_SLOW_PACKETS, "dev_slow_packets_total", "counter",
	  "Packets received on the device and left to the normal stack." },
};

static void metric_head(const struct metric *m)
{
	printf("# HELP fastpath_%s %s\n# TYPE fastpath_%s %s\n", m->name,
	       m->help, m->name, m->type);
}

/* A label value, with the escapes of the exposition format. */
static void print_label(const char *label, const char *value)
{
	printf("{%s=\"", label);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			putchar('\\');
		if (*value == '\n')
			fputs("\\n", stdout);
		else
			putchar(*value);
	}
	fputs("\"}", stdout);
}

/* The enabled devices' counters, gathered so each metric is one block. */
struct dev_samples {
	size_t n;
	struct {
		char name[IF_NAMESIZE];
		uint64_t v[ARRAY_SIZE(dev_metrics)];
	} *dev;
};

static int dev_sample_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct dev_samples *s = arg;
	void *dev;
	size_t i;

	(void)cmd;
	dev = realloc(s->dev, (s->n + 1) * sizeof(*s->dev));
	if (!dev) {
		fp_err("out of memory");
		return -1;
	}
	s->dev = dev;
	snprintf(s->dev[s->n].name, IF_NAMESIZE, "%s",
		 tb[FASTPATH_A_DEV_IFNAME] ? nla_get_string(tb[FASTPATH_A_DEV_IFNAME]) : "?");
	for (i = 0; i < ARRAY_SIZE(dev_metrics); i++)
		s->dev[s->n].v[i] = attr_u64(tb[dev_metrics[i].attr]);
	s->n++;
	return 0;
}

static int prometheus_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	struct nlattr *exc[FASTPATH_A_EXCEPTIONS_MAX + 1];
	static const struct metric exceptions = {
		0, "exceptions_total", "counter",
		"Packets left to the normal stack, by reason."
	};
	size_t i;

	(void)cmd;
	(void)arg;
	for (i = 0; i < ARRAY_SIZE(stats_metrics); i++) {
		metric_head(&stats_metrics[i]);
		printf("fastpath_%s %" PRIu64 "\n", stats_metrics[i].name,
		       attr_uint(tb[stats_metrics[i].attr]));
	}
	attr_nested(exc, FASTPATH_A_EXCEPTIONS_MAX, tb[FASTPATH_A_STATS_EXCEPTIONS]);
	metric_head(&exceptions);
	for (i = 0; fp_exceptions_names[i]; i++) {
		printf("fastpath_%s", exceptions.name);
		print_label("reason", fp_exceptions_names[i]);
		printf(" %" PRIu64 "\n", attr_u64(exc[i + 1]));
	}
	return 0;
}

static void print_dev_metrics(const struct dev_samples *s)
{
	size_t i, d;

	for (i = 0; i < ARRAY_SIZE(dev_metrics); i++) {
		metric_head(&dev_metrics[i]);
		for (d = 0; d < s->n; d++) {
			printf("fastpath_%s", dev_metrics[i].name);
			print_label("device", s->dev[d].name);
			printf(" %" PRIu64 "\n", s->dev[d].v[i]);
		}
	}
}

static int prometheus(void)
{
	struct dev_samples s = { 0 };
	struct nl_msg *msg;
	int err;

	/* Devices are gathered first, so that a failure prints nothing. */
	err = dev_request(NULL, dev_sample_cb, &s);
	if (!err) {
		msg = fp_msg(FASTPATH_CMD_STATS_GET, false);
		err = msg ? fp_request(msg, FASTPATH_A_STATS_MAX, prometheus_cb, NULL) : -1;
	}
	if (!err)
		print_dev_metrics(&s);
	free(s.dev);
	return err ? EXIT_FAIL : EXIT_OK;
}

int do_stats(int argc, char **argv)
{
	static const char *const formats[] = { "prometheus", NULL };
	struct nl_msg *msg;

	if (argc) {
		if (name_find(argv[0], formats, sizeof(*formats), "keyword",
			      " for \"stats\"", "") < 0)
			return EXIT_USAGE;
		if (no_args("stats prometheus", argc - 1, argv + 1))
			return EXIT_USAGE;
		if (opt_json)
			return usage_err("\"stats prometheus\" has no JSON output");
	}
	if (fp_open(false))
		return EXIT_FAIL;
	if (argc)
		return prometheus();
	msg = fp_msg(FASTPATH_CMD_STATS_GET, false);
	if (!msg)
		return EXIT_FAIL;
	return fp_request(msg, FASTPATH_A_STATS_MAX, stats_cb, NULL) ?
	       EXIT_FAIL : EXIT_OK;
}
