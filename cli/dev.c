// SPDX-License-Identifier: GPL-2.0-only
/* fpctl enable|disable dev IFNAME, fpctl dev show [[dev] IFNAME] */
#include <string.h>
#include <linux/fastpath.h>
#include <netlink/genl/genl.h>

#include "fpctl.h"

const char enable_help[] = "dev IFNAME";
const char disable_help[] = "dev IFNAME";

static const char *const dev_keys[] = { "dev", NULL };

/* "dev IFNAME"; the name is checked for length only. */
static int parse_dev(const char *cmd, int argc, char **argv,
		     const char **ifname)
{
	struct kv kv = { argc, argv, cmd, dev_keys, 0 };
	const char *val;
	int k;

	*ifname = NULL;
	while ((k = kv_next(&kv, &val)) >= 0) {
		if (check_ifname("dev", val))
			return EXIT_USAGE;
		*ifname = val;
	}
	if (k == KV_ERR)
		return EXIT_USAGE;
	if (!*ifname)
		return usage_err("missing keyword \"dev\" for \"%s\"", cmd);
	return EXIT_OK;
}

/* The kernel resolves the name in its own namespace (ours, after -n). */
static int set_enabled(const char *cmd, int argc, char **argv, bool on)
{
	const char *ifname;
	struct nl_msg *msg;
	int err;

	err = parse_dev(cmd, argc, argv, &ifname);
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

static const char *dev_name(struct nlattr **tb)
{
	return tb[FASTPATH_A_DEV_IFNAME] ? nla_get_string(tb[FASTPATH_A_DEV_IFNAME])
					 : "?";
}

/*
 * A device is enabled (and attached), waiting (enabled by name, no such
 * device in the namespace: attached when one appears) or disabled.
 */
static const char *dev_state(struct nlattr **tb)
{
	if (!attr_u8(tb[FASTPATH_A_DEV_ENABLED]))
		return "disabled";
	return tb[FASTPATH_A_DEV_IFINDEX] ? "enabled" : "waiting";
}

static int dev_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	(void)cmd;
	(void)arg;
	pr_open_object(NULL);
	if (tb[FASTPATH_A_DEV_IFINDEX])
		pr_u64(PR_JSON, "ifindex", NULL,
		       attr_u32(tb[FASTPATH_A_DEV_IFINDEX]));
	pr_str(PR_ANY, "ifname", "%s: ", dev_name(tb));
	pr_bool(PR_JSON, "enabled", NULL, attr_u8(tb[FASTPATH_A_DEV_ENABLED]));
	pr_str(PR_ANY, "state", "%s", dev_state(tb));
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
	/* How packets routed out of it leave: on which device below. */
	if (tb[FASTPATH_A_DEV_XMIT_MODE])
		pr_str(PR_ANY, "xmit_mode", " xmit %s",
		       enum_name(fp_xmit_mode_names, fp_xmit_mode_count,
				 attr_u32(tb[FASTPATH_A_DEV_XMIT_MODE])));
	if (tb[FASTPATH_A_DEV_XMIT_IFNAME])
		pr_str(PR_ANY, "xmit_ifname", " dev %s",
		       nla_get_string(tb[FASTPATH_A_DEV_XMIT_IFNAME]));
	/* The families the rules leave entirely to the stack. */
	if (tb[FASTPATH_A_DEV_BYPASSED])
		pr_flags("bypassed", "bypassed", fp_families_names,
			 fp_families_count, attr_u32(tb[FASTPATH_A_DEV_BYPASSED]));
	pr_text("\n");
	pr_close_object();
	return 0;
}

/* "[ dev ] IFNAME", as ip link show takes a device. */
static int parse_dev_show(int argc, char **argv, const char **ifname)
{
	*ifname = NULL;
	for (; argc; argc--, argv++) {
		if (name_match(argv[0], dev_keys, sizeof(*dev_keys)) >= 0) {
			if (argc < 2)
				return usage_err("missing value for \"dev\"");
			argc--;
			argv++;
		}
		if (*ifname)
			return usage_err("unexpected \"%s\" after device \"%s\" for \"dev show\"",
					 argv[0], *ifname);
		if (check_ifname("dev", argv[0]))
			return EXIT_USAGE;
		*ifname = argv[0];
	}
	return EXIT_OK;
}

/* The enabled devices (or @ifname) through @cb. */
int dev_request(const char *ifname, fp_msg_cb cb, void *arg)
{
	struct nl_msg *msg = fp_msg(FASTPATH_CMD_DEV_GET, !ifname);

	if (!msg)
		return -1;
	if (ifname)
		put_str(msg, FASTPATH_A_DEV_IFNAME, ifname);
	return fp_request(msg, FASTPATH_A_DEV_MAX, cb, arg);
}

static int dev_show(int argc, char **argv)
{
	const char *ifname;
	int err;

	err = parse_dev_show(argc, argv, &ifname);
	if (err)
		return err;
	if (fp_open(false))
		return EXIT_FAIL;
	pr_table_begin();
	err = dev_request(ifname, dev_cb, NULL);
	pr_table_end(!err);
	return err ? EXIT_FAIL : EXIT_OK;
}

/* For fpctl save: the enabled devices, by name. */
static int save_dev_cb(uint8_t cmd, struct nlattr **tb, void *arg)
{
	(void)cmd;
	(void)arg;
	printf("enable dev %s\n", dev_name(tb));
	return 0;
}

int dev_save(void)
{
	return dev_request(NULL, save_dev_cb, NULL);
}

const struct fp_cmd dev_cmds[] = {
	{ "show", dev_show, "[ [ dev ] IFNAME ]" },
	{ NULL }
};
