// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: learning flows from the packets the stack forwards.
 *
 * A POST_ROUTING hook, just before conntrack confirms, sees the forwarded
 * packet with its conntrack entry, route and egress device: everything a
 * direction needs to bypass the stack next time.  Only what the data plane
 * reproduces exactly is learned.  A direction that can never be learned
 * (a helper, IPsec, a bypass rule...) is remembered as refused, so that
 * its later packets cost one hash lookup here rather than a full attempt.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/inetdevice.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/rtnetlink.h>
#include <linux/version.h>
#include <net/dsfield.h>
#include <net/dst_metadata.h>
#include <net/ip.h>
#include <net/ip6_fib.h>
#include <net/ip6_route.h>
#include <net/ip_fib.h>
#include <net/nexthop.h>
#include <net/route.h>
#include <net/xfrm.h>
#include <net/netfilter/nf_conntrack_ecache.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_synproxy.h>

#include "fastpath.h"

enum fastpath_why fp_ct_why(const struct nf_conn *ct)
{
	const struct nf_conn_help *help = nfct_help(ct);

	if (!nf_ct_is_confirmed(ct) || !test_bit(IPS_SEEN_REPLY_BIT, &ct->status))
		return FASTPATH_WHY_NO_REPLY;
	if (nf_ct_is_dying(ct))
		return FASTPATH_WHY_REMOVING;
	switch (nf_ct_protonum(ct)) {
	case IPPROTO_TCP:
		if (READ_ONCE(ct->proto.tcp.state) != TCP_CONNTRACK_ESTABLISHED ||
		    !test_bit(IPS_ASSURED_BIT, &ct->status))
			return FASTPATH_WHY_TCP_STATE;
		break;
	case IPPROTO_UDP:
		break;
	default:
		return FASTPATH_WHY_PROTOCOL;
	}
	if (ct->master || (help && rcu_access_pointer(help->helper)))
		return FASTPATH_WHY_HELPER;
	/*
	 * A NAT clash entry is a short-lived duplicate; sequence adjustment
	 * (a helper's or SYNPROXY's) rewrites every TCP segment.
	 */
	if (test_bit(IPS_NAT_CLASH_BIT, &ct->status) ||
	    test_bit(IPS_SEQ_ADJUST_BIT, &ct->status) || nfct_synproxy(ct))
		return FASTPATH_WHY_CT_STATE;
	return 0;
}

/* Reasons that will pass by themselves: not worth remembering. */
static bool fp_why_passing(enum fastpath_why why)
{
	return why == FASTPATH_WHY_NO_REPLY || why == FASTPATH_WHY_REMOVING ||
	       why == FASTPATH_WHY_PROTOCOL || why == FASTPATH_WHY_TCP_STATE;
}

enum fastpath_why fp_route_why(const struct dst_entry *dst)
{
	if (dst_xfrm(dst))
		return FASTPATH_WHY_XFRM;
	/* A lightweight tunnel's encapsulation, or a tunnel's metadata. */
	if (dst->lwtstate || (dst->flags & DST_METADATA))
		return FASTPATH_WHY_ROUTE;
	return 0;
}

/* Ethernet-like (VLAN devices included), or PPP (l2.c). */
enum fastpath_why fp_out_why(const struct net_device *out)
{
	if (out->flags & IFF_LOOPBACK)
		return FASTPATH_WHY_OIF_UNSUPPORTED;
	if (out->type == ARPHRD_PPP)
		return 0;
	if (out->type != ARPHRD_ETHER ||
	    (out->hard_header_len != ETH_HLEN && !is_vlan_dev(out)))
		return FASTPATH_WHY_OIF_UNSUPPORTED;
	return 0;
}

/*
 * Does the stack send the sender ICMP redirects (rate-limited by the peer)
 * for packets it routes from iif back out of out?  IPv6 does (when it
 * finds a target to name: taken as always); IPv4 as out's send_redirects
 * says.  Decided by the devices, not by IPSKB_DOREDIRECT: a packet routed
 * with a list-receive route hint does not carry that flag.  Under RCU.
 */
bool fp_sends_redirects(int iif, const struct net_device *out, u8 family)
{
	struct in_device *idev;

	if (iif != out->ifindex)
		return false;
	if (family == AF_INET6)
		return true;
	idev = __in_dev_get_rcu(out);
	return idev && IN_DEV_TX_REDIRECTS(idev);
}

/*
 * The largest IP packet the stack forwards on dst without fragmenting or
 * sending ICMP.  It changes without a route change (an IPv6 device's mtu
 * sysctl, a router advertisement): the GC compares.
 */
