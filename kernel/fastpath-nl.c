// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	uapi/fastpath.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "fastpath-nl.h"

#include <uapi/linux/fastpath.h>

/* Integer value ranges */
static const struct netlink_range_validation fastpath_a_config_tcp_timeout_range = {
	.min	= 1ULL,
	.max	= FASTPATH_TIMEOUT_MAX,
};

static const struct netlink_range_validation fastpath_a_config_udp_timeout_range = {
	.min	= 1ULL,
	.max	= FASTPATH_TIMEOUT_MAX,
};

/* FASTPATH_CMD_DEV_GET - do */
static const struct nla_policy fastpath_dev_get_nl_policy[FASTPATH_A_DEV_IFNAME + 1] = {
	[FASTPATH_A_DEV_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[FASTPATH_A_DEV_IFNAME] = { .type = NLA_NUL_STRING, .len = 15, },
};

/* FASTPATH_CMD_DEV_SET - do */
static const struct nla_policy fastpath_dev_set_nl_policy[FASTPATH_A_DEV_ENABLED + 1] = {
	[FASTPATH_A_DEV_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[FASTPATH_A_DEV_IFNAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[FASTPATH_A_DEV_ENABLED] = NLA_POLICY_MAX(NLA_U8, 1),
};

/* FASTPATH_CMD_RULE_GET - do */
static const struct nla_policy fastpath_rule_get_nl_policy[FASTPATH_A_RULE_PREF + 1] = {
	[FASTPATH_A_RULE_PREF] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* FASTPATH_CMD_RULE_NEW - do */
static const struct nla_policy fastpath_rule_new_nl_policy[FASTPATH_A_RULE_OIFNAME + 1] = {
	[FASTPATH_A_RULE_PREF] = NLA_POLICY_MIN(NLA_U32, 1),
	[FASTPATH_A_RULE_ACTION] = NLA_POLICY_RANGE(NLA_U32, 1, 2),
	[FASTPATH_A_RULE_IIF] = NLA_POLICY_MIN(NLA_U32, 1),
	[FASTPATH_A_RULE_OIF] = NLA_POLICY_MIN(NLA_U32, 1),
	[FASTPATH_A_RULE_FAMILY] = { .type = NLA_U8, },
	[FASTPATH_A_RULE_SRC] = { .type = NLA_BINARY, },
	[FASTPATH_A_RULE_SRC_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[FASTPATH_A_RULE_DST] = { .type = NLA_BINARY, },
	[FASTPATH_A_RULE_DST_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[FASTPATH_A_RULE_PROTO] = { .type = NLA_U8, },
	[FASTPATH_A_RULE_SPORT_MIN] = { .type = NLA_U16, },
	[FASTPATH_A_RULE_SPORT_MAX] = { .type = NLA_U16, },
	[FASTPATH_A_RULE_DPORT_MIN] = { .type = NLA_U16, },
	[FASTPATH_A_RULE_DPORT_MAX] = { .type = NLA_U16, },
	[FASTPATH_A_RULE_DSCP] = NLA_POLICY_MAX(NLA_U8, 63),
	[FASTPATH_A_RULE_MARK] = { .type = NLA_U32, },
	[FASTPATH_A_RULE_MARK_MASK] = { .type = NLA_U32, },
	[FASTPATH_A_RULE_IIFNAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[FASTPATH_A_RULE_OIFNAME] = { .type = NLA_NUL_STRING, .len = 15, },
};

/* FASTPATH_CMD_RULE_DEL - do */
static const struct nla_policy fastpath_rule_del_nl_policy[FASTPATH_A_RULE_PREF + 1] = {
	[FASTPATH_A_RULE_PREF] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* FASTPATH_CMD_FLOW_GET - do */
static const struct nla_policy fastpath_flow_get_do_nl_policy[FASTPATH_A_FLOW_ZONE + 1] = {
	[FASTPATH_A_FLOW_FAMILY] = { .type = NLA_U8, },
	[FASTPATH_A_FLOW_PROTO] = { .type = NLA_U8, },
	[FASTPATH_A_FLOW_SRC] = { .type = NLA_BINARY, },
	[FASTPATH_A_FLOW_DST] = { .type = NLA_BINARY, },
	[FASTPATH_A_FLOW_SPORT] = { .type = NLA_U16, },
	[FASTPATH_A_FLOW_DPORT] = { .type = NLA_U16, },
	[FASTPATH_A_FLOW_ZONE] = { .type = NLA_U16, },
};

/* FASTPATH_CMD_FLOW_GET - dump */
static const struct nla_policy fastpath_flow_get_dump_nl_policy[FASTPATH_A_FLOW_DPORT + 1] = {
	[FASTPATH_A_FLOW_FAMILY] = { .type = NLA_U8, },
	[FASTPATH_A_FLOW_PROTO] = { .type = NLA_U8, },
	[FASTPATH_A_FLOW_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[FASTPATH_A_FLOW_SRC] = { .type = NLA_BINARY, },
	[FASTPATH_A_FLOW_SRC_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[FASTPATH_A_FLOW_DST] = { .type = NLA_BINARY, },
	[FASTPATH_A_FLOW_DST_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[FASTPATH_A_FLOW_SPORT] = { .type = NLA_U16, },
	[FASTPATH_A_FLOW_DPORT] = { .type = NLA_U16, },
};

/* FASTPATH_CMD_FLOW_FLUSH - do */
static const struct nla_policy fastpath_flow_flush_nl_policy[FASTPATH_A_FLOW_DPORT + 1] = {
	[FASTPATH_A_FLOW_FAMILY] = { .type = NLA_U8, },
	[FASTPATH_A_FLOW_PROTO] = { .type = NLA_U8, },
	[FASTPATH_A_FLOW_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[FASTPATH_A_FLOW_SRC] = { .type = NLA_BINARY, },
	[FASTPATH_A_FLOW_SRC_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[FASTPATH_A_FLOW_DST] = { .type = NLA_BINARY, },
	[FASTPATH_A_FLOW_DST_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
	[FASTPATH_A_FLOW_SPORT] = { .type = NLA_U16, },
	[FASTPATH_A_FLOW_DPORT] = { .type = NLA_U16, },
};

/* FASTPATH_CMD_CONFIG_SET - do */
static const struct nla_policy fastpath_config_set_nl_policy[FASTPATH_A_CONFIG_VERIFY_INTERVAL + 1] = {
	[FASTPATH_A_CONFIG_FLOW_LIMIT] = NLA_POLICY_MIN(NLA_U32, 1),
	[FASTPATH_A_CONFIG_TCP_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32, &fastpath_a_config_tcp_timeout_range),
	[FASTPATH_A_CONFIG_UDP_TIMEOUT] = NLA_POLICY_FULL_RANGE(NLA_U32, &fastpath_a_config_udp_timeout_range),
	[FASTPATH_A_CONFIG_STATS_INTERVAL] = NLA_POLICY_MIN(NLA_U32, 100),
	[FASTPATH_A_CONFIG_VERIFY_INTERVAL] = NLA_POLICY_MAX(NLA_U32, FASTPATH_VERIFY_INTERVAL_MAX),
};

/* FASTPATH_CMD_FLOW_EXPLAIN - do */
static const struct nla_policy fastpath_flow_explain_nl_policy[FASTPATH_A_FLOW_ZONE + 1] = {
	[FASTPATH_A_FLOW_FAMILY] = { .type = NLA_U8, },
	[FASTPATH_A_FLOW_PROTO] = { .type = NLA_U8, },
	[FASTPATH_A_FLOW_SRC] = { .type = NLA_BINARY, },
	[FASTPATH_A_FLOW_DST] = { .type = NLA_BINARY, },
	[FASTPATH_A_FLOW_SPORT] = { .type = NLA_U16, },
	[FASTPATH_A_FLOW_DPORT] = { .type = NLA_U16, },
	[FASTPATH_A_FLOW_ZONE] = { .type = NLA_U16, },
};

/* Ops table for fastpath */
const struct genl_split_ops fastpath_nl_ops[16] = {
	{
		.cmd	= FASTPATH_CMD_VERSION_GET,
		.doit	= fastpath_nl_version_get_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= FASTPATH_CMD_DEV_GET,
		.doit		= fastpath_nl_dev_get_doit,
		.policy		= fastpath_dev_get_nl_policy,
		.maxattr	= FASTPATH_A_DEV_IFNAME,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= FASTPATH_CMD_DEV_GET,
		.dumpit	= fastpath_nl_dev_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= FASTPATH_CMD_DEV_SET,
		.doit		= fastpath_nl_dev_set_doit,
		.policy		= fastpath_dev_set_nl_policy,
		.maxattr	= FASTPATH_A_DEV_ENABLED,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= FASTPATH_CMD_RULE_GET,
		.doit		= fastpath_nl_rule_get_doit,
		.policy		= fastpath_rule_get_nl_policy,
		.maxattr	= FASTPATH_A_RULE_PREF,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= FASTPATH_CMD_RULE_GET,
		.dumpit	= fastpath_nl_rule_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= FASTPATH_CMD_RULE_NEW,
		.doit		= fastpath_nl_rule_new_doit,
		.policy		= fastpath_rule_new_nl_policy,
		.maxattr	= FASTPATH_A_RULE_OIFNAME,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= FASTPATH_CMD_RULE_DEL,
		.doit		= fastpath_nl_rule_del_doit,
		.policy		= fastpath_rule_del_nl_policy,
		.maxattr	= FASTPATH_A_RULE_PREF,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= FASTPATH_CMD_RULE_FLUSH,
		.doit	= fastpath_nl_rule_flush_doit,
		.flags	= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= FASTPATH_CMD_FLOW_GET,
		.doit		= fastpath_nl_flow_get_doit,
		.policy		= fastpath_flow_get_do_nl_policy,
		.maxattr	= FASTPATH_A_FLOW_ZONE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= FASTPATH_CMD_FLOW_GET,
		.dumpit		= fastpath_nl_flow_get_dumpit,
		.done		= fastpath_nl_flow_dump_done,
		.policy		= fastpath_flow_get_dump_nl_policy,
		.maxattr	= FASTPATH_A_FLOW_DPORT,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= FASTPATH_CMD_FLOW_FLUSH,
		.doit		= fastpath_nl_flow_flush_doit,
		.policy		= fastpath_flow_flush_nl_policy,
		.maxattr	= FASTPATH_A_FLOW_DPORT,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= FASTPATH_CMD_STATS_GET,
		.doit	= fastpath_nl_stats_get_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= FASTPATH_CMD_CONFIG_GET,
		.doit	= fastpath_nl_config_get_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= FASTPATH_CMD_CONFIG_SET,
		.doit		= fastpath_nl_config_set_doit,
		.policy		= fastpath_config_set_nl_policy,
		.maxattr	= FASTPATH_A_CONFIG_VERIFY_INTERVAL,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= FASTPATH_CMD_FLOW_EXPLAIN,
		.doit		= fastpath_nl_flow_explain_doit,
		.policy		= fastpath_flow_explain_nl_policy,
		.maxattr	= FASTPATH_A_FLOW_ZONE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group fastpath_nl_mcgrps[] = {
	[FASTPATH_NLGRP_MONITOR] = { "monitor", },
};
