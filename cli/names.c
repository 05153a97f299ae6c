// SPDX-License-Identifier: GPL-2.0-only
/* Generated from uapi/fastpath.yaml by cli/gen-names.py: do not edit. */
#include <linux/fastpath.h>

#include "fpctl.h"

const char *const fp_families_names[] = {
	[0] = "ipv4",
	[1] = "ipv6",
};
const size_t fp_families_count = ARRAY_SIZE(fp_families_names);
_Static_assert(FASTPATH_FAMILIES_IPV4 == 1U << 0, "ipv4");
_Static_assert(FASTPATH_FAMILIES_IPV6 == 1U << 1, "ipv6");

const char *const fp_rule_action_names[] = {
	[FASTPATH_RULE_ACTION_ACCELERATE] = "accelerate",
	[FASTPATH_RULE_ACTION_BYPASS] = "bypass",
};
const size_t fp_rule_action_count = ARRAY_SIZE(fp_rule_action_names);

const char *const fp_xmit_mode_names[] = {
	[FASTPATH_XMIT_MODE_DIRECT] = "direct",
	[FASTPATH_XMIT_MODE_UPPER] = "upper",
};
const size_t fp_xmit_mode_count = ARRAY_SIZE(fp_xmit_mode_names);

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

const char *const fp_why_names[] = {
	[FASTPATH_WHY_OFFLOADED] = "offloaded",
	[FASTPATH_WHY_VERIFYING] = "verifying",
	[FASTPATH_WHY_NO_REPLY] = "no-reply",
	[FASTPATH_WHY_PROTOCOL] = "protocol",
	[FASTPATH_WHY_TCP_STATE] = "tcp-state",
	[FASTPATH_WHY_HELPER] = "helper",
	[FASTPATH_WHY_CT_STATE] = "ct-state",
	[FASTPATH_WHY_LOCAL] = "local",
	[FASTPATH_WHY_IIF_DISABLED] = "iif-disabled",
	[FASTPATH_WHY_XFRM] = "xfrm",
	[FASTPATH_WHY_ROUTE] = "route",
	[FASTPATH_WHY_OIF_UNSUPPORTED] = "oif-unsupported",
	[FASTPATH_WHY_RULE] = "rule",
	[FASTPATH_WHY_NO_NEIGH] = "no-neigh",
	[FASTPATH_WHY_TABLE_FULL] = "table-full",
	[FASTPATH_WHY_VERIFY] = "verify",
	[FASTPATH_WHY_REMOVING] = "removing",
	[FASTPATH_WHY_NOT_SEEN] = "not-seen",
	[FASTPATH_WHY_REDIRECT] = "redirect",
};
const size_t fp_why_count = ARRAY_SIZE(fp_why_names);

const char *const fp_verify_field_names[] = {
	[FASTPATH_VERIFY_FIELD_DSCP] = "dscp",
	[FASTPATH_VERIFY_FIELD_ECN] = "ecn",
	[FASTPATH_VERIFY_FIELD_LENGTH] = "length",
	[FASTPATH_VERIFY_FIELD_ID] = "id",
	[FASTPATH_VERIFY_FIELD_FRAG_OFF] = "frag-off",
	[FASTPATH_VERIFY_FIELD_TTL] = "ttl",
	[FASTPATH_VERIFY_FIELD_PROTOCOL] = "protocol",
	[FASTPATH_VERIFY_FIELD_IP_CHECKSUM] = "ip-checksum",
	[FASTPATH_VERIFY_FIELD_SADDR] = "saddr",
	[FASTPATH_VERIFY_FIELD_DADDR] = "daddr",
	[FASTPATH_VERIFY_FIELD_FLOW_LABEL] = "flow-label",
	[FASTPATH_VERIFY_FIELD_SPORT] = "sport",
	[FASTPATH_VERIFY_FIELD_DPORT] = "dport",
	[FASTPATH_VERIFY_FIELD_TCP_SEQ] = "tcp-seq",
	[FASTPATH_VERIFY_FIELD_TCP_ACK] = "tcp-ack",
	[FASTPATH_VERIFY_FIELD_TCP_FLAGS] = "tcp-flags",
	[FASTPATH_VERIFY_FIELD_TCP_WINDOW] = "tcp-window",
	[FASTPATH_VERIFY_FIELD_L4_CHECKSUM] = "l4-checksum",
	[FASTPATH_VERIFY_FIELD_TCP_URGENT] = "tcp-urgent",
	[FASTPATH_VERIFY_FIELD_TCP_OPTIONS] = "tcp-options",
	[FASTPATH_VERIFY_FIELD_PAYLOAD] = "payload",
	[FASTPATH_VERIFY_FIELD_ROUTE] = "route",
};
const size_t fp_verify_field_count = ARRAY_SIZE(fp_verify_field_names);

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
	[FASTPATH_A_EXCEPTIONS_VERIFY - 1] = "verify",
	[FASTPATH_A_EXCEPTIONS_MISMATCH - 1] = "mismatch",
	[FASTPATH_A_EXCEPTIONS_BIG_PACKET - 1] = "big-packet",
	NULL
};

const char *const fp_config_names[] = {
	[FASTPATH_A_CONFIG_FLOW_LIMIT - 1] = "flow-limit",
	[FASTPATH_A_CONFIG_TCP_TIMEOUT - 1] = "tcp-timeout",
	[FASTPATH_A_CONFIG_UDP_TIMEOUT - 1] = "udp-timeout",
	[FASTPATH_A_CONFIG_STATS_INTERVAL - 1] = "stats-interval",
	[FASTPATH_A_CONFIG_VERIFY_INTERVAL - 1] = "verify-interval",
	NULL
};

const struct fp_range fp_config_ranges[] = {
	[FASTPATH_A_CONFIG_FLOW_LIMIT - 1] = { 1U, 4294967295U },
	[FASTPATH_A_CONFIG_TCP_TIMEOUT - 1] = { 1U, FASTPATH_TIMEOUT_MAX },
	[FASTPATH_A_CONFIG_UDP_TIMEOUT - 1] = { 1U, FASTPATH_TIMEOUT_MAX },
	[FASTPATH_A_CONFIG_STATS_INTERVAL - 1] = { 100U, 4294967295U },
	[FASTPATH_A_CONFIG_VERIFY_INTERVAL - 1] = { 0U, FASTPATH_VERIFY_INTERVAL_MAX },
};
