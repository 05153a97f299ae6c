// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: the Generic Netlink family described by uapi/fastpath.yaml.
 *
 * The policies and the op table are generated from the spec
 * (fastpath-nl.c, scripts/ynl-gen); here are the handlers they name and
 * the family.  The family is not parallel_ops: the genl mutex serialises
 * every request, which is what keeps configuration changes (devices,
 * rules, config) of a netns consistent.  Replies, dumps and notifications
 * share one fill function per object.
 */
#include <linux/rtnetlink.h>
#include <linux/version.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "fastpath.h"
#include "genl-compat.h"
#include "fastpath-nl.h"

/* Since 6.7 and 6.1.68: older kernels would let anyone read the flows. */
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "multicast groups need GENL_MCAST_CAP_NET_ADMIN"
#endif

static struct genl_family fp_family;

/* uns-admin-perm in the spec, which ynl-gen-c does not turn into a flag. */
static const struct genl_multicast_group fp_nl_mcgrps[] = {
	[FASTPATH_NLGRP_MONITOR] = {
		.name = FASTPATH_MCGRP_MONITOR,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

/* Message helpers */

static unsigned int fp_nl_addr_len(u8 family)
{
	return family == AF_INET ? sizeof(struct in_addr) :
				   sizeof(struct in6_addr);
}

/* Finish a message whose attributes were filled with result err. */
static int fp_nl_msg_end(struct sk_buff *skb, void *hdr, int err)
{
	if (err) {
		genlmsg_cancel(skb, hdr);
		return err;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* A reply to a do request; *hdr is where its attributes go. */
static struct sk_buff *fp_nl_reply_new(struct genl_info *info, void **hdr)
{
	struct sk_buff *msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);

	if (!msg)
		return NULL;
	*hdr = genlmsg_put_reply(msg, info, &fp_family, 0, info->genlhdr->cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* Send the reply if its attributes were filled (err 0), else drop it. */
static int fp_nl_reply(struct genl_info *info, struct sk_buff *msg, void *hdr,
		       int err)
{
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* Start one message of a dump, flagged if the dumped table changed. */
static void *fp_nl_dump_msg(struct sk_buff *skb, struct netlink_callback *cb,
			    u8 cmd)
{
	void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				cb->nlh->nlmsg_seq, &fp_family, NLM_F_MULTI,
				cmd);

	if (hdr)
		genl_dump_check_consistent(cb, hdr);
	return hdr;
}

/* What a dumpit returns after stopping with err. */
static int fp_nl_dump_ret(struct sk_buff *skb, int err)
{
	/* A full skb goes out and the dump resumes in the next one. */
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err;
}

/* Attribute parsing shared by rules and flows */

static int fp_nl_get_family(const struct nlattr *attr, u8 *family,
			    struct netlink_ext_ack *extack)
{
	u8 f = nla_get_u8(attr);

	if (f != AF_INET && f != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	*family = f;
	return 0;
}

/* An address of family (0: not given), 4 or 16 bytes. */
static int fp_nl_get_addr(const struct nlattr *attr, u8 family,
			  union nf_inet_addr *addr,
			  struct netlink_ext_ack *extack)
{
	if (!family) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "address needs family");
		return -EINVAL;
	}
	if (nla_len(attr) != fp_nl_addr_len(family)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "address length does not match family");
		return -EINVAL;
	}
	memset(addr, 0, sizeof(*addr));
	nla_memcpy(addr, attr, sizeof(*addr));
	return 0;
}

/* Is any bit of a after its first plen set? */
static bool fp_nl_host_bits(const union nf_inet_addr *a, unsigned int plen,
			    unsigned int bits)
{
	unsigned int i;

	for (i = plen; i < bits; i++)
		if (a->all[i / 32] & htonl(1U << (31 - i % 32)))
			return true;
	return false;
}

/*
 * The prefix tb[addr]/tb[len], the whole address when tb[len] is absent.
 * Returns 1 if given, 0 if not, or an error.
 */
static int fp_nl_get_prefix(struct nlattr **tb, int addr, int len, u8 family,
			    union nf_inet_addr *prefix, u8 *plen,
			    struct netlink_ext_ack *extack)
{
	unsigned int bits;
	int err;

	if (!tb[addr]) {
		if (tb[len]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[len],
					    "prefix length needs an address");
			return -EINVAL;
		}
		return 0;
	}
	err = fp_nl_get_addr(tb[addr], family, prefix, extack);
	if (err)
		return err;
	bits = fp_nl_addr_len(family) * BITS_PER_BYTE;
	*plen = tb[len] ? nla_get_u8(tb[len]) : bits;
	if (*plen > bits) {
		NL_SET_ERR_MSG_ATTR(extack, tb[len],
				    "prefix length exceeds address");
		return -EINVAL;
	}
	/* As ip route: 10.0.0.1/24 is a mistake, not 10.0.0.0/24. */
	if (fp_nl_host_bits(prefix, *plen, bits)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[addr],
				    "address has host bits set beyond the prefix length");
		return -EINVAL;
	}
	return 1;
}

/*
 * The port range tb[min]..tb[max], open on a side not given.  Returns 1 if
 * given, 0 if not, or an error.
 */
static int fp_nl_get_ports(struct nlattr **tb, int min, int max, u16 *lo,
			   u16 *hi, struct netlink_ext_ack *extack)
{
	if (!tb[min] && !tb[max])
		return 0;
	*lo = tb[min] ? nla_get_u16(tb[min]) : 0;
	*hi = tb[max] ? nla_get_u16(tb[max]) : U16_MAX;
	if (*lo > *hi) {
		NL_SET_ERR_MSG_ATTR(extack, tb[min],
				    "port range minimum exceeds maximum");
		return -EINVAL;
	}
	return 1;
}

/* version-get */

int fastpath_nl_version_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = fp_nl_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;
	return fp_nl_reply(info, msg, hdr,
			   nla_put_string(msg, FASTPATH_A_VERSION_VERSION,
					  FASTPATH_VERSION));
}

/* dev-get, dev-set */

/*
 * A device as the family shows it: its name, its ifindex while a device of
 * that name exists, and fastpath's counters when it is enabled (fpd).
 * RTNL held.
 */
static int fp_nl_dev_fill(struct sk_buff *skb, const char *name,
			  struct net_device *dev, struct fp_dev *fpd)
{
	enum fastpath_xmit_mode mode;
	struct net_device *lower;
	struct fp_stats st;