u16 fp_route_mtu(const struct dst_entry *dst, u8 family)
{
	unsigned int mtu = family == AF_INET ?
			   ip_dst_mtu_maybe_forward(dst, true) :
			   ip6_dst_mtu_maybe_forward(dst, true);

	return min_t(unsigned int, mtu, U16_MAX);
}

/*
 * The next hop the stack's route gives skb, a forwarded packet; false for
 * an IPv6 next hop of IPv4 (RFC 5549), which the fast path does not take
 * and rt_nexthop() would give as the destination.
 */
bool fp_skb_nexthop(const struct sk_buff *skb, u8 family,
		    union nf_inet_addr *nexthop)
{
	if (family == AF_INET) {
		const struct rtable *rt = skb_rtable(skb);

		if (rt->rt_gw_family == AF_INET6)
			return false;
		nexthop->ip = rt_nexthop(rt, ip_hdr(skb)->daddr);
		return true;
	}
	nexthop->in6 = *rt6_nexthop(container_of(skb_dst(skb),
						 struct rt6_info, dst),
				    &ipv6_hdr(skb)->daddr);
	return true;
}

/*
 * A resilient nexthop group keeps a bucket on its next hop while the
 * bucket is busy, which each packet the stack routes through it marks;
 * fast-path packets would not, so the group would move the buckets of
 * active flows (and fastpath hears of no bucket move).  Such a route's
 * connections stay on the stack.
 */
enum fastpath_why fp_ipv6_route_group_why(const struct rt6_info *rt)
{
	const struct fib6_info *from;
	const struct nexthop *nh;
	bool resilient = false;

	rcu_read_lock();
	from = rcu_dereference(rt->from);
	nh = from ? from->nh : NULL;
	if (nh && nh->is_group)
		resilient = rcu_dereference(nh->nh_grp)->resilient;
	rcu_read_unlock();
	return resilient ? FASTPATH_WHY_ROUTE : 0;
}

/*
 * Is nhc rt's next hop?  As rt_set_nexthop() builds rt: only a gateway of
 * link scope is used as one; without one, an exception bound to rt (a
 * PMTU) names the destination as its gateway.  A redirect's gateway is no
 * next hop of the route: not taken.
 */
static bool fp_nhc_is_rt(const struct fib_nh_common *nhc,
			 const struct rtable *rt)
{
	bool gw = nhc->nhc_gw_family && nhc->nhc_scope == RT_SCOPE_LINK;

	if (nhc->nhc_dev != rt->dst.dev)
		return false;
	if (!rt->rt_uses_gateway)
		return !gw;
	return gw && nhc->nhc_gw_family == rt->rt_gw_family &&
	       (rt->rt_gw_family != AF_INET || nhc->nhc_gw.ipv4 == rt->rt_gw4);
}

/* Is rt one of fi's next hops?  *resilient: fi's is a resilient group. */
static bool fp_fib_info_has_rt(const struct fib_info *fi,
			       const struct rtable *rt, bool *resilient)
{
	const struct nh_group *nhg;
	int i;

	if (!fi->nh) {
		for (i = 0; i < fi->fib_nhs; i++)
			if (fp_nhc_is_rt(&fi->fib_nh[i].nh_common, rt))
				return true;
		return false;
	}
	if (!fi->nh->is_group)
		return fp_nhc_is_rt(&rcu_dereference(fi->nh->nh_info)->fib_nhc, rt);
	nhg = rcu_dereference(fi->nh->nh_grp);
	*resilient = nhg->resilient;
	for (i = 0; i < nhg->num_nh; i++)
		if (fp_nhc_is_rt(&rcu_dereference(nhg->nh_entries[i].nh->nh_info)->fib_nhc,
				 rt))
			return true;
	return false;
}

/*
 * An IPv4 route rt names neither the route entry nor the nexthop group it
 * came from: where the netns has nexthop objects, look it up again with
 * fl4 and take it only if that gives rt's next hop, from no resilient
 * group.  A lookup that disagrees (a mark or DSCP that a rule changed
 * after routing, under policy routing) cannot tell: not taken either.
 * And no IPv6 next hop for IPv4 (RFC 5549): the fast path has no
 * neighbour of the other family.
 */
enum fastpath_why fp_ipv4_route_group_why(struct net *net, struct flowi4 *fl4,
					  const struct rtable *rt)
{
	bool found, resilient = false;
	struct fib_result res;

	if (rt->rt_gw_family == AF_INET6)
		return FASTPATH_WHY_ROUTE;
	/* Read without RTNL: a group added meanwhile flushes the routes. */
	if (!READ_ONCE(net->nexthop.rb_root.rb_node))
		return 0;
	rcu_read_lock();
	found = !fib_lookup(net, fl4, &res, 0) && res.type == RTN_UNICAST &&
		fp_fib_info_has_rt(res.fi, rt, &resilient);
	rcu_read_unlock();
	return found && !resilient ? 0 : FASTPATH_WHY_ROUTE;
}

