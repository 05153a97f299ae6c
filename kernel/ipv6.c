// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: IPv6 data plane.  No header checksum; any extension header
 * leaves the packet to the stack.
 */
#include <net/inet_ecn.h>
#include <net/ipv6.h>

#include "fastpath.h"

/* The stack forwards neither multicast nor link-local traffic. */
static bool fp_ipv6_not_unicast(const struct ipv6hdr *ip6h)
{
	const __be32 ll_mask = htonl(0xffc00000), ll = htonl(0xfe800000);

	return ipv6_addr_is_multicast(&ip6h->daddr) ||
	       (ip6h->daddr.s6_addr32[0] & ll_mask) == ll ||
	       (ip6h->saddr.s6_addr32[0] & ll_mask) == ll;
}

/*
 * The IPv6 and L4 headers as d transmits them: the hop limit decremented
 * and the addresses and ports translated.  l4 is the header after ip6h.
 */
void fp_ipv6_rewrite(struct ipv6hdr *ip6h, void *l4, const struct fp_dir *d,
		     bool partial)
{
	ip6h->hop_limit--;
	if (d->nat)
		fp_rewrite_l4(l4, d, partial);
	ip6h->saddr = d->xsrc.in6;
	ip6h->daddr = d->xdst.in6;
}

unsigned int fp_ipv6_rx(struct fp_net *fpn, struct fp_dev *fpd,
			struct sk_buff *skb, enum fp_exception *exc, int port)
{
	/* NULL when IPv6 is disabled at boot (ipv6.disable=1). */
	const struct ipv6_devconf *all = fpn->net->ipv6.devconf_all;
	struct fp_rx rx = { .key.family = AF_INET6 };
	const struct ipv6hdr *ip6h;
	struct ipv6hdr *wip6h;
	struct fp_dir *d;

	if (unlikely(!all))
		return fp_pass(exc, FP_EXC_UNSUPPORTED);
	if (unlikely(!pskb_may_pull(skb, sizeof(*ip6h))))
		return fp_pass(exc, FP_EXC_BAD_HEADER);
	ip6h = ipv6_hdr(skb);
	if (unlikely(ip6h->version != 6))
		return fp_pass(exc, FP_EXC_BAD_HEADER);
	/* A zero payload length is a jumbogram or a BIG TCP packet. */
	if (unlikely(!ip6h->payload_len))
		return fp_pass(exc, FP_EXC_BIG_PACKET);
	rx.len = ntohs(ip6h->payload_len) + sizeof(*ip6h);
	if (unlikely(rx.len > skb->len))
		return fp_pass(exc, FP_EXC_BAD_HEADER);
	if (unlikely(ip6h->nexthdr != IPPROTO_TCP && ip6h->nexthdr != IPPROTO_UDP)) {
		if (ip6h->nexthdr == NEXTHDR_FRAGMENT)
			return fp_pass(exc, FP_EXC_FRAGMENT);
		if (ipv6_ext_hdr(ip6h->nexthdr))
			return fp_pass(exc, FP_EXC_EXT_HEADER);
		return fp_pass(exc, FP_EXC_UNSUPPORTED);
	}
	if (unlikely(skb->pkt_type != PACKET_HOST || fp_ipv6_not_unicast(ip6h)))
		return fp_pass(exc, FP_EXC_NOT_UNICAST);
	/*
	 * ip6_forward() drops everything when forwarding is off, and turning
	 * it off invalidates no route: the flows' routes still pass.
	 */
	if (unlikely(!READ_ONCE(all->forwarding)))
		return fp_pass(exc, FP_EXC_STALE);

	rx.key.proto = ip6h->nexthdr;
	rx.key.src.in6 = ip6h->saddr;
	rx.key.dst.in6 = ip6h->daddr;
	rx.thoff = sizeof(*ip6h);
	rx.ttl = ip6h->hop_limit;
	rx.dsfield = ipv6_get_dsfield(ip6h) & ~INET_ECN_MASK;
	/* Multipath hashing and rules may read it (fp_rx_flow()). */
	rx.flowlabel = ip6_flowlabel(ip6h);
	/* Padding: as IPv4 does. */
	if (unlikely(rx.len < skb->len) && !port && pskb_trim_rcsum(skb, rx.len))
		return fp_pass(exc, FP_EXC_BAD_HEADER);

	d = fp_rx_flow(fpn, fpd, skb, &rx, exc, port);
	if (!d)
		return NF_ACCEPT;

	wip6h = ipv6_hdr(skb);
	fp_ipv6_rewrite(wip6h, wip6h + 1, d, skb->ip_summed == CHECKSUM_PARTIAL);
	return fp_xmit(fpd, d, skb, rx.len);
}
