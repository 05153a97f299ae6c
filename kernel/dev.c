// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: enabled devices and the device events that invalidate flows.
 *
 * A device is enabled by name and stays enabled when it goes away: when a
 * device of that name appears again in the netns (a PPPoE reconnect, a
 * re-created VLAN) the netdev ingress hook that runs the data plane is
 * registered on it again.  Device events evict the flows whose cached
 * transmit state (device, MTU) they change; next hops follow address
 * changes themselves (nh.c).
 *
 * While any device of a netns is enabled, fastpath holds connection
 * tracking on in it (as nftables' flow offload does): a router without a
 * firewall would otherwise track nothing, and nothing could be learned.
 */
#include <linux/if_vlan.h>
#include <linux/netfilter.h>
#include <linux/rtnetlink.h>

#include "fastpath.h"

struct fp_dev *fp_dev_find(struct fp_net *fpn, int ifindex)
{
	struct fp_dev *fpd;

	/* Waiting enablements have ifindex 0, locally sent packets too. */
	if (ifindex <= 0)
		return NULL;
	list_for_each_entry_rcu(fpd, &fpn->devs, list, lockdep_rtnl_is_held())
		if (READ_ONCE(fpd->ifindex) == ifindex)
			return fpd;
	return NULL;
}

struct fp_dev *fp_dev_find_name(struct fp_net *fpn, const char *name)
{
	struct fp_dev *fpd;

	list_for_each_entry_rcu(fpd, &fpn->devs, list, lockdep_rtnl_is_held())
		if (!strncmp(fpd->name, name, IFNAMSIZ))
			return fpd;
	return NULL;
}

/* Is d routed out of dev, or transmitted on it under the routed device? */
static bool fp_dir_out(const struct fp_dir *d, const struct net_device *dev)
{
	return d->nh->dev == dev || READ_ONCE(d->nh->l2.dev) == dev;
}

/* Flows received or transmitted on the device given as arg. */
static bool fp_match_dev(const struct fp_flow *flow, const void *arg)
{
	const struct net_device *dev = arg;
	int i;

	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		const struct fp_dir *d = &flow->dir[i];

		if (fp_dir_offloaded(d) &&
		    (d->key.iif == dev->ifindex || fp_dir_out(d, dev)))
			return true;
	}
	return false;
}

/* Flows transmitted on the device given as arg. */
static bool fp_match_out(const struct fp_flow *flow, const void *arg)
{
	int i;

	for (i = 0; i < IP_CT_DIR_MAX; i++)
		if (fp_dir_offloaded(&flow->dir[i]) &&
		    fp_dir_out(&flow->dir[i], arg))
			return true;
	return false;
}

static bool fp_dev_supported(const struct net_device *dev,
			     struct netlink_ext_ack *extack)
{
	if (dev->flags & IFF_LOOPBACK) {
		NL_SET_ERR_MSG(extack, "loopback device not supported");
		return false;
	}
	return true;
}

/*
 * Registers (on) or unregisters the ingress hooks of fpd's device: its own
 * and, for a bridge, its ports'.  RTNL held.  No grace period is waited
 * for: packets still in the device's hook only read fpd, which outlives
 * the device (fp_dev_free_rcu()); the ports' are waited for before they
 * are freed.
 */
static int fp_dev_hook(struct fp_dev *fpd, bool on)
{
	struct net *net = dev_net(fpd->dev);
	int err;

	if (fpd->hooked == on)
		return 0;
	if (on) {
		err = nf_register_net_hook(net, &fpd->ops);
		if (err)
			return err;
		fpd->hooked = true;
		fp_br_ports_attach(fpd);
	} else {
		fp_br_ports_detach(fpd);
		nf_unregister_net_hook(net, &fpd->ops);
		fpd->hooked = false;
	}
	return 0;
}

/*
 * Sets fpd's bypassed families as the rules say, and hooks its device as
 * they need.  RTNL held.
 *
 * A device the rules bypass all traffic of needs no ingress hook, nor its
 * bridge ports theirs, nor a family no device accelerates a learning hook:
 * that traffic costs what it would without fastpath.  Its PPPoE session's
 * hook stays (the session is how the fast path transmits on the device)
 * and passes a bypassed family's frames at once.
 */
static int fp_dev_follow_rules(struct fp_dev *fpd)
{
	u8 bypassed = fp_rules_bypassed(fpd->fpn, fpd->name);
	int err;

	/* Learners stop before the hooks go, and start once they are back. */
	if (!fpd->dev || bypassed == FP_FAMILIES) {
		WRITE_ONCE(fpd->bypassed, bypassed);
		if (fpd->dev)
			fp_dev_hook(fpd, false);
		return 0;
	}
	err = fp_dev_hook(fpd, true);
	/* Unhooked, it is left to the stack: nothing learned on it. */
	WRITE_ONCE(fpd->bypassed, err ? FP_FAMILIES : bypassed);
	return err;
}

