// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: next hops, the link-layer headers the fast path transmits with.
 *
 * Every offloaded direction that leaves through the same device to the
 * same neighbour shares one struct fp_nh, so a neighbour event costs one
 * hash lookup whatever the number of flows: a new link-layer address is
 * written into the shared header at once (readers retry on its seqcount),
 * and a neighbour that fails or goes away kills its next hop, whose flows
 * then leave on their next packet or the GC's next pass.
 *
 * A next hop is published in the table before its header is first read
 * from the neighbour, both under fp_net.lock: a neighbour update that
 * races with the creation is either seen by the creation or finds the next
 * hop and rewrites it, so no stale address is ever cached.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/random.h>
#include <net/arp.h>
#include <net/ndisc.h>
#include <net/neighbour.h>
#include <net/netevent.h>
#include <net/switchdev.h>

#include "fastpath.h"

static const struct rhashtable_params fp_nh_params = {
	.head_offset = offsetof(struct fp_nh, node),
	.key_offset = offsetof(struct fp_nh, key),
	.key_len = sizeof(struct fp_nh_key),
	.automatic_shrinking = true,
};

static void fp_nh_key_init(struct fp_nh_key *key, const struct net_device *dev,
			   u8 family, const union nf_inet_addr *addr)
{
	memset(key, 0, sizeof(*key));
	/* A PPP link has one peer: one next hop per family, address zero. */
	if (dev->type != ARPHRD_PPP && family == AF_INET)
		key->addr.ip = addr->ip;
	else if (dev->type != ARPHRD_PPP)
		key->addr.in6 = addr->in6;
	key->ifindex = dev->ifindex;
	key->family = family;
}

/* The neighbour entry behind nh, if any.  RCU read side. */
static struct neighbour *fp_nh_neigh(const struct fp_nh *nh)
{
	if (nh->dev->type == ARPHRD_PPP)
		return NULL;
	if (nh->key.family == AF_INET)
		return __ipv4_neigh_lookup_noref(nh->dev,
						 (__force u32)nh->key.addr.ip);
	return __ipv6_neigh_lookup_noref(nh->dev, &nh->key.addr.in6);
}

/*
 * How packets out of nh->dev to neighbour n leave, with the header the
 * stack's neighbour output and the devices under nh->dev would build;
 * false if n cannot be used now.  RCU read side.
 */
static bool fp_nh_build(const struct fp_nh *nh, struct neighbour *n,
			struct fp_l2 *l2)
{
	u8 ha[ETH_ALEN] = {};

	if (nh->dev->type != ARPHRD_PPP) {
		if (!n || READ_ONCE(n->dead) ||
		    !(READ_ONCE(n->nud_state) & NUD_VALID))
			return false;
		neigh_ha_snapshot(ha, n, nh->dev);
		if (!is_valid_ether_addr(ha))
			return false;
	}
	return !fp_l2_resolve(nh->fpn, nh->dev, nh->key.family, ha, l2);
}

/* nh can no longer be used: off the table, its flows will follow. */
static void fp_nh_kill(struct fp_net *fpn, struct fp_nh *nh)
{
	lockdep_assert_held(&fpn->lock);
	if (nh->dead)
		return;
	WRITE_ONCE(nh->dead, 1);
	rhashtable_remove_fast(&fpn->nh_table, &nh->node, fp_nh_params);
	list_del_rcu(&nh->list);
}

/* Brings nh up to date with neighbour n and its devices; fp_net.lock held. */
static void fp_nh_update(struct fp_net *fpn, struct fp_nh *nh,
			 struct neighbour *n)
{
	struct fp_l2 l2;

	if (!fp_nh_build(nh, n, &l2)) {
		fp_nh_kill(fpn, nh);
		return;
	}
	if (!memcmp(&l2, &nh->l2, sizeof(l2)))
		return;
	write_seqcount_begin(&nh->seq);
	nh->l2 = l2;
	write_seqcount_end(&nh->seq);
}

