// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: the flow table and its garbage collector.
 *
 * Learned directions are found by the packet path in an rhashtable keyed by
 * {iif, tuple}; flows are found by conntrack entry (to learn the second
 * direction) in a second one, and listed in id order from an xarray.  All
 * three change together under fp_net.lock.  A flow is freed one RCU grace
 * period after it is unlinked, and only then gives back its route and
 * conntrack references, so a packet that found it can still use them.
 */
#include <linux/slab.h>
#include <net/dst.h>
#include <net/neighbour.h>
#include <net/arp.h>
#include <net/ndisc.h>
#include <net/netfilter/nf_conntrack_acct.h>
#include <net/netfilter/nf_conntrack_l4proto.h>

#include "fastpath.h"

#define FP_GC_INTERVAL	HZ

static struct kmem_cache *fp_flow_cache __read_mostly;

static const struct rhashtable_params fp_dir_params = {
	.head_offset = offsetof(struct fp_dir, node),
	.key_offset = offsetof(struct fp_dir, key),
	.key_len = sizeof(struct fp_key),
	.automatic_shrinking = true,
};

static const struct rhashtable_params fp_ct_params = {
	.head_offset = offsetof(struct fp_flow, ct_node),
	.key_offset = offsetof(struct fp_flow, ct),
	.key_len = sizeof(struct nf_conn *),
	.automatic_shrinking = true,
};

/* The memory budget: 256 bytes a direction, hash buckets included. */
static_assert(sizeof(struct fp_flow) <= 2 * 228);

int fp_flow_cache_init(void)
{
	/* Not cache aligned: a 512-byte slot would waste 56 of every flow. */
	fp_flow_cache = KMEM_CACHE(fp_flow, 0);
	return fp_flow_cache ? 0 : -ENOMEM;
}

void fp_flow_cache_exit(void)
{
	rcu_barrier();	/* pending fp_flow_free_rcu() and fp_dev frees */
	kmem_cache_destroy(fp_flow_cache);
}

struct fp_dir *fp_flow_lookup(struct fp_net *fpn, const struct fp_key *key)
{
	return rhashtable_lookup(&fpn->table, key, fp_dir_params);
}

void fp_dir_set_tuple(struct fp_dir *d, const struct nf_conn *ct,
		      enum ip_conntrack_dir dir)
{
	const struct nf_conntrack_tuple *rx = &ct->tuplehash[dir].tuple;
	const struct nf_conntrack_tuple *tx = &ct->tuplehash[!dir].tuple;
	size_t alen = rx->src.l3num == AF_INET ? sizeof(__be32) :
						 sizeof(struct in6_addr);

	/* Copy only the family's bytes: the rest of the key stays zero. */
	memset(&d->key, 0, sizeof(d->key));
	memcpy(&d->key.src, &rx->src.u3, alen);
	memcpy(&d->key.dst, &rx->dst.u3, alen);
	d->key.sport = rx->src.u.all;
	d->key.dport = rx->dst.u.all;
	d->key.family = rx->src.l3num;
	d->key.proto = rx->dst.protonum;
	/* Transmitted as the inverse of what the other direction receives. */
	memset(&d->xsrc, 0, sizeof(d->xsrc));
	memset(&d->xdst, 0, sizeof(d->xdst));
	memcpy(&d->xsrc, &tx->dst.u3, alen);
	memcpy(&d->xdst, &tx->src.u3, alen);
	d->xsport = tx->dst.u.all;
	d->xdport = tx->src.u.all;
	d->nat = 0;
	if (memcmp(&d->xsrc, &d->key.src, alen))
		d->nat |= FP_NAT_SADDR;
	if (memcmp(&d->xdst, &d->key.dst, alen))
		d->nat |= FP_NAT_DADDR;
	if (d->xsport != d->key.sport)
		d->nat |= FP_NAT_SPORT;
	if (d->xdport != d->key.dport)
		d->nat |= FP_NAT_DPORT;
	d->index = dir;
}

/*
 * Conntrack saw none of the fast-path packets: restart its TCP window
 * tracking from the next packet it sees, as nf_flowtable does.
 */
static void fp_ct_tcp_fixup(struct nf_conn *ct)
{
	struct ip_ct_tcp *tcp = &ct->proto.tcp;
	int i;

	spin_lock_bh(&ct->lock);
	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		tcp->seen[i].td_maxwin = 0;
		tcp->seen[i].flags &= ~IP_CT_TCP_FLAG_MAXACK_SET;
	}
	spin_unlock_bh(&ct->lock);
}