/* The TOS bits the stack's IPv4 input route lookup keys on (6.1, 6.12). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define FP_ROUTE_TOS_MASK	INET_DSCP_MASK
#else
#define FP_ROUTE_TOS_MASK	IPTOS_RT_MASK
#endif

/*
 * What the IPv4 route's group says of the next hop (a fib lookup where the
 * netns has nexthop objects), asked of a direction no reason but the
 * egress device's refuses yet, as ip_route_input_slow() routed it: DNAT
 * done, SNAT not yet.
 */
static enum fastpath_why fp_learn_ipv4_group_why(struct net *net,
						 const struct sk_buff *skb,
						 const struct fp_dir *t)
{
	struct flowi4 fl4 = {
		.flowi4_iif = t->key.iif,
		.flowi4_mark = skb->mark,
		.flowi4_tos = ip_hdr(skb)->tos & FP_ROUTE_TOS_MASK,
		.flowi4_scope = RT_SCOPE_UNIVERSE,
		.flowi4_proto = t->key.proto,
		.flowi4_uid = sock_net_uid(net, NULL),
		.saddr = t->key.src.ip,
		.daddr = t->xdst.ip,
		.fl4_sport = t->key.sport,
		.fl4_dport = t->xdport,
	};

	return fp_ipv4_route_group_why(net, &fl4, skb_rtable(skb));
}

/*
 * The family's part: this packet was forwarded whole and plain, and its
 * route gives the next hop and MTU (and IPv6's the route cookie).  A "no"
 * is about this packet only (an option, a fragment) and not remembered.
 */
static bool fp_learn_ipv4(struct sk_buff *skb, struct fp_learned *l)
{
	const struct iphdr *iph = ip_hdr(skb);

	if (!(IPCB(skb)->flags & IPSKB_FORWARDED) || IPCB(skb)->frag_max_size ||
	    iph->ihl != 5)
		return false;
	fp_skb_nexthop(skb, AF_INET, &l->nexthop);
	l->tmpl.mtu = fp_route_mtu(skb_dst(skb), AF_INET);
	l->dscp = ipv4_get_dsfield(iph) >> 2;
	return true;
}

/*
 * ip6_forward() skips its forward policy check while disable_policy is set,
 * for all or on the ingress device, and clearing it flushes no route: a
 * connection learned meanwhile would stay on the fast path once the stack
 * checks, and drops, its packets.  Only where there is a policy to check:
 * adding one, or a blocking default, bumps the route generation.
 */
bool fp_ipv6_policy_skipped(const struct sk_buff *skb)
{
#ifdef CONFIG_XFRM
	struct net *net = dev_net(skb->dev);
	struct inet6_dev *idev;

	if (!READ_ONCE(net->xfrm.policy_count[XFRM_POLICY_FWD]) &&
	    READ_ONCE(net->xfrm.policy_default[XFRM_POLICY_FWD]) !=
	    XFRM_USERPOLICY_BLOCK)
		return false;
	if (READ_ONCE(net->ipv6.devconf_all->disable_policy))
		return true;
	idev = __in6_dev_get_safely(dev_get_by_index_rcu(net, IP6CB(skb)->iif));
	return idev && READ_ONCE(idev->cnf.disable_policy);
#else
	return false;
#endif
}

static bool fp_learn_ipv6(struct sk_buff *skb, struct fp_learned *l)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	const struct rt6_info *rt = container_of(skb_dst(skb),
						 struct rt6_info, dst);

	/*
	 * ip6_forward() sets no IP6SKB_FORWARDED (only multicast routing
	 * does): a forwarded packet is told apart by its ingress device,
	 * which fp_learn_hook() requires to be enabled; local output has none.
	 */
	if (IP6CB(skb)->frag_max_size || ip6h->nexthdr != l->tmpl.key.proto)
		return false;
	if (fp_ipv6_policy_skipped(skb)) {
		l->why = FASTPATH_WHY_XFRM;
		return true;
	}
	fp_skb_nexthop(skb, AF_INET6, &l->nexthop);
	l->tmpl.mtu = fp_route_mtu(&rt->dst, AF_INET6);
	l->tmpl.dst_cookie = fp_dst_cookie(&rt->dst, AF_INET6);
	l->dscp = ipv6_get_dsfield(ip6h) >> 2;
	return true;
}