struct fp_nh *fp_nh_get(struct fp_net *fpn, struct net_device *dev,
			u8 family, const union nf_inet_addr *addr)
{
	struct fp_dev *out_fpd;
	struct fp_nh_key key;
	struct fp_nh *nh;

	lockdep_assert_held(&fpn->lock);
	fp_nh_key_init(&key, dev, family, addr);
	nh = rhashtable_lookup_fast(&fpn->nh_table, &key, fp_nh_params);
	if (nh) {
		refcount_inc(&nh->ref);
		return nh;
	}

	nh = kzalloc(sizeof(*nh), GFP_ATOMIC);
	if (!nh)
		return NULL;
	nh->key = key;
	nh->dev = dev;
	nh->fpn = fpn;
	seqcount_spinlock_init(&nh->seq, &fpn->lock);
	refcount_set(&nh->ref, 1);
	if (rhashtable_insert_fast(&fpn->nh_table, &nh->node, fp_nh_params)) {
		kfree(nh);
		return NULL;
	}
	list_add_tail_rcu(&nh->list, &fpn->nhs);
	rcu_read_lock();
	if (!fp_nh_build(nh, fp_nh_neigh(nh), &nh->l2))
		fp_nh_kill(fpn, nh);
	out_fpd = fp_dev_find(fpn, dev->ifindex);
	if (out_fpd && out_fpd->ifindex == dev->ifindex)
		rcu_assign_pointer(nh->tx_stats, out_fpd->stats);
	rcu_read_unlock();
	if (nh->dead) {
		/* Never published to a flow: no reader can hold it. */
		kfree_rcu(nh, rcu);
		return NULL;
	}
	return nh;
}

void fp_nh_put_locked(struct fp_net *fpn, struct fp_nh *nh)
{
	lockdep_assert_held(&fpn->lock);
	if (refcount_dec_and_test(&nh->ref)) {
		fp_nh_kill(fpn, nh);
		kfree_rcu(nh, rcu);
	}
}

void fp_nh_put(struct fp_nh *nh)
{
	struct fp_net *fpn = nh->fpn;

	local_bh_disable();
	if (refcount_dec_and_lock(&nh->ref, &fpn->lock)) {
		fp_nh_kill(fpn, nh);
		spin_unlock(&fpn->lock);
		kfree_rcu(nh, rcu);
	}
	local_bh_enable();
}

/* Calls fn for every live next hop out of dev; fp_net.lock held. */
static void fp_nh_for_dev(struct fp_net *fpn, const struct net_device *dev,
			  void (*fn)(struct fp_net *fpn, struct fp_nh *nh,
				     void *arg),
			  void *arg)
{
	struct fp_nh *nh, *tmp;

	lockdep_assert_held(&fpn->lock);
	list_for_each_entry_safe(nh, tmp, &fpn->nhs, list)
		if (nh->dev == dev)
			fn(fpn, nh, arg);
}

static void fp_nh_attach_stats(struct fp_net *fpn, struct fp_nh *nh, void *arg)
{
	rcu_assign_pointer(nh->tx_stats, (struct fp_pcpu_stats __percpu *)arg);
}

void fp_nh_set_tx_stats(struct fp_net *fpn, const struct net_device *dev,
			struct fp_pcpu_stats __percpu *stats)
{
	spin_lock_bh(&fpn->lock);
	fp_nh_for_dev(fpn, dev, fp_nh_attach_stats, (void __force *)stats);
	spin_unlock_bh(&fpn->lock);
}

static void fp_nh_refresh(struct fp_net *fpn, struct fp_nh *nh, void *arg)
{
	fp_nh_update(fpn, nh, fp_nh_neigh(nh));
}

void fp_nh_dev_addr_changed(struct fp_net *fpn, const struct net_device *dev)
{
	spin_lock_bh(&fpn->lock);
	rcu_read_lock();
	fp_nh_for_dev(fpn, dev, fp_nh_refresh, NULL);
	rcu_read_unlock();
	spin_unlock_bh(&fpn->lock);
}

void fp_nh_refresh_all(struct fp_net *fpn)
{
	struct fp_nh *nh, *tmp;

	spin_lock_bh(&fpn->lock);
	rcu_read_lock();
	list_for_each_entry_safe(nh, tmp, &fpn->nhs, list)
		fp_nh_refresh(fpn, nh, NULL);
	rcu_read_unlock();
	spin_unlock_bh(&fpn->lock);
}

