// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: verification that a direction's fast path transmits exactly
 * what the stack does.
 *
 * The ingress hook leaves, in this CPU's probe, a copy of the headers of
 * each packet it hands to the stack (and its mark).  The POST_ROUTING
 * learner, seeing the same skb come out of the stack, predicts from the
 * copy what the fast path would send (the rewrite code is the data
 * plane's own) and compares it with what the stack produced, field by
 * field.  A direction is learned only if nothing differs, adopting the
 * mark and priority the stack gave the packet (what egress qdiscs
 * classify on); otherwise it is refused with the first field that
 * differs, and tried again later.  The L4 checksum covers the payload, so
 * the headers suffice, except for a CHECKSUM_PARTIAL packet: such a
 * direction is learned held (FP_HOLD_VERIFY) and its next packet is
 * verified with a checksum of its payload as well.  From ingress to
 * POST_ROUTING a forwarded packet stays on one CPU in one softirq.  Only
 * the packet a probe was taken from can use it: a probe whose packet never
 * comes out (dropped by a rule) stays until the CPU's next one replaces it,
 * or its skb, reused, enters the ingress hook again (fp_probe_forget()),
 * and is not taken for a packet in that skb from another device.  A packet
 * an NFQUEUE program gives back in that time uses its own, unless a
 * ruleset or a stack setting changed meanwhile.  A packet of a refused
 * direction leaves no copy, only its conntrack entry and direction: the
 * learning hook returns at once for a packet of that skb that has both
 * (fp_probe_refused()); the skb, reused, entering an enabled device's hook
 * voids it as it does a copy.
 *
 * What the comparison cannot see is refused at learning (learn.c), and
 * the link-layer header comes from the neighbour entry the stack itself
 * uses (nh.c).
 *
 * Verified directions are verified again when the ruleset may have
 * changed: on every nftables commit in the netns (iptables-nft included),
 * seen through a kernel socket in nfnetlink's nftables group; when the
 * IPsec forward policies, ip_forward_update_priority or a multipath hash
 * policy change; and every verify-interval seconds for whatever else
 * (legacy iptables, other sysctls).
 */
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/dsfield.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/xfrm.h>

#include "fastpath.h"

/* Network and transport headers as received: IPv6 and a full TCP header. */
#define FP_TCP_HDR_MAX	60
#define FP_PROBE_HDR	(sizeof(struct ipv6hdr) + FP_TCP_HDR_MAX)

struct fp_probe {
	const struct sk_buff *skb;	/* NULL: no probe pending */
	int iif;			/* copies: skb's, as learning keys it */
	u32 changes;			/* copies: fp_probe_changes() when taken */
	u32 dst_cookie;			/* of skb's route, read at POST_ROUTING
					 * before the changes are compared */
	struct fp_dir *d;		/* held direction, NULL: not learned */
	__wsum payload;			/* checksum of what follows hdr */
	bool has_payload;		/* payload was computed */
	u32 rx_mark;
	u32 rx_priority;
	u16 len;			/* IP packet length */
	u8 hlen;			/* bytes in hdr */
	u8 thoff;			/* L4 header offset in hdr */
	__be32 flowlabel;
	u8 dsfield;			/* ECN masked */
	bool partial;			/* CHECKSUM_PARTIAL */
	bool uncovered;			/* the L4 checksum misses the payload */
	/* Or, no copy (hlen 0): the direction of refused_ct it belongs to is refused. */
	u8 refused_dir;
	const struct nf_conn *refused_ct;
	u8 hdr[FP_PROBE_HDR];
};

static DEFINE_PER_CPU(struct fp_probe, fp_probes);

/*
 * Rulesets and stack settings a packet crosses between its ingress and
 * POST_ROUTING, and rounds of verification of every direction (which the
 * interval starts for changes no notifier reports): a probe taken before
 * one (a packet an NFQUEUE program held across it) verifies nothing, and
 * nothing is learned from its packet.  Route changes of the family too:
 * a route looked up in the table as it was before one would pass
 * dst_check() all the same, an IPv6 one with a cookie read after it, an
 * IPv4 one allocated after it (stamped with the new generation).
 */
static u32 fp_probe_changes(struct fp_net *fpn, u8 family)
{
	u32 changes = atomic_read(&fpn->ruleset_changes) +
		      atomic_read(&fpn->stack_changes) +
		      atomic_read(&fpn->verify_rounds);

	if (family == AF_INET6)
		return changes + atomic_read(&fpn->net->ipv6.fib6_sernum);
	return changes + rt_genid_ipv4(fpn->net);
}

/* Only skb may use the probe, as received now. */
static void fp_probe_own(struct fp_probe *p, struct fp_net *fpn,
			 const struct sk_buff *skb, const struct fp_rx *rx)
{
	p->iif = rx->key.iif;
	p->changes = fp_probe_changes(fpn, rx->key.family);
	/* Before the stack's route lookup reads the routes. */
	smp_rmb();
	p->skb = skb;
}

void fp_probe_record(struct fp_net *fpn, struct sk_buff *skb,
		     struct fp_dir *d, const struct fp_rx *rx)
{
	struct fp_probe *p = this_cpu_ptr(&fp_probes);
	unsigned int hlen = rx->thoff + sizeof(struct udphdr);

	p->skb = NULL;
	p->refused_ct = NULL;
	/* fp_rx_flow() pulled the fixed TCP header: its length is there. */
	if (rx->key.proto == IPPROTO_TCP)
		hlen = rx->thoff +
		       max_t(unsigned int, sizeof(struct tcphdr),
			     ((struct tcphdr *)(skb->data + rx->thoff))->doff * 4);
	if (hlen > sizeof(p->hdr) || hlen > rx->len ||
	    skb_copy_bits(skb, 0, p->hdr, hlen))
		return;
	/* Held directions only: a packet to learn from costs a copy. */
	p->has_payload = d;
	if (d)
		p->payload = skb_checksum(skb, hlen, rx->len - hlen, 0);
	p->d = d;
	p->rx_mark = skb->mark;
	p->rx_priority = skb->priority;
	p->len = rx->len;
	p->hlen = hlen;
	p->thoff = rx->thoff;
	p->dsfield = rx->dsfield;
	p->flowlabel = rx->flowlabel;
	p->partial = skb->ip_summed == CHECKSUM_PARTIAL;
	/* Left to the hardware, or a UDP datagram without a checksum. */
	p->uncovered = p->partial ||
		       (rx->key.proto == IPPROTO_UDP &&
			!((struct udphdr *)(p->hdr + rx->thoff))->check);
	fp_probe_own(p, fpn, skb, rx);
}

void fp_probe_unlearned(struct fp_net *fpn, struct sk_buff *skb,
			const struct fp_dir *d, const struct fp_rx *rx)
{
	struct fp_probe *p = this_cpu_ptr(&fp_probes);

	if (!d || !fp_dir_refusal_valid(fpn, d)) {
		fp_probe_record(fpn, skb, NULL, rx);
		return;
	}
	/*
	 * Per CPU, in softirq: nothing reads it until the packet is out.  No
	 * iif or change counters: those never voided a refusal.  A refusal
	 * voided (learn_gen) or expired (retry_at) meanwhile costs this one
	 * packet's learning; the next packet is learned from.
	 */
	p->d = NULL;
	p->hlen = 0;
	p->refused_ct = fp_dir_flow(d)->ct;
	p->refused_dir = d->index;
	p->skb = skb;
}

bool fp_probe_refused(const struct sk_buff *skb, const struct nf_conn *ct,
		      enum ip_conntrack_info ctinfo)
{
	struct fp_probe *p;

	if (!in_softirq() || this_cpu_read(fp_probes.skb) != skb)
		return false;
	p = this_cpu_ptr(&fp_probes);
	if (!p->refused_ct)
		return false;
	p->skb = NULL;
	return p->refused_ct == ct && p->refused_dir == CTINFO2DIR(ctinfo);
}

/*
 * skb is not to be verified or learned from as the packet this CPU's probe
 * was taken from: a probe left by a packet the stack dropped (a firewall
 * rule) must not be taken for a later one's that reuses its skb.  Only
 * skb's own: under listified receive, the ingress hook sees a batch of
 * packets before the first reaches POST_ROUTING.
 */
void fp_probe_forget(const struct sk_buff *skb)
{
	if (unlikely(this_cpu_read(fp_probes.skb) == skb))
		this_cpu_write(fp_probes.skb, NULL);
}

/* The field that byte off of an IPv4 header belongs to (diff: its XOR). */
static enum fastpath_verify_field fp_ipv4_field(unsigned int off, u8 diff)
{
	switch (off) {
	case offsetof(struct iphdr, tos):
		return diff & ~INET_ECN_MASK ? FASTPATH_VERIFY_FIELD_DSCP :
					       FASTPATH_VERIFY_FIELD_ECN;
	case offsetof(struct iphdr, tot_len) ... offsetof(struct iphdr, id) - 1:
		return FASTPATH_VERIFY_FIELD_LENGTH;
	case offsetof(struct iphdr, id) ... offsetof(struct iphdr, frag_off) - 1:
		return FASTPATH_VERIFY_FIELD_ID;
	case offsetof(struct iphdr, frag_off) ... offsetof(struct iphdr, ttl) - 1:
		return FASTPATH_VERIFY_FIELD_FRAG_OFF;
	case offsetof(struct iphdr, ttl):
		return FASTPATH_VERIFY_FIELD_TTL;
	case offsetof(struct iphdr, check) ... offsetof(struct iphdr, saddr) - 1:
		return FASTPATH_VERIFY_FIELD_IP_CHECKSUM;
	case offsetof(struct iphdr, saddr) ... offsetof(struct iphdr, daddr) - 1:
		return FASTPATH_VERIFY_FIELD_SADDR;
	case offsetof(struct iphdr, daddr) ... sizeof(struct iphdr) - 1:
		return FASTPATH_VERIFY_FIELD_DADDR;
	}
	return FASTPATH_VERIFY_FIELD_PROTOCOL;	/* version, ihl, protocol */
}

static enum fastpath_verify_field fp_ipv6_field(unsigned int off,
						const u8 *want, const u8 *got)
{
	const struct ipv6hdr *w = (const void *)want, *g = (const void *)got;

	switch (off) {
	case 0 ... offsetof(struct ipv6hdr, payload_len) - 1:
		if ((ipv6_get_dsfield(w) ^ ipv6_get_dsfield(g)) & ~INET_ECN_MASK)
			return FASTPATH_VERIFY_FIELD_DSCP;
		if (ipv6_get_dsfield(w) != ipv6_get_dsfield(g))
			return FASTPATH_VERIFY_FIELD_ECN;
		if (ip6_flowlabel(w) != ip6_flowlabel(g))
			return FASTPATH_VERIFY_FIELD_FLOW_LABEL;
		return FASTPATH_VERIFY_FIELD_PROTOCOL;	/* version */
	case offsetof(struct ipv6hdr, payload_len) ...
	     offsetof(struct ipv6hdr, nexthdr) - 1:
		return FASTPATH_VERIFY_FIELD_LENGTH;
	case offsetof(struct ipv6hdr, hop_limit):
		return FASTPATH_VERIFY_FIELD_TTL;
	case offsetof(struct ipv6hdr, saddr) ... offsetof(struct ipv6hdr, daddr) - 1:
		return FASTPATH_VERIFY_FIELD_SADDR;
	case offsetof(struct ipv6hdr, daddr) ... sizeof(struct ipv6hdr) - 1:
		return FASTPATH_VERIFY_FIELD_DADDR;
	}
	return FASTPATH_VERIFY_FIELD_PROTOCOL;	/* nexthdr */
}

/* The field that byte off of a TCP or UDP header belongs to. */
static enum fastpath_verify_field fp_l4_field(u8 proto, unsigned int off)
{
	if (off < 2)
		return FASTPATH_VERIFY_FIELD_SPORT;
	if (off < 4)
		return FASTPATH_VERIFY_FIELD_DPORT;
	if (proto == IPPROTO_UDP)
		return off < offsetof(struct udphdr, check) ?
		       FASTPATH_VERIFY_FIELD_LENGTH :
		       FASTPATH_VERIFY_FIELD_L4_CHECKSUM;
	switch (off) {
	case offsetof(struct tcphdr, seq) ... offsetof(struct tcphdr, ack_seq) - 1:
		return FASTPATH_VERIFY_FIELD_TCP_SEQ;
	case offsetof(struct tcphdr, ack_seq) ... offsetof(struct tcphdr, window) - 3:
		return FASTPATH_VERIFY_FIELD_TCP_ACK;
	case offsetof(struct tcphdr, window) - 2 ... offsetof(struct tcphdr, window) - 1:
		return FASTPATH_VERIFY_FIELD_TCP_FLAGS;
	case offsetof(struct tcphdr, window) ... offsetof(struct tcphdr, check) - 1:
		return FASTPATH_VERIFY_FIELD_TCP_WINDOW;
	case offsetof(struct tcphdr, check) ... offsetof(struct tcphdr, urg_ptr) - 1:
		return FASTPATH_VERIFY_FIELD_L4_CHECKSUM;
	case offsetof(struct tcphdr, urg_ptr) ... sizeof(struct tcphdr) - 1:
		return FASTPATH_VERIFY_FIELD_TCP_URGENT;
	}
	return FASTPATH_VERIFY_FIELD_TCP_OPTIONS;
}

/*
 * What the stack made of the probe's packet against what the fast path
 * would have made of it: 0 if identical, else the first field that
 * differs.
 */
static enum fastpath_verify_field fp_verify_compare(const struct fp_probe *p,
						    const struct sk_buff *skb,
						    const struct fp_dir *d)
{
	u8 want[FP_PROBE_HDR], buf[FP_PROBE_HDR];
	const u8 *got;
	unsigned int i;

	memcpy(want, p->hdr, p->hlen);
	if (d->key.family == AF_INET)
		fp_ipv4_rewrite((struct iphdr *)want, want + p->thoff, d,
				p->partial);
	else
		fp_ipv6_rewrite((struct ipv6hdr *)want, want + p->thoff, d,
				p->partial);

	if (skb->len != p->len)
		return FASTPATH_VERIFY_FIELD_LENGTH;
	got = skb_header_pointer(skb, 0, p->hlen, buf);
	if (!got)
		return FASTPATH_VERIFY_FIELD_LENGTH;
	for (i = 0; i < p->hlen; i++) {
		if (want[i] == got[i])
			continue;
		if (i >= p->thoff)
			return fp_l4_field(d->key.proto, i - p->thoff);
		return d->key.family == AF_INET ?
		       fp_ipv4_field(i, want[i] ^ got[i]) :
		       fp_ipv6_field(i, want, got);
	}
	if (p->has_payload &&
	    skb_checksum(skb, p->hlen, p->len - p->hlen, 0) != p->payload)
		return FASTPATH_VERIFY_FIELD_PAYLOAD;
	return 0;
}

/*
 * The stack's next hop is d's, as learning took it: of two on one device
 * (ECMP), the stack may now pick the other (a new multipath hash policy).
 * A PPP link has one peer.
 */
static bool fp_verify_nexthop(const struct sk_buff *skb, const struct fp_dir *d)
{
	union nf_inet_addr nexthop = {};

	if (d->nh->dev->type == ARPHRD_PPP)
		return true;
	return fp_skb_nexthop(skb, d->nh->key.family, &nexthop) &&
	       nf_inet_addr_cmp(&nexthop, &d->nh->key.addr);
}

/*
 * Is skb still routed the way the direction transmits, and without the
 * redirects learning refuses (send_redirects changes flush no route)?
 */
static bool fp_verify_route(const struct sk_buff *skb,
			    const struct nf_hook_state *state,
			    const struct fp_dir *d)
{
	const struct dst_entry *dst = skb_dst(skb);

	return state->out == d->nh->dev && dst &&
	       !(dst->flags & DST_FAKE_RTABLE) && !fp_route_why(dst) &&
	       fp_verify_nexthop(skb, d) &&
	       !fp_sends_redirects(d->key.iif, state->out, d->key.family);
}

/*
 * Ends the claim on d's verification with hold, unless the flow was
 * killed meanwhile.  Release: what the verification adopted is written
 * before packets can see the hold lifted.
 */
static bool fp_verify_conclude(struct fp_dir *d, u32 hold)
{
	return cmpxchg_release(&d->hold, FP_HOLD_VERIFYING, hold) ==
	       FP_HOLD_VERIFYING;
}

/*
 * The stack forwards d's packets out of d's device to its next hop, with
 * another route than d's (d's went stale: a route of the netns changed;
 * or learning paired a route looked up before a change with a cookie read
 * after it) or with d's under another cookie: d takes skb's route, unless
 * learning would refuse it (reason route) or it changes d's MTU (mtu).
 * Only the verification that holds d writes d->dst; readers are under
 * RCU, and dst_release() frees after a grace period.
 */
static enum fastpath_del_reason
fp_verify_take_route(struct fp_net *fpn, struct fp_dir *d,
		     const struct fp_probe *p, const struct sk_buff *skb)
{
	struct dst_entry *dst = skb_dst(skb), *old = d->dst;
	u8 family = d->key.family;

	if (dst == old && p->dst_cookie == d->dst_cookie &&
	    dst_check(old, d->dst_cookie))
		return 0;

	/* What learning refuses of a route. */
	if ((family == AF_INET6 && fp_ipv6_policy_skipped(skb)) ||
	    fp_skb_route_why(fpn->net, skb, d))
		return FASTPATH_DEL_REASON_ROUTE;
	if (fp_dir_mtu(fp_route_mtu(dst, family), d->nh) != d->mtu)
		return FASTPATH_DEL_REASON_MTU;
	/* A route being freed cannot be held: learned again. */
	if (!dst_hold_safe(dst))
		return FASTPATH_DEL_REASON_ROUTE;
	/* Packets read them once the hold is released (fp_verify_conclude()). */
	WRITE_ONCE(d->dst_cookie, p->dst_cookie);
	WRITE_ONCE(d->dst, dst);
	dst_release(old);
	fp_dir_stale_done(d);
	return 0;
}

void fp_dir_stale_forwarded(struct fp_dir *d, const struct sk_buff *skb,
			    const struct nf_hook_state *state)
{
	unsigned long bits = BIT(FP_FLOW_STALE_RX + d->index) |
			     BIT(FP_FLOW_STALE_SEEN + d->index);

	/*
	 * Every slow packet of an offloaded direction comes here: the flags,
	 * on the line its look-up read, first.  Offloaded: a probe held
	 * across a grace period (NFQUEUE) may name a direction of a later
	 * flow of the same connection, not offloaded, without a next hop.
	 */
	if ((READ_ONCE(fp_dir_flow(d)->flags) & bits) && fp_dir_offloaded(d) &&
	    fp_verify_route(skb, state, d) &&
	    fp_dir_mtu(fp_route_mtu(skb_dst(skb), d->key.family), d->nh) == d->mtu)
		fp_dir_stale_done(d);
}

/* Concludes the verification of d on the packet the stack made of p's. */
static void fp_verify_dir(struct fp_net *fpn, struct fp_dir *d,
			  const struct fp_probe *p, const struct sk_buff *skb,
			  const struct nf_hook_state *state)
{
	enum fastpath_del_reason reason;
	enum fastpath_verify_field field;

	/* Another CPU's packet of d may be concluding it: one at a time. */
	if (cmpxchg(&d->hold, FP_HOLD_VERIFY, FP_HOLD_VERIFYING) !=
	    FP_HOLD_VERIFY)
		return;
	/*
	 * The stack now forwards d another way (a route changed, a multipath
	 * group lost a member or hashes anew), or with a route d cannot take:
	 * learned again as it routes.
	 */
	reason = fp_verify_route(skb, state, d) ?
		 fp_verify_take_route(fpn, d, p, skb) : FASTPATH_DEL_REASON_ROUTE;
	if (reason) {
		struct fp_flow *flow = fp_dir_flow(d);

		/*
		 * A flow killed or being removed meanwhile (a flush) failed
		 * nothing.  The kill runs whatever: its TCP fixup must precede
		 * this packet, whoever stopped the flow first.
		 */
		if (fp_flow_kill(fpn, flow, reason) &&
		    !test_bit(FP_FLOW_DEAD, &flow->flags))
			atomic64_inc(&fpn->verify_failed);
		return;
	}
	field = fp_verify_compare(p, skb, d);
	if (field) {
		WRITE_ONCE(d->why, FASTPATH_WHY_VERIFY);
		WRITE_ONCE(d->why_detail, field);
		WRITE_ONCE(d->retry_at, jiffies + FP_REFUSAL_TTL);
		if (fp_verify_conclude(d, FP_HOLD_REJECTED))
			atomic64_inc(&fpn->verify_failed);
		return;
	}
	/*
	 * Packets read these once the hold is released, and those that read
	 * the hold just before the claim may read them as they change.
	 */
	WRITE_ONCE(d->rx_dsfield, p->dsfield);
	WRITE_ONCE(d->rx_flowlabel, p->flowlabel);
	WRITE_ONCE(d->rx_mark, p->rx_mark);
	WRITE_ONCE(d->rx_priority, p->rx_priority);
	WRITE_ONCE(d->ct_mark, fp_ct_mark(fp_dir_flow(d)->ct));
	atomic64_set(&d->egress, fp_egress(skb->mark, skb->priority));
	/* Against fp_rules_replace(): see there. */
	smp_mb();
	/*
	 * Rules decide on what a direction carries now, as on what it was
	 * learned with: a mark or DSCP they bypass (a daemon's ct mark
	 * restored since) takes the flow off, to be refused when learned.
	 */
	if (fp_rules_bypass(fpn, d)) {
		fp_flow_kill(fpn, fp_dir_flow(d), FASTPATH_DEL_REASON_RULE);
		return;
	}
	WRITE_ONCE(d->verified, 1);
	if (fp_verify_conclude(d, FP_HOLD_NONE))
		atomic64_inc(&fpn->verify_passed);
}

const struct fp_probe *fp_verify(struct fp_net *fpn, struct sk_buff *skb,
				  const struct nf_hook_state *state,
				  struct nf_conn *ct,
				  enum ip_conntrack_info ctinfo, bool *done)
{
	struct fp_probe *p;
	struct fp_flow *flow;
	bool voided;
	u8 family;

	*done = false;
	/*
	 * Cheap for every other packet.  Packets the stack forwards come
	 * here in the softirq (or BH-disabled section) of their ingress;
	 * locally sent ones, in process context, never have a probe.
	 */
	if (!in_softirq() || this_cpu_read(fp_probes.skb) != skb)
		return NULL;
	/* Matched: in the softirq of its ingress, on the probe's CPU. */
	p = this_cpu_ptr(&fp_probes);
	p->skb = NULL;
	/* Another packet in a reused skb. */
	if (p->iif != fp_skb_iif(skb, state->pf))
		return NULL;
	*done = true;
	/*
	 * Rules or routes changed meanwhile: it verifies nothing.  The
	 * route's cookie is read first: a route change it misses comes after
	 * it, and fails the comparison.
	 */
	family = state->pf == NFPROTO_IPV6 ? AF_INET6 : AF_INET;
	p->dst_cookie = skb_dst(skb) ? fp_dst_cookie(skb_dst(skb), family) : 0;
	smp_rmb();
	voided = p->changes != fp_probe_changes(fpn, family);
	if (!p->d) {
		if (voided)
			return NULL;
		*done = false;
		return p;
	}
	flow = ct ? fp_flow_find_ct(fpn, ct) : NULL;
	if (!flow || &flow->dir[CTINFO2DIR(ctinfo)] != p->d)
		return NULL;
	/* Voided: it may have been routed before the change, or after. */
	if (voided)
		fp_dir_stale_forwarded(p->d, skb, state);
	else if (READ_ONCE(p->d->hold) == FP_HOLD_VERIFY)
		fp_verify_dir(fpn, p->d, p, skb, state);
	return NULL;
}

/* Is p a copy of a packet received with this tuple? */
static bool fp_probe_of(const struct fp_probe *p, const struct fp_key *key)
{
	const __be16 *ports = (const __be16 *)(p->hdr + p->thoff);

	/* hlen 0: a refusal note, which fp_probe_refused() consumes first. */
	if (!p->hlen || ports[0] != key->sport || ports[1] != key->dport)
		return false;
	if (key->family == AF_INET) {
		const struct iphdr *iph = (const void *)p->hdr;

		return iph->saddr == key->src.ip && iph->daddr == key->dst.ip;
	}
	return ipv6_addr_equal(&((const struct ipv6hdr *)p->hdr)->saddr, &key->src.in6) &&
	       ipv6_addr_equal(&((const struct ipv6hdr *)p->hdr)->daddr, &key->dst.in6);
}

void fp_verify_learned(const struct fp_probe *p, const struct sk_buff *skb,
		       struct fp_learned *l)
{
	enum fastpath_verify_field field;

	if (!p || !fp_probe_of(p, &l->tmpl.key)) {
		/* No copy of this packet: verify on the next one. */
		l->hold = FP_HOLD_VERIFY;
		return;
	}
	/* Read before the route changes were compared (fp_verify()). */
	l->tmpl.dst_cookie = p->dst_cookie;
	field = fp_verify_compare(p, skb, &l->tmpl);
	if (field) {
		l->why = FASTPATH_WHY_VERIFY;
		l->why_detail = field;
		return;
	}
	/* The checksum does not cover the payload: the next packet's will. */
	l->hold = p->uncovered ? FP_HOLD_VERIFY : FP_HOLD_NONE;
	l->rx_dsfield = p->dsfield;
	l->rx_flowlabel = p->flowlabel;
	l->rx_mark = p->rx_mark;
	l->rx_priority = p->rx_priority;
	l->priority = skb->priority;
}

/* GC: is another verification of every direction due? */
bool fp_verify_due(struct fp_net *fpn)
{
	u32 interval = READ_ONCE(fpn->cfg.verify_interval);
	u32 changes = atomic_read(&fpn->ruleset_changes);
	u32 stack = atomic_read(&fpn->stack_changes);
	bool due;

	due = changes != fpn->verified_changes || stack != fpn->verified_stack ||
	      (interval && time_after_eq(jiffies, fpn->verified_at + interval * HZ));
	if (due) {
		fpn->verified_changes = changes;
		fpn->verified_stack = stack;
		fpn->verified_at = jiffies;
		atomic_inc(&fpn->verify_rounds);
	}
	return due;
}

/* GC: holds d for verification if everything is due, or its retry is. */
void fp_verify_again(struct fp_dir *d, bool all)
{
	/* Acquire: a rejection publishes its retry_at before the hold. */
	u32 hold = smp_load_acquire(&d->hold);

	if ((hold == FP_HOLD_NONE && all) ||
	    (hold == FP_HOLD_REJECTED &&
	     (all || !time_before32(jiffies, READ_ONCE(d->retry_at)))))
		cmpxchg(&d->hold, hold, FP_HOLD_VERIFY);
}

/* A commit to the nftables ruleset of the netns: verify everything again. */
static void fp_watch_data_ready(struct sock *sk)
{
	struct fp_net *fpn = sk->sk_user_data;

	skb_queue_purge(&sk->sk_receive_queue);
	atomic_inc(&fpn->ruleset_changes);
	fp_gc_kick(fpn);
}

int fp_watch_start(struct fp_net *fpn)
{
	struct sockaddr_nl addr = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1 << (NFNLGRP_NFTABLES - 1),
	};
	struct socket *sock;
	int err;

	err = sock_create_kern(fpn->net, PF_NETLINK, SOCK_RAW,
			       NETLINK_NETFILTER, &sock);
	if (err)
		return err;
	sock->sk->sk_user_data = fpn;
	sock->sk->sk_data_ready = fp_watch_data_ready;
	err = kernel_bind(sock, (struct sockaddr *)&addr, sizeof(addr));
	if (err) {
		sock_release(sock);
		return err;
	}
	fpn->watch = sock;
	return 0;
}