	if ((dev && nla_put_u32(skb, FASTPATH_A_DEV_IFINDEX, dev->ifindex)) ||
	    nla_put_string(skb, FASTPATH_A_DEV_IFNAME, name) ||
	    nla_put_u8(skb, FASTPATH_A_DEV_ENABLED, !!fpd))
		return -EMSGSIZE;
	if (!fpd)
		return 0;
	if (dev && netif_running(dev)) {
		mode = fp_l2_describe(fpd->fpn, dev, &lower);
		if ((lower && nla_put_string(skb, FASTPATH_A_DEV_XMIT_IFNAME,
					     lower->name)) ||
		    nla_put_u32(skb, FASTPATH_A_DEV_XMIT_MODE, mode))
			return -EMSGSIZE;
	}

	fp_stats_read(fpd->stats, &st);
	if (nla_put_u64_64bit(skb, FASTPATH_A_DEV_RX_PACKETS, st.fast_packets,
			      FASTPATH_A_DEV_PAD) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_DEV_RX_BYTES, st.fast_bytes,
			      FASTPATH_A_DEV_PAD) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_DEV_TX_PACKETS, st.tx_packets,
			      FASTPATH_A_DEV_PAD) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_DEV_TX_BYTES, st.tx_bytes,
			      FASTPATH_A_DEV_PAD) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_DEV_SLOW_PACKETS,
			      st.slow_packets, FASTPATH_A_DEV_PAD) ||
	    (fpd->bypassed &&
	     nla_put_u32(skb, FASTPATH_A_DEV_BYPASSED, fpd->bypassed)))
		return -EMSGSIZE;
	return 0;
}

/*
 * The device name a request means, by ifindex and/or ifname, into name;
 * *devp is the device of that name, NULL if none exists (a name alone may
 * mean a device enabled before it exists).  RTNL held.
 */
static int fp_nl_dev_name(struct genl_info *info, char name[IFNAMSIZ],
			  struct net_device **devp)
{
	struct nlattr *ifindex = info->attrs[FASTPATH_A_DEV_IFINDEX];
	struct nlattr *ifname = info->attrs[FASTPATH_A_DEV_IFNAME];
	struct net *net = genl_info_net(info);
	struct net_device *dev;

	if (!ifindex && !ifname) {
		NL_SET_ERR_MSG(info->extack, "ifindex or ifname required");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, FASTPATH_A_DEV_IFINDEX);
		return -EINVAL;
	}
	if (!ifindex) {
		nla_strscpy(name, ifname, IFNAMSIZ);
		/* Waiting for a name no device can have would be forever. */
		if (!dev_valid_name(name)) {
			NL_SET_ERR_MSG_ATTR(info->extack, ifname,
					    "invalid device name");
			return -EINVAL;
		}
		*devp = __dev_get_by_name(net, name);
		return 0;
	}
	dev = __dev_get_by_index(net, nla_get_u32(ifindex));
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(info->extack, ifindex, "device not found");
		return -ENODEV;
	}
	if (ifname && nla_strcmp(ifname, dev->name)) {
		NL_SET_ERR_MSG_ATTR(info->extack, ifname,
				    "ifname does not match ifindex");
		return -EINVAL;
	}
	strscpy(name, dev->name, IFNAMSIZ);
	*devp = dev;
	return 0;
}

int fastpath_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fp_net *fpn = fp_pernet(genl_info_net(info));
	struct net_device *dev;
	char name[IFNAMSIZ];
	struct fp_dev *fpd;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = fp_nl_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;

	rtnl_lock();
	err = fp_nl_dev_name(info, name, &dev);
	if (!err) {
		fpd = fp_dev_find_name(fpn, name);
		if (dev || fpd) {
			err = fp_nl_dev_fill(msg, name, dev, fpd);
		} else {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[FASTPATH_A_DEV_IFNAME],
					    "device not found");
			err = -ENODEV;
		}
	}
	rtnl_unlock();

	return fp_nl_reply(info, msg, hdr, err);
}

struct fp_nl_dev_dump {
	char name[IFNAMSIZ];	/* the last one dumped */
};

/* Enabled devices in name order, so that a dump can resume. */
int fastpath_nl_dev_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	struct fp_net *fpn = fp_pernet(sock_net(cb->skb->sk));
	struct fp_nl_dev_dump *ctx = (void *)cb->ctx;
	struct fp_dev *fpd, *next;
	void *hdr;
	int err = 0;

	rtnl_lock();
	for (;;) {
		next = NULL;
		list_for_each_entry(fpd, &fpn->devs, list)
			if (strncmp(fpd->name, ctx->name, IFNAMSIZ) > 0 &&
			    (!next || strncmp(fpd->name, next->name, IFNAMSIZ) < 0))
				next = fpd;
		if (!next)
			break;

		hdr = fp_nl_dump_msg(skb, cb, FASTPATH_CMD_DEV_GET);
		err = hdr ? fp_nl_msg_end(skb, hdr,
					  fp_nl_dev_fill(skb, next->name,
							 next->dev, next)) :
			    -EMSGSIZE;
		if (err)
			break;
		strscpy(ctx->name, next->name, IFNAMSIZ);
	}
	rtnl_unlock();

	return fp_nl_dump_ret(skb, err);
}

int fastpath_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fp_net *fpn = fp_pernet(genl_info_net(info));
	struct net_device *dev;
	char name[IFNAMSIZ];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, FASTPATH_A_DEV_ENABLED))
		return -EINVAL;

	rtnl_lock();
	err = fp_nl_dev_name(info, name, &dev);
	if (!err) {
		if (nla_get_u8(info->attrs[FASTPATH_A_DEV_ENABLED]))
			err = fp_dev_enable(fpn, name, info->extack);
		else
			err = fp_dev_disable(fpn, name, info->extack);
		if (err)
			NL_SET_BAD_ATTR(info->extack,
					info->attrs[FASTPATH_A_DEV_IFINDEX] ?:
					info->attrs[FASTPATH_A_DEV_IFNAME]);
	}
	rtnl_unlock();

	return err;
}

/* rule-get, rule-new, rule-del, rule-flush */

