// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: the per-packet code both address families share.
 *
 * Runs at netdev ingress of enabled devices, under RCU with BHs off, and
 * neither locks, allocates (unless the skb must be unshared) nor touches
 * shared state other than the flow's own counters (and conntrack's, when
 * it counts: nf_conntrack_acct).  A packet it does not forward leaves
 * untouched (NF_ACCEPT) for the normal stack, counted by reason.
 *
 * The header rewrite is written once, for the packet and for the copy of
 * its headers that verification predicts the stack's output from (verify.c):
 * it takes header pointers and whether the L4 checksum is CHECKSUM_PARTIAL,
 * never the skb.
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/netfilter/nf_conntrack_acct.h>

#include "fastpath.h"

unsigned int fp_rx(struct fp_dev *fpd, struct sk_buff *skb,
		   enum fp_exception *exc, int port)
{
	fp_probe_forget(skb);
	*exc = FP_EXC_UNSUPPORTED;
	/* A VLAN tag still in the skb means the packet is not ours yet. */
	if (likely(!skb_vlan_tag_present(skb))) {
		/* A family the rules leave to the stack: not even counted. */
		switch (skb->protocol) {
		case htons(ETH_P_IP):
			if (unlikely(fp_dev_bypassed(fpd, AF_INET)))
				return fp_pass(exc, FP_EXC_BYPASSED);
			return fp_ipv4_rx(fpd->fpn, fpd, skb, exc, port);
		case htons(ETH_P_IPV6):
			if (unlikely(fp_dev_bypassed(fpd, AF_INET6)))
				return fp_pass(exc, FP_EXC_BYPASSED);
			return fp_ipv6_rx(fpd->fpn, fpd, skb, exc, port);
		}
	}
	return NF_ACCEPT;
}

/*
 * The last packet a bridge port hook of this CPU passed on to its bridge,
 * which hands it to the bridge's own hook in the same call, unless it
 * drops it or RPS on the bridge device queues it to another CPU (then the
 * ports take nothing).  Every frame addressed to the bridge leaves a
 * note, the bridge's hook forgets it whatever it does with its packet,
 * and a stale one is only trusted for the skb and the bridge it names:
 * what a mistaken one leads to lasts an epoch at most (fp_port_may()).
 */
struct fp_port_seen {
	const struct sk_buff *skb;
	const struct fp_dev *fpd;
	int port;
	u8 slot;		/* of its source (fp_fdb_slot()) */
	u8 fdb_gen;		/* the slot's, before the bridge learned it */
};

static DEFINE_PER_CPU(struct fp_port_seen, fp_port_seen);
static_assert(FP_FDB_SLOTS - 1 <= U8_MAX);

unsigned int fp_ingress(void *priv, struct sk_buff *skb,
			const struct nf_hook_state *state)
{
	struct fp_dev *fpd = priv;
	enum fp_exception exc;
	unsigned int verdict;

	verdict = fp_rx(fpd, skb, &exc, 0);
	this_cpu_write(fp_port_seen.skb, NULL);
	if (verdict == NF_STOLEN)
		return NF_STOLEN;
	return fp_exception(fpd->fpn, fpd, exc);
}

void fp_port_note(const struct fp_dev *fpd, const struct sk_buff *skb,
		  int port)
{
	struct fp_port_seen *n = this_cpu_ptr(&fp_port_seen);

	n->skb = skb;
	n->fpd = fpd;
	n->port = port;
	n->slot = fp_fdb_slot(fpd->fpn, eth_hdr(skb)->h_source);
	n->fdb_gen = fp_fdb_gen(fpd->fpn, n->slot);
}

/*
 * What a direction's packet on bridge port port must match to skip the
 * bridge (fp_flow.port): the port, above it the sum of the bridge's epoch
 * now (2^shift jiffies, numbered mod 256), of the FDB generation of the
 * source MAC's slot (an FDB entry of an address in that slot learned,
 * moved or deleted sends the directions from those sources through the
 * bridge again) and of the slot itself (a new source behind the same
 * addresses must be learned too).  A change that leaves the sum the same,
 * or a new source whose slot's sum is the old one's (1 in 256 each), is
 * learned an epoch late.
 */