/* What the rules, then the connection, packet and devices say. */
static void fp_learn_decide(struct fp_net *fpn, struct sk_buff *skb,
			    enum fastpath_why ct_why, struct fp_learned *l)
{
	struct fp_rule_ctx ctx = {
		.key = &l->tmpl.key,
		.iifname = l->in_fpd->name,
		.oifname = l->out->name,
		.dscp = l->dscp,
		.mark = l->mark,
	};
	const struct fp_rule *rule;

	/* Read before the rules: pairs with fp_rules_replace(). */
	l->learn_gen = smp_load_acquire(&fpn->learn_gen);
	if (l->why)
		return;
	rule = fp_rules_decide(fpn, &ctx);
	if (rule && rule->action == FASTPATH_RULE_ACTION_BYPASS) {
		l->why = FASTPATH_WHY_RULE;
		l->why_detail = rule->pref;
		return;
	}
	l->why = ct_why;
	if (!l->why)
		l->why = fp_skb_why(skb);
	if (!l->why)
		l->why = fp_skb_route_why(fpn->net, skb, &l->tmpl);
	if (!l->why)
		l->why = fp_out_why(l->out);
}

/* Conntrack sees no fast-path packet from now on. */
static void fp_learn_ct_offloaded(struct nf_conn *ct)
{
	switch (nf_ct_protonum(ct)) {
	case IPPROTO_TCP:
		/* It will miss the segments in between: accept them. */
		spin_lock_bh(&ct->lock);
		ct->proto.tcp.seen[0].flags |= IP_CT_TCP_FLAG_BE_LIBERAL;
		ct->proto.tcp.seen[1].flags |= IP_CT_TCP_FLAG_BE_LIBERAL;
		spin_unlock_bh(&ct->lock);
		break;
	case IPPROTO_UDP:
		/*
		 * UDP is assured only after two seconds of traffic both
		 * ways, which conntrack will no longer see: without it, a
		 * long offloaded stream would be the first victim of early
		 * drop under table pressure.
		 */
		if (!test_and_set_bit(IPS_ASSURED_BIT, &ct->status))
			nf_conntrack_event_cache(IPCT_ASSURED, ct);
		break;
	}
}

/* An L3 master (VRF) received skb, a forwarded packet, from its slave. */
static bool fp_skb_l3slave(const struct sk_buff *skb, u8 pf)
{
	return pf == NFPROTO_IPV4 ? ipv4_l3mdev_skb(IPCB(skb)->flags) :
				    ipv6_l3mdev_skb(IP6CB(skb)->flags);
}

/*
 * The device skb, a forwarded packet, arrived on.  An L3 master takes
 * skb_iif over as it receives, and leaves its slave's in the control block
 * (its own, for a packet redirected into the master itself).
 */
int fp_skb_iif(const struct sk_buff *skb, u8 pf)
{
	if (!fp_skb_l3slave(skb, pf))
		return skb->skb_iif;
	return pf == NFPROTO_IPV4 ? IPCB(skb)->iif : IP6CB(skb)->iif;
}

enum fastpath_why fp_skb_route_why(struct net *net, const struct sk_buff *skb,
				   const struct fp_dir *t)
{
	const struct dst_entry *dst = skb_dst(skb);
	enum fastpath_why why = fp_route_why(dst);

	if (why)
		return why;
	/*
	 * The fast path would skip the L3 master's receive (its counters, its
	 * packet taps, its PRE_ROUTING pass): refused, on the device the user
	 * enabled, where fpctl shows it.
	 */
	if (fp_skb_l3slave(skb, t->key.family == AF_INET ? NFPROTO_IPV4 :
							   NFPROTO_IPV6))
		return FASTPATH_WHY_ROUTE;
	if (t->key.family == AF_INET)
		return fp_learn_ipv4_group_why(net, skb, t);
	return fp_ipv6_route_group_why(container_of(dst, struct rt6_info, dst));
}

u32 fp_dst_cookie(const struct dst_entry *dst, u8 family)
{
	/* Not every IPv6 packet's route is an rt6_info: br_netfilter's. */
	if (family != AF_INET6 || (dst->flags & (DST_FAKE_RTABLE | DST_METADATA)))
		return 0;
	return rt6_get_cookie(container_of(dst, struct rt6_info, dst));
}

/*
 * Learns direction dir of ct from skb, its packet.  Out of line so that the
 * hook's frame does not hold l: with fp_dir's cacheline-aligned members, l
 * would give every packet through the hook a 64-byte-aligned frame 0x200
 * bytes larger, for the few that learn.
 */