static int fp_nl_rule_fill(struct sk_buff *skb, const struct fp_rule *r)
{
	unsigned int alen = fp_nl_addr_len(r->family);

	if (nla_put_u32(skb, FASTPATH_A_RULE_PREF, r->pref) ||
	    nla_put_u32(skb, FASTPATH_A_RULE_ACTION, r->action))
		return -EMSGSIZE;
	if (r->match & FP_RULE_IIF &&
	    nla_put_string(skb, FASTPATH_A_RULE_IIFNAME, r->iifname))
		return -EMSGSIZE;
	if (r->match & FP_RULE_OIF &&
	    nla_put_string(skb, FASTPATH_A_RULE_OIFNAME, r->oifname))
		return -EMSGSIZE;
	if (r->match & FP_RULE_FAMILY &&
	    nla_put_u8(skb, FASTPATH_A_RULE_FAMILY, r->family))
		return -EMSGSIZE;
	if (r->match & FP_RULE_SRC &&
	    (nla_put(skb, FASTPATH_A_RULE_SRC, alen, &r->src) ||
	     nla_put_u8(skb, FASTPATH_A_RULE_SRC_LEN, r->src_len)))
		return -EMSGSIZE;
	if (r->match & FP_RULE_DST &&
	    (nla_put(skb, FASTPATH_A_RULE_DST, alen, &r->dst) ||
	     nla_put_u8(skb, FASTPATH_A_RULE_DST_LEN, r->dst_len)))
		return -EMSGSIZE;
	if (r->match & FP_RULE_PROTO &&
	    nla_put_u8(skb, FASTPATH_A_RULE_PROTO, r->proto))
		return -EMSGSIZE;
	if (r->match & FP_RULE_SPORT &&
	    (nla_put_u16(skb, FASTPATH_A_RULE_SPORT_MIN, r->sport_min) ||
	     nla_put_u16(skb, FASTPATH_A_RULE_SPORT_MAX, r->sport_max)))
		return -EMSGSIZE;
	if (r->match & FP_RULE_DPORT &&
	    (nla_put_u16(skb, FASTPATH_A_RULE_DPORT_MIN, r->dport_min) ||
	     nla_put_u16(skb, FASTPATH_A_RULE_DPORT_MAX, r->dport_max)))
		return -EMSGSIZE;
	if (r->match & FP_RULE_DSCP &&
	    nla_put_u8(skb, FASTPATH_A_RULE_DSCP, r->dscp))
		return -EMSGSIZE;
	if (r->match & FP_RULE_MARK &&
	    (nla_put_u32(skb, FASTPATH_A_RULE_MARK, r->mark) ||
	     nla_put_u32(skb, FASTPATH_A_RULE_MARK_MASK, r->mark_mask)))
		return -EMSGSIZE;
	return nla_put_u64_64bit(skb, FASTPATH_A_RULE_HITS,
				 atomic64_read(&r->hits), FASTPATH_A_RULE_PAD);
}

int fastpath_nl_rule_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fp_net *fpn = fp_pernet(genl_info_net(info));
	struct nlattr *pref = info->attrs[FASTPATH_A_RULE_PREF];
	const struct fp_rule *rule;
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, FASTPATH_A_RULE_PREF))
		return -EINVAL;
	msg = fp_nl_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;

	rcu_read_lock();
	rule = fp_rule_find(rcu_dereference(fpn->rules), nla_get_u32(pref));
	if (rule) {
		err = fp_nl_rule_fill(msg, rule);
	} else {
		NL_SET_ERR_MSG_ATTR(info->extack, pref, "no rule with this pref");
		err = -ENOENT;
	}
	rcu_read_unlock();

	return fp_nl_reply(info, msg, hdr, err);
}

struct fp_nl_rule_dump {
	unsigned int pos;	/* next one to dump */
};

int fastpath_nl_rule_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct fp_net *fpn = fp_pernet(sock_net(cb->skb->sk));
	struct fp_nl_rule_dump *ctx = (void *)cb->ctx;
	const struct fp_ruleset *set;
	void *hdr;
	int err = 0;

	rcu_read_lock();
	set = rcu_dereference(fpn->rules);
	cb->seq = set ? set->gen : 0;
	for (; set && ctx->pos < set->n; ctx->pos++) {
		hdr = fp_nl_dump_msg(skb, cb, FASTPATH_CMD_RULE_GET);
		err = hdr ? fp_nl_msg_end(skb, hdr,
					  fp_nl_rule_fill(skb, set->rules[ctx->pos])) :
			    -EMSGSIZE;
		if (err)
			break;
	}
	rcu_read_unlock();

	return fp_nl_dump_ret(skb, err);
}

/*
 * A device name given as tb[name], or as tb[ifindex] (the name that device
 * has now), into name.  Returns 1 if given, 0 if not, or an error.
 */
static int fp_nl_get_ifname(struct genl_info *info, int ifindex, int ifname,
			    char name[IFNAMSIZ])
{
	struct nlattr **tb = info->attrs;
	struct net_device *dev;

	if (tb[ifindex] && tb[ifname]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[ifname],
				    "give a device by index or by name, not both");
		return -EINVAL;
	}
	if (tb[ifname]) {
		nla_strscpy(name, tb[ifname], IFNAMSIZ);
		if (!*name) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[ifname],
					    "empty device name");
			return -EINVAL;
		}
		return 1;
	}
	if (!tb[ifindex])
		return 0;
	rcu_read_lock();
	dev = dev_get_by_index_rcu(genl_info_net(info), nla_get_u32(tb[ifindex]));
	if (dev)
		strscpy(name, dev->name, IFNAMSIZ);
	rcu_read_unlock();
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[ifindex], "device not found");
		return -ENODEV;
	}
	return 1;
}