static u16 fp_port_tag(const struct fp_dev *fpd, unsigned int slot, int port,
		       u8 fdb_gen, unsigned int *shift)
{
	u8 tag;

	*shift = READ_ONCE(fpd->br_epoch_shift);
	tag = (jiffies >> *shift) + fdb_gen + slot;
	return tag << 8 | port;
}

/*
 * d's packet, about to be forwarded by fpd's own hook, came through the
 * bridge from a port: the bridge has learned (refreshed) its source
 * there.  Its next packets on that port skip the bridge for the rest of
 * the epoch (none: a port that cannot take them).
 */
static void fp_port_seen_by_bridge(const struct fp_dev *fpd, struct fp_dir *d,
				   const struct sk_buff *skb)
{
	const struct fp_port_seen *n = this_cpu_ptr(&fp_port_seen);
	u16 *p = &fp_dir_flow(d)->port[d->index];
	unsigned int shift;
	u16 tag;

	if (likely(n->skb != skb) || n->fpd != fpd)
		return;
	/*
	 * The generation the port saw: an FDB change between the bridge's
	 * learning and here must not count as seen.
	 */
	tag = fp_port_tag(fpd, n->slot, n->port, n->fdb_gen, &shift);
	if (READ_ONCE(*p) != tag)
		WRITE_ONCE(*p, tag);
}

/*
 * May d's packet on bridge port port skip the bridge?  Only if the bridge
 * saw one of its packets from the same source arrive there in this epoch,
 * with no FDB change in the source's slot since: the first of each epoch
 * goes through it, so that it refreshes (or moves) the source's FDB entry
 * at least every two epochs (l2.c sizes them) while they flow.  The epoch
 * number wraps: a direction idle for an epoch goes through the bridge
 * first.
 */
static bool fp_port_may(const struct fp_dev *fpd, const struct fp_dir *d,
			const struct sk_buff *skb, int port)
{
	unsigned int slot = fp_fdb_slot(fpd->fpn, eth_hdr(skb)->h_source);
	unsigned int shift;
	u16 tag = fp_port_tag(fpd, slot, port, fp_fdb_gen(fpd->fpn, slot),
			      &shift);

	return READ_ONCE(fp_dir_flow(d)->port[d->index]) == tag &&
	       fp_dir_idle(d) < (1U << shift);
}

/*
 * Counts a packet left to the stack; exc FP_EXC_COUNT gives no reason,
 * FP_EXC_BYPASSED counts nothing.
 */
unsigned int fp_exception(struct fp_net *fpn, struct fp_dev *fpd,
			  enum fp_exception exc)
{
	struct fp_pcpu_stats *s = this_cpu_ptr(fpn->stats);

