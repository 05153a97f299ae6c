// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: enabled devices and the events that invalidate flows.
 *
 * Enabling a device registers the netdev ingress hook that runs the data
 * plane for packets it receives.  Device and neighbour events evict the
 * flows whose cached transmit state (device, MTU, MAC addresses) they
 * change, so the data plane never uses a stale one.
 */
#include <linux/netfilter.h>
#include <linux/rtnetlink.h>
#include <linux/etherdevice.h>
#include <net/neighbour.h>
#include <net/netevent.h>

#include "fastpath.h"

/* After netdev ingress filters at the default priority 0. */
#define FP_INGRESS_PRIORITY	1

struct fp_dev *fp_dev_find(struct fp_net *fpn, int ifindex)
{
	struct fp_dev *fpd;

	list_for_each_entry_rcu(fpd, &fpn->devs, list, lockdep_rtnl_is_held())
		if (fpd->dev->ifindex == ifindex)
			return fpd;
	return NULL;
}

int fp_dev_enable(struct fp_net *fpn, struct net_device *dev,
		  struct netlink_ext_ack *extack)
{
	struct fp_dev *fpd;
	int err;

	ASSERT_RTNL();
	if (fp_dev_find(fpn, dev->ifindex))
		return 0;
	if (dev->flags & IFF_LOOPBACK) {
		NL_SET_ERR_MSG(extack, "loopback device not supported");
		return -EOPNOTSUPP;
	}

	/* Learning costs every forwarded packet: only while a device is on. */
	if (list_empty(&fpn->devs)) {
		err = fp_learn_init(dev_net(dev));
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot register the learning hooks");
			return err;
		}
	}
	fpd = kzalloc(sizeof(*fpd), GFP_KERNEL);
	if (!fpd) {
		err = -ENOMEM;
		goto err_learn;
	}
	fpd->stats = netdev_alloc_pcpu_stats(struct fp_pcpu_stats);
	if (!fpd->stats) {
		err = -ENOMEM;
		goto err_free;
	}
	fpd->dev = dev;
	fpd->fpn = fpn;
	fpd->ops = (struct nf_hook_ops) {
		.hook = fp_ingress,
		.priv = fpd,
		.pf = NFPROTO_NETDEV,
		.hooknum = NF_NETDEV_INGRESS,
		.priority = FP_INGRESS_PRIORITY,
		.dev = dev,
	};
	err = nf_register_net_hook(dev_net(dev), &fpd->ops);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot register the ingress hook");
		goto err_stats;
	}
	netdev_hold(dev, &fpd->tracker, GFP_KERNEL);
	list_add_tail_rcu(&fpd->list, &fpn->devs);
	return 0;

err_stats:
	free_percpu(fpd->stats);
err_free:
	kfree(fpd);
err_learn:
	if (list_empty(&fpn->devs))
		fp_learn_exit(dev_net(dev));
	return err;
}

static void fp_dev_free_rcu(struct rcu_head *head)
{
	struct fp_dev *fpd = container_of(head, struct fp_dev, rcu);

	free_percpu(fpd->stats);
	kfree(fpd);
}

/* Flows received or transmitted on the device given as arg. */
static bool fp_match_dev(const struct fp_flow *flow, const void *arg)
{
	const struct net_device *dev = arg;
	int i;

	for (i = 0; i < IP_CT_DIR_MAX; i++)
		if (flow->dir[i].offloaded &&
		    (flow->dir[i].key.iif == dev->ifindex || flow->dir[i].out == dev))
			return true;
	return false;
}

/* Flows transmitted on the device given as arg. */
static bool fp_match_out(const struct fp_flow *flow, const void *arg)
{
	int i;

	for (i = 0; i < IP_CT_DIR_MAX; i++)
		if (flow->dir[i].offloaded && flow->dir[i].out == arg)
			return true;
	return false;
}

static void __fp_dev_disable(struct fp_net *fpn, struct fp_dev *fpd)
{
	list_del_rcu(&fpd->list);
	/* Waits for the packets and learners that may still see fpd. */
	nf_unregister_net_hook(dev_net(fpd->dev), &fpd->ops);
	if (list_empty(&fpn->devs))
		fp_learn_exit(dev_net(fpd->dev));
	fp_flow_flush(fpn, fp_match_dev, fpd->dev, FASTPATH_DEL_REASON_DEV);
	netdev_put(fpd->dev, &fpd->tracker);
	/* Flows just unlinked may still count into fpd->stats. */
	call_rcu(&fpd->rcu, fp_dev_free_rcu);
}