static int fp_nl_rule_parse(struct genl_info *info, struct fp_rule *r)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **tb = info->attrs;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, FASTPATH_A_RULE_ACTION))
		return -EINVAL;
	r->action = nla_get_u32(tb[FASTPATH_A_RULE_ACTION]);
	if (tb[FASTPATH_A_RULE_PREF])
		r->pref = nla_get_u32(tb[FASTPATH_A_RULE_PREF]);

	err = fp_nl_get_ifname(info, FASTPATH_A_RULE_IIF, FASTPATH_A_RULE_IIFNAME,
			       r->iifname);
	if (err < 0)
		return err;
	if (err)
		r->match |= FP_RULE_IIF;
	err = fp_nl_get_ifname(info, FASTPATH_A_RULE_OIF, FASTPATH_A_RULE_OIFNAME,
			       r->oifname);
	if (err < 0)
		return err;
	if (err)
		r->match |= FP_RULE_OIF;
	if (tb[FASTPATH_A_RULE_FAMILY]) {
		err = fp_nl_get_family(tb[FASTPATH_A_RULE_FAMILY], &r->family,
				       extack);
		if (err)
			return err;
		r->match |= FP_RULE_FAMILY;
	}
	err = fp_nl_get_prefix(tb, FASTPATH_A_RULE_SRC, FASTPATH_A_RULE_SRC_LEN,
			       r->family, &r->src, &r->src_len, extack);
	if (err < 0)
		return err;
	if (err)
		r->match |= FP_RULE_SRC;
	err = fp_nl_get_prefix(tb, FASTPATH_A_RULE_DST, FASTPATH_A_RULE_DST_LEN,
			       r->family, &r->dst, &r->dst_len, extack);
	if (err < 0)
		return err;
	if (err)
		r->match |= FP_RULE_DST;
	if (tb[FASTPATH_A_RULE_PROTO]) {
		r->match |= FP_RULE_PROTO;
		r->proto = nla_get_u8(tb[FASTPATH_A_RULE_PROTO]);
	}
	err = fp_nl_get_ports(tb, FASTPATH_A_RULE_SPORT_MIN,
			      FASTPATH_A_RULE_SPORT_MAX, &r->sport_min,
			      &r->sport_max, extack);
	if (err < 0)
		return err;
	if (err)
		r->match |= FP_RULE_SPORT;
	err = fp_nl_get_ports(tb, FASTPATH_A_RULE_DPORT_MIN,
			      FASTPATH_A_RULE_DPORT_MAX, &r->dport_min,
			      &r->dport_max, extack);
	if (err < 0)
		return err;
	if (err)
		r->match |= FP_RULE_DPORT;
	if (tb[FASTPATH_A_RULE_DSCP]) {
		r->match |= FP_RULE_DSCP;
		r->dscp = nla_get_u8(tb[FASTPATH_A_RULE_DSCP]);
	}
	if (tb[FASTPATH_A_RULE_MARK]) {
		r->match |= FP_RULE_MARK;
		r->mark = nla_get_u32(tb[FASTPATH_A_RULE_MARK]);
		r->mark_mask = tb[FASTPATH_A_RULE_MARK_MASK] ?
			       nla_get_u32(tb[FASTPATH_A_RULE_MARK_MASK]) :
			       U32_MAX;
	} else if (tb[FASTPATH_A_RULE_MARK_MASK]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[FASTPATH_A_RULE_MARK_MASK],
				    "mark-mask needs mark");
		return -EINVAL;
	}
	return 0;
}

int fastpath_nl_rule_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fp_net *fpn = fp_pernet(genl_info_net(info));
	struct fp_rule *rule;
	int err;

	rule = kzalloc(sizeof(*rule), GFP_KERNEL);
	if (!rule)
		return -ENOMEM;
	err = fp_nl_rule_parse(info, rule);
	if (!err)
		err = fp_rule_add(fpn, rule, info->extack);
	if (err == -EEXIST)
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[FASTPATH_A_RULE_PREF],
				    "rule with this pref exists");
	if (err)
		kfree(rule);
	return err;
}

int fastpath_nl_rule_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fp_net *fpn = fp_pernet(genl_info_net(info));
	struct nlattr *pref = info->attrs[FASTPATH_A_RULE_PREF];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, FASTPATH_A_RULE_PREF))
		return -EINVAL;
	err = fp_rule_del(fpn, nla_get_u32(pref), info->extack);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, pref, "no rule with this pref");
	return err;
}

int fastpath_nl_rule_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	return fp_rules_flush(fp_pernet(genl_info_net(info)), info->extack);
}

/* flow-get, flow-flush, notifications */

/* A direction's tuple as received and as transmitted. */
static int fp_nl_tuple_addrs(struct sk_buff *skb, u8 family,
			     const struct fp_dir *dir)
{
	unsigned int alen = fp_nl_addr_len(family);
	const struct fp_key *k = &dir->key;

	if (nla_put(skb, FASTPATH_A_TUPLE_SRC, alen, &k->src) ||
	    nla_put(skb, FASTPATH_A_TUPLE_DST, alen, &k->dst) ||
	    nla_put_u16(skb, FASTPATH_A_TUPLE_SPORT, ntohs(k->sport)) ||
	    nla_put_u16(skb, FASTPATH_A_TUPLE_DPORT, ntohs(k->dport)) ||
	    nla_put(skb, FASTPATH_A_TUPLE_XLAT_SRC, alen, &dir->xsrc) ||
	    nla_put(skb, FASTPATH_A_TUPLE_XLAT_DST, alen, &dir->xdst) ||
	    nla_put_u16(skb, FASTPATH_A_TUPLE_XLAT_SPORT, ntohs(dir->xsport)) ||
	    nla_put_u16(skb, FASTPATH_A_TUPLE_XLAT_DPORT, ntohs(dir->xdport)))
		return -EMSGSIZE;
	return 0;
}

/* Devices (0: not known, left out), whether fast, why and its detail. */
static int fp_nl_tuple_why(struct sk_buff *skb, const struct fp_explain_dir *ex)
{
	if ((ex->iif && nla_put_u32(skb, FASTPATH_A_TUPLE_IIF, ex->iif)) ||
	    (ex->oif && nla_put_u32(skb, FASTPATH_A_TUPLE_OIF, ex->oif)) ||
	    nla_put_u8(skb, FASTPATH_A_TUPLE_OFFLOADED, ex->offloaded) ||
	    (ex->why && nla_put_u32(skb, FASTPATH_A_TUPLE_WHY, ex->why)) ||
	    (ex->detail &&
	     nla_put_u32(skb, FASTPATH_A_TUPLE_WHY_DETAIL, ex->detail)))
		return -EMSGSIZE;
	return 0;
}

static int fp_nl_tuple_fill(struct sk_buff *skb, int type,
			    const struct fp_flow *flow, const struct fp_dir *dir)
{
	struct fp_explain_dir ex = {};
	struct nlattr *nest;
	u64 packets, bytes;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	fp_explain_learned(dir, &ex);
	fp_dir_counters(dir, &packets, &bytes);
	if (fp_nl_tuple_addrs(skb, flow->family, dir) ||
	    fp_nl_tuple_why(skb, &ex) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_TUPLE_PACKETS, packets,
			      FASTPATH_A_TUPLE_PAD) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_TUPLE_BYTES, bytes,
			      FASTPATH_A_TUPLE_PAD) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_TUPLE_IDLE_MS,
			      jiffies64_to_msecs(fp_dir_idle(dir)),
			      FASTPATH_A_TUPLE_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* reason: only for FLOW_DEL_NTF, 0 otherwise. */