	if (exc == FP_EXC_BYPASSED)
		return NF_ACCEPT;
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
 * A held direction's packet goes to the stack: one to be verified leaves
 * its headers for the POST_ROUTING check first.  A direction forwarded
 * until now whose route went stale, or whose packets arrive with another
 * DSCP, flow label, mark or priority than verified, is verified again: the
 * stack may route it elsewhere now, its rules may treat
 * them differently, its multipath hash may pick another next hop for a new
 * flow label (a TCP sender's path change after a timeout), and IPv6
 * forwarding keeps the received priority.
 */
static enum fp_exception fp_rx_held(struct fp_net *fpn, struct sk_buff *skb,
				    struct fp_dir *d, const struct fp_rx *rx,
				    u32 hold)
{
	if (hold == FP_HOLD_REJECTED)
		return FP_EXC_MISMATCH;
	if (hold == FP_HOLD_NONE)
		cmpxchg(&d->hold, FP_HOLD_NONE, FP_HOLD_VERIFY);
	/* Another CPU is concluding: this packet's copy could not be used. */
	if (hold != FP_HOLD_VERIFYING)
		fp_probe_record(fpn, skb, d, rx);
	return FP_EXC_VERIFY;
}

/*
 * The family code has checked the network header (but for the IPv4
 * header checksum, checked here once a direction is found) and filled
 * rx.  Returns the direction to forward on, with the headers writable and
 * room for the link-layer header, or NULL and the reason to leave the
 * packet to the stack.
 *
 * port (its id among the bridge's ports, 0: none): the packet is on a
 * port of fpd's bridge, which would pass it to fpd's device (l2.c).  It
 * is forwarded only if fpd's hook would forward it there and the bridge
 * saw the direction's packets arrive on this port in this epoch;
 * otherwise it is left quietly, without a probe, a kill or a
 * verification, to go through the bridge to fpd's hook, which does all
 * of that.
 */
struct fp_dir *fp_rx_flow(struct fp_net *fpn, struct fp_dev *fpd,
			  struct sk_buff *skb, struct fp_rx *rx,
			  enum fp_exception *exc, int port)
{
	unsigned int l4len = rx->key.proto == IPPROTO_TCP ?
			     sizeof(struct tcphdr) : sizeof(struct udphdr);
	const struct tcphdr *th;
	struct fp_flow *flow;
	struct fp_dir *d;
	u32 hold;

	/*
	 * The L4 header within the packet, not in a bridge port's padding
	 * (trimmed below); a partial checksum must be this L4 header's: the
	 * incremental updates below assume its check field holds the
	 * pseudo-header sum.
	 */
	if (unlikely(rx->len < rx->thoff + l4len ||
		     !pskb_may_pull(skb, rx->thoff + l4len) ||
		     (skb->ip_summed == CHECKSUM_PARTIAL &&
		      skb_checksum_start_offset(skb) != rx->thoff))) {
		*exc = FP_EXC_BAD_HEADER;
		return NULL;
	}
	/* TCP and UDP both start with the ports. */
	th = (const struct tcphdr *)(skb->data + rx->thoff);
	rx->key.sport = th->source;
	rx->key.dport = th->dest;
	/* fpd's device, or the PPP device of a session frame. */
	rx->key.iif = READ_ONCE(fpd->ifindex);

	d = fp_flow_lookup(fpn, &rx->key);
	/*
	 * A refused direction, or one learning has just moved to another
	 * iif (written before the state's release): not this packet's.
	 */
	if (!d || unlikely(!fp_dir_offloaded(d) ||
			   READ_ONCE(d->key.iif) != rx->key.iif)) {
		/* The stack may forward it: learning verifies against it. */
		if (!port)
			fp_probe_unlearned(fpn, skb, d, rx);
		*exc = FP_EXC_NO_FLOW;
		return NULL;
	}
	/*
	 * Only a packet the fast path may take needs its IPv4 header checksum
	 * checked here: for the others (unlearned, bypassed) it would repeat
	 * ip_rcv_core()'s check.
	 */
	if (rx->key.family == AF_INET &&
	    unlikely(ip_fast_csum(skb_network_header(skb), ip_hdr(skb)->ihl))) {
		*exc = FP_EXC_BAD_HEADER;
		return NULL;
	}
	if (port && !fp_port_may(fpd, d, skb, port)) {
		*exc = FP_EXC_COUNT;
		return NULL;
	}
	flow = fp_dir_flow(d);

	if (rx->key.proto == IPPROTO_TCP &&
	    unlikely(tcp_flag_word(th) & (TCP_FLAG_SYN | TCP_FLAG_FIN | TCP_FLAG_RST))) {
		/* Conntrack must see the connection close. */
		if (!port && tcp_flag_word(th) & (TCP_FLAG_FIN | TCP_FLAG_RST))
			fp_flow_kill(fpn, flow, FASTPATH_DEL_REASON_TCP_CLOSE);
		*exc = FP_EXC_TCP_FLAGS;
		return NULL;
	}
	if (unlikely(rx->ttl <= 1)) {
		*exc = FP_EXC_TTL;
		return NULL;
	}
	if (unlikely(fp_skb_why(skb))) {
		*exc = FP_EXC_UNSUPPORTED;
		return NULL;
	}
	/*
	 * A deleted conntrack entry is left to the GC's scan, once a second
	 * (as nf_flowtable does): testing it here would cost every packet a
	 * read of the entry, a cache miss when there are many flows.
	 */
	/* Acquire: a verification publishes what it adopts before hold. */
	hold = smp_load_acquire(&d->hold);
	if (unlikely(hold == FP_HOLD_KILLED)) {
		*exc = FP_EXC_STALE;
		return NULL;
	}
	if (unlikely(READ_ONCE(d->nh->dead))) {
		if (!port)
			fp_flow_kill(fpn, flow, FASTPATH_DEL_REASON_NEIGH);
		*exc = FP_EXC_STALE;
		return NULL;
	}
	/*
	 * A route changed (for IPv4, any route of the netns): verified again
	 * on the new one, which d takes if the stack still forwards it as d
	 * does (verify.c), instead of every flow going and being learned anew.
	 * A packet that read the hold before that verification's claim may
	 * read the new route with the old cookie, or the old with the new:
	 * stale, it is verified once more; valid, it goes as the verification
	 * lets d go (the next hop and MTU stay d's).
	 */
	if (unlikely(!dst_check(READ_ONCE(d->dst), READ_ONCE(d->dst_cookie)))) {
		if (port) {
			*exc = FP_EXC_VERIFY;
			return NULL;
		}
		/* Not one a rejection or another CPU's verification holds. */
		if ((hold == FP_HOLD_NONE || hold == FP_HOLD_VERIFY) &&
		    !test_bit(FP_FLOW_STALE_RX + d->index, &flow->flags))
			set_bit(FP_FLOW_STALE_RX + d->index, &flow->flags);
		*exc = fp_rx_held(fpn, skb, d, rx, hold);
		return NULL;
	}
	if (unlikely(!netif_running(d->nh->dev) ||
		     !netif_carrier_ok(d->nh->dev))) {
		*exc = FP_EXC_DEV_DOWN;
		return NULL;
	}
	/* The stack drops an LRO packet (GSO without a type), whatever its size. */
	if (unlikely(skb_is_gso(skb) && !skb_shinfo(skb)->gso_type)) {
		*exc = FP_EXC_UNSUPPORTED;
		return NULL;
	}
	/* The stack fragments or sends ICMP; GSO segments may each fit. */
	if (unlikely(rx->len > d->mtu) &&
	    (!skb_is_gso(skb) || !skb_gso_validate_network_len(skb, d->mtu))) {
		*exc = FP_EXC_MTU;
		return NULL;
	}
	if (unlikely(hold || rx->dsfield != READ_ONCE(d->rx_dsfield) ||
		     rx->flowlabel != READ_ONCE(d->rx_flowlabel) ||
		     skb->mark != READ_ONCE(d->rx_mark) ||
		     skb->priority != READ_ONCE(d->rx_priority))) {
		*exc = port ? FP_EXC_VERIFY : fp_rx_held(fpn, skb, d, rx, hold);
		return NULL;
	}
	/*
	 * Unshared headers and room for the next hop's header are the rule:
	 * no call then.  Only what transmitting needs is asked for: a
	 * receiver's headroom may be short of FP_L2_MAX (AF_PACKET leaves a
	 * frame 2 bytes), and a copy of every packet would cost more than
	 * the rest.
	 */
	if (unlikely((skb_cloned(skb) &&
		      skb_ensure_writable(skb, rx->thoff + l4len)) ||
		     skb_cow_head(skb, READ_ONCE(d->nh->l2.room)))) {
		*exc = FP_EXC_COUNT;
		return NULL;
	}
	if (port) {
		/* Link-layer padding, left on for the bridge until here. */
		if (unlikely(rx->len < skb->len) &&
		    pskb_trim_rcsum(skb, rx->len)) {
			/* It may have taken the padding out of the sum. */
			skb->ip_summed = CHECKSUM_NONE;
			*exc = FP_EXC_COUNT;
			return NULL;
		}
		/*
		 * As the bridge's pass to fpd's device leaves it: received
		 * there, and no longer marked as forwarded by a switch.
		 */
		skb->skb_iif = rx->key.iif;
#ifdef CONFIG_NET_SWITCHDEV
		skb->offload_fwd_mark = 0;
#endif
	} else {
		fp_port_seen_by_bridge(fpd, d, skb);
	}
	return d;
}

/*
 * The L4 checksum after a 32-bit word it covers changes, as the stack's
 * inet_proto_csum_replace4() leaves it: a CHECKSUM_PARTIAL checksum holds
 * only the pseudo-header's sum (pseudo: the word is part of it).
 */
static void fp_csum_replace4(__sum16 *sum, __be32 from, __be32 to,
			     bool partial, bool pseudo)
{
	if (!partial)
		csum_replace4(sum, from, to);
	else if (pseudo)
		*sum = ~csum_fold(csum_add(csum_sub(csum_unfold(*sum),
						    (__force __wsum)from),
					   (__force __wsum)to));
}

static void fp_csum_replace_addr(__sum16 *sum, u8 family,
				 const union nf_inet_addr *from,
				 const union nf_inet_addr *to, bool partial)
{
	int i, words = family == AF_INET ? 1 : 4;

	for (i = 0; i < words; i++)
		fp_csum_replace4(sum, from->all[i], to->all[i], partial, true);
}

/*
 * Rewrites the ports of an L4 header as d transmits it and fixes its
 * checksum for the new ports and pseudo-header addresses; a UDP datagram
 * without a checksum keeps none, as with the stack's NAT.
 */
void fp_rewrite_l4(void *l4, const struct fp_dir *d, bool partial)
{
	__be16 *ports = l4;
	struct udphdr *uh = l4;
	__sum16 *check;

	if (d->key.proto == IPPROTO_UDP)
		check = uh->check || partial ? &uh->check : NULL;
	else
		check = &((struct tcphdr *)l4)->check;

	if (check) {
		if (d->nat & FP_NAT_SADDR)
			fp_csum_replace_addr(check, d->key.family, &d->key.src,
					     &d->xsrc, partial);
		if (d->nat & FP_NAT_DADDR)
			fp_csum_replace_addr(check, d->key.family, &d->key.dst,
					     &d->xdst, partial);
		if (d->nat & FP_NAT_SPORT)
			fp_csum_replace4(check, (__force __be32)ports[0],
					 (__force __be32)d->xsport, partial, false);
		if (d->nat & FP_NAT_DPORT)
			fp_csum_replace4(check, (__force __be32)ports[1],
					 (__force __be32)d->xdport, partial, false);
		if (d->key.proto == IPPROTO_UDP && !*check)
			*check = CSUM_MANGLED_0;
	}
	ports[0] = d->xsport;
	ports[1] = d->xdport;
}

/* The next hop's link-layer state, consistent against its rewrites. */
static void fp_read_l2(const struct fp_nh *nh, struct fp_l2 *l2)
{
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&nh->seq);
		*l2 = nh->l2;
	} while (read_seqcount_retry(&nh->seq, seq));
}

