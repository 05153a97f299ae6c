// SPDX-License-Identifier: GPL-2.0-only
/* fpctl stats: the namespace's global counters and every exception reason. */
#include <stdio.h>
#include <linux/fastpath.h>

#include "fpctl.h"

const char stats_help[] = "";

/* Names as in uapi/fastpath.yaml; JSON uses them in snake_case. */
static const char *const exception_names[FASTPATH_A_EXCEPTIONS_MAX + 1] = {
	[FASTPATH_A_EXCEPTIONS_NO_FLOW] = "no-flow",
	[FASTPATH_A_EXCEPTIONS_UNSUPPORTED] = "unsupported",
	[FASTPATH_A_EXCEPTIONS_TTL] = "ttl",
	[FASTPATH_A_EXCEPTIONS_MTU] = "mtu",
	[FASTPATH_A_EXCEPTIONS_IP_OPTIONS] = "ip-options",
	[FASTPATH_A_EXCEPTIONS_FRAGMENT] = "fragment",
	[FASTPATH_A_EXCEPTIONS_EXT_HEADER] = "ext-header",
	[FASTPATH_A_EXCEPTIONS_TCP_FLAGS] = "tcp-flags",
	[FASTPATH_A_EXCEPTIONS_BAD_HEADER] = "bad-header",
	[FASTPATH_A_EXCEPTIONS_DEV_DOWN] = "dev-down",
	[FASTPATH_A_EXCEPTIONS_STALE] = "stale",
	[FASTPATH_A_EXCEPTIONS_NOT_UNICAST] = "not-unicast",
	[FASTPATH_A_EXCEPTIONS_TABLE_FULL] = "table-full",
};

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
	pr_u64(PR_ANY, "flow_limit", " limit %" PRIu64,
	       attr_u32(tb[FASTPATH_A_STATS_FLOW_LIMIT]));
	pr_u64(PR_ANY, "memory", " memory %" PRIu64 " bytes\n",
	       attr_u64(tb[FASTPATH_A_STATS_MEMORY]));

	attr_nested(exc, FASTPATH_A_EXCEPTIONS_MAX, tb[FASTPATH_A_STATS_EXCEPTIONS]);
	pr_open_object("exceptions");
	pr_text("exceptions\n");
	for (i = 1; i <= FASTPATH_A_EXCEPTIONS_MAX; i++) {
		pr_u64(PR_JSON, snake_case(exception_names[i], key, sizeof(key)),
		       NULL, attr_u64(exc[i]));
		pr_text("    %-12s %" PRIu64 "\n", exception_names[i],
			attr_u64(exc[i]));
	}
	pr_close_object();
	pr_close_object();
	return 0;
}

int do_stats(int argc, char **argv)
{
	struct nl_msg *msg;
	int err;

	err = no_args("stats", argc, argv);
	if (err)
		return err;
	if (fp_open(false))
		return EXIT_FAIL;
	msg = fp_msg(FASTPATH_CMD_STATS_GET, false);
	if (!msg)
		return EXIT_FAIL;
	return fp_request(msg, FASTPATH_A_STATS_MAX, stats_cb, NULL) ?
	       EXIT_FAIL : EXIT_OK;
}