static int fp_nl_flow_fill(struct sk_buff *skb, const struct fp_flow *flow,
			   enum fastpath_del_reason reason)
{
	if (nla_put_u32(skb, FASTPATH_A_FLOW_ID, flow->id) ||
	    nla_put_u8(skb, FASTPATH_A_FLOW_FAMILY, flow->family) ||
	    nla_put_u8(skb, FASTPATH_A_FLOW_PROTO, flow->proto) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_FLOW_AGE_MS,
			      jiffies64_to_msecs(jiffies - flow->created),
			      FASTPATH_A_FLOW_PAD) ||
	    fp_nl_tuple_fill(skb, FASTPATH_A_FLOW_ORIG, flow,
			     &flow->dir[IP_CT_DIR_ORIGINAL]) ||
	    fp_nl_tuple_fill(skb, FASTPATH_A_FLOW_REPLY, flow,
			     &flow->dir[IP_CT_DIR_REPLY]) ||
	    (reason && nla_put_u32(skb, FASTPATH_A_FLOW_REASON, reason)))
		return -EMSGSIZE;
	return 0;
}

static size_t fp_nl_tuple_size(void)
{
	return nla_total_size(0) +				/* nest */
	       2 * nla_total_size(sizeof(u32)) +		/* iif, oif */
	       4 * nla_total_size(sizeof(struct in6_addr)) +	/* addrs */
	       4 * nla_total_size(sizeof(u16)) +		/* ports */
	       nla_total_size(sizeof(u8)) +			/* offloaded */
	       2 * nla_total_size(sizeof(u32)) +		/* why, detail */
	       3 * nla_total_size_64bit(sizeof(u64));		/* counters */
}

static size_t fp_nl_flow_size(void)
{
	return nla_total_size(sizeof(u32)) +			/* id */
	       2 * nla_total_size(sizeof(u8)) +			/* family, proto */
	       nla_total_size_64bit(sizeof(u64)) +		/* age */
	       2 * fp_nl_tuple_size() +
	       nla_total_size(sizeof(u32));			/* reason */
}

/* The whole 5-tuple a flow-get or flow-explain request names. */
static int fp_nl_get_tuple(struct genl_info *info, struct fp_key *key)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **tb = info->attrs;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, FASTPATH_A_FLOW_FAMILY) ||
	    GENL_REQ_ATTR_CHECK(info, FASTPATH_A_FLOW_PROTO) ||
	    GENL_REQ_ATTR_CHECK(info, FASTPATH_A_FLOW_SRC) ||
	    GENL_REQ_ATTR_CHECK(info, FASTPATH_A_FLOW_DST) ||
	    GENL_REQ_ATTR_CHECK(info, FASTPATH_A_FLOW_SPORT) ||
	    GENL_REQ_ATTR_CHECK(info, FASTPATH_A_FLOW_DPORT))
		return -EINVAL;
	err = fp_nl_get_family(tb[FASTPATH_A_FLOW_FAMILY], &key->family, extack);
	if (err)
		return err;
	err = fp_nl_get_addr(tb[FASTPATH_A_FLOW_SRC], key->family, &key->src,
			     extack);
	if (err)
		return err;
	err = fp_nl_get_addr(tb[FASTPATH_A_FLOW_DST], key->family, &key->dst,
			     extack);
	if (err)
		return err;
	key->proto = nla_get_u8(tb[FASTPATH_A_FLOW_PROTO]);
	key->sport = htons(nla_get_u16(tb[FASTPATH_A_FLOW_SPORT]));
	key->dport = htons(nla_get_u16(tb[FASTPATH_A_FLOW_DPORT]));
	return 0;
}

/* The conntrack zone a lookup by tuple asks for: the default one, 0. */
static u16 fp_nl_zone(const struct genl_info *info)
{
	const struct nlattr *attr = info->attrs[FASTPATH_A_FLOW_ZONE];

	return attr ? nla_get_u16(attr) : 0;
}

int fastpath_nl_flow_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fp_net *fpn = fp_pernet(genl_info_net(info));
	const struct fp_flow *flow;
	struct fp_key key = {};
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = fp_nl_get_tuple(info, &key);
	if (err)
		return err;
	msg = fp_nl_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;

	rcu_read_lock();
	flow = fp_flow_find_tuple(fpn, &key, fp_nl_zone(info));
	if (flow) {
		err = fp_nl_flow_fill(msg, flow, 0);
	} else {
		NL_SET_ERR_MSG(info->extack, "flow not found");
		err = -ENOENT;
	}
	rcu_read_unlock();

	return fp_nl_reply(info, msg, hdr, err);
}

/* Filters of flow dumps and flushes; zero family, proto, ifindex: any. */
struct fp_nl_flow_filter {
	union nf_inet_addr src;
	union nf_inet_addr dst;
	u32 ifindex;
	__be16 sport;
	__be16 dport;
	u8 family;
	u8 proto;
	u8 src_len;
	u8 dst_len;
	bool has_src;
	bool has_dst;
	bool has_sport;
	bool has_dport;
};

static int fp_nl_flow_filter_parse(struct nlattr **tb,
				   struct fp_nl_flow_filter *f,
				   struct netlink_ext_ack *extack)
{
	int err;

	memset(f, 0, sizeof(*f));
	if (tb[FASTPATH_A_FLOW_FAMILY]) {
		err = fp_nl_get_family(tb[FASTPATH_A_FLOW_FAMILY], &f->family,
				       extack);
		if (err)
			return err;
	}
	if (tb[FASTPATH_A_FLOW_PROTO])
		f->proto = nla_get_u8(tb[FASTPATH_A_FLOW_PROTO]);
	if (tb[FASTPATH_A_FLOW_IFINDEX])
		f->ifindex = nla_get_u32(tb[FASTPATH_A_FLOW_IFINDEX]);
	err = fp_nl_get_prefix(tb, FASTPATH_A_FLOW_SRC, FASTPATH_A_FLOW_SRC_LEN,
			       f->family, &f->src, &f->src_len, extack);
	if (err < 0)
		return err;
	f->has_src = err;
	err = fp_nl_get_prefix(tb, FASTPATH_A_FLOW_DST, FASTPATH_A_FLOW_DST_LEN,
			       f->family, &f->dst, &f->dst_len, extack);
	if (err < 0)
		return err;
	f->has_dst = err;
	if (tb[FASTPATH_A_FLOW_SPORT]) {
		f->has_sport = true;
		f->sport = htons(nla_get_u16(tb[FASTPATH_A_FLOW_SPORT]));
	}
	if (tb[FASTPATH_A_FLOW_DPORT]) {
		f->has_dport = true;
		f->dport = htons(nla_get_u16(tb[FASTPATH_A_FLOW_DPORT]));
	}
	return 0;
}

