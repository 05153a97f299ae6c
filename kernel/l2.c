// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: the device stacks under the routed egress device (VLAN, PPPoE,
 * bridge, Wi-Fi), and PPPoE session frames received under an enabled PPP
 * device.
 *
 * Egress: the devices a packet routed out of a device would go through are
 * found with each device's own ndo_fill_forward_path (the walk of the
 * kernel's dev_fill_forward_path(), which also looks up the bridge's FDB),
 * stopping at a Wi-Fi device: mac80211 finds the station itself.  A next
 * hop then transmits DIRECT on the lowest device with the whole header the
 * stack would have built (Ethernet, VLAN tags, PPPoE session and PPP
 * protocol), the outermost tag out of band as a VLAN device leaves it, when
 * every device above does nothing else to the packet; otherwise UPPER, on
 * the routed device itself, which is always exact.
 *
 * A bridge keeps its FDB entries behind a port that STP has blocked, and
 * applies the port's state on its own transmit path, which DIRECT skips:
 * the ports' states are followed here (below), and a walk through a port
 * that does not forward fails, as the bridge would drop.
 *
 * Ingress: VLAN devices and bridges are hooked themselves (the stack has
 * untagged the frame, or passed it through the bridge, by then).  A PPPoE
 * session's frames would go through the PPPoE socket and a second pass
 * through the backlog before the PPP device's hook sees them: they are
 * matched on the device the session runs over instead (on a VLAN device's
 * Ethernet device, by tag, sparing the VLAN device's receive round too),
 * decapsulated there, and put back exactly as they came when the fast path
 * leaves them.
 *
 * An enabled bridge's ports are hooked too: a frame addressed to the bridge,
 * which the bridge would pass up to it untouched (fp_br_port_direct()), is
 * forwarded there if the bridge device's hook would forward it and the
 * bridge has seen its direction arrive on this port in this epoch; any other
 * is left to the bridge, quietly (fp_rx_flow()), for the bridge device's
 * hook to handle and count.  The first packet of each epoch thus goes
 * through the bridge, which keeps its FDB entry for the source fresh, and
 * moves it when the source moves to another port: the bridge device's hook
 * notes the port it came through (fp_port_seen_by_bridge()).  The bridge
 * device's receive counters and taps miss the packets taken on a port, as an
 * upper device's do.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/if_bridge.h>
#include <linux/if_pppox.h>
#include <linux/if_vlan.h>
#include <linux/netfilter.h>
#include <linux/netfilter_bridge.h>
#include <linux/ppp_defs.h>
#include <linux/rtnetlink.h>
#include <net/sch_generic.h>
#include <net/switchdev.h>

#include "fastpath.h"

/* The PPP protocol field in a PPPoE session frame. */
#define FP_PPP_PROTO_LEN	2

/* The devices under a routed device, as the stack would go through them. */
struct fp_walk {
	struct net_device_path path[NET_DEVICE_PATH_STACK_MAX];
	int n;				/* in path[], the lowest not included */
	struct net_device *lowest;
	u8 daddr[ETH_ALEN];		/* the destination on the lowest */
};

/*
 * The bridges and ports a walk may go through, in fp_net.br_fwd by
 * ifindex: ports in the forwarding state, and bridges that apply their
 * ports' own states (not in MST mode, whose per-VLAN states only the
 * bridge's transmit path applies).  The bridge keeps both private, readable
 * only under RTNL.  It reports a port's STP state on the switchdev chain
 * from its deferred work (process context, once that gets RTNL) after
 * applying it: until then the fast path may still transmit on a port that
 * stopped forwarding, as a switchdev-offloaded bridge would, and a report
 * the bridge fails to queue (it logs "error setting offload STP state") is
 * missed.  Absent means no: a port is left to the stack until it is
 * reported forwarding, and after a failure to store that.  Per-VLAN
 * states set without MST (`bridge vlan set ... state`) are reported on no
 * chain: not followed, see fastpath(7).  Written under RTNL, read under
 * RCU, for the bridges of fp_net's own netns.
 */
#define FP_BR_PORT_FORWARDING	BIT(0)
#define FP_BR_PORT_STATES	BIT(1)

static bool fp_br_may(struct fp_net *fpn, const struct net_device *dev,
		      unsigned long flag)
{
	void *entry = xa_load(&fpn->br_fwd, dev->ifindex);

	return entry && (xa_to_value(entry) & flag);
}

/*
 * A device is a bridge or a port, never both: one flag per entry.  RTNL
 * held.  Whether it changed.
 */
static bool fp_br_set(struct fp_net *fpn, const struct net_device *dev,
		      unsigned long flag, bool on)
{
	ASSERT_RTNL();
	if (fp_br_may(fpn, dev, flag) == on)
		return false;
	if (!on) {
		xa_erase(&fpn->br_fwd, dev->ifindex);
	} else if (xa_err(xa_store(&fpn->br_fwd, dev->ifindex,
				   xa_mk_value(flag), GFP_KERNEL))) {
		net_warn_ratelimited("fastpath: %s: no memory to follow its bridge state, left to the stack\n",
				     dev->name);
		return false;
	}
	return true;
}

/*
 * Reads the state of a bridge or port already there: when fastpath is
 * loaded (the netdev notifier's replay), or after a change the bridge
 * reports before applying.  The bridge module's accessors are looked up,
 * not linked against, so that fastpath.ko loads without bridge.ko: a
 * bridge device or port means it is loaded.  RTNL held.
 */
static bool fp_br_read(struct fp_net *fpn, struct net_device *dev)
{
	bool changed = false;

	if (netif_is_bridge_port(dev)) {
		u8 (*stp_state)(const struct net_device *dev);

		stp_state = symbol_get(br_port_get_stp_state);
		if (stp_state) {
			changed = fp_br_set(fpn, dev, FP_BR_PORT_FORWARDING,
					    stp_state(dev) == BR_STATE_FORWARDING);
			symbol_put(br_port_get_stp_state);
		}
	} else if (netif_is_bridge_master(dev)) {
		bool (*mst_enabled)(const struct net_device *dev);

		mst_enabled = symbol_get(br_mst_enabled);
		if (mst_enabled) {
			changed = fp_br_set(fpn, dev, FP_BR_PORT_STATES,
					    !mst_enabled(dev));
			symbol_put(br_mst_enabled);
		}
	}
	return changed;
}

/* A device appeared (a new bridge, or one there at load) or went away. */
void fp_br_dev_event(struct fp_net *fpn, struct net_device *dev,
		     unsigned long event)
{
	if (event == NETDEV_REGISTER)
		fp_br_read(fpn, dev);
	else if (event == NETDEV_UNREGISTER)
		xa_erase(&fpn->br_fwd, dev->ifindex);
}

/*
 * The bridge's epochs (fp_port_may()): a power of two jiffies, at most a
 * quarter of its ageing time, so that its FDB entries for the sources of
 * flowing directions are refreshed every half of it, and at most half a
 * second, so that they are every second, half the shortest forward delay,
 * which is how long entries last during an STP topology change.
 */
static u8 fp_br_epoch_shift(clock_t ageing)
{
	unsigned long t = HZ / 2;

	/* 0: the bridge learns nothing, and floods. */
	if (ageing)
		t = min(t, clock_t_to_jiffies(ageing) / 4);
	return t ? ilog2(t) : 0;
}

/* Reads the bridge's ageing time.  RTNL held. */
static void fp_br_ageing_read(struct fp_dev *fpd)
{
	clock_t (*ageing_time)(const struct net_device *br_dev);

	ageing_time = symbol_get(br_get_ageing_time);
	if (!ageing_time)
		return;
	WRITE_ONCE(fpd->br_epoch_shift, fp_br_epoch_shift(ageing_time(fpd->dev)));
	symbol_put(br_get_ageing_time);
}

/* The bridge's ageing time is about to change (switchdev). */
static void fp_br_ageing(struct fp_net *fpn, const struct net_device *br,
			 clock_t ageing)
{
	struct fp_dev *fpd;

	rcu_read_lock();
	fpd = fp_dev_find(fpn, br->ifindex);
	if (fpd)
		WRITE_ONCE(fpd->br_epoch_shift, fp_br_epoch_shift(ageing));
	rcu_read_unlock();
}

/* MST turned off (see below): read once the bridge applied it. */
static void fp_br_reread_work(struct work_struct *work)
{
	struct fp_net *fpn = container_of(work, struct fp_net, br_reread);
	struct net_device *dev;
	struct fp_dev *fpd;
	bool changed = false;

	rtnl_lock();
	for_each_netdev(fpn->net, dev)
		if (netif_is_bridge_master(dev))
			changed |= fp_br_read(fpn, dev);
	list_for_each_entry(fpd, &fpn->devs, list)
		if (!list_empty(&fpd->br_ports))
			fp_br_ageing_read(fpd);
	rtnl_unlock();
	if (changed)
		fp_nh_refresh_all(fpn);
}

static int fp_br_switchdev_event(struct notifier_block *nb,
				 unsigned long event, void *ptr)
{
	const struct switchdev_notifier_port_attr_info *info;
	const struct switchdev_attr *attr;
	struct fp_net *fpn;
	bool changed;

	if (event != SWITCHDEV_PORT_ATTR_SET)
		return NOTIFY_DONE;
	info = ptr;
	attr = info->attr;
	/* A port's last state can come after it was unregistered. */
	if (!attr->orig_dev || attr->orig_dev->reg_state != NETREG_REGISTERED)
		return NOTIFY_DONE;
	fpn = fp_pernet(dev_net(attr->orig_dev));
	switch (attr->id) {
	case SWITCHDEV_ATTR_ID_PORT_STP_STATE:
		/* MRP reports its ring ports here too, mapped to these. */
		changed = fp_br_set(fpn, attr->orig_dev, FP_BR_PORT_FORWARDING,
				    attr->u.stp_state == BR_STATE_FORWARDING);
		break;
	case SWITCHDEV_ATTR_ID_BRIDGE_AGEING_TIME:
		/*
		 * Reported before the bridge applies it, as MST: taken at
		 * once, read again once the bridge has it.
		 */
		fp_br_ageing(fpn, attr->orig_dev, attr->u.ageing_time);
		queue_work(system_power_efficient_wq, &fpn->br_reread);
		return NOTIFY_DONE;
	case SWITCHDEV_ATTR_ID_BRIDGE_MST:
		/*
		 * Reported before the bridge applies it, and a switchdev
		 * driver may still refuse: on is taken at once, and either
		 * way the mode is read again once the bridge has it.
		 */
		queue_work(system_power_efficient_wq, &fpn->br_reread);
		changed = attr->u.mst &&
			  fp_br_set(fpn, attr->orig_dev, FP_BR_PORT_STATES,
				    false);
		break;
	default:
		return NOTIFY_DONE;
	}
	/* The next hops through it are resolved again at once. */
	if (changed)
		fp_nh_refresh_all(fpn);
	return NOTIFY_DONE;
}

static struct notifier_block fp_br_switchdev_nb = {
	.notifier_call = fp_br_switchdev_event,
};

void fp_br_init(struct fp_net *fpn)
{
	xa_init(&fpn->br_fwd);
	INIT_WORK(&fpn->br_reread, fp_br_reread_work);
}

/* Every device of the netns is gone, or fastpath is unloaded. */
void fp_br_exit(struct fp_net *fpn)
{
	cancel_work_sync(&fpn->br_reread);
	xa_destroy(&fpn->br_fwd);
}

int fp_br_notifier_init(void)
{
	return register_switchdev_blocking_notifier(&fp_br_switchdev_nb);
}

void fp_br_notifier_exit(void)
{
	unregister_switchdev_blocking_notifier(&fp_br_switchdev_nb);
}

/*
 * RCU read side.  fpn NULL: the path the bridges' FDBs give, whatever the
 * states of their ports (enough to find a PPPoE session's device).
 */
static int fp_l2_walk(struct fp_net *fpn, struct net_device *dev,
		      const u8 *daddr, struct fp_walk *w)
{
	struct net_device_path_ctx ctx = { .dev = dev };
	int err;

	memcpy(ctx.daddr, daddr, ETH_ALEN);
	w->n = 0;
	while (ctx.dev->netdev_ops->ndo_fill_forward_path &&
	       !ctx.dev->ieee80211_ptr) {
		const struct net_device *cur = ctx.dev;
		struct net_device_path *p;

		if (w->n == ARRAY_SIZE(w->path))
			return -E2BIG;
		p = &w->path[w->n];
		memset(p, 0, sizeof(*p));
		/*
		 * Ports' states not followed (MST, no switchdev to report
		 * them, a bridge under a VLAN device moved to this netns):
		 * UPPER, through the bridge.
		 */
		if (fpn && netif_is_bridge_master(cur) &&
		    (!IS_ENABLED(CONFIG_NET_SWITCHDEV) ||
		     !net_eq(dev_net(cur), fpn->net) ||
		     !fp_br_may(fpn, cur, FP_BR_PORT_STATES)))
			return -EOPNOTSUPP;
		/*
		 * A bridge fails here without an FDB entry for daddr (the
		 * stack would flood) or the VLAN on the port, and below with
		 * the port not forwarding: -ENOENT.  Its -ENOSPC (more tags
		 * than a walk holds) is not one of those.
		 */
		err = cur->netdev_ops->ndo_fill_forward_path(&ctx, p);
		if (err < 0)
			return netif_is_bridge_master(cur) && err != -ENOSPC ?
			       -ENOENT : -EOPNOTSUPP;
		if (!ctx.dev || ctx.dev == cur)
			return -EINVAL;
		if (fpn && p->type == DEV_PATH_BRIDGE &&
		    !fp_br_may(fpn, ctx.dev, FP_BR_PORT_FORWARDING))
			return -ENOENT;
		w->n++;
	}
	/* The path gives const devices; the lowest is transmitted on. */
	w->lowest = (struct net_device *)ctx.dev;
	memcpy(w->daddr, ctx.daddr, ETH_ALEN);
	return 0;
}

/* The device under path entry i. */
static const struct net_device *fp_walk_below(const struct fp_walk *w, int i)
{
	return i + 1 < w->n ? w->path[i + 1].dev : w->lowest;
}

/*
 * Does dev leave a packet passing through it as the fast path would, but
 * for the header?  No root qdisc of the user's, no tc or netfilter egress,
 * no VLAN priority mapping, no bridge netfilter.  RCU read side.
 */
static bool fp_l2_transparent(const struct net_device *dev)
{
	const struct Qdisc *q = rcu_dereference(dev->qdisc);

	if ((q && q->handle) || fp_tc_egress(dev))
		return false;
#ifdef CONFIG_NETFILTER_EGRESS
	if (rcu_access_pointer(dev->nf_hooks_egress))
		return false;
#endif
	if (is_vlan_dev(dev) && vlan_dev_priv(dev)->nr_egress_mappings)
		return false;
#if IS_ENABLED(CONFIG_NETFILTER_FAMILY_BRIDGE)
	if (netif_is_bridge_master(dev) &&
	    (rcu_access_pointer(dev_net(dev)->nf.hooks_bridge[NF_BR_LOCAL_OUT]) ||
	     rcu_access_pointer(dev_net(dev)->nf.hooks_bridge[NF_BR_POST_ROUTING])))
		return false;
#endif
	return true;
}

/*
 * A PPPoE session is transmitted on directly only while its PPP device is
 * enabled: its session hook watches for compression, which only the PPP
 * device can apply.
 */
static bool fp_l2_pppoe_direct(struct fp_net *fpn, const struct net_device *ppp)
{
	const struct fp_dev *fpd = fp_dev_find(fpn, ppp->ifindex);

	return fpd && READ_ONCE(fpd->pppoe.lower) &&
	       !READ_ONCE(fpd->pppoe.compressed);
}

/* Sent on the routed device with its own header (none for PPP). */
static void fp_l2_upper(struct net_device *dev, __be16 proto, const u8 *daddr,
			struct fp_l2 *l2)
{
	struct ethhdr *eth = (struct ethhdr *)l2->hdr;

	l2->dev = dev;
	l2->mode = FASTPATH_XMIT_MODE_UPPER;
	l2->protocol = proto;
	l2->mtu = min_t(u32, dev->mtu, U16_MAX);
	/* ppp_start_xmit() puts the PPP protocol in front itself. */
	if (dev->type == ARPHRD_PPP)
		return;
	ether_addr_copy(eth->h_dest, daddr);
	ether_addr_copy(eth->h_source, dev->dev_addr);
	eth->h_proto = proto;
	l2->hlen = ETH_HLEN;
}

struct fp_tag {
	__be16 proto;
	u16 id;
};

/* Builds the DIRECT header from the walk: false if it cannot. */
static bool fp_l2_direct(struct fp_net *fpn, const struct fp_walk *w,
			 __be16 proto, struct fp_l2 *l2)
{
	const struct net_device_path *pppoe = NULL;
	struct fp_tag tags[NET_DEVICE_PATH_VLAN_MAX + 1];
	int i, ntags = 0;
	u8 *p = l2->hdr;

	if (w->lowest->type != ARPHRD_ETHER)
		return false;
	for (i = 0; i < w->n; i++) {
		const struct net_device_path *path = &w->path[i];

		/* A device down in between drops what the stack sends. */
		if (!netif_running(path->dev) || !fp_l2_transparent(path->dev))
			return false;
		switch (path->type) {
		case DEV_PATH_VLAN:
			if (ntags == ARRAY_SIZE(tags))
				return false;
			tags[ntags++] = (struct fp_tag){ path->encap.proto,
							 path->encap.id };
			break;
		case DEV_PATH_BRIDGE:
			switch (path->bridge.vlan_mode) {
			case DEV_PATH_BR_VLAN_TAG:
				if (ntags == ARRAY_SIZE(tags))
					return false;
				tags[ntags++] = (struct fp_tag){
					path->bridge.vlan_proto,
					path->bridge.vlan_id };
				break;
			case DEV_PATH_BR_VLAN_UNTAG:
			case DEV_PATH_BR_VLAN_UNTAG_HW:
				if (ntags)
					ntags--;
				break;
			case DEV_PATH_BR_VLAN_KEEP:
				break;
			}
			break;
		case DEV_PATH_PPPOE:
			/* Only as the routed device itself. */
			if (i || !fp_l2_pppoe_direct(fpn, path->dev))
				return false;
			pppoe = path;
			break;
		default:
			return false;
		}
	}

	/*
	 * The source is the device whose header ops build the header: the
	 * routed one, or the one the PPPoE session runs over.
	 */
	ether_addr_copy(p, w->daddr);
	ether_addr_copy(p + ETH_ALEN, (pppoe ? fp_walk_below(w, 0) :
				       w->n ? w->path[0].dev : w->lowest)->dev_addr);
	p += 2 * ETH_ALEN;
	/* The lowest device's tag is outermost, out of band; inner ones in. */
	if (ntags) {
		l2->vlan_proto = tags[ntags - 1].proto;
		l2->vlan_tci = tags[ntags - 1].id;
	}
	for (i = ntags - 2; i >= 0; i--) {
		put_unaligned(tags[i].proto, (__be16 *)p);
		put_unaligned_be16(tags[i].id, p + 2);
		p += VLAN_HLEN;
	}
	if (pppoe) {
		struct pppoe_hdr *ph;

		put_unaligned(htons(ETH_P_PPP_SES), (__be16 *)p);
		ph = (struct pppoe_hdr *)(p + 2);
		ph->ver = 1;
		ph->type = 1;
		ph->code = 0;
		ph->sid = htons(pppoe->encap.id);
		/* ph->length is the packet's, filled in by fp_xmit(). */
		l2->pppoe_len = (u8 *)&ph->length - l2->hdr;
		p += 2 + sizeof(*ph);
		put_unaligned_be16(proto == htons(ETH_P_IP) ? PPP_IP : PPP_IPV6, p);
		p += FP_PPP_PROTO_LEN;
	} else {
		put_unaligned(proto, (__be16 *)p);
		p += 2;
	}
	l2->hlen = p - l2->hdr;
	l2->protocol = get_unaligned((__be16 *)(l2->hdr + 2 * ETH_ALEN));
	l2->dev = w->lowest;
	l2->mode = FASTPATH_XMIT_MODE_DIRECT;
	l2->mtu = min_t(u32, w->lowest->mtu - (pppoe ? PPPOE_SES_HLEN : 0),
			U16_MAX);
	return true;
}

int fp_l2_resolve(struct fp_net *fpn, struct net_device *dev, u8 family,
		  const u8 *daddr, struct fp_l2 *l2)
{
	__be16 proto = family == AF_INET ? htons(ETH_P_IP) : htons(ETH_P_IPV6);
	struct fp_walk w;
	int err;

	/* Compared whole by the next hop's updates. */
	memset(l2, 0, sizeof(*l2));
	if (!netif_running(dev))
		return -ENETDOWN;
	err = fp_l2_walk(fpn, dev, daddr, &w);
	/* A bridge, under dev or dev itself, would flood or drop. */
	if (err == -ENOENT)
		return err;
	if (err) {
		fp_l2_upper(dev, proto, daddr, l2);
	} else {
		if (!netif_running(w.lowest))
			return -ENETDOWN;
		/* A device with none below is its own lowest: DIRECT. */
		if (!fp_l2_direct(fpn, &w, proto, l2)) {
			memset(l2, 0, sizeof(*l2));
			fp_l2_upper(dev, proto, daddr, l2);
		}
	}
	/*
	 * Made once at the fast path's ingress, not again on the way out:
	 * the header and a tag the device may not insert itself (the stack
	 * pushes it in front then), or what the stack reserves for the
	 * device (a PPP device's own headers, in UPPER mode), if more.
	 */
	l2->room = min_t(unsigned int, U8_MAX,
			 max_t(unsigned int, LL_RESERVED_SPACE(l2->dev),
			       l2->hlen + (l2->vlan_proto ? VLAN_HLEN : 0)));
	return 0;
}

enum fastpath_xmit_mode fp_l2_describe(struct fp_net *fpn, struct net_device *dev,
				 struct net_device **lower)
{
	static const u8 any[ETH_ALEN];
	struct fp_l2 l2;

	rcu_read_lock();
	/* A bridge's port (under dev or dev itself) depends on the destination. */
	if (fp_l2_resolve(fpn, dev, AF_INET, any, &l2)) {
		*lower = NULL;
		l2.mode = fp_l2_transparent(dev) ? FASTPATH_XMIT_MODE_DIRECT : FASTPATH_XMIT_MODE_UPPER;
	} else {
		*lower = l2.dev;
	}
	rcu_read_unlock();
	return l2.mode;
}

/* Compression or header compression on the session: UPPER from now on. */
static void fp_pppoe_compressed(struct fp_dev *fpd)
{
	if (READ_ONCE(fpd->pppoe.compressed))
		return;
	WRITE_ONCE(fpd->pppoe.compressed, 1);
	/* The GC resolves the next hops again. */
	fp_gc_kick(fpd->fpn);
}

static unsigned int fp_pppoe_ingress(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state);
static unsigned int fp_br_port_ingress(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state);

/*
 * Has dev netdev ingress hooks other than fastpath's (an enablement's, a
 * session's, a bridge port's)?
 */
static bool fp_nf_ingress_foreign(const struct net_device *dev)
{
	const struct nf_hook_entries *e = rcu_dereference(dev->nf_hooks_ingress);
	unsigned int i;

	for (i = 0; e && i < e->num_hook_entries; i++)
		if (e->hooks[i].hook != fp_ingress &&
		    e->hooks[i].hook != fp_pppoe_ingress &&
		    e->hooks[i].hook != fp_br_port_ingress)
			return true;
	return false;
}

/*
 * Would the stack's receive of dev do anything with a packet but pass it
 * on?  Generic XDP, tc ingress, an rx_handler (a bridge or macvlan taking
 * the frame) or a netdev ingress hook not fastpath's.
 */
static bool fp_rx_foreign(const struct net_device *dev)
{
	return rcu_access_pointer(dev->xdp_prog) || fp_tc_ingress(dev) ||
	       rcu_access_pointer(dev->rx_handler) ||
	       fp_nf_ingress_foreign(dev);
}

/*
 * A port of an enabled bridge, hooked at netdev ingress to take the packets
 * of established flows that the bridge would pass up to its own device
 * (see the top).  The bridge keeps its port flags and options private: the
 * accessors it exports are looked up (fp_br_read()) and held while the hook
 * is there, so that they are read as the bridge reads them, per packet.
 */
struct fp_br_port {
	struct list_head list;		/* fp_dev.br_ports: RTNL */
	struct net_device *dev;		/* held, hooked */
	netdevice_tracker tracker;
	struct nf_hook_ops ops;
	struct fp_dev *fpd;		/* the bridge's: unhooked before it goes */
	struct net_device *br;		/* fpd's device, the bridge */
	u8 id;				/* fp_flow.port's low byte */
	/* NULL: a kernel without VLAN filtering */
	bool (*vlan_enabled)(const struct net_device *dev);
	bool (*flag_is_set)(const struct net_device *dev, unsigned long flag);
};

/*
 * Port flags with which the bridge may drop a frame (a locked port) or tag
 * it (VLAN tunnel: by the tunnel id of a frame from a collect_md port).
 */
#ifdef BR_PORT_MAB			/* 6.2 */
#define FP_BR_PORT_FLAGS	(BR_PORT_LOCKED | BR_PORT_MAB | BR_VLAN_TUNNEL)
#else
#define FP_BR_PORT_FLAGS	(BR_PORT_LOCKED | BR_VLAN_TUNNEL)
#endif

/*
 * Would the bridge pass this frame, addressed to it, up to its device
 * untouched but for pkt_type, and only that: its port forwarding, no VLAN
 * filtering (which may tag or drop it), no locked or VLAN tunnel port
 * (FP_BR_PORT_FLAGS), no bridge netfilter (br_netfilter among them), and
 * then no receive on the bridge device other than fastpath's own hook,
 * nor a tap (tcpdump on the bridge sees every packet)?  The bridge learns
 * the source on the way: fp_port_seen_by_bridge() keeps that going.  And
 * are there no others' netdev ingress hooks on the port, which a hook of
 * a higher priority than fastpath's would miss?
 */
static bool fp_br_port_direct(const struct fp_br_port *port,
			      const struct sk_buff *skb)
{
	const struct net_device *br = port->br;
	struct fp_net *fpn = port->fpd->fpn;

	/* Looped back, a bad source (dropped) or shared (cloned): the bridge. */
	if (unlikely(skb->pkt_type == PACKET_LOOPBACK ||
		     !is_valid_ether_addr(eth_hdr(skb)->h_source) ||
		     skb_shared(skb)))
		return false;
	if (!(READ_ONCE(br->flags) & IFF_UP) ||
	    !netif_is_bridge_port(port->dev) ||
	    !fp_br_may(fpn, br, FP_BR_PORT_STATES) ||
	    !fp_br_may(fpn, port->dev, FP_BR_PORT_FORWARDING))
		return false;
#if IS_ENABLED(CONFIG_NETFILTER_FAMILY_BRIDGE)
	if (rcu_access_pointer(fpn->net->nf.hooks_bridge[NF_BR_PRE_ROUTING]) ||
	    rcu_access_pointer(fpn->net->nf.hooks_bridge[NF_BR_LOCAL_IN]))
		return false;
#endif
	if ((port->vlan_enabled && port->vlan_enabled(br)) ||
	    port->flag_is_set(port->dev, FP_BR_PORT_FLAGS))
		return false;
	return !fp_rx_foreign(br) && list_empty(&br->ptype_all) &&
	       !fp_nf_ingress_foreign(port->dev);
}

/*
 * Netdev ingress of a bridge port.  Anything not forwarded is left to the
 * bridge and the bridge device's hook, uncounted and unchanged (its head
 * may have been made writable), with a note of the port it came through
 * (0: one that cannot take it).
 */
static unsigned int fp_br_port_ingress(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	const struct fp_br_port *port = priv;
	u8 pkt_type = skb->pkt_type;
	enum fp_exception exc;

	if ((skb->protocol != htons(ETH_P_IP) &&
	     skb->protocol != htons(ETH_P_IPV6)) ||
	    !ether_addr_equal(eth_hdr(skb)->h_dest, port->br->dev_addr))
		return NF_ACCEPT;
	/* No note: the bridge's hook leaves the family too, if it runs. */
	if (fp_dev_bypassed(port->fpd, skb->protocol == htons(ETH_P_IP) ?
					AF_INET : AF_INET6))
		return NF_ACCEPT;
	if (!fp_br_port_direct(port, skb)) {
		fp_port_note(port->fpd, skb, 0);
		return NF_ACCEPT;
	}
	/* As br_handle_frame() sets it, for the IP checks. */
	skb->pkt_type = PACKET_HOST;
	if (fp_rx(port->fpd, skb, &exc, port->id) == NF_STOLEN)
		return NF_STOLEN;
	skb->pkt_type = pkt_type;
	fp_port_note(port->fpd, skb, port->id);
	return NF_ACCEPT;
}

static void fp_br_port_free(struct fp_br_port *port)
{
	netdev_put(port->dev, &port->tracker);
	if (port->vlan_enabled)
		symbol_put(br_vlan_enabled);
	symbol_put(br_port_flag_is_set);
	kfree(port);
}

/* Hooks dev, a port of fpd's bridge.  RTNL held. */
static void fp_br_port_add(struct fp_dev *fpd, struct net_device *dev)
{
	DECLARE_BITMAP(used, U8_MAX + 1) = { 1 };	/* 0: none */
	struct fp_br_port *port;
	unsigned long id;

	list_for_each_entry(port, &fpd->br_ports, list) {
		if (port->dev == dev)
			return;
		__set_bit(port->id, used);
	}
	id = find_first_zero_bit(used, U8_MAX + 1);
	if (id > U8_MAX)
		goto warn;
	port = kzalloc(sizeof(*port), GFP_KERNEL);
	if (!port)
		goto warn;
	port->id = id;
	/* A port means bridge.ko is there. */
	port->flag_is_set = symbol_get(br_port_flag_is_set);
	if (!port->flag_is_set) {
		kfree(port);
		goto warn;
	}
#if IS_ENABLED(CONFIG_BRIDGE_VLAN_FILTERING)
	port->vlan_enabled = symbol_get(br_vlan_enabled);
	if (!port->vlan_enabled) {
		symbol_put(br_port_flag_is_set);
		kfree(port);
		goto warn;
	}
#endif
	port->fpd = fpd;
	port->br = fpd->dev;
	port->dev = dev;
	netdev_hold(dev, &port->tracker, GFP_KERNEL);
	port->ops = fp_ingress_ops(fp_br_port_ingress, port, dev);
	if (nf_register_net_hook(dev_net(dev), &port->ops)) {
		fp_br_port_free(port);
		goto warn;
	}
	list_add_tail(&port->list, &fpd->br_ports);
	return;
warn:
	netdev_warn(dev, "fastpath: cannot hook this port of %s, its packets take the bridge\n",
		    fpd->dev->name);
}

void fp_br_ports_attach(struct fp_dev *fpd)
{
	struct net_device *lower;
	struct list_head *iter;

	ASSERT_RTNL();
	if (!netif_is_bridge_master(fpd->dev))
		return;
	fp_br_ageing_read(fpd);
	netdev_for_each_lower_dev(fpd->dev, lower, iter)
		fp_br_port_add(fpd, lower);
}

/* Unhooks the ports of fpd's list that match dev (all: NULL).  RTNL held. */
static void fp_br_ports_remove(struct fp_dev *fpd, const struct net_device *dev)
{
	struct fp_br_port *port, *tmp;
	LIST_HEAD(gone);

	list_for_each_entry_safe(port, tmp, &fpd->br_ports, list) {
		if (dev && port->dev != dev)
			continue;
		nf_unregister_net_hook(dev_net(port->dev), &port->ops);
		list_move(&port->list, &gone);
	}
	if (list_empty(&gone))
		return;
	/* Unregistering does not wait for the hook's running instances. */
	synchronize_net();
	list_for_each_entry_safe(port, tmp, &gone, list)
		fp_br_port_free(port);
}

void fp_br_ports_detach(struct fp_dev *fpd)
{
	ASSERT_RTNL();
	fp_br_ports_remove(fpd, NULL);
}

void fp_br_port_event(struct fp_net *fpn, struct net_device *dev,
		      const struct net_device *upper)
{
	struct fp_dev *fpd;

	ASSERT_RTNL();
	list_for_each_entry(fpd, &fpn->devs, list) {
		if (!fpd->dev || !netif_is_bridge_master(fpd->dev))
			continue;
		/* A bridge the rules bypass entirely hooks no port. */
		if (fpd->dev == upper && fpd->hooked)
			fp_br_port_add(fpd, dev);
		else if (fpd->dev != upper)
			fp_br_ports_remove(fpd, dev);
	}
}

/* The length of the IP packet a PPP frame carries (0: not IP). */
static unsigned int fp_pppoe_ip_len(struct sk_buff *skb, __be16 ppp_proto)
{
	const u8 *ip = skb->data + PPPOE_SES_HLEN;

	if (ppp_proto == htons(PPP_IP))
		return ntohs(((const struct iphdr *)ip)->tot_len);
	if (!pskb_may_pull(skb, PPPOE_SES_HLEN + sizeof(struct ipv6hdr)))
		return 0;
	ip = skb->data + PPPOE_SES_HLEN;
	return ntohs(((const struct ipv6hdr *)ip)->payload_len) +
	       sizeof(struct ipv6hdr);
}

/*
 * Netdev ingress of the device the session runs over, or of the Ethernet
 * device under its VLAN device.  Only a frame that pppoe_rcv() and the IP
 * layer would take whole, one IP packet, is decapsulated; a packet the
 * fast path leaves gets its PPPoE header (and tag) back and goes on to
 * pppoe_rcv(), to be counted by the PPP device's own hook.
 */
static unsigned int fp_pppoe_ingress(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	struct fp_dev *fpd = priv;
	const struct fp_pppoe *s = &fpd->pppoe;
	const struct pppoe_hdr *ph;
	unsigned int verdict, len;
	int nhoff, thoff, iif;
	enum fp_exception exc;
	__be16 ppp_proto;
	u8 pkt_type;
	u32 priority;
	u16 tci;

	if (skb->protocol != htons(ETH_P_PPP_SES) ||
	    skb_vlan_tag_present(skb) != !!s->vlan ||
	    (s->vlan && (skb->vlan_proto != s->vlan_proto ||
			 skb_vlan_tag_get_id(skb) != s->vid)) ||
	    !pskb_may_pull(skb, PPPOE_SES_HLEN + sizeof(struct iphdr)))
		return NF_ACCEPT;
	ph = (const struct pppoe_hdr *)skb->data;
	if (ph->sid != s->sid || ph->ver != 1 || ph->type != 1 || ph->code ||
	    !ether_addr_equal(eth_hdr(skb)->h_source, s->remote))
		return NF_ACCEPT;
	ppp_proto = get_unaligned((const __be16 *)(ph + 1));
	switch (ppp_proto) {
	case htons(PPP_IP):
	case htons(PPP_IPV6):
		break;
	case htons(PPP_CCP):
	case htons(PPP_CCPFRAG):
	case htons(PPP_COMP):
	case htons(PPP_COMPFRAG):
	case htons(PPP_VJC_COMP):
	case htons(PPP_VJC_UNCOMP):
		fp_pppoe_compressed(fpd);
		return NF_ACCEPT;
	default:
		return NF_ACCEPT;
	}
	/* A family the rules leave to the stack: not even decapsulated. */
	if (fp_dev_bypassed(fpd, ppp_proto == htons(PPP_IP) ? AF_INET : AF_INET6))
		return NF_ACCEPT;
	len = fp_pppoe_ip_len(skb, ppp_proto);
	ph = (const struct pppoe_hdr *)skb->data;
	if (!len || ntohs(ph->length) != len + FP_PPP_PROTO_LEN ||
	    skb->len < PPPOE_SES_HLEN + len || fp_rx_foreign(fpd->dev) ||
	    (s->vlan && (!(READ_ONCE(s->vlan->flags) & IFF_UP) ||
			 fp_rx_foreign(s->vlan))))
		return NF_ACCEPT;

	/* vlan_do_receive() would take a frame to the VLAN device's MAC. */
	pkt_type = skb->pkt_type;
	if (s->vlan && pkt_type == PACKET_OTHERHOST &&
	    ether_addr_equal_64bits(eth_hdr(skb)->h_dest, s->vlan->dev_addr))
		skb->pkt_type = PACKET_HOST;
	/* pppoe_rcv_core() drops the others. */
	if (skb->pkt_type == PACKET_OTHERHOST) {
		skb->pkt_type = pkt_type;
		return NF_ACCEPT;
	}

	nhoff = skb_network_offset(skb);
	thoff = skb_transport_offset(skb);
	priority = skb->priority;
	tci = skb->vlan_tci;
	iif = skb->skb_iif;
	if (s->vlan) {
		/* As vlan_do_receive(), which would come next. */
		skb->priority = vlan_dev_priv(s->vlan)->ingress_priority_map[
			(tci >> VLAN_PRIO_SHIFT) & 0x7];
		__vlan_hwaccel_clear_tag(skb);
	}
	/* As the PPP device's receive leaves the packet it forwards. */
	skb->pkt_type = PACKET_HOST;
	skb->skb_iif = fpd->dev->ifindex;
	fp_probe_forget(skb);
	skb_pull_rcsum(skb, PPPOE_SES_HLEN);
	skb_reset_network_header(skb);
	if (ppp_proto == htons(PPP_IP)) {
		skb->protocol = htons(ETH_P_IP);
		verdict = fp_ipv4_rx(fpd->fpn, fpd, skb, &exc, 0);
	} else {
		skb->protocol = htons(ETH_P_IPV6);
		verdict = fp_ipv6_rx(fpd->fpn, fpd, skb, &exc, 0);
	}
	if (verdict == NF_STOLEN)
		return verdict;
	skb_push_rcsum(skb, PPPOE_SES_HLEN);
	skb->protocol = htons(ETH_P_PPP_SES);
	skb_set_network_header(skb, nhoff);
	skb_set_transport_header(skb, thoff);
	if (s->vlan)
		__vlan_hwaccel_put_tag(skb, s->vlan_proto, tci);
	skb->priority = priority;
	skb->pkt_type = pkt_type;
	skb->skb_iif = iif;
	return NF_ACCEPT;
}

void fp_pppoe_attach(struct fp_dev *fpd)
{
	static const u8 any[ETH_ALEN];
	struct fp_pppoe *s = &fpd->pppoe;
	struct net_device *dev = fpd->dev;
	struct net_device *lower;
	struct fp_walk w;

	ASSERT_RTNL();
	if (s->lower || !dev || dev->type != ARPHRD_PPP || !netif_running(dev))
		return;
	rcu_read_lock();
	/* Resolves only once the channel is connected. */
	if (fp_l2_walk(NULL, dev, any, &w) || !w.n ||
	    w.path[0].type != DEV_PATH_PPPOE) {
		rcu_read_unlock();
		return;
	}
	lower = (struct net_device *)fp_walk_below(&w, 0);
	/* Its events would go to another namespace's fastpath. */
	if (!net_eq(dev_net(lower), dev_net(dev))) {
		rcu_read_unlock();
		return;
	}
	s->sid = htons(w.path[0].encap.id);
	ether_addr_copy(s->remote, w.path[0].encap.h_dest);
	s->compressed = 0;
	/* One tag, out of band on the Ethernet device under it. */
	if (w.n == 2 && w.path[1].type == DEV_PATH_VLAN &&
	    net_eq(dev_net(w.lowest), dev_net(dev))) {
		s->vlan = lower;
		s->vlan_proto = w.path[1].encap.proto;
		s->vid = w.path[1].encap.id;
		netdev_hold(s->vlan, &s->vlan_tracker, GFP_ATOMIC);
		lower = w.lowest;
	}
	netdev_hold(lower, &s->tracker, GFP_ATOMIC);
	rcu_read_unlock();

	s->ops = fp_ingress_ops(fp_pppoe_ingress, fpd, lower);
	if (nf_register_net_hook(dev_net(lower), &s->ops)) {
		netdev_put(lower, &s->tracker);
		netdev_put(s->vlan, &s->vlan_tracker);
		s->vlan = NULL;
		netdev_warn(dev, "fastpath: cannot hook the PPPoE session on %s\n",
			    lower->name);
		return;
	}
	WRITE_ONCE(s->lower, lower);
	/* Next hops out of the PPP device can now transmit on the session. */
	fp_nh_refresh_all(fpd->fpn);
}

void fp_pppoe_detach(struct fp_dev *fpd)
{
	struct fp_pppoe *s = &fpd->pppoe;
	struct net_device *lower = s->lower;

	ASSERT_RTNL();
	if (!lower)
		return;
	nf_unregister_net_hook(dev_net(lower), &s->ops);
	WRITE_ONCE(s->lower, NULL);
	/* Packets in the hook read the session and the PPP device. */
	synchronize_net();
	netdev_put(lower, &s->tracker);
	netdev_put(s->vlan, &s->vlan_tracker);
	s->vlan = NULL;
	fp_nh_refresh_all(fpd->fpn);
}