int fp_dev_disable(struct fp_net *fpn, struct net_device *dev,
		   struct netlink_ext_ack *extack)
{
	struct fp_dev *fpd;

	ASSERT_RTNL();
	fpd = fp_dev_find(fpn, dev->ifindex);
	if (fpd)
		__fp_dev_disable(fpn, fpd);
	return 0;
}

void fp_dev_disable_all(struct fp_net *fpn)
{
	struct fp_dev *fpd, *tmp;

	ASSERT_RTNL();
	list_for_each_entry_safe(fpd, tmp, &fpn->devs, list)
		__fp_dev_disable(fpn, fpd);
}

static int fp_netdev_event(struct notifier_block *nb, unsigned long event,
			   void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct fp_net *fpn = fp_pernet(dev_net(dev));
	struct fp_dev *fpd;

	switch (event) {
	case NETDEV_UNREGISTER:
		fpd = fp_dev_find(fpn, dev->ifindex);
		if (fpd)
			__fp_dev_disable(fpn, fpd);
		fallthrough;
	case NETDEV_DOWN:
		fp_flow_flush(fpn, fp_match_dev, dev, FASTPATH_DEL_REASON_DEV);
		break;
	case NETDEV_CHANGEMTU:
		fp_flow_flush(fpn, fp_match_out, dev, FASTPATH_DEL_REASON_MTU);
		break;
	case NETDEV_CHANGEADDR:
		fp_flow_flush(fpn, fp_match_out, dev, FASTPATH_DEL_REASON_NEIGH);
		break;
	}
	return NOTIFY_DONE;
}

/* A neighbour entry as it is now, matched against the flows' copies. */
struct fp_neigh_state {
	const struct net_device *dev;
	union nf_inet_addr addr;
	u8 family;
	bool usable;
	u8 ha[ETH_ALEN];
};

static bool fp_match_neigh(const struct fp_flow *flow, const void *arg)
{
	const struct fp_neigh_state *ns = arg;
	int i;

	if (flow->family != ns->family)
		return false;
	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		const struct fp_dir *d = &flow->dir[i];

		if (d->offloaded && d->out == ns->dev &&
		    !memcmp(&d->nexthop, &ns->addr, sizeof(ns->addr)) &&
		    (!ns->usable || !ether_addr_equal(d->eth, ns->ha)))
			return true;
	}
	return false;
}

static int fp_netevent(struct notifier_block *nb, unsigned long event,
		       void *ptr)
{
	struct fp_neigh_state ns = {};
	struct neighbour *n = ptr;
	struct fp_net *fpn;

	if (event != NETEVENT_NEIGH_UPDATE || n->dev->type != ARPHRD_ETHER)
		return NOTIFY_DONE;
	fpn = fp_pernet(dev_net(n->dev));
	if (!atomic_read(&fpn->nflows))
		return NOTIFY_DONE;

	ns.family = n->tbl->family;
	if (ns.family == AF_INET)
		memcpy(&ns.addr.ip, n->primary_key, sizeof(ns.addr.ip));
	else if (ns.family == AF_INET6)
		memcpy(&ns.addr.in6, n->primary_key, sizeof(ns.addr.in6));
	else
		return NOTIFY_DONE;
	ns.dev = n->dev;
	ns.usable = !READ_ONCE(n->dead) && (READ_ONCE(n->nud_state) & NUD_VALID);
	neigh_ha_snapshot(ns.ha, n, n->dev);
	fp_flow_flush(fpn, fp_match_neigh, &ns, FASTPATH_DEL_REASON_NEIGH);
	return NOTIFY_DONE;
}

static struct notifier_block fp_netdev_nb = {
	.notifier_call = fp_netdev_event,
};

static struct notifier_block fp_netevent_nb = {
	.notifier_call = fp_netevent,
};

int fp_dev_notifiers_init(void)
{
	int err;

	err = register_netdevice_notifier(&fp_netdev_nb);
	if (err)
		return err;
	err = register_netevent_notifier(&fp_netevent_nb);
	if (err)
		unregister_netdevice_notifier(&fp_netdev_nb);
	return err;
}

void fp_dev_notifiers_exit(void)
{
	unregister_netevent_notifier(&fp_netevent_nb);
	unregister_netdevice_notifier(&fp_netdev_nb);
}
