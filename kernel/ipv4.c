// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: IPv4 data plane.
 */
#include <net/inet_ecn.h>
#include <net/ip.h>

#include "fastpath.h"

/*
 * The IPv4 and L4 headers as d transmits them: the TTL decremented and
 * the addresses and ports translated, checksums updated incrementally as
 * ip_forward() and the stack's NAT do.  l4 is the header after iph.
 */
void fp_ipv4_rewrite(struct iphdr *iph, void *l4, const struct fp_dir *d,
		     bool partial)
{
	ip_decrease_ttl(iph);
	if (d->nat & FP_NAT_SADDR) {
		csum_replace4(&iph->check, iph->saddr, d->xsrc.ip);
		iph->saddr = d->xsrc.ip;
	}
	if (d->nat & FP_NAT_DADDR) {
		csum_replace4(&iph->check, iph->daddr, d->xdst.ip);
		iph->daddr = d->xdst.ip;
	}
	if (d->nat)
		fp_rewrite_l4(l4, d, partial);
}

unsigned int fp_ipv4_rx(struct fp_net *fpn, struct fp_dev *fpd,
			struct sk_buff *skb, enum fp_exception *exc, int port)
{
	struct fp_rx rx = { .key.family = AF_INET };
	const struct iphdr *iph;
	struct iphdr *wiph;
	struct fp_dir *d;

	if (unlikely(!pskb_may_pull(skb, sizeof(*iph))))
		return fp_pass(exc, FP_EXC_BAD_HEADER);
	iph = ip_hdr(skb);
	if (unlikely(iph->version != 4 || iph->ihl < 5))
		return fp_pass(exc, FP_EXC_BAD_HEADER);
	if (unlikely(iph->ihl > 5))
		return fp_pass(exc, FP_EXC_IP_OPTIONS);
	rx.len = ntohs(iph->tot_len);
	/* A zero length with GSO is a BIG TCP packet: not ours. */
	if (unlikely(!rx.len && skb_is_gso(skb)))
		return fp_pass(exc, FP_EXC_BIG_PACKET);
	/* The header checksum is fp_rx_flow()'s, for a candidate only. */
	if (unlikely(rx.len < sizeof(*iph) || rx.len > skb->len))
		return fp_pass(exc, FP_EXC_BAD_HEADER);
	if (unlikely(ip_is_fragment(iph)))
		return fp_pass(exc, FP_EXC_FRAGMENT);
	if (unlikely(iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP))
		return fp_pass(exc, FP_EXC_UNSUPPORTED);
	/* ip_rcv() drops frames not addressed to us; so must we. */
	if (unlikely(skb->pkt_type != PACKET_HOST))
		return fp_pass(exc, FP_EXC_NOT_UNICAST);

	rx.key.proto = iph->protocol;
	rx.key.src.ip = iph->saddr;
	rx.key.dst.ip = iph->daddr;
	rx.thoff = sizeof(*iph);
	rx.ttl = iph->ttl;
	rx.dsfield = iph->tos & ~INET_ECN_MASK;
	/*
	 * Link-layer padding is not part of the packet.  A bridge port
	 * trims it only once the packet is taken (fp_rx_flow()).
	 */
	if (unlikely(rx.len < skb->len) && !port && pskb_trim_rcsum(skb, rx.len))
		return fp_pass(exc, FP_EXC_BAD_HEADER);

	d = fp_rx_flow(fpn, fpd, skb, &rx, exc, port);
	if (!d)
		return NF_ACCEPT;

	wiph = ip_hdr(skb);
	fp_ipv4_rewrite(wiph, wiph + 1, d, skb->ip_summed == CHECKSUM_PARTIAL);
	return fp_xmit(fpd, d, skb, rx.len);
}
