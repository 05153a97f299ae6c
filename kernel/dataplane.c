// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: the per-packet code both address families share.
 *
 * Runs at netdev ingress of enabled devices, under RCU with BHs off, and
 * neither locks, allocates (unless the skb must be unshared) nor touches
 * shared state other than the flow's own counters.  A packet it does not
 * forward leaves untouched (NF_ACCEPT) for the normal stack, counted by
 * reason.
 */
#include <linux/if_vlan.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/dst.h>
#include <net/ip.h>

#include "fastpath.h"

unsigned int fp_ingress(void *priv, struct sk_buff *skb,
			const struct nf_hook_state *state)
{
	struct fp_dev *fpd = priv;

	/* A VLAN tag still in the skb means the packet is not ours yet. */
	if (likely(!skb_vlan_tag_present(skb))) {
		switch (skb->protocol) {
		case htons(ETH_P_IP):
			return fp_ipv4_rx(fpd->fpn, fpd, skb);
		case htons(ETH_P_IPV6):
			return fp_ipv6_rx(fpd->fpn, fpd, skb);
		}
	}
	return fp_exception(fpd->fpn, fpd, FP_EXC_UNSUPPORTED);
}

/* Counts a packet left to the stack; exc FP_EXC_COUNT gives no reason. */
unsigned int fp_exception(struct fp_net *fpn, struct fp_dev *fpd,
			  enum fp_exception exc)
{
	struct fp_pcpu_stats *s = this_cpu_ptr(fpn->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->slow_packets);
	if (exc < FP_EXC_COUNT)
		u64_stats_inc(&s->exc[exc]);
	u64_stats_update_end(&s->syncp);

	s = this_cpu_ptr(fpd->stats);
	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->slow_packets);
	u64_stats_update_end(&s->syncp);
	return NF_ACCEPT;
}

/*
 * The family code has checked the network header and filled the key's
 * addresses, family and proto; thoff is the L4 header's offset from
 * skb->data, len the IP packet's length.  Returns the direction to
 * forward on, with the headers writable and room for the MAC header, or
 * NULL and the reason to leave the packet to the stack.
 */
struct fp_dir *fp_rx_flow(struct fp_net *fpn, struct sk_buff *skb,
			  struct fp_key *key, unsigned int thoff,
			  unsigned int ttl, unsigned int len,
			  enum fp_exception *exc)
{
	unsigned int l4len = key->proto == IPPROTO_TCP ? sizeof(struct tcphdr) :
							 sizeof(struct udphdr);
	const struct tcphdr *th;
	struct fp_flow *flow;
	struct fp_dir *d;

	/*
	 * A partial checksum must be this L4 header's: the incremental
	 * updates below assume its check field holds the pseudo-header sum.
	 */
	if (unlikely(!pskb_may_pull(skb, thoff + l4len) ||
		     (skb->ip_summed == CHECKSUM_PARTIAL &&
		      skb_checksum_start_offset(skb) != thoff))) {
		*exc = FP_EXC_BAD_HEADER;
		return NULL;
	}
	/* TCP and UDP both start with the ports. */
	th = (const struct tcphdr *)(skb->data + thoff);
	key->sport = th->source;
	key->dport = th->dest;
	key->iif = skb->dev->ifindex;

	d = fp_flow_lookup(fpn, key);
	if (!d) {
		*exc = FP_EXC_NO_FLOW;
		return NULL;
	}
	flow = fp_dir_flow(d, d->index);

	if (key->proto == IPPROTO_TCP &&
	    unlikely(tcp_flag_word(th) & (TCP_FLAG_SYN | TCP_FLAG_FIN | TCP_FLAG_RST))) {
		/* Conntrack must see the connection close. */
		if (tcp_flag_word(th) & (TCP_FLAG_FIN | TCP_FLAG_RST))
			fp_flow_kill(fpn, flow, FASTPATH_DEL_REASON_TCP_CLOSE);
		*exc = FP_EXC_TCP_FLAGS;
		return NULL;
	}
	if (unlikely(ttl <= 1)) {
		*exc = FP_EXC_TTL;
		return NULL;
	}
	if (unlikely(!netif_running(d->out) || !netif_carrier_ok(d->out))) {
		*exc = FP_EXC_DEV_DOWN;
		return NULL;
	}
	/*
	 * A deleted conntrack entry is left to the GC's scan, once a second
	 * (as nf_flowtable does): testing it here would cost every packet a
	 * read of the entry, a cache miss when there are many flows.
	 */
	if (unlikely(READ_ONCE(d->killed))) {
		*exc = FP_EXC_STALE;
		return NULL;
	}
	if (unlikely(!dst_check(d->dst, d->dst_cookie))) {
		fp_flow_kill(fpn, flow, FASTPATH_DEL_REASON_ROUTE);
		*exc = FP_EXC_STALE;
		return NULL;
	}
	/* The stack fragments or sends ICMP; GSO segments may each fit. */
	if (unlikely(len > d->mtu) &&
	    (!skb_is_gso(skb) || !skb_gso_validate_network_len(skb, d->mtu))) {
		*exc = FP_EXC_MTU;
		return NULL;
	}
	if (unlikely(skb_ensure_writable(skb, thoff + l4len) ||
		     skb_cow_head(skb, ETH_HLEN))) {
		*exc = FP_EXC_COUNT;
		return NULL;
	}
	return d;
}

