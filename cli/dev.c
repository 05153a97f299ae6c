// SPDX-License-Identifier: GPL-2.0-only
/* fpctl enable|disable dev IFNAME, fpctl dev show [dev IFNAME] */
#include <net/if.h>
#include <string.h>
#include <linux/fastpath.h>
#include <netlink/genl/genl.h>

#include "fpctl.h"

const char enable_help[] = "dev IFNAME";
const char disable_help[] = "dev IFNAME";

/* "dev IFNAME", mandatory unless @optional; the name is checked for length only. */
static int parse_dev(const char *cmd, int argc, char **argv, bool optional,
		     const char **ifname)
{
	static const char *const keys[] = { "dev", NULL };
	struct kv kv = { argc, argv, cmd, keys, 0 };
	const char *val;
	int k;

	*ifname = NULL;
	while ((k = kv_next(&kv, &val)) >= 0) {
		if (strlen(val) >= IF_NAMESIZE || !*val)
			return usage_err("invalid device name \"%s\"", val);
		*ifname = val;
	}
	if (k == KV_ERR)
		return EXIT_USAGE;
	if (!*ifname && !optional)
		return usage_err("missing keyword \"dev\" for \"%s\"", cmd);
	return EXIT_OK;
}

/* The kernel resolves the name in its own namespace (ours, after -n). */
static int set_enabled(const char *cmd, int argc, char **argv, bool on)
{
	const char *ifname;
	struct nl_msg *msg;
	int err;

	err = parse_dev(cmd, argc, argv, false, &ifname);
	if (err)
		return err;
	if (fp_open(false))
		return EXIT_FAIL;
	msg = fp_msg(FASTPATH_CMD_DEV_SET, false);
	if (!msg)
		return EXIT_FAIL;
	put_str(msg, FASTPATH_A_DEV_IFNAME, ifname);
	put_u8(msg, FASTPATH_A_DEV_ENABLED, on);
	return fp_request(msg, 0, NULL, NULL) ? EXIT_FAIL : EXIT_OK;
}

int do_enable(int argc, char **argv)
{
	return set_enabled("enable", argc, argv, true);
}

int do_disable(int argc, char **argv)
{
	return set_enabled("disable", argc, argv, false);
}

static int dev_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	uint32_t ifindex = attr_u32(tb[FASTPATH_A_DEV_IFINDEX]);
	char name[IF_NAMESIZE];
	const char *ifname;

	(void)cmd;
	(void)arg;
	ifname = tb[FASTPATH_A_DEV_IFNAME] ? nla_get_string(tb[FASTPATH_A_DEV_IFNAME])
					   : ifname_str(ifindex, name);
	pr_open_object(NULL);
	pr_u64(PR_JSON, "ifindex", NULL, ifindex);
	pr_str(PR_ANY, "ifname", "%s: ", ifname);
	pr_bool(PR_JSON, "enabled", NULL, attr_u8(tb[FASTPATH_A_DEV_ENABLED]));
	pr_text("%s", attr_u8(tb[FASTPATH_A_DEV_ENABLED]) ? "enabled" : "disabled");
	pr_u64(PR_ANY, "rx_packets", " rx %" PRIu64 " pkts",
	       attr_u64(tb[FASTPATH_A_DEV_RX_PACKETS]));
	pr_u64(PR_ANY, "rx_bytes", " %" PRIu64 " bytes",
	       attr_u64(tb[FASTPATH_A_DEV_RX_BYTES]));
	pr_u64(PR_ANY, "tx_packets", " tx %" PRIu64 " pkts",
	       attr_u64(tb[FASTPATH_A_DEV_TX_PACKETS]));
	pr_u64(PR_ANY, "tx_bytes", " %" PRIu64 " bytes",
	       attr_u64(tb[FASTPATH_A_DEV_TX_BYTES]));
	pr_u64(PR_ANY, "slow_packets", " slow %" PRIu64 " pkts",
	       attr_u64(tb[FASTPATH_A_DEV_SLOW_PACKETS]));
	pr_text("\n");
	pr_close_object();
	return 0;
}

static int dev_show(int argc, char **argv)
{
	const char *ifname;
	struct nl_msg *msg;
	int err;

	err = parse_dev("dev show", argc, argv, true, &ifname);
	if (err)
		return err;
	if (fp_open(false))
		return EXIT_FAIL;
	msg = fp_msg(FASTPATH_CMD_DEV_GET, !ifname);
	if (!msg)
		return EXIT_FAIL;
	if (ifname)
		put_str(msg, FASTPATH_A_DEV_IFNAME, ifname);
	pr_table_begin();
	err = fp_request(msg, FASTPATH_A_DEV_MAX, dev_cb, NULL);
	pr_table_end(!err);
	return err ? EXIT_FAIL : EXIT_OK;
}

const struct fp_cmd dev_cmds[] = {
	{ "show", dev_show, "[ dev IFNAME ]" },
	{ NULL }
};