static bool fp_nl_dir_uses(const struct fp_dir *dir, u32 ifindex)
{
	return fp_dir_offloaded(dir) &&
	       ((u32)dir->key.iif == ifindex || dir->nh->dev->ifindex == ifindex);
}

/* Does the tuple a direction receives match the address/port filters? */
static bool fp_nl_dir_match(const struct fp_dir *dir,
			    const struct fp_nl_flow_filter *f, u8 family)
{
	const struct fp_key *k = &dir->key;

	return (!f->has_src ||
		fp_prefix_match(family, &k->src, &f->src, f->src_len)) &&
	       (!f->has_dst ||
		fp_prefix_match(family, &k->dst, &f->dst, f->dst_len)) &&
	       (!f->has_sport || k->sport == f->sport) &&
	       (!f->has_dport || k->dport == f->dport);
}

/* fp_flow_match_t */
static bool fp_nl_flow_match(const struct fp_flow *flow, const void *arg)
{
	const struct fp_dir *orig = &flow->dir[IP_CT_DIR_ORIGINAL];
	const struct fp_dir *reply = &flow->dir[IP_CT_DIR_REPLY];
	const struct fp_nl_flow_filter *f = arg;

	if (f->family && flow->family != f->family)
		return false;
	if (f->proto && flow->proto != f->proto)
		return false;
	if (f->ifindex && !fp_nl_dir_uses(orig, f->ifindex) &&
	    !fp_nl_dir_uses(reply, f->ifindex))
		return false;
	return fp_nl_dir_match(orig, f, flow->family) ||
	       fp_nl_dir_match(reply, f, flow->family);
}

struct fp_nl_flow_dump {
	struct fp_nl_flow_filter *filter;
	unsigned long id;	/* next one to dump */
};

/* Kernels before 6.6 keep a dump's attributes elsewhere. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define fp_nl_dump_attrs(cb) (genl_info_dump(cb)->attrs)
#else
#define fp_nl_dump_attrs(cb) (genl_dumpit_info(cb)->attrs)
#endif

/*
 * The filter is parsed by the first dump call rather than a start
 * callback: 6.1 gives a start callback no extack, while every kernel
 * reports a dump call's error and extack in the dump's NLMSG_DONE.
 */
static int fp_nl_flow_dump_filter(struct netlink_callback *cb)
{
	struct fp_nl_flow_dump *ctx = (void *)cb->ctx;
	struct fp_nl_flow_filter *f;
	int err;

	f = kmalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	err = fp_nl_flow_filter_parse(fp_nl_dump_attrs(cb), f, cb->extack);
	if (err) {
		kfree(f);
		return err;
	}
	ctx->filter = f;
	return 0;
}

int fastpath_nl_flow_dump_done(struct netlink_callback *cb)
{
	struct fp_nl_flow_dump *ctx = (void *)cb->ctx;

	kfree(ctx->filter);
	return 0;
}

/* Flows in id order, so that a dump resumes where it stopped. */
int fastpath_nl_flow_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct fp_net *fpn = fp_pernet(sock_net(cb->skb->sk));
	struct fp_nl_flow_dump *ctx = (void *)cb->ctx;
	const struct fp_flow *flow;
	void *hdr;
	int err = 0;

	if (!ctx->filter) {
		err = fp_nl_flow_dump_filter(cb);
		if (err)
			return err;
	}
	cb->seq = READ_ONCE(fpn->gen);
	rcu_read_lock();
	for (; (flow = fp_flow_next(fpn, &ctx->id)); ctx->id++) {
		if (!fp_nl_flow_match(flow, ctx->filter))
			continue;
		hdr = fp_nl_dump_msg(skb, cb, FASTPATH_CMD_FLOW_GET);
		err = hdr ? fp_nl_msg_end(skb, hdr,
					  fp_nl_flow_fill(skb, flow, 0)) :
			    -EMSGSIZE;
		if (err)
			break;
	}
	rcu_read_unlock();

	return fp_nl_dump_ret(skb, err);
}

int fastpath_nl_flow_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fp_net *fpn = fp_pernet(genl_info_net(info));
	struct fp_nl_flow_filter f;
	unsigned int count;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = fp_nl_flow_filter_parse(info->attrs, &f, info->extack);
	if (err)
		return err;
	msg = fp_nl_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;
	count = fp_flow_flush(fpn, fp_nl_flow_match, &f,
			      FASTPATH_DEL_REASON_FLUSH);
	return fp_nl_reply(info, msg, hdr,
			   nla_put_u32(msg, FASTPATH_A_FLOW_COUNT, count));
}

static int fp_nl_explain_dir_fill(struct sk_buff *skb, int type, u8 family,
				  const struct fp_dir *tuple,
				  const struct fp_explain_dir *ex)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest || fp_nl_tuple_addrs(skb, family, tuple) ||
	    fp_nl_tuple_why(skb, ex))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

int fastpath_nl_flow_explain_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fp_net *fpn = fp_pernet(genl_info_net(info));
	struct fp_explain *ex;
	struct fp_key key = {};
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = fp_nl_get_tuple(info, &key);
	if (err)
		return err;
	ex = kmalloc(sizeof(*ex), GFP_KERNEL);
	if (!ex)
		return -ENOMEM;
	err = fp_explain(fpn, &key, fp_nl_zone(info), ex, info->extack);
	if (err)
		goto out;
	msg = fp_nl_reply_new(info, &hdr);
	if (!msg) {
		err = -ENOMEM;
		goto out;
	}
	err = nla_put_u8(msg, FASTPATH_A_FLOW_FAMILY, key.family) ||
	      nla_put_u8(msg, FASTPATH_A_FLOW_PROTO, key.proto) ||
	      /* ctnetlink puts the host-order id as a be32: as conntrack -L. */
	      nla_put_u32(msg, FASTPATH_A_FLOW_CT_ID,
			  ntohl((__force __be32)ex->ct_id)) ||
	      fp_nl_explain_dir_fill(msg, FASTPATH_A_FLOW_ORIG, key.family,
				     &ex->tuple[IP_CT_DIR_ORIGINAL],
				     &ex->dir[IP_CT_DIR_ORIGINAL]) ||
	      fp_nl_explain_dir_fill(msg, FASTPATH_A_FLOW_REPLY, key.family,
				     &ex->tuple[IP_CT_DIR_REPLY],
				     &ex->dir[IP_CT_DIR_REPLY]) ? -EMSGSIZE : 0;
	err = fp_nl_reply(info, msg, hdr, err);
