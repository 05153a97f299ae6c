// SPDX-License-Identifier: GPL-2.0-only
/* Generated from uapi/fastpath.yaml by cli/gen-names.py: do not edit. */
#include <linux/fastpath.h>

#include "fpctl.h"

const char *const fp_rule_action_names[] = {
	[FASTPATH_RULE_ACTION_ACCELERATE] = "accelerate",
	[FASTPATH_RULE_ACTION_BYPASS] = "bypass",
};
const size_t fp_rule_action_count = ARRAY_SIZE(fp_rule_action_names);

const char *const fp_del_reason_names[] = {
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
const size_t fp_del_reason_count = ARRAY_SIZE(fp_del_reason_names);

const char *const fp_exceptions_names[] = {
	[FASTPATH_A_EXCEPTIONS_NO_FLOW - 1] = "no-flow",
	[FASTPATH_A_EXCEPTIONS_UNSUPPORTED - 1] = "unsupported",
	[FASTPATH_A_EXCEPTIONS_TTL - 1] = "ttl",
	[FASTPATH_A_EXCEPTIONS_MTU - 1] = "mtu",
	[FASTPATH_A_EXCEPTIONS_IP_OPTIONS - 1] = "ip-options",
	[FASTPATH_A_EXCEPTIONS_FRAGMENT - 1] = "fragment",
	[FASTPATH_A_EXCEPTIONS_EXT_HEADER - 1] = "ext-header",
	[FASTPATH_A_EXCEPTIONS_TCP_FLAGS - 1] = "tcp-flags",
	[FASTPATH_A_EXCEPTIONS_BAD_HEADER - 1] = "bad-header",
	[FASTPATH_A_EXCEPTIONS_DEV_DOWN - 1] = "dev-down",
	[FASTPATH_A_EXCEPTIONS_STALE - 1] = "stale",
	[FASTPATH_A_EXCEPTIONS_NOT_UNICAST - 1] = "not-unicast",
	[FASTPATH_A_EXCEPTIONS_TABLE_FULL - 1] = "table-full",
	NULL
};

const char *const fp_config_names[] = {
	[FASTPATH_A_CONFIG_FLOW_LIMIT - 1] = "flow-limit",
	[FASTPATH_A_CONFIG_TCP_TIMEOUT - 1] = "tcp-timeout",
	[FASTPATH_A_CONFIG_UDP_TIMEOUT - 1] = "udp-timeout",
	[FASTPATH_A_CONFIG_STATS_INTERVAL - 1] = "stats-interval",
	NULL
};

const struct fp_range fp_config_ranges[] = {
	[FASTPATH_A_CONFIG_FLOW_LIMIT - 1] = { 1U, 4294967295U },
	[FASTPATH_A_CONFIG_TCP_TIMEOUT - 1] = { 1U, 4294967295U },
	[FASTPATH_A_CONFIG_UDP_TIMEOUT - 1] = { 1U, 4294967295U },
	[FASTPATH_A_CONFIG_STATS_INTERVAL - 1] = { 100U, 4294967295U },
};