static u8 fp_learning_needed(const struct fp_net *fpn)
{
	const struct fp_dev *fpd;
	u8 families = 0;

	list_for_each_entry(fpd, &fpn->devs, list)
		families |= FP_FAMILIES & ~fpd->bypassed;
	return families;
}

/* Starts the data plane on dev, the device of fpd's name.  RTNL held. */
static int fp_dev_attach(struct fp_dev *fpd, struct net_device *dev)
{
	struct fp_net *fpn = fpd->fpn;
	int err;

	fpd->ops = fp_ingress_ops(fp_ingress, fpd, dev);
	fpd->dev = dev;
	/*
	 * A bridge's ports are hooked before fpd's ifindex is set, and stay
	 * hooked after detach clears it: their lookups by iif 0 miss.
	 */
	err = fp_dev_follow_rules(fpd);
	if (err) {
		fpd->dev = NULL;
		return err;
	}
	netdev_hold(dev, &fpd->tracker, GFP_KERNEL);
	spin_lock_bh(&fpn->lock);
	WRITE_ONCE(fpd->ifindex, dev->ifindex);
	/* Refusals for "not enabled" reasons may no longer hold. */
	WRITE_ONCE(fpn->learn_gen, fpn->learn_gen + 1);
	spin_unlock_bh(&fpn->lock);
	fp_nh_set_tx_stats(fpn, dev, fpd->stats);
	fpn->attached++;
	fp_pppoe_attach(fpd);
	return 0;
}

/* Stops the data plane on fpd's device; the enablement stays.  RTNL held. */
static void fp_dev_detach(struct fp_dev *fpd)
{
	struct net_device *dev = fpd->dev;
	struct fp_net *fpn = fpd->fpn;

	fp_pppoe_detach(fpd);
	/*
	 * A learner that found fpd before this point checks its ifindex
	 * again under the lock: no flow can be added for it after the flush.
	 */
	spin_lock_bh(&fpn->lock);
	WRITE_ONCE(fpd->ifindex, 0);
	spin_unlock_bh(&fpn->lock);
	fp_nh_set_tx_stats(fpn, dev, NULL);
	fp_dev_hook(fpd, false);
	/* Unregistering does not wait for the hook's running instances. */
	synchronize_net();
	/* A device that is down has no flows left (NETDEV_DOWN). */
	if (dev->flags & IFF_UP)
		fp_flow_flush(fpn, fp_match_dev, dev, FASTPATH_DEL_REASON_DEV);
	fpd->dev = NULL;
	netdev_put(dev, &fpd->tracker);
	fpn->attached--;
}

/*
 * The netns's totals keep a disabled device's traffic, without a dip in
 * between: what it counted by now, then the last packets' at free time.
 */
static void fp_dev_retire(struct fp_dev *fpd)
{
	struct fp_stats st;

	fp_stats_read(fpd->stats, &st);
	atomic64_add(st.fast_packets - fpd->retired_packets,
		     &fpd->fpn->retired_packets);
	atomic64_add(st.fast_bytes - fpd->retired_bytes,
		     &fpd->fpn->retired_bytes);
	fpd->retired_packets = st.fast_packets;
	fpd->retired_bytes = st.fast_bytes;
}

/* After the last packet that could count into fpd->stats. */
static void fp_dev_free_rcu(struct rcu_head *head)
{
	struct fp_dev *fpd = container_of(head, struct fp_dev, rcu);

	fp_dev_retire(fpd);
	free_percpu(fpd->stats);
	kfree(fpd);
}

/* The first enablement of a netns starts conntrack. */
static int fp_dev_first(struct fp_net *fpn, struct netlink_ext_ack *extack)
{
	int err;

	err = nf_ct_netns_get(fpn->net, NFPROTO_INET);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot enable connection tracking");
		return err;
	}
	err = fp_watch_start(fpn);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot watch nftables commits");
		nf_ct_netns_put(fpn->net, NFPROTO_INET);
	}
	return err;
}

static void fp_dev_last(struct fp_net *fpn)
{
	fp_learn_set(fpn, 0);
	/* A learner still running could add a flow after the final flush. */
	synchronize_net();
	fp_watch_stop(fpn);
	nf_ct_netns_put(fpn->net, NFPROTO_INET);
}

int fp_dev_enable(struct fp_net *fpn, const char *name,
		  struct netlink_ext_ack *extack)
{
	struct net_device *dev;
	struct fp_dev *fpd;
	bool first;
	int err;