/*
 * Puts the header in front and picks the device to send on.  A GSO packet
 * out of a PPPoE session goes to the PPP device, which segments it as the
 * stack would: PPPoE frames cannot be segmented below it.  False: skb
 * dropped, no memory for a header that grew since fp_rx_flow() made room
 * (a rewrite of the next hop in between), as the stack drops then.
 */
static bool fp_push_l2(struct sk_buff *skb, const struct fp_nh *nh,
		       unsigned int len)
{
	/* Copied whole by fp_read_l2(): not cleared first. */
	struct fp_l2 l2 __uninitialized;
	u8 *hdr;

	fp_read_l2(nh, &l2);
	if (unlikely(l2.pppoe_len && skb_is_gso(skb))) {
		skb_reset_mac_header(skb);
		skb->dev = nh->dev;
		return true;
	}
	/* fp_rx_flow() unshared the header: only a grown header needs more. */
	if (unlikely(skb_headroom(skb) < l2.room &&
		     skb_cow_head(skb, l2.room))) {
		dev_core_stats_tx_dropped_inc(l2.dev);
		kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
		return false;
	}
	hdr = __skb_push(skb, l2.hlen);
	memcpy(hdr, l2.hdr, l2.hlen);
	/* PPP protocol and IP packet. */
	if (l2.pppoe_len)
		put_unaligned_be16(len + 2, hdr + l2.pppoe_len);
	skb_reset_mac_header(skb);
	skb->protocol = l2.protocol;
	if (l2.vlan_proto)
		__vlan_hwaccel_put_tag(skb, l2.vlan_proto, l2.vlan_tci);
	skb->dev = l2.dev;
	return true;
}

