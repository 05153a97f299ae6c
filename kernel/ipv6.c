// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: IPv6 data plane.  No header checksum; any extension header
 * leaves the packet to the stack.
 */
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

unsigned int fp_ipv6_rx(struct fp_net *fpn, struct fp_dev *fpd,
			struct sk_buff *skb)
{
	struct fp_key key = { .family = AF_INET6 };
	const struct ipv6hdr *ip6h;
	struct ipv6hdr *wip6h;
	enum fp_exception exc;
	unsigned int len;
	struct fp_dir *d;

	if (unlikely(!pskb_may_pull(skb, sizeof(*ip6h))))
		return fp_exception(fpn, fpd, FP_EXC_BAD_HEADER);
	ip6h = ipv6_hdr(skb);
	len = ntohs(ip6h->payload_len) + sizeof(*ip6h);
	/* A zero payload length is a jumbogram (or BIG TCP): not ours. */
	if (unlikely(ip6h->version != 6 || !ip6h->payload_len || len > skb->len))
		return fp_exception(fpn, fpd, FP_EXC_BAD_HEADER);
	if (unlikely(ip6h->nexthdr != IPPROTO_TCP && ip6h->nexthdr != IPPROTO_UDP)) {
		if (ip6h->nexthdr == NEXTHDR_FRAGMENT)
			return fp_exception(fpn, fpd, FP_EXC_FRAGMENT);
		if (ipv6_ext_hdr(ip6h->nexthdr))
			return fp_exception(fpn, fpd, FP_EXC_EXT_HEADER);
		return fp_exception(fpn, fpd, FP_EXC_UNSUPPORTED);
	}
	if (unlikely(skb->pkt_type != PACKET_HOST || fp_ipv6_not_unicast(ip6h)))
		return fp_exception(fpn, fpd, FP_EXC_NOT_UNICAST);

	key.proto = ip6h->nexthdr;
	key.src.in6 = ip6h->saddr;
	key.dst.in6 = ip6h->daddr;
	if (unlikely(pskb_trim_rcsum(skb, len)))
		return fp_exception(fpn, fpd, FP_EXC_BAD_HEADER);

	d = fp_rx_flow(fpn, skb, &key, sizeof(*ip6h), ipv6_hdr(skb)->hop_limit,
		       len, &exc);
	if (!d)
		return fp_exception(fpn, fpd, exc);

	wip6h = ipv6_hdr(skb);
	wip6h->hop_limit--;
	fp_l4_nat(skb, d, sizeof(*wip6h));
	wip6h->saddr = d->xsrc.in6;
	wip6h->daddr = d->xdst.in6;
	return fp_xmit(fpn, fpd, d, skb, len);
}