/* Adds the fast-path traffic not yet accounted to the conntrack counters. */
static void fp_flow_sync_acct(struct fp_flow *flow)
{
	struct nf_conn_acct *acct = nf_conn_acct_find(flow->ct);
	int i;

	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		u64 packets = atomic64_read(&flow->dir[i].packets);
		u64 bytes = atomic64_read(&flow->dir[i].bytes);

		if (acct) {
			atomic64_add(packets - flow->synced_packets[i],
				     &acct->counter[i].packets);
			atomic64_add(bytes - flow->synced_bytes[i],
				     &acct->counter[i].bytes);
		}
		flow->synced_packets[i] = packets;
		flow->synced_bytes[i] = bytes;
	}
}

static void fp_flow_free_rcu(struct rcu_head *head)
{
	struct fp_flow *flow = container_of(head, struct fp_flow, rcu);
	int i;

	fp_flow_sync_acct(flow);
	for (i = 0; i < IP_CT_DIR_MAX; i++)
		if (flow->dir[i].offloaded)
			dst_release(flow->dir[i].dst);
	nf_ct_put(flow->ct);
	kmem_cache_free(fp_flow_cache, flow);
}

static bool fp_flow_unlink(struct fp_net *fpn, struct fp_flow *flow)
{
	int i;

	lockdep_assert_held(&fpn->lock);
	if (test_and_set_bit(FP_FLOW_DEAD, &flow->flags))
		return false;
	for (i = 0; i < IP_CT_DIR_MAX; i++)
		if (flow->dir[i].offloaded)
			rhashtable_remove_fast(&fpn->table, &flow->dir[i].node,
					       fp_dir_params);
	rhashtable_remove_fast(&fpn->by_ct, &flow->ct_node, fp_ct_params);
	xa_erase(&fpn->flows, flow->id);
	atomic_dec(&fpn->nflows);
	fpn->gen++;
	return true;
}

/* The caller keeps flow alive (RCU read side or table lock not held). */
static bool fp_flow_remove(struct fp_net *fpn, struct fp_flow *flow,
			   enum fastpath_del_reason reason)
{
	bool unlinked;

	spin_lock_bh(&fpn->lock);
	unlinked = fp_flow_unlink(fpn, flow);
	spin_unlock_bh(&fpn->lock);
	if (!unlinked)
		return false;

	atomic64_inc(&fpn->flows_removed);
	if (flow->proto == IPPROTO_TCP && !READ_ONCE(flow->kill_reason))
		fp_ct_tcp_fixup(flow->ct);
	fp_nl_flow_event(fpn, flow, FASTPATH_CMD_FLOW_DEL_NTF, reason);
	call_rcu(&flow->rcu, fp_flow_free_rcu);
	return true;
}

static void fp_gc_kick(struct fp_net *fpn)
{
	mod_delayed_work(system_power_efficient_wq, &fpn->gc, 0);
}

/*
 * From here on the flow's packets take the slow path, starting with the
 * one that killed it (a FIN, say): conntrack must be ready for them.
 */
void fp_flow_kill(struct fp_net *fpn, struct fp_flow *flow,
		  enum fastpath_del_reason reason)
{
	int i;

	if (cmpxchg(&flow->kill_reason, 0, reason))
		return;
	/* Where the data plane looks: the line it has just read. */
	for (i = 0; i < IP_CT_DIR_MAX; i++)
		WRITE_ONCE(flow->dir[i].killed, 1);
	if (flow->proto == IPPROTO_TCP)
		fp_ct_tcp_fixup(flow->ct);
	fp_gc_kick(fpn);
}

/* A new flow for ct, with both directions' tuples and none offloaded. */
static struct fp_flow *fp_flow_create(struct fp_net *fpn, struct nf_conn *ct,
				      u32 mark, u8 dscp)
{
	struct fp_flow *flow;
	int err, i;

	lockdep_assert_held(&fpn->lock);
	if (atomic_read(&fpn->nflows) >= READ_ONCE(fpn->cfg.flow_limit))
		return ERR_PTR(-ENOSPC);
	flow = kmem_cache_zalloc(fp_flow_cache, GFP_ATOMIC);
	if (!flow)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		fp_dir_set_tuple(&flow->dir[i], ct, i);
		flow->dir[i].last_used = jiffies;
	}
	flow->ct = ct;
	flow->family = nf_ct_l3num(ct);
	flow->proto = nf_ct_protonum(ct);
	flow->mark = mark;
	flow->dscp = dscp;
	flow->created = jiffies;
	err = xa_alloc_cyclic(&fpn->flows, &flow->id, flow, xa_limit_32b,
			      &fpn->next_id, GFP_ATOMIC);
	if (err < 0)
		goto err_free;
	err = rhashtable_insert_fast(&fpn->by_ct, &flow->ct_node, fp_ct_params);
	if (err)
		goto err_erase;
	nf_conntrack_get(&ct->ct_general);
	atomic_inc(&fpn->nflows);
	fpn->gen++;
	return flow;