static void fp_stats_add_fast(struct fp_pcpu_stats __percpu *stats,
			      unsigned int len)
{
	struct fp_pcpu_stats *s = this_cpu_ptr(stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->fast_packets);
	u64_stats_add(&s->fast_bytes, len);
	u64_stats_update_end(&s->syncp);
}

/* Under BH, as every receive: the owner's updates cannot nest. */
static void fp_dir_count(struct fp_dir *d, unsigned int len)
{
	if (likely(d->owner == smp_processor_id())) {
		u64_stats_update_begin(&d->syncp);
		u64_stats_inc(&d->packets);
		u64_stats_add(&d->bytes, len);
		u64_stats_update_end(&d->syncp);
	} else {
		atomic64_inc(&d->stray_packets);
		atomic64_add(len, &d->stray_bytes);
	}
	/* As the stack's own conntrack hook would have, live. */
	if (d->acct)
		nf_ct_acct_add(fp_dir_flow(d)->ct, d->index, 1, len);
}

/* Puts the next hop's header in front and sends; always consumes skb. */
unsigned int fp_xmit(struct fp_dev *fpd, struct fp_dir *d,
		     struct sk_buff *skb, unsigned int len)
{
	u64 egress = atomic64_read(&d->egress);
	struct fp_pcpu_stats __percpu *tx_stats;
	const struct fp_nh *nh = d->nh;
	u32 now = jiffies;

	/* What egress qdiscs classify on, as the stack left it (verified). */
	skb->mark = fp_egress_mark(egress);
	skb->priority = fp_egress_priority(egress);
	/*
	 * As ip_forward(): a received checksum and timestamp do not apply,
	 * and the route is the stack's business (a tunnel's metadata dst).
	 */
	skb_forward_csum(skb);
	skb_clear_tstamp(skb);
	skb_dst_drop(skb);
	if (unlikely(!fp_push_l2(skb, nh, len)))
		return NF_STOLEN;

	fp_stats_add_fast(fpd->stats, len);
	tx_stats = rcu_dereference(nh->tx_stats);
	if (tx_stats) {
		struct fp_pcpu_stats *s = this_cpu_ptr(tx_stats);

		u64_stats_update_begin(&s->syncp);
		u64_stats_inc(&s->tx_packets);
		u64_stats_add(&s->tx_bytes, len);
		u64_stats_update_end(&s->syncp);
	}
	fp_dir_count(d, len);
	if (READ_ONCE(d->last_used) != now)
		WRITE_ONCE(d->last_used, now);
	dev_queue_xmit(skb);
	return NF_STOLEN;
}