/*
 * The fast path bypasses the neighbour layer, so nothing would keep a next
 * hop's entry confirmed: use it as a transmit through the stack would,
 * letting the state machine probe a stale entry; an entry that fails then
 * kills the next hop through the notifier.  The comparison with the
 * neighbour's address and the device path is a second line behind the
 * notifiers and device events.
 */
static void fp_nh_gc_one(struct fp_nh *nh)
{
	struct neighbour *n = fp_nh_neigh(nh);
	struct fp_l2 l2;
	bool valid;

	if (n && nh->used)
		neigh_event_send(n, NULL);
	nh->used = 0;
	/* The devices too: an FDB entry that moved, a qdisc added. */
	valid = fp_nh_build(nh, n, &l2);
	if (!valid || memcmp(&l2, &nh->l2, sizeof(l2))) {
		spin_lock_bh(&nh->fpn->lock);
		if (!nh->dead)
			fp_nh_update(nh->fpn, nh, fp_nh_neigh(nh));
		spin_unlock_bh(&nh->fpn->lock);
	}
}

void fp_nh_gc(struct fp_net *fpn)
{
	struct fp_nh *nh;

	rcu_read_lock();
	list_for_each_entry_rcu(nh, &fpn->nhs, list)
		fp_nh_gc_one(nh);
	rcu_read_unlock();
}

static int fp_nh_netevent(struct notifier_block *nb, unsigned long event,
			  void *ptr)
{
	struct neighbour *n = ptr;
	union nf_inet_addr addr = {};
	struct fp_nh_key key;
	struct fp_net *fpn;
	struct fp_nh *nh;
	u8 family;

	switch (event) {
	case NETEVENT_IPV4_FWD_UPDATE_PRIORITY_UPDATE:
	case NETEVENT_IPV4_MPATH_HASH_UPDATE:
	case NETEVENT_IPV6_MPATH_HASH_UPDATE:
		/*
		 * ip_forward() sets the priority from the TOS, or no longer;
		 * the stack picks another of a route's next hops: the GC's
		 * next pass verifies every direction again (it may not be
		 * kicked from here: the netns may be on its way out).
		 */
		atomic_inc(&fp_pernet(ptr)->stack_changes);
		return NOTIFY_DONE;
	case NETEVENT_NEIGH_UPDATE:
		break;
	default:
		return NOTIFY_DONE;
	}
	family = n->tbl->family;
	if (family == AF_INET)
		memcpy(&addr.ip, n->primary_key, sizeof(addr.ip));
	else if (family == AF_INET6)
		memcpy(&addr.in6, n->primary_key, sizeof(addr.in6));
	else
		return NOTIFY_DONE;
	fpn = fp_pernet(dev_net(n->dev));
	fp_nh_key_init(&key, n->dev, family, &addr);

	/*
	 * One lookup per event, whatever the number of flows; under the lock
	 * that fp_nh_get() inserts and then reads the neighbour with, so that
	 * either it reads this update or this finds its next hop.
	 */
	spin_lock_bh(&fpn->lock);
	nh = rhashtable_lookup_fast(&fpn->nh_table, &key, fp_nh_params);
	if (nh && !nh->dead)
		fp_nh_update(fpn, nh, n);
	spin_unlock_bh(&fpn->lock);
	return NOTIFY_DONE;
}

static struct notifier_block fp_nh_netevent_nb = {
	.notifier_call = fp_nh_netevent,
};

/*
 * The next hops to addresses in slots that had FDB changes are resolved
 * again: the bridge may now send them through another port, or flood
 * them.  A header that starts with anything but the destination's address
 * (a PPP device's: none) is resolved again on every change.
 */
static void fp_nh_refresh_work(struct work_struct *work)
{
	struct fp_net *fpn = container_of(work, struct fp_net, nh_refresh);
	DECLARE_BITMAP(changed, FP_FDB_SLOTS + 1);
	struct fp_nh *nh, *tmp;
	unsigned int i;

	for (i = 0; i < BITS_TO_LONGS(FP_FDB_SLOTS + 1); i++)
		changed[i] = xchg(&fpn->br_fdb_changed[i], 0);
	if (test_bit(FP_FDB_SLOTS, changed)) {
		fp_nh_refresh_all(fpn);
		return;
	}
	spin_lock_bh(&fpn->lock);
	rcu_read_lock();
	list_for_each_entry_safe(nh, tmp, &fpn->nhs, list)
		if (nh->l2.hlen < ETH_ALEN ||
		    test_bit(fp_fdb_slot(fpn, nh->l2.hdr), changed))
			fp_nh_refresh(fpn, nh, NULL);
	rcu_read_unlock();
	spin_unlock_bh(&fpn->lock);
}

