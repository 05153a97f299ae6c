/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct genl_split_ops came with 6.2.  On older kernels the generated op
 * table (fastpath-nl.c, which Kbuild compiles with this header forced in)
 * fills this stand-in, and netlink.c merges its entries into one struct
 * genl_ops per command.  Only the members the generator writes for this
 * family are here.
 */
#ifndef _FASTPATH_GENL_COMPAT_H
#define _FASTPATH_GENL_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
struct genl_split_ops {
	int (*doit)(struct sk_buff *skb, struct genl_info *info);
	int (*dumpit)(struct sk_buff *skb, struct netlink_callback *cb);
	int (*done)(struct netlink_callback *cb);
	const struct nla_policy *policy;
	unsigned int maxattr;
	u8 cmd;
	u8 flags;
};
#endif

#endif /* _FASTPATH_GENL_COMPAT_H */