void fp_watch_stop(struct fp_net *fpn)
{
	sock_release(fpn->watch);
	fpn->watch = NULL;
}

#ifdef CONFIG_XFRM
/*
 * IPsec policy changes reach key managers only, so fastpath registers as
 * one that manages no keys: any policy event of a netns (add, update,
 * delete, flush, expiry) has its directions verified again by the GC.
 * A change of the default verdict bumps the route generation instead.
 */
static int fp_xfrm_notify_policy(struct xfrm_policy *xp, int dir,
				 const struct km_event *c)
{
	/* c->net is set only for events without a policy (a flush). */
	struct net *net = xp ? xp_net(xp) : c->net;

	if (net)
		atomic_inc(&fp_pernet(net)->stack_changes);
	return 0;
}

/* Called without a NULL test: answer as a manager without SAs to offer. */
static int fp_xfrm_acquire(struct xfrm_state *x, struct xfrm_tmpl *t,
			   struct xfrm_policy *xp)
{
	return -EINVAL;
}

/* Likewise; leaving *dir alone keeps the other managers' answer. */
static struct xfrm_policy *fp_xfrm_compile_policy(struct sock *sk, int opt,
						  u8 *data, int len, int *dir)
{
	return NULL;
}

static struct xfrm_mgr fp_xfrm_mgr = {
	.notify_policy = fp_xfrm_notify_policy,
	.acquire = fp_xfrm_acquire,
	.compile_policy = fp_xfrm_compile_policy,
};

void fp_xfrm_watch_init(void)
{
	xfrm_register_km(&fp_xfrm_mgr);
}

void fp_xfrm_watch_exit(void)
{
	xfrm_unregister_km(&fp_xfrm_mgr);
}
#else
void fp_xfrm_watch_init(void)
{
}

void fp_xfrm_watch_exit(void)
{
}
#endif