	ASSERT_RTNL();
	if (fp_dev_find_name(fpn, name))
		return 0;
	dev = __dev_get_by_name(fpn->net, name);
	if (dev && !fp_dev_supported(dev, extack))
		return -EOPNOTSUPP;

	fpd = kzalloc(sizeof(*fpd), GFP_KERNEL);
	if (!fpd)
		return -ENOMEM;
	fpd->stats = netdev_alloc_pcpu_stats(struct fp_pcpu_stats);
	if (!fpd->stats) {
		err = -ENOMEM;
		goto err_free;
	}
	strscpy(fpd->name, name, sizeof(fpd->name));
	fpd->fpn = fpn;
	INIT_LIST_HEAD(&fpd->br_ports);

	fpd->bypassed = fp_rules_bypassed(fpn, name);

	first = list_empty(&fpn->devs);
	if (first) {
		err = fp_dev_first(fpn, extack);
		if (err)
			goto err_stats;
	}
	err = fp_learn_set(fpn, fpn->learning | fp_learning_needed(fpn) |
				(FP_FAMILIES & ~fpd->bypassed));
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot register the learning hooks");
		goto err_first;
	}
	if (dev) {
		err = fp_dev_attach(fpd, dev);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot register the ingress hook");
			goto err_first;
		}
	}
	list_add_tail_rcu(&fpd->list, &fpn->devs);

	/* Success, with a word on what the user might not expect. */
	if (!dev)
		NL_SET_ERR_MSG(extack,
			       "no such device yet: enabled when it appears");
	else if (first)
		NL_SET_ERR_MSG(extack,
			       "connection tracking is on in this netns while a device is enabled");
	return 0;

err_first:
	if (first)
		fp_dev_last(fpn);
	else
		fp_learn_set(fpn, fp_learning_needed(fpn));
err_stats:
	free_percpu(fpd->stats);
err_free:
	kfree(fpd);
	return err;
}

static void fp_dev_remove(struct fp_net *fpn, struct fp_dev *fpd)
{
	if (fpd->dev)
		fp_dev_detach(fpd);
	fp_dev_retire(fpd);
	list_del_rcu(&fpd->list);
	if (list_empty(&fpn->devs))
		fp_dev_last(fpn);
	else
		fp_learn_set(fpn, fp_learning_needed(fpn));
	/* The data plane and learners may still see fpd and its counters. */
	call_rcu(&fpd->rcu, fp_dev_free_rcu);
}

int fp_dev_disable(struct fp_net *fpn, const char *name,
		   struct netlink_ext_ack *extack)
{
	struct fp_dev *fpd;

	ASSERT_RTNL();
	fpd = fp_dev_find_name(fpn, name);
	if (fpd)
		fp_dev_remove(fpn, fpd);
	return 0;
}

void fp_dev_disable_all(struct fp_net *fpn)
{
	struct fp_dev *fpd, *tmp;

	ASSERT_RTNL();
	list_for_each_entry_safe(fpd, tmp, &fpn->devs, list)
		fp_dev_remove(fpn, fpd);
}

void fp_dev_rules_changed(struct fp_net *fpn, struct netlink_ext_ack *extack)
{
	struct fp_dev *fpd;
	int err = 0;

	ASSERT_RTNL();
	list_for_each_entry(fpd, &fpn->devs, list) {
		int hook_err = fp_dev_follow_rules(fpd);

		if (hook_err) {
			netdev_warn(fpd->dev,
				    "fastpath: cannot register the ingress hook, left to the stack\n");
			err = hook_err;
		}
	}
	err = fp_learn_set(fpn, fp_learning_needed(fpn)) ?: err;
	/* The rules stand; the next rule change tries again. */
	if (err)
		NL_SET_ERR_MSG(extack,
			       "rules changed, but a hook they need could not be registered");
}

/* The enablement waiting for dev's name, if any, takes dev. */
static void fp_dev_appeared(struct fp_net *fpn, struct net_device *dev)
{
	struct fp_dev *fpd = fp_dev_find_name(fpn, dev->name);

	if (!fpd || fpd->dev || !fp_dev_supported(dev, NULL))
		return;
	if (fp_dev_attach(fpd, dev))
		netdev_warn(dev, "fastpath: cannot register the ingress hook\n");
}

/* Detaches the enablement that holds dev, if any. */
static void fp_dev_gone(struct fp_net *fpn, struct net_device *dev)
{
	struct fp_dev *fpd = fp_dev_find(fpn, dev->ifindex);

	if (fpd)
		fp_dev_detach(fpd);
}

/*
 * The PPPoE sessions of enabled PPP devices follow their devices: hooked
 * once the PPP device is up (its channel connected), unhooked when it or
 * a device the session runs over goes down or away, and when pppoe ends
 * the session.  A device under a session that outlived it coming back
 * (pppd's loose_binding) hooks the session again.
 */