err_erase:
	xa_erase(&fpn->flows, flow->id);
err_free:
	kmem_cache_free(fp_flow_cache, flow);
	return ERR_PTR(err);
}

int fp_flow_add(struct fp_net *fpn, struct nf_conn *ct,
		enum ip_conntrack_dir dir, const struct fp_dir *tmpl,
		u32 mark, u8 dscp)
{
	struct fp_flow *flow;
	struct fp_dir *d;
	int err;

	if (!dst_hold_safe(tmpl->dst))
		return -ESTALE;

	spin_lock_bh(&fpn->lock);
	flow = rhashtable_lookup_fast(&fpn->by_ct, &ct, fp_ct_params);
	if (!flow) {
		flow = fp_flow_create(fpn, ct, mark, dscp);
		if (IS_ERR(flow)) {
			err = PTR_ERR(flow);
			goto err_unlock;
		}
	} else if (flow->dir[dir].offloaded) {
		err = -EEXIST;
		goto err_unlock;
	}

	d = &flow->dir[dir];
	d->key.iif = tmpl->key.iif;
	memcpy(d->eth, tmpl->eth, sizeof(d->eth));
	d->mtu = min_t(u32, tmpl->mtu, U16_MAX);
	d->dst_cookie = tmpl->dst_cookie;
	d->out = tmpl->out;
	d->dst = tmpl->dst;
	d->out_stats = tmpl->out_stats;
	d->nexthop = tmpl->nexthop;
	d->last_used = jiffies;
	err = rhashtable_lookup_insert_fast(&fpn->table, &d->node, fp_dir_params);
	if (err) {
		/* An older flow with this tuple is on its way out. */
		d->key.iif = 0;
		if (!flow->dir[!dir].offloaded && fp_flow_unlink(fpn, flow))
			call_rcu(&flow->rcu, fp_flow_free_rcu);
		goto err_unlock;
	}
	WRITE_ONCE(d->offloaded, 1);
	fpn->gen++;
	if (!flow->dir[!dir].offloaded)
		atomic64_inc(&fpn->flows_learned);
	spin_unlock_bh(&fpn->lock);

	fp_nl_flow_event(fpn, flow, FASTPATH_CMD_FLOW_NEW_NTF, 0);
	return 0;

err_unlock:
	spin_unlock_bh(&fpn->lock);
	dst_release(tmpl->dst);
	return err;
}

unsigned int fp_flow_flush(struct fp_net *fpn, fp_flow_match_t match,
			   const void *arg, enum fastpath_del_reason reason)
{
	struct fp_flow *flow;
	unsigned int n = 0;
	unsigned long id;

	rcu_read_lock();
	xa_for_each(&fpn->flows, id, flow)
		if ((!match || match(flow, arg)) &&
		    fp_flow_remove(fpn, flow, reason))
			n++;
	rcu_read_unlock();
	return n;
}

struct fp_flow *fp_flow_next(struct fp_net *fpn, unsigned long *id)
{
	return xa_find(&fpn->flows, id, ULONG_MAX, XA_PRESENT);
}

static bool fp_key_match_any_iif(const struct fp_key *a, const struct fp_key *b)
{
	return !memcmp(a, b, offsetof(struct fp_key, iif)) &&
	       a->family == b->family && a->proto == b->proto;
}

struct fp_flow *fp_flow_find_tuple(struct fp_net *fpn, const struct fp_key *key_any_iif)
{
	struct fp_flow *flow;
	unsigned long id;
	int i;

	xa_for_each(&fpn->flows, id, flow)
		for (i = 0; i < IP_CT_DIR_MAX; i++)
			if (fp_key_match_any_iif(&flow->dir[i].key, key_any_iif))
				return flow;
	return NULL;
}

size_t fp_flow_memory(struct fp_net *fpn)
{
	size_t bytes = (size_t)atomic_read(&fpn->nflows) *
		       kmem_cache_size(fp_flow_cache);

	rcu_read_lock();
	bytes += (rht_dereference_rcu(fpn->table.tbl, &fpn->table)->size +
		  rht_dereference_rcu(fpn->by_ct.tbl, &fpn->by_ct)->size) *
		 sizeof(struct rhash_lock_head *);
	rcu_read_unlock();
	return bytes;
}

/* What the conntrack entry's timeout would have been refreshed to. */
static u32 fp_ct_timeout(struct nf_conn *ct)
{
	struct net *net = nf_ct_net(ct);

	if (nf_ct_protonum(ct) == IPPROTO_TCP)
		return nf_tcp_pernet(net)->timeouts[TCP_CONNTRACK_ESTABLISHED];
	return nf_udp_pernet(net)->timeouts[UDP_CT_REPLIED];
}