out:
	kfree(ex);
	return err;
}

bool fp_nl_has_listeners(struct fp_net *fpn)
{
	return genl_has_listeners(&fp_family, fpn->net, FASTPATH_NLGRP_MONITOR);
}

/* FLOW_NEW_NTF, FLOW_DEL_NTF (with reason), FLOW_STATS_NTF; any context. */
void fp_nl_flow_event(struct fp_net *fpn, const struct fp_flow *flow, u8 cmd,
		      enum fastpath_del_reason reason)
{
	struct sk_buff *msg;
	void *hdr;

	if (!fp_nl_has_listeners(fpn))
		return;
	msg = genlmsg_new(fp_nl_flow_size(), GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &fp_family, 0, cmd);
	if (!hdr || fp_nl_flow_fill(msg, flow, reason)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&fp_family, fpn->net, msg, 0,
				FASTPATH_NLGRP_MONITOR, GFP_ATOMIC);
}

/* stats-get */

static int fp_nl_stats_fill(struct sk_buff *skb, struct fp_net *fpn)
{
	struct nlattr *exc;
	struct fp_stats st;
	int i;

	rtnl_lock();
	fp_net_stats_read(fpn, &st);
	rtnl_unlock();
	if (nla_put_u64_64bit(skb, FASTPATH_A_STATS_FAST_PACKETS,
			      st.fast_packets, FASTPATH_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_STATS_FAST_BYTES, st.fast_bytes,
			      FASTPATH_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_STATS_SLOW_PACKETS,
			      st.slow_packets, FASTPATH_A_STATS_PAD) ||
	    nla_put_u32(skb, FASTPATH_A_STATS_FLOWS_ACTIVE,
			atomic_read(&fpn->nflows)) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_STATS_FLOWS_LEARNED,
			      atomic64_read(&fpn->flows_learned),
			      FASTPATH_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_STATS_FLOWS_REMOVED,
			      atomic64_read(&fpn->flows_removed),
			      FASTPATH_A_STATS_PAD) ||
	    nla_put_u32(skb, FASTPATH_A_STATS_FLOW_LIMIT,
			READ_ONCE(fpn->cfg.flow_limit)) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_STATS_MEMORY,
			      fp_flow_memory(fpn), FASTPATH_A_STATS_PAD) ||
	    nla_put_u32(skb, FASTPATH_A_STATS_FLOWS_REFUSED,
			atomic_read(&fpn->nrefused)) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_STATS_VERIFY_PASSED,
			      atomic64_read(&fpn->verify_passed),
			      FASTPATH_A_STATS_PAD) ||
	    nla_put_u64_64bit(skb, FASTPATH_A_STATS_VERIFY_FAILED,
			      atomic64_read(&fpn->verify_failed),
			      FASTPATH_A_STATS_PAD))
		return -EMSGSIZE;

	exc = nla_nest_start(skb, FASTPATH_A_STATS_EXCEPTIONS);
	if (!exc)
		return -EMSGSIZE;
	/* enum fp_exception is ordered like the exceptions attribute set */
	for (i = 0; i < FP_EXC_COUNT; i++)
		if (nla_put_u64_64bit(skb, FASTPATH_A_EXCEPTIONS_NO_FLOW + i,
				      st.exc[i], FASTPATH_A_EXCEPTIONS_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, exc);
	return 0;
}

int fastpath_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = fp_nl_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;
	return fp_nl_reply(info, msg, hdr,
			   fp_nl_stats_fill(msg,
					    fp_pernet(genl_info_net(info))));
}

/* config-get, config-set */

int fastpath_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	const struct fp_config *cfg = &fp_pernet(genl_info_net(info))->cfg;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = fp_nl_reply_new(info, &hdr);
	if (!msg)
		return -ENOMEM;
	/* Writers are serialised with us by the genl mutex. */
	err = nla_put_u32(msg, FASTPATH_A_CONFIG_FLOW_LIMIT, cfg->flow_limit) ||
	      nla_put_u32(msg, FASTPATH_A_CONFIG_TCP_TIMEOUT, cfg->tcp_timeout) ||
	      nla_put_u32(msg, FASTPATH_A_CONFIG_UDP_TIMEOUT, cfg->udp_timeout) ||
	      nla_put_u32(msg, FASTPATH_A_CONFIG_STATS_INTERVAL,
			  cfg->stats_interval) ||
	      nla_put_u32(msg, FASTPATH_A_CONFIG_VERIFY_INTERVAL,
			  cfg->verify_interval) ? -EMSGSIZE : 0;
	return fp_nl_reply(info, msg, hdr, err);
}

static void fp_nl_config_set_u32(u32 *field, const struct nlattr *attr)
{
	/* the data path and the GC read the config without locks */
	if (attr)
		WRITE_ONCE(*field, nla_get_u32(attr));
}

int fastpath_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct fp_config *cfg = &fp_pernet(genl_info_net(info))->cfg;
	struct nlattr **tb = info->attrs;

	fp_nl_config_set_u32(&cfg->flow_limit, tb[FASTPATH_A_CONFIG_FLOW_LIMIT]);
	fp_nl_config_set_u32(&cfg->tcp_timeout,
			     tb[FASTPATH_A_CONFIG_TCP_TIMEOUT]);
	fp_nl_config_set_u32(&cfg->udp_timeout,
			     tb[FASTPATH_A_CONFIG_UDP_TIMEOUT]);
	fp_nl_config_set_u32(&cfg->stats_interval,
			     tb[FASTPATH_A_CONFIG_STATS_INTERVAL]);
	fp_nl_config_set_u32(&cfg->verify_interval,
			     tb[FASTPATH_A_CONFIG_VERIFY_INTERVAL]);
	return 0;
}