/*
 * Slot (FP_FDB_SLOTS: every slot) had an FDB change.  The bitmap's line is
 * only written for a new bit: the generations' line, which every packet on
 * a bridge port reads, is written anyway.
 */
static void fp_fdb_changed(struct fp_net *fpn, unsigned int slot)
{
	u8 *gen = slot < FP_FDB_SLOTS ? &fpn->br_fdb_gen[slot] :
					&fpn->br_fdb_gen_all;

	/* Racing bumps may count as one: the sum changes either way. */
	WRITE_ONCE(*gen, *gen + 1);
	if (!test_bit(slot, fpn->br_fdb_changed))
		set_bit(slot, fpn->br_fdb_changed);
}

/* Is addr the address of the bridge dev is (a port of)?  RCU read side. */
static bool fp_fdb_is_bridge_addr(struct net_device *dev, const u8 *addr)
{
	struct net_device *br = dev;

	if (!netif_is_bridge_master(dev))
		br = netdev_master_upper_dev_get_rcu(dev);
	return br && ether_addr_equal(br->dev_addr, addr);
}

/*
 * A bridge learned, moved (a roaming station) or forgot an FDB entry: the
 * bridge reports every software FDB change to the switchdev chain, in
 * atomic context.  The bridge ports take nothing more from a source in the
 * address's slot before the bridge has seen its packet again
 * (fp_port_tag()), and the next hops to addresses in the slot are resolved
 * again in process context.  The bridge's own address, and its other local
 * ones, decide what it passes up to itself, whatever the source: a change
 * of one of those counts for every slot.
 */
static int fp_nh_switchdev_event(struct notifier_block *nb,
				 unsigned long event, void *ptr)
{
	const struct switchdev_notifier_fdb_info *fdb = ptr;
	struct net_device *dev = switchdev_notifier_info_to_dev(ptr);
	struct fp_net *fpn;

	if (event != SWITCHDEV_FDB_ADD_TO_DEVICE &&
	    event != SWITCHDEV_FDB_DEL_TO_DEVICE)
		return NOTIFY_DONE;
	fpn = fp_pernet(dev_net(dev));
	if (fdb->is_local || fp_fdb_is_bridge_addr(dev, fdb->addr))
		fp_fdb_changed(fpn, FP_FDB_SLOTS);
	else
		fp_fdb_changed(fpn, fp_fdb_slot(fpn, fdb->addr));
	if (!list_empty(&fpn->nhs))
		queue_work(system_power_efficient_wq, &fpn->nh_refresh);
	return NOTIFY_DONE;
}

static struct notifier_block fp_nh_switchdev_nb = {
	.notifier_call = fp_nh_switchdev_event,
};

int fp_nh_table_init(struct fp_net *fpn)
{
	fpn->br_fdb_key = get_random_u64();
	INIT_LIST_HEAD(&fpn->nhs);
	INIT_WORK(&fpn->nh_refresh, fp_nh_refresh_work);
	return rhashtable_init(&fpn->nh_table, &fp_nh_params);
}

/* Every flow is gone (and freed): so is every next hop. */
void fp_nh_table_destroy(struct fp_net *fpn)
{
	WARN_ON(!list_empty(&fpn->nhs));
	/* A notifier that saw the last next hop may still queue the work. */
	synchronize_rcu();
	cancel_work_sync(&fpn->nh_refresh);
	rhashtable_destroy(&fpn->nh_table);
}

int fp_nh_notifier_init(void)
{
	int err;

	err = register_netevent_notifier(&fp_nh_netevent_nb);
	if (err)
		return err;
	err = register_switchdev_notifier(&fp_nh_switchdev_nb);
	if (err)
		unregister_netevent_notifier(&fp_nh_netevent_nb);
	return err;
}

void fp_nh_notifier_exit(void)
{
	unregister_switchdev_notifier(&fp_nh_switchdev_nb);
	unregister_netevent_notifier(&fp_nh_netevent_nb);
}