static void fp_csum_addr(__sum16 *check, struct sk_buff *skb, u8 family,
			 const union nf_inet_addr *from,
			 const union nf_inet_addr *to)
{
	if (family == AF_INET)
		inet_proto_csum_replace4(check, skb, from->ip, to->ip, true);
	else
		inet_proto_csum_replace16(check, skb, from->ip6, to->ip6, true);
}

/*
 * Rewrites the ports and fixes the L4 checksum for the new ports and
 * pseudo-header addresses.  The inet_proto_csum_replace helpers handle
 * CHECKSUM_PARTIAL (only the pseudo-header sum is stored) as well as a
 * full checksum; a UDP datagram without checksum keeps none.
 */
void fp_l4_nat(struct sk_buff *skb, const struct fp_dir *d, unsigned int thoff)
{
	__be16 *ports = (__be16 *)(skb->data + thoff);
	__sum16 *check;
	bool udp = d->key.proto == IPPROTO_UDP;

	if (!d->nat)
		return;
	if (udp) {
		check = &((struct udphdr *)ports)->check;
		if (!*check && skb->ip_summed != CHECKSUM_PARTIAL)
			check = NULL;
	} else {
		check = &((struct tcphdr *)ports)->check;
	}

	if (check) {
		if (d->nat & FP_NAT_SADDR)
			fp_csum_addr(check, skb, d->key.family, &d->key.src, &d->xsrc);
		if (d->nat & FP_NAT_DADDR)
			fp_csum_addr(check, skb, d->key.family, &d->key.dst, &d->xdst);
		if (d->nat & FP_NAT_SPORT)
			inet_proto_csum_replace2(check, skb, ports[0], d->xsport, false);
		if (d->nat & FP_NAT_DPORT)
			inet_proto_csum_replace2(check, skb, ports[1], d->xdport, false);
		if (udp && !*check)
			*check = CSUM_MANGLED_0;
	}
	ports[0] = d->xsport;
	ports[1] = d->xdport;
}

/* Puts the cached MAC header in front and sends; always consumes skb. */
unsigned int fp_xmit(struct fp_net *fpn, struct fp_dev *fpd,
		     struct fp_dir *d, struct sk_buff *skb, unsigned int len)
{
	struct fp_pcpu_stats *s;
	unsigned long now = jiffies;

	s = this_cpu_ptr(fpn->stats);
	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->fast_packets);
	u64_stats_add(&s->fast_bytes, len);
	u64_stats_update_end(&s->syncp);
	s = this_cpu_ptr(fpd->stats);
	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->fast_packets);
	u64_stats_add(&s->fast_bytes, len);
	u64_stats_update_end(&s->syncp);
	if (d->out_stats) {
		s = this_cpu_ptr(d->out_stats);
		u64_stats_update_begin(&s->syncp);
		u64_stats_inc(&s->tx_packets);
		u64_stats_add(&s->tx_bytes, len);
		u64_stats_update_end(&s->syncp);
	}
	atomic64_inc(&d->packets);
	atomic64_add(len, &d->bytes);
	if (READ_ONCE(d->last_used) != now)
		WRITE_ONCE(d->last_used, now);

	/* As ip_forward(): a received checksum and timestamp do not apply. */
	skb_forward_csum(skb);
	skb_clear_tstamp(skb);
	memcpy(__skb_push(skb, ETH_HLEN), d->eth, ETH_HLEN);
	skb_reset_mac_header(skb);
	skb->dev = d->out;
	dev_queue_xmit(skb);
	return NF_STOLEN;
}