/* The op table is generated: split do and dump ops (see below for 6.1). */
static struct genl_family fp_family __ro_after_init = {
	.name = FASTPATH_FAMILY_NAME,
	.version = FASTPATH_FAMILY_VERSION,
	.netnsok = true,
	.module = THIS_MODULE,
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	.split_ops = fastpath_nl_ops,
	.n_split_ops = ARRAY_SIZE(fastpath_nl_ops),
#endif
	.mcgrps = fp_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(fp_nl_mcgrps),
};

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
/*
 * 6.1 takes one genl_ops per command, and the core validates its do and
 * its dump with the one policy it has.  The generated split ops are merged
 * into such ops at init.  Where a command's do and dump take different
 * requests, the merged policy is the union of theirs (both come from one
 * attribute set, so a shared attribute has one entry), and the do or dump
 * whose own policy is not that union first validates its request against
 * its own, strictly, as the core of 6.2 does: neither accepts the other's
 * attributes.  (The core cannot be told to skip a dump's validation:
 * 6.1 refuses GENL_DONT_VALIDATE_* flags on ops at or after resv_start_op.)
 */
static struct genl_ops fp_nl_compat_ops[ARRAY_SIZE(fastpath_nl_ops)];
static struct nla_policy *fp_nl_compat_unions[ARRAY_SIZE(fastpath_nl_ops)];

/* The generated op of cmd with GENL_CMD_CAP_DO or _DUMP, NULL if none. */
static const struct genl_split_ops *fp_nl_split_op(u8 cmd, u8 cap)
{
	const struct genl_split_ops *op;

	for (op = fastpath_nl_ops;
	     op < fastpath_nl_ops + ARRAY_SIZE(fastpath_nl_ops); op++)
		if (op->cmd == cmd && op->flags & cap)
			return op;
	return NULL;
}

static int fp_nl_compat_validate(const struct genl_split_ops *op,
				 const struct nlmsghdr *nlh,
				 struct netlink_ext_ack *extack)
{
	return __nla_validate(nlmsg_attrdata(nlh, GENL_HDRLEN),
			      nlmsg_attrlen(nlh, GENL_HDRLEN), op->maxattr,
			      op->policy, NL_VALIDATE_STRICT, extack);
}

static int fp_nl_compat_doit(struct sk_buff *skb, struct genl_info *info)
{
	const struct genl_split_ops *op =
		fp_nl_split_op(info->genlhdr->cmd, GENL_CMD_CAP_DO);

	return fp_nl_compat_validate(op, info->nlhdr, info->extack) ?:
	       op->doit(skb, info);
}

/* Validates again in each call of the dump: a few attributes, no state. */
static int fp_nl_compat_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	const struct genl_split_ops *op =
		fp_nl_split_op(genl_dumpit_info(cb)->op.cmd, GENL_CMD_CAP_DUMP);

	return fp_nl_compat_validate(op, cb->nlh, cb->extack) ?:
	       op->dumpit(skb, cb);
}

/* The policy of o, merged from its do d and its dump u (either NULL). */
static int __init fp_nl_compat_policy(struct genl_ops *o,
				      const struct genl_split_ops *d,
				      const struct genl_split_ops *u,
				      struct nla_policy **unionp)
{
	const struct genl_split_ops *a = d && d->policy ? d : NULL;
	const struct genl_split_ops *b = u && u->policy ? u : NULL;
	struct nla_policy *policy;
	unsigned int i;

	if (!a || !b || a->policy == b->policy) {
		a = a ?: b;
		if (a) {
			o->policy = a->policy;
			o->maxattr = a->maxattr;
		}
		return 0;
	}
	o->maxattr = max(a->maxattr, b->maxattr);
	policy = kcalloc(o->maxattr + 1, sizeof(*policy), GFP_KERNEL);
	if (!policy)
		return -ENOMEM;
	memcpy(policy, b->policy, (b->maxattr + 1) * sizeof(*policy));
	/* memcpy: the union in struct nla_policy has const members */
	for (i = 0; i <= a->maxattr; i++)
		if (a->policy[i].type != NLA_UNSPEC)
			memcpy(&policy[i], &a->policy[i], sizeof(*policy));
	o->policy = policy;
	*unionp = policy;
	return 0;
}

static void fp_nl_compat_exit(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fp_nl_compat_unions); i++)
		kfree(fp_nl_compat_unions[i]);
}

static int __init fp_nl_compat_init(void)
{
	const struct genl_split_ops *s, *d, *u;
	unsigned int n = 0;
	struct genl_ops *o;
	int err;

	for (s = fastpath_nl_ops;
	     s < fastpath_nl_ops + ARRAY_SIZE(fastpath_nl_ops); s++) {
		d = fp_nl_split_op(s->cmd, GENL_CMD_CAP_DO);
		u = fp_nl_split_op(s->cmd, GENL_CMD_CAP_DUMP);
		/* A command is merged at its first op. */
		if (s != (d ?: u))
			continue;
		o = &fp_nl_compat_ops[n];
		o->cmd = s->cmd;
		o->flags = ((d ? d->flags : 0) | (u ? u->flags : 0)) &
			   ~(GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP);
		err = fp_nl_compat_policy(o, d, u, &fp_nl_compat_unions[n]);
		if (err) {
			fp_nl_compat_exit();
			return err;
		}
		if (d)
			o->doit = d->policy == o->policy ? d->doit :
							   fp_nl_compat_doit;
		if (u) {
			o->dumpit = u->policy == o->policy ? u->dumpit :
							     fp_nl_compat_dumpit;
			o->done = u->done;
		}
		n++;
	}
	fp_family.ops = fp_nl_compat_ops;
	fp_family.n_ops = n;
	return 0;
}
#else
static int __init fp_nl_compat_init(void)
{
	return 0;
}

static void fp_nl_compat_exit(void)
{
}
#endif

static_assert(sizeof(struct fp_nl_dev_dump) <=
	      sizeof_field(struct netlink_callback, ctx));
static_assert(sizeof(struct fp_nl_rule_dump) <=
	      sizeof_field(struct netlink_callback, ctx));
static_assert(sizeof(struct fp_nl_flow_dump) <=
	      sizeof_field(struct netlink_callback, ctx));

int __init fp_netlink_init(void)
{
	int err;

	err = fp_nl_compat_init();
	if (err)
		return err;
	err = genl_register_family(&fp_family);
	if (err)
		fp_nl_compat_exit();
	return err;
}

void fp_netlink_exit(void)
{
	genl_unregister_family(&fp_family);
	fp_nl_compat_exit();
}