/* Keeps ct alive for the traffic it did not see; never shortens it. */
static void fp_ct_refresh(struct nf_conn *ct)
{
	u32 expires = nfct_time_stamp + fp_ct_timeout(ct);

	if (!nf_ct_is_dying(ct) && (s32)(expires - READ_ONCE(ct->timeout)) > 0)
		WRITE_ONCE(ct->timeout, expires);
}

/*
 * The fast path bypasses the neighbour layer, so nothing would revalidate
 * the next hop: use it as a transmit through the stack would, letting the
 * neighbour state machine probe a stale entry.  A changed or failed entry
 * then evicts the flow through the netevent notifier.
 */
static void fp_dir_neigh_use(const struct fp_dir *d)
{
	struct neighbour *n;

	rcu_read_lock_bh();
	if (d->key.family == AF_INET)
		n = __ipv4_neigh_lookup_noref(d->out, (__force u32)d->nexthop.ip);
	else
		n = __ipv6_neigh_lookup_noref(d->out, &d->nexthop.in6);
	if (n)
		neigh_event_send(n, NULL);
	rcu_read_unlock_bh();
}

static enum fastpath_del_reason fp_flow_expired(struct fp_net *fpn,
						struct fp_flow *flow)
{
	unsigned long last = flow->dir[0].last_used, timeout;
	u8 reason = READ_ONCE(flow->kill_reason);

	if (reason)
		return reason;
	if (nf_ct_is_dying(flow->ct))
		return FASTPATH_DEL_REASON_CONNTRACK;
	if (time_after(READ_ONCE(flow->dir[1].last_used), last))
		last = flow->dir[1].last_used;
	timeout = flow->proto == IPPROTO_TCP ? READ_ONCE(fpn->cfg.tcp_timeout) :
					       READ_ONCE(fpn->cfg.udp_timeout);
	if (time_after(jiffies, last + timeout * HZ))
		return FASTPATH_DEL_REASON_IDLE;
	return 0;
}

/* GC side of a live flow: conntrack, neighbours and listeners catch up. */
static void fp_flow_refresh(struct fp_net *fpn, struct fp_flow *flow,
			    bool notify)
{
	u64 total = 0;
	bool moved = false;
	int i;

	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		u64 packets = atomic64_read(&flow->dir[i].packets);

		if (packets != flow->synced_packets[i]) {
			fp_dir_neigh_use(&flow->dir[i]);
			moved = true;
		}
		total += packets;
	}
	if (moved) {
		fp_flow_sync_acct(flow);
		fp_ct_refresh(flow->ct);
	}
	if (notify && total != flow->notified_packets) {
		flow->notified_packets = total;
		fp_nl_flow_event(fpn, flow, FASTPATH_CMD_FLOW_STATS_NTF, 0);
	}
}

static void fp_gc_work(struct work_struct *work)
{
	struct fp_net *fpn = container_of(to_delayed_work(work), struct fp_net, gc);
	unsigned long interval = msecs_to_jiffies(READ_ONCE(fpn->cfg.stats_interval));
	bool listeners = fp_nl_has_listeners(fpn);
	bool notify = listeners && time_after_eq(jiffies, fpn->stats_sent + interval);
	enum fastpath_del_reason reason;
	struct fp_flow *flow;
	unsigned long id;

	rcu_read_lock();
	xa_for_each(&fpn->flows, id, flow) {
		reason = fp_flow_expired(fpn, flow);
		if (reason)
			fp_flow_remove(fpn, flow, reason);
		else
			fp_flow_refresh(fpn, flow, notify);
		if (need_resched()) {
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
	if (notify)
		fpn->stats_sent = jiffies;
	queue_delayed_work(system_power_efficient_wq, &fpn->gc,
			   listeners ? min(interval, FP_GC_INTERVAL) : FP_GC_INTERVAL);
}

int fp_flow_table_init(struct fp_net *fpn)
{
	int err;

	spin_lock_init(&fpn->lock);
	xa_init_flags(&fpn->flows, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_BH);
	err = rhashtable_init(&fpn->table, &fp_dir_params);
	if (err)
		return err;
	err = rhashtable_init(&fpn->by_ct, &fp_ct_params);
	if (err) {
		rhashtable_destroy(&fpn->table);
		return err;
	}
	INIT_DELAYED_WORK(&fpn->gc, fp_gc_work);
	queue_delayed_work(system_power_efficient_wq, &fpn->gc, FP_GC_INTERVAL);
	return 0;
}

void fp_flow_table_destroy(struct fp_net *fpn)
{
	cancel_delayed_work_sync(&fpn->gc);
	fp_flow_flush(fpn, NULL, NULL, FASTPATH_DEL_REASON_SHUTDOWN);
	rhashtable_destroy(&fpn->table);
	rhashtable_destroy(&fpn->by_ct);
	xa_destroy(&fpn->flows);
}
