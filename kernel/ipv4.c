// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: IPv4 data plane.
 */
#include <net/ip.h>

#include "fastpath.h"

unsigned int fp_ipv4_rx(struct fp_net *fpn, struct fp_dev *fpd,
			struct sk_buff *skb)
{
	struct fp_key key = { .family = AF_INET };
	const struct iphdr *iph;
	enum fp_exception exc;
	struct iphdr *wiph;
	unsigned int len;
	struct fp_dir *d;

	if (unlikely(!pskb_may_pull(skb, sizeof(*iph))))
		return fp_exception(fpn, fpd, FP_EXC_BAD_HEADER);
	iph = ip_hdr(skb);
	if (unlikely(iph->version != 4 || iph->ihl < 5))
		return fp_exception(fpn, fpd, FP_EXC_BAD_HEADER);
	if (unlikely(iph->ihl > 5))
		return fp_exception(fpn, fpd, FP_EXC_IP_OPTIONS);
	len = ntohs(iph->tot_len);
	if (unlikely(len < sizeof(*iph) || len > skb->len ||
		     ip_fast_csum(iph, iph->ihl)))
		return fp_exception(fpn, fpd, FP_EXC_BAD_HEADER);
	if (unlikely(ip_is_fragment(iph)))
		return fp_exception(fpn, fpd, FP_EXC_FRAGMENT);
	if (unlikely(iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP))
		return fp_exception(fpn, fpd, FP_EXC_UNSUPPORTED);
	/* ip_rcv() drops frames not addressed to us; so must we. */
	if (unlikely(skb->pkt_type != PACKET_HOST))
		return fp_exception(fpn, fpd, FP_EXC_NOT_UNICAST);

	key.proto = iph->protocol;
	key.src.ip = iph->saddr;
	key.dst.ip = iph->daddr;
	/* Link-layer padding is not part of the packet. */
	if (unlikely(pskb_trim_rcsum(skb, len)))
		return fp_exception(fpn, fpd, FP_EXC_BAD_HEADER);

	d = fp_rx_flow(fpn, skb, &key, sizeof(*iph), ip_hdr(skb)->ttl, len, &exc);
	if (!d)
		return fp_exception(fpn, fpd, exc);

	wiph = ip_hdr(skb);
	ip_decrease_ttl(wiph);
	if (d->nat & FP_NAT_SADDR) {
		csum_replace4(&wiph->check, wiph->saddr, d->xsrc.ip);
		wiph->saddr = d->xsrc.ip;
	}
	if (d->nat & FP_NAT_DADDR) {
		csum_replace4(&wiph->check, wiph->daddr, d->xdst.ip);
		wiph->daddr = d->xdst.ip;
	}
	fp_l4_nat(skb, d, sizeof(*wiph));
	return fp_xmit(fpn, fpd, d, skb, len);
}
