// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: learning flows from the packets the stack forwards.
 *
 * A POST_ROUTING hook, just before conntrack confirms, sees the forwarded
 * packet with its conntrack entry, route and egress device: everything a
 * direction needs to bypass the stack next time.  Only what the data plane
 * reproduces exactly is learned.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/arp.h>
#include <net/dsfield.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ndisc.h>
#include <net/route.h>
#include <net/xfrm.h>
#include <net/netfilter/nf_conntrack_helper.h>

#include "fastpath.h"

static bool fp_learn_ct_ok(const struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	const struct nf_conn_help *help = nfct_help(ct);

	if ((ctinfo != IP_CT_ESTABLISHED && ctinfo != IP_CT_ESTABLISHED_REPLY) ||
	    !nf_ct_is_confirmed(ct) || nf_ct_is_dying(ct) ||
	    !test_bit(IPS_SEEN_REPLY_BIT, &ct->status) || ct->master ||
	    (help && rcu_access_pointer(help->helper)))
		return false;

	switch (nf_ct_protonum(ct)) {
	case IPPROTO_TCP:
		return ct->proto.tcp.state == TCP_CONNTRACK_ESTABLISHED &&
		       test_bit(IPS_ASSURED_BIT, &ct->status);
	case IPPROTO_UDP:
		return true;
	}
	return false;
}

/*
 * The family's part: the packet was forwarded whole and plain, and its
 * route gives the next hop, MTU and route cookie.
 */
static bool fp_learn_ipv4(struct sk_buff *skb, struct fp_dir *tmpl, u8 *dscp)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct rtable *rt = skb_rtable(skb);

	if (!(IPCB(skb)->flags & IPSKB_FORWARDED) || IPCB(skb)->frag_max_size ||
	    iph->ihl != 5 || rt->rt_gw_family == AF_INET6)
		return false;
	tmpl->nexthop.ip = rt_nexthop(rt, iph->daddr);
	tmpl->mtu = ip_dst_mtu_maybe_forward(&rt->dst, true);
	*dscp = ipv4_get_dsfield(iph) >> 2;
	return true;
}

static bool fp_learn_ipv6(struct sk_buff *skb, struct fp_dir *tmpl, u8 *dscp)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	const struct rt6_info *rt = (const struct rt6_info *)skb_dst(skb);

	/*
	 * ip6_forward() sets no IP6SKB_FORWARDED (only multicast routing
	 * does): a forwarded packet is told apart by its ingress device,
	 * which fp_learn_hook() requires to be enabled; local output has none.
	 */
	if (IP6CB(skb)->frag_max_size || ip6h->nexthdr != tmpl->key.proto)
		return false;
	tmpl->nexthop.in6 = *rt6_nexthop(rt, &ip6h->daddr);
	tmpl->mtu = ip6_dst_mtu_maybe_forward(&rt->dst, true);
	tmpl->dst_cookie = rt6_get_cookie(rt);
	*dscp = ipv6_get_dsfield(ip6h) >> 2;
	return true;
}

/* Copies the next hop's MAC address while its neighbour entry is valid. */
static bool fp_learn_eth(struct fp_dir *tmpl, struct net_device *out,
			 __be16 proto)
{
	struct ethhdr *eth = (struct ethhdr *)tmpl->eth;
	struct neighbour *n;
	bool ok;

	rcu_read_lock_bh();
	if (tmpl->key.family == AF_INET)
		n = __ipv4_neigh_lookup_noref(out, (__force u32)tmpl->nexthop.ip);
	else
		n = __ipv6_neigh_lookup_noref(out, &tmpl->nexthop.in6);
	ok = n && !READ_ONCE(n->dead) && (READ_ONCE(n->nud_state) & NUD_VALID);
	if (ok)
		neigh_ha_snapshot(eth->h_dest, n, out);
	rcu_read_unlock_bh();
	ether_addr_copy(eth->h_source, out->dev_addr);
	eth->h_proto = proto;
	return ok && is_valid_ether_addr(eth->h_dest);
}

/* Never NF_DROP: learning only observes. */
static unsigned int fp_learn_hook(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct fp_net *fpn = fp_pernet(state->net);
	struct net_device *out = state->out;
	enum ip_conntrack_info ctinfo;
	struct fp_dev *out_fpd;
	struct fp_rule_ctx ctx;
	struct fp_dir tmpl;
	struct nf_conn *ct;
	u8 dscp;
	int err;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || !fp_learn_ct_ok(ct, ctinfo) || !skb_dst(skb) ||
	    !fp_dev_find(fpn, skb->skb_iif))
		return NF_ACCEPT;

	memset(&tmpl, 0, sizeof(tmpl));
	fp_dir_set_tuple(&tmpl, ct, CTINFO2DIR(ctinfo));
	tmpl.key.iif = skb->skb_iif;
	if (fp_flow_lookup(fpn, &tmpl.key))
		return NF_ACCEPT;	/* already offloaded */

	if (dst_xfrm(skb_dst(skb)) || secpath_exists(skb) ||
	    out->type != ARPHRD_ETHER || out->hard_header_len != ETH_HLEN ||
	    (out->flags & IFF_LOOPBACK))
		return NF_ACCEPT;
	if (!(state->pf == NFPROTO_IPV4 ? fp_learn_ipv4(skb, &tmpl, &dscp) :
					  fp_learn_ipv6(skb, &tmpl, &dscp)))
		return NF_ACCEPT;

	ctx = (struct fp_rule_ctx) {
		.key = &tmpl.key,
		.oif = out->ifindex,
		.dscp = dscp,
		.mark = skb->mark,
	};
	if (!fp_rules_accelerate(fpn, &ctx) ||
	    !fp_learn_eth(&tmpl, out, skb->protocol))
		return NF_ACCEPT;

	tmpl.out = out;
	tmpl.dst = skb_dst(skb);
	out_fpd = fp_dev_find(fpn, out->ifindex);
	tmpl.out_stats = out_fpd ? out_fpd->stats : NULL;

	if (nf_ct_protonum(ct) == IPPROTO_TCP) {
		/* Conntrack will miss the segments in between: accept them. */
		spin_lock_bh(&ct->lock);
		ct->proto.tcp.seen[0].flags |= IP_CT_TCP_FLAG_BE_LIBERAL;
		ct->proto.tcp.seen[1].flags |= IP_CT_TCP_FLAG_BE_LIBERAL;
		spin_unlock_bh(&ct->lock);
	}

	err = fp_flow_add(fpn, ct, CTINFO2DIR(ctinfo), &tmpl, skb->mark, dscp);
	if (err == -ENOSPC)
		fp_stats_inc(fpn->stats, FP_EXC_TABLE_FULL);
	return NF_ACCEPT;
}

/* Last before conntrack confirms, so every NAT and filter has run. */
static const struct nf_hook_ops fp_learn_ops[] = {
	{
		.hook = fp_learn_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK_CONFIRM - 1,
	},
	{
		.hook = fp_learn_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP6_PRI_LAST - 1,
	},
};

int fp_learn_init(struct net *net)
{
	return nf_register_net_hooks(net, fp_learn_ops, ARRAY_SIZE(fp_learn_ops));
}

void fp_learn_exit(struct net *net)
{
	nf_unregister_net_hooks(net, fp_learn_ops, ARRAY_SIZE(fp_learn_ops));
}