static noinline_for_stack void
fp_learn_dir(struct fp_net *fpn, struct sk_buff *skb,
	     const struct nf_hook_state *state, const struct fp_probe *probe,
	     struct nf_conn *ct, enum ip_conntrack_dir dir,
	     enum fastpath_why ct_why, struct fp_dev *in_fpd, int iif)
{
	struct fp_learned l = {
		.in_fpd = in_fpd,
		.out = state->out,
		.mark = skb->mark,
	};
	int err;

	fp_dir_set_tuple(&l.tmpl, ct, dir);
	l.tmpl.key.iif = iif;
	l.tmpl.dst = skb_dst(skb);
	if (!(state->pf == NFPROTO_IPV4 ? fp_learn_ipv4(skb, &l) :
					  fp_learn_ipv6(skb, &l)))
		return;
	if (!l.why && fp_sends_redirects(l.tmpl.key.iif, l.out, l.tmpl.key.family))
		l.why = FASTPATH_WHY_REDIRECT;
	fp_learn_decide(fpn, skb, ct_why, &l);
	if (!l.why) {
		fp_verify_learned(probe, skb, &l);
		/* Counted as a held direction's failure is (verify.c). */
		if (l.why == FASTPATH_WHY_VERIFY)
			atomic64_inc(&fpn->verify_failed);
	}

	err = fp_flow_learn(fpn, ct, dir, &l);
	if (!err && !l.why)
		fp_learn_ct_offloaded(ct);
	else if (err == -ENOSPC && !l.why)
		fp_stats_inc(fpn->stats, FP_EXC_TABLE_FULL);
}

/* Never NF_DROP: learning only observes. */
static unsigned int fp_learn_hook(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	enum ip_conntrack_info ctinfo;
	enum ip_conntrack_dir dir;
	const struct fp_probe *probe;
	enum fastpath_why ct_why;
	struct fp_dev *in_fpd;
	struct fp_net *fpn;
	struct nf_conn *ct;
	bool verified;
	int iif;

	ct = nf_ct_get(skb, &ctinfo);
	if (fp_probe_refused(skb, ct, ctinfo))
		return NF_ACCEPT;
	fpn = fp_pernet(state->net);
	probe = fp_verify(fpn, skb, state, ct, ctinfo, &verified);
	if (verified)
		return NF_ACCEPT;
	/* Bridged, not routed, under bridge netfilter's fake route. */
	if (!ct || !skb_dst(skb) || (skb_dst(skb)->flags & DST_FAKE_RTABLE) ||
	    (ctinfo != IP_CT_ESTABLISHED && ctinfo != IP_CT_ESTABLISHED_REPLY))
		return NF_ACCEPT;
	dir = CTINFO2DIR(ctinfo);
	ct_why = fp_ct_why(ct);
	if (fp_why_passing(ct_why))
		return NF_ACCEPT;
	iif = fp_skb_iif(skb, state->pf);
	in_fpd = fp_dev_find(fpn, iif);
	/* Traffic the rules bypass all of is not looked at (dev.c). */
	if (in_fpd && !fp_dev_bypassed(in_fpd, state->pf) &&
	    fp_flow_learn_needed(fpn, ct, dir, skb, state))
		fp_learn_dir(fpn, skb, state, probe, ct, dir, ct_why, in_fpd, iif);
	return NF_ACCEPT;
}

/*
 * Last before conntrack confirms, so every NAT and filter has run.  By
 * FP_FAMILY_ bit.
 */
static const struct nf_hook_ops fp_learn_ops[] = {
	[ilog2(FP_FAMILY_IPV4)] = {
		.hook = fp_learn_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK_CONFIRM - 1,
	},
	[ilog2(FP_FAMILY_IPV6)] = {
		.hook = fp_learn_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP6_PRI_LAST - 1,
	},
};

int fp_learn_set(struct fp_net *fpn, u8 families)
{
	unsigned int i;
	int err = 0;

	ASSERT_RTNL();
	for (i = 0; i < ARRAY_SIZE(fp_learn_ops); i++) {
		u8 bit = BIT(i);

		if (!(families & bit) == !(fpn->learning & bit))
			continue;
		if (families & bit) {
			int ret = nf_register_net_hook(fpn->net, &fp_learn_ops[i]);

			/* The other family still follows. */
			if (ret) {
				err = err ?: ret;
				continue;
			}
		} else {
			nf_unregister_net_hook(fpn->net, &fp_learn_ops[i]);
		}
		fpn->learning ^= bit;
	}
	return err;
}
