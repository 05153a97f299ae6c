/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	uapi/fastpath.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_FASTPATH_GEN_H
#define _LINUX_FASTPATH_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/fastpath.h>

/* Ops table for fastpath */
extern const struct genl_split_ops fastpath_nl_ops[16];

int fastpath_nl_flow_dump_done(struct netlink_callback *cb);

int fastpath_nl_version_get_doit(struct sk_buff *skb, struct genl_info *info);
int fastpath_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info);
int fastpath_nl_dev_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);
int fastpath_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info);
int fastpath_nl_rule_get_doit(struct sk_buff *skb, struct genl_info *info);
int fastpath_nl_rule_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb);
int fastpath_nl_rule_new_doit(struct sk_buff *skb, struct genl_info *info);
int fastpath_nl_rule_del_doit(struct sk_buff *skb, struct genl_info *info);
int fastpath_nl_rule_flush_doit(struct sk_buff *skb, struct genl_info *info);
int fastpath_nl_flow_get_doit(struct sk_buff *skb, struct genl_info *info);
int fastpath_nl_flow_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb);
int fastpath_nl_flow_flush_doit(struct sk_buff *skb, struct genl_info *info);
int fastpath_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info);
int fastpath_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info);
int fastpath_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info);
int fastpath_nl_flow_explain_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	FASTPATH_NLGRP_MONITOR,
};

#endif /* _LINUX_FASTPATH_GEN_H */