static void fp_dev_sessions(struct fp_net *fpn, struct net_device *dev,
			    unsigned long event)
{
	struct fp_dev *fpd;

	list_for_each_entry(fpd, &fpn->devs, list) {
		switch (event) {
		case NETDEV_UP:
		case NETDEV_CHANGE:
			/* Also a device under a session that outlived it. */
			fp_pppoe_attach(fpd);
			break;
		case NETDEV_CHANGEADDR:
		case NETDEV_CHANGEMTU:
			/* pppoe ends the session on these of its device. */
			if ((fpd->pppoe.vlan ?: fpd->pppoe.lower) == dev)
				fp_pppoe_detach(fpd);
			break;
		case NETDEV_GOING_DOWN:
		case NETDEV_DOWN:
		case NETDEV_UNREGISTER:
			if (fpd->dev == dev || fpd->pppoe.lower == dev ||
			    fpd->pppoe.vlan == dev)
				fp_pppoe_detach(fpd);
			break;
		}
	}
}

static int fp_netdev_event(struct notifier_block *nb, unsigned long event,
			   void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct fp_net *fpn = fp_pernet(dev_net(dev));

	/* Followed before anything is enabled. */
	fp_br_dev_event(fpn, dev, event);
	if (list_empty(&fpn->devs) && !atomic_read(&fpn->nflows))
		return NOTIFY_DONE;

	fp_dev_sessions(fpn, dev, event);

	/* One walk of the flows per event at most. */
	switch (event) {
	case NETDEV_REGISTER:
		fp_dev_appeared(fpn, dev);
		break;
	case NETDEV_CHANGENAME:
		/* The enablement follows the name, not the device. */
		fp_dev_gone(fpn, dev);
		fp_dev_appeared(fpn, dev);
		break;
	case NETDEV_UNREGISTER:
		/* Closed first: NETDEV_DOWN has flushed its flows. */
		fp_dev_gone(fpn, dev);
		/* A port leaves its bridge first; in case it did not. */
		fp_br_port_event(fpn, dev, NULL);
		break;
	case NETDEV_DOWN:
		fp_flow_flush(fpn, fp_match_dev, dev, FASTPATH_DEL_REASON_DEV);
		break;
	case NETDEV_CHANGE:
		if (!netif_carrier_ok(dev))
			fp_flow_flush(fpn, fp_match_dev, dev,
				      FASTPATH_DEL_REASON_DEV);
		break;
	case NETDEV_CHANGEMTU:
		fp_flow_flush(fpn, fp_match_out, dev, FASTPATH_DEL_REASON_MTU);
		break;
	case NETDEV_CHANGEUPPER:
	{
		const struct netdev_notifier_changeupper_info *info = ptr;

		/*
		 * Enslaved to a bridge or bond (or released), or under an
		 * upper whose rx_handler takes every frame (a passthru
		 * macvtap, an HSR port): its packets now belong to the upper
		 * device's receive path, which the hook on this one runs
		 * before.  A VLAN on top takes only tagged frames, which the
		 * hook leaves.
		 */
		if (info->master || !is_vlan_dev(info->upper_dev))
			fp_flow_flush(fpn, fp_match_dev, dev,
				      FASTPATH_DEL_REASON_DEV);
		/* A port joined or left an enabled bridge: its hook follows. */
		if (info->master && netif_is_bridge_master(info->upper_dev))
			fp_br_port_event(fpn, dev, info->linking ?
					 info->upper_dev : NULL);
		break;
	}
	case NETDEV_CHANGEADDR:
		fp_nh_dev_addr_changed(fpn, dev);
		break;
	}
	/* Any device under a next hop may have changed its path. */
	switch (event) {
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:
	case NETDEV_CHANGEMTU:
	case NETDEV_CHANGEUPPER:
	case NETDEV_UNREGISTER:
		fp_nh_refresh_all(fpn);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block fp_netdev_nb = {
	.notifier_call = fp_netdev_event,
};

int fp_dev_notifiers_init(void)
{
	int err;

	/*
	 * Bridge port states are reported before the devices already there
	 * are replayed to the netdev notifier, which reads theirs: none lost.
	 */
	err = fp_br_notifier_init();
	if (err)
		return err;
	err = register_netdevice_notifier(&fp_netdev_nb);
	if (err)
		goto err_br;
	err = fp_nh_notifier_init();
	if (err)
		goto err_netdev;
	return 0;

err_netdev:
	unregister_netdevice_notifier(&fp_netdev_nb);
err_br:
	fp_br_notifier_exit();
	return err;
}

void fp_dev_notifiers_exit(void)
{
	fp_nh_notifier_exit();
	unregister_netdevice_notifier(&fp_netdev_nb);
	fp_br_notifier_exit();
}
