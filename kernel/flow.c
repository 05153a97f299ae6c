// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: the flow table and its garbage collector.
 *
 * Offloaded and refused directions are found by the packet path in an
 * rhashtable keyed by {iif, tuple}; flows are found by conntrack entry (to
 * learn the second direction, or to remember a refusal) in a second one,
 * and listed in id order from an xarray.  All three change together under fp_net.lock.  A
 * flow is freed one RCU grace period after it is unlinked, and only then
 * gives back its route, next hop and conntrack references, so a packet
 * that found it can still use them.
 *
 * A flow without an offloaded direction only remembers why learning
 * refused it, so that a connection that cannot be offloaded does not cost
 * a full learning attempt on each of its packets.  It is dropped silently
 * when the refusal is due for another try.  Refused directions are in the
 * packet path's table as well (unless an offloaded one holds their key),
 * so that their packets tell learning so at once (fp_probe_refused()); the
 * packet path tests a direction's state and iif before anything else.
 */
#include <linux/slab.h>
#include <net/dst.h>
#include <net/netfilter/nf_conntrack_acct.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_l4proto.h>
#include <net/netfilter/nf_conntrack_timeout.h>
#include <net/netfilter/nf_conntrack_zones.h>

#include "fastpath.h"

#define FP_GC_INTERVAL	HZ

static struct kmem_cache *fp_flow_cache __read_mostly;

static const struct rhashtable_params fp_dir_params = FP_DIR_PARAMS;

/* Every packet learning sees looks its entry up: no memcmp() call. */
static int fp_ct_cmp(struct rhashtable_compare_arg *arg, const void *flow)
{
	return ((const struct fp_flow *)flow)->ct !=
	       *(struct nf_conn *const *)arg->key;
}

static const struct rhashtable_params fp_ct_params = {
	.head_offset = offsetof(struct fp_flow, ct_node),
	.key_offset = offsetof(struct fp_flow, ct),
	.key_len = sizeof(struct nf_conn *),
	.obj_cmpfn = fp_ct_cmp,
	.automatic_shrinking = true,
};

/*
 * The memory budget: 256 bytes a direction, hash buckets included.  Seven
 * cache lines: three a direction, one for the flow.
 */
static_assert(sizeof(struct fp_flow) == 7 * 64);
/* A refused direction's packet reads only the line it was looked up by. */
static_assert(offsetofend(struct fp_dir, nat) <= 64);
static_assert(FP_FLOW_LINKED_LAST < BITS_PER_LONG);

int fp_flow_cache_init(void)
{
	/* Aligned like the struct, so each direction has its own lines. */
	fp_flow_cache = KMEM_CACHE(fp_flow, 0);
	return fp_flow_cache ? 0 : -ENOMEM;
}

void fp_flow_cache_exit(void)
{
	rcu_barrier();	/* pending fp_flow_free_rcu() and fp_dev frees */
	kmem_cache_destroy(fp_flow_cache);
}

struct fp_flow *fp_flow_find_ct(struct fp_net *fpn, const struct nf_conn *ct)
{
	return rhashtable_lookup(&fpn->by_ct, &ct, fp_ct_params);
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

static void fp_flow_free_rcu(struct rcu_head *head)
{
	struct fp_flow *flow = container_of(head, struct fp_flow, rcu);
	int i;

	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		if (flow->dir[i].state != FP_DIR_OFFLOADED)
			continue;
		dst_release(flow->dir[i].dst);
		fp_nh_put(flow->dir[i].nh);
	}
	nf_ct_put(flow->ct);
	kmem_cache_free(fp_flow_cache, flow);
}

/* Is d in the packet path's table?  fpn->lock held. */
static bool fp_dir_linked(const struct fp_dir *d)
{
	return test_bit(FP_FLOW_LINKED + d->index, &fp_dir_flow(d)->flags);
}

/*
 * Takes d out of the packet path's table, if it is in it; its key stays,
 * for readers of the flow still on their way.  fpn->lock held.
 */
static void fp_dir_unlink(struct fp_net *fpn, struct fp_dir *d)
{
	lockdep_assert_held(&fpn->lock);
	if (!fp_dir_linked(d))
		return;
	WARN_ON_ONCE(rhashtable_remove_fast(&fpn->table, &d->node, fp_dir_params));
	clear_bit(FP_FLOW_LINKED + d->index, &fp_dir_flow(d)->flags);
}

/*
 * Puts d in the packet path's table under ingress device iif, if it is not
 * there already.  The key may be held by another connection's direction
 * (an older entry with the same tuple, or one in another conntrack zone):
 * an offloaded one keeps it, a refused one gives way, and its packets ask
 * learning by conntrack entry.  fpn->lock held.
 */
static int fp_dir_link(struct fp_net *fpn, struct fp_dir *d, int iif)
{
	struct fp_dir *holder;
	int err = 0;

	lockdep_assert_held(&fpn->lock);
	if (WARN_ON_ONCE(iif <= 0))
		return -EINVAL;
	if (fp_dir_linked(d)) {
		if (d->key.iif == iif)
			return 0;
		/*
		 * Only a refused direction moves: packets of the old iif that
		 * find it miss (fp_rx_flow()) once it is offloaded.
		 */
		WARN_ON_ONCE(d->state == FP_DIR_OFFLOADED);
		fp_dir_unlink(fpn, d);
	}
	WRITE_ONCE(d->key.iif, iif);
	holder = rhashtable_lookup_get_insert_fast(&fpn->table, &d->node,
						   fp_dir_params);
	if (IS_ERR(holder))
		return PTR_ERR(holder);
	if (holder) {
		if (holder->state == FP_DIR_OFFLOADED)
			return -EEXIST;
		err = rhashtable_replace_fast(&fpn->table, &holder->node,
					      &d->node, fp_dir_params);
		if (err)
			return err;
		clear_bit(FP_FLOW_LINKED + holder->index,
			  &fp_dir_flow(holder)->flags);
	}
	set_bit(FP_FLOW_LINKED + d->index, &fp_dir_flow(d)->flags);
	return 0;
}

/* Returns whether flow had an offloaded direction. */
static bool fp_flow_unlink(struct fp_net *fpn, struct fp_flow *flow)
{
	int i;

	lockdep_assert_held(&fpn->lock);
	for (i = 0; i < IP_CT_DIR_MAX; i++)
		fp_dir_unlink(fpn, &flow->dir[i]);
	rhashtable_remove_fast(&fpn->by_ct, &flow->ct_node, fp_ct_params);
	xa_erase(&fpn->flows, flow->id);
	if (flow->offloaded) {
		atomic_dec(&fpn->nflows);
		return true;
	}
	atomic_dec(&fpn->nrefused);
	return false;
}

/*
 * From here on flow's packets take the slow path, starting with the one
 * that stops it (a FIN, say): conntrack, which saw none of its fast-path
 * packets, is made ready for them before the data plane is told.  Also
 * when another caller stopped it first, which may not have got that far
 * yet: a second fixup only has conntrack pick the window up again from
 * the next packet.  Returns whether this call stopped it.
 */
static bool fp_flow_stop(struct fp_flow *flow, enum fastpath_del_reason reason)
{
	bool first = !test_and_set_bit(FP_FLOW_KILLED, &flow->flags);
	int i;

	if (first)
		WRITE_ONCE(flow->kill_reason, reason);
	if (flow->proto == IPPROTO_TCP)
		fp_ct_tcp_fixup(flow->ct);
	/* Where the data plane looks: the line it has just read. */
	for (i = 0; i < IP_CT_DIR_MAX; i++)
		WRITE_ONCE(flow->dir[i].hold, FP_HOLD_KILLED);
	return first;
}

/*
 * The caller keeps flow alive (RCU read side).  Returns whether this call
 * removed a flow that had an offloaded direction.  Reason 0: only a flow
 * kept for its refusals, none of its directions offloaded meanwhile.
 */
static bool fp_flow_remove(struct fp_net *fpn, struct fp_flow *flow,
			   enum fastpath_del_reason reason)
{
	bool offloaded;

	spin_lock_bh(&fpn->lock);
	if (test_bit(FP_FLOW_DEAD, &flow->flags) ||
	    (!reason && flow->offloaded)) {
		spin_unlock_bh(&fpn->lock);
		return false;
	}
	set_bit(FP_FLOW_DEAD, &flow->flags);
	/*
	 * Unlinked, its packets go to conntrack: stopped first, as a kill
	 * does, so that conntrack is ready for them.
	 */
	if (flow->offloaded)
		fp_flow_stop(flow, reason);
	offloaded = fp_flow_unlink(fpn, flow);
	spin_unlock_bh(&fpn->lock);

	if (offloaded) {
		atomic64_inc(&fpn->flows_removed);
		fp_nl_flow_event(fpn, flow, FASTPATH_CMD_FLOW_DEL_NTF, reason);
	}
	call_rcu(&flow->rcu, fp_flow_free_rcu);
	return offloaded;
}

void fp_gc_kick(struct fp_net *fpn)
{
	mod_delayed_work(system_power_efficient_wq, &fpn->gc, 0);
}

/* Stops flow, and has the GC remove it. */
bool fp_flow_kill(struct fp_net *fpn, struct fp_flow *flow,
		  enum fastpath_del_reason reason)
{
	if (!fp_flow_stop(flow, reason))
		return false;
	fp_gc_kick(fpn);
	return true;
}

/* A new flow for ct, with both directions' tuples and none offloaded. */
static struct fp_flow *fp_flow_create(struct fp_net *fpn, struct nf_conn *ct)
{
	struct fp_flow *flow;
	int err, i;

	lockdep_assert_held(&fpn->lock);
	flow = kmem_cache_zalloc(fp_flow_cache, GFP_ATOMIC);
	if (!flow)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		fp_dir_set_tuple(&flow->dir[i], ct, i);
		u64_stats_init(&flow->dir[i].syncp);
		flow->dir[i].last_used = jiffies;
	}
	flow->ct = ct;
	flow->family = nf_ct_l3num(ct);
	flow->proto = nf_ct_protonum(ct);
	flow->created = jiffies;
	err = xa_alloc_cyclic(&fpn->flows, &flow->id, flow, xa_limit_32b,
			      &fpn->next_id, GFP_ATOMIC);
	if (err < 0)
		goto err_free;
	/* Ids start over below a running dump's position. */
	if (err > 0)
		WRITE_ONCE(fpn->gen, fpn->gen + 1);
	err = rhashtable_insert_fast(&fpn->by_ct, &flow->ct_node, fp_ct_params);
	if (err)
		goto err_erase;
	nf_conntrack_get(&ct->ct_general);
	atomic_inc(&fpn->nrefused);
	return flow;

err_erase:
	xa_erase(&fpn->flows, flow->id);
err_free:
	kmem_cache_free(fp_flow_cache, flow);
	return ERR_PTR(err);
}

/* Drops a flow that fp_flow_learn() created but could not use. */
static void fp_flow_discard(struct fp_net *fpn, struct fp_flow *flow)
{
	set_bit(FP_FLOW_DEAD, &flow->flags);
	fp_flow_unlink(fpn, flow);
	call_rcu(&flow->rcu, fp_flow_free_rcu);
}

/*
 * Remembers why d is not offloaded, for ttl jiffies, where its packets
 * are looked up too.  fpn->lock held.
 */
static void fp_dir_refuse(struct fp_net *fpn, const struct fp_learned *l,
			  struct fp_dir *d, u8 why, u32 detail, unsigned long ttl)
{
	WRITE_ONCE(d->why, why);
	WRITE_ONCE(d->why_detail, detail);
	/* Decided before a rule change: void at once. */
	WRITE_ONCE(d->why_gen, l->learn_gen);
	WRITE_ONCE(d->retry_at, jiffies + ttl);
	/* Not found there, its packets only cost learning a lookup. */
	fp_dir_link(fpn, d, l->tmpl.key.iif);
	/* Explain and dumps read the reason and the iif after the state. */
	smp_store_release(&d->state, FP_DIR_REFUSED);
}

bool fp_flow_learn_needed(struct fp_net *fpn, const struct nf_conn *ct,
			  enum ip_conntrack_dir dir, const struct sk_buff *skb,
			  const struct nf_hook_state *state)
{
	struct fp_flow *flow = fp_flow_find_ct(fpn, ct);
	struct fp_dir *d;

	if (!flow)
		return true;
	d = &flow->dir[dir];
	if (!fp_dir_offloaded(d))
		return !fp_dir_refusal_valid(fpn, d);
	/* Its probe, if it had one, was another packet's. */
	fp_dir_stale_forwarded(d, skb, state);
	return false;
}

/* Offloads d with the transmit state learning found; fpn->lock held. */
static int fp_dir_offload(struct fp_net *fpn, struct fp_flow *flow,
			  struct fp_dir *d, struct fp_learned *l)
{
	const struct fp_dir *tmpl = &l->tmpl;
	int err;

	/* A device disabled or detached since the hook saw it: no flow. */
	if (READ_ONCE(l->in_fpd->ifindex) != tmpl->key.iif)
		return -ENODEV;
	/* Rules changed since they said yes: learn again, with the new ones. */
	if (l->learn_gen != fpn->learn_gen)
		return -EAGAIN;
	if (!flow->offloaded &&
	    atomic_read(&fpn->nflows) >= READ_ONCE(fpn->cfg.flow_limit))
		return -ENOSPC;
	d->nh = fp_nh_get(fpn, l->out, tmpl->key.family, &l->nexthop);
	if (!d->nh)
		return -EHOSTUNREACH;

	d->mtu = fp_dir_mtu(tmpl->mtu, d->nh);
	d->dst_cookie = tmpl->dst_cookie;
	d->dst = tmpl->dst;
	/* As verified on this packet, or to be verified on the next. */
	atomic64_set(&d->egress, fp_egress(l->mark, l->priority));
	d->rx_dsfield = l->rx_dsfield;
	d->rx_flowlabel = l->rx_flowlabel;
	d->rx_mark = l->rx_mark;
	d->rx_priority = l->rx_priority;
	d->ct_mark = fp_ct_mark(flow->ct);
	d->verified = l->hold == FP_HOLD_NONE;
	d->acct = !!nf_conn_acct_find(flow->ct);
	/*
	 * Learning runs where this direction's packets arrive; any CPU is
	 * correct, the others count with atomics.
	 */
	BUILD_BUG_ON(NR_CPUS - 1 > U16_MAX);
	d->owner = raw_smp_processor_id();
	/* Dumps read it before the state. */
	WRITE_ONCE(d->last_used, jiffies);
	WRITE_ONCE(d->hold, l->hold);
	/*
	 * Against fp_flow_kill(): either it sees this direction's hold and
	 * overwrites it, or this sees its bit (both sides fully ordered).
	 */
	smp_mb();
	/* Refused, it may be in the table already: found, still refused. */
	err = test_bit(FP_FLOW_KILLED, &flow->flags) ? -ESTALE :
	      fp_dir_link(fpn, d, tmpl->key.iif);
	if (err) {
		/* Killed, or an older offloaded flow with this tuple is on
		 * its way out (or no memory for the table).
		 */
		fp_nh_put_locked(fpn, d->nh);
		d->nh = NULL;
		d->dst = NULL;
		return err;
	}
	/* Readers, by lookup or by id, test state before the rest. */
	smp_store_release(&d->state, FP_DIR_OFFLOADED);
	WRITE_ONCE(flow->offloaded, flow->offloaded + 1);
	if (flow->offloaded == 1) {
		atomic_dec(&fpn->nrefused);
		atomic_inc(&fpn->nflows);
		atomic64_inc(&fpn->flows_learned);
	}
	return 0;
}

int fp_flow_learn(struct fp_net *fpn, struct nf_conn *ct,
		  enum ip_conntrack_dir dir, struct fp_learned *l)
{
	bool created = false, first = false;
	struct fp_flow *flow;
	struct fp_dir *d;
	int err;

	if (!l->why && !dst_hold_safe(l->tmpl.dst))
		return -ESTALE;

	spin_lock_bh(&fpn->lock);
	flow = rhashtable_lookup_fast(&fpn->by_ct, &ct, fp_ct_params);
	if (!flow) {
		/* Refusals are a cache: bounded like the flows. */
		if (l->why && atomic_read(&fpn->nrefused) >=
			      READ_ONCE(fpn->cfg.flow_limit)) {
			err = -ENOSPC;
			goto out_unlock;
		}
		flow = fp_flow_create(fpn, ct);
		if (IS_ERR(flow)) {
			err = PTR_ERR(flow);
			goto out_unlock;
		}
		created = true;
	}
	d = &flow->dir[dir];
	if (d->state == FP_DIR_OFFLOADED) {
		err = -EEXIST;
	} else if (l->why) {
		fp_dir_refuse(fpn, l, d, l->why, l->why_detail, FP_REFUSAL_TTL);
		err = 0;
	} else {
		err = fp_dir_offload(fpn, flow, d, l);
		/* Passing conditions, remembered briefly: explain shows them. */
		if (err == -ENOSPC)
			fp_dir_refuse(fpn, l, d, FASTPATH_WHY_TABLE_FULL, 0, HZ);
		else if (err == -EHOSTUNREACH)
			fp_dir_refuse(fpn, l, d, FASTPATH_WHY_NO_NEIGH, 0, HZ);
		else if (err && created)
			fp_flow_discard(fpn, flow);
		first = !err && flow->offloaded == 1;
	}
out_unlock:
	spin_unlock_bh(&fpn->lock);

	if (!l->why) {
		if (err)
			dst_release(l->tmpl.dst);
		else if (first)
			fp_nl_flow_event(fpn, flow, FASTPATH_CMD_FLOW_NEW_NTF, 0);
	}
	return err;
}

/*
 * Calls fn for each flow in id order, under RCU.  Between two flows the
 * walk may sleep, so a table of any size holds neither the CPU nor the
 * RCU read side for long.
 */
static void fp_flow_walk(struct fp_net *fpn,
			 void (*fn)(struct fp_net *fpn, struct fp_flow *flow,
				    void *arg),
			 void *arg)
{
	struct fp_flow *flow;
	unsigned long id = 0;

	rcu_read_lock();
	while ((flow = xa_find(&fpn->flows, &id, ULONG_MAX, XA_PRESENT))) {
		fn(fpn, flow, arg);
		id++;
		if (need_resched()) {
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
}

struct fp_flush {
	fp_flow_match_t match;
	const void *arg;
	enum fastpath_del_reason reason;
	unsigned int removed;
};

static void fp_flush_one(struct fp_net *fpn, struct fp_flow *flow, void *arg)
{
	struct fp_flush *f = arg;

	if ((!f->match || f->match(flow, f->arg)) &&
	    fp_flow_remove(fpn, flow, f->reason))
		f->removed++;
}

unsigned int fp_flow_flush(struct fp_net *fpn, fp_flow_match_t match,
			   const void *arg, enum fastpath_del_reason reason)
{
	struct fp_flush f = { .match = match, .arg = arg, .reason = reason };

	might_sleep();
	fp_flow_walk(fpn, fp_flush_one, &f);
	/* A running dump may have listed flows that are gone now. */
	if (f.removed) {
		spin_lock_bh(&fpn->lock);
		WRITE_ONCE(fpn->gen, fpn->gen + 1);
		spin_unlock_bh(&fpn->lock);
	}
	return f.removed;
}

struct fp_flow *fp_flow_next(struct fp_net *fpn, unsigned long *id)
{
	struct fp_flow *flow;

	for (; (flow = xa_find(&fpn->flows, id, ULONG_MAX, XA_PRESENT)); (*id)++)
		if (READ_ONCE(flow->offloaded))
			return flow;
	return NULL;
}

struct fp_flow *fp_flow_find_tuple(struct fp_net *fpn, const struct fp_key *key,
				   u16 zone_id)
{
	struct nf_conntrack_tuple tuple = fp_key_ct_tuple(key);
	struct nf_conntrack_tuple_hash *h;
	struct nf_conntrack_zone zone;
	struct fp_flow *flow;
	struct nf_conn *ct;

	/* Conntrack's own index finds the entry in either direction. */
	nf_ct_zone_init(&zone, zone_id, NF_CT_DEFAULT_ZONE_DIR, 0);
	h = nf_conntrack_find_get(fpn->net, &zone, &tuple);
	if (!h)
		return NULL;
	ct = nf_ct_tuplehash_to_ctrack(h);
	flow = fp_flow_find_ct(fpn, ct);
	/* A flow holds its own reference: this one only kept ct alive. */
	nf_ct_put(ct);
	return flow && READ_ONCE(flow->offloaded) ? flow : NULL;
}

size_t fp_flow_memory(struct fp_net *fpn)
{
	size_t flows = atomic_read(&fpn->nflows) + atomic_read(&fpn->nrefused);
	size_t bytes = flows * kmem_cache_size(fp_flow_cache);

	rcu_read_lock();
	bytes += (rht_dereference_rcu(fpn->table.tbl, &fpn->table)->size +
		  rht_dereference_rcu(fpn->by_ct.tbl, &fpn->by_ct)->size) *
		 sizeof(struct rhash_lock_head *);
	rcu_read_unlock();
	return bytes;
}

/*
 * What the conntrack entry's timeout would have been refreshed to by the
 * packets it did not see: its state's, under its timeout policy if any.
 * RCU read side.
 */
static u32 fp_ct_timeout(struct nf_conn *ct)
{
	unsigned int *timeouts = nf_ct_timeout_lookup(ct);
	struct net *net = nf_ct_net(ct);

	if (nf_ct_protonum(ct) == IPPROTO_TCP) {
		if (!timeouts)
			timeouts = nf_tcp_pernet(net)->timeouts;
		return timeouts[READ_ONCE(ct->proto.tcp.state)];
	}
	if (!timeouts)
		timeouts = nf_udp_pernet(net)->timeouts;
	return timeouts[UDP_CT_REPLIED];
}

/*
 * Keeps ct alive for the traffic it did not see, as long as the stack would
 * have from the last packet (jiffies last_used); never shortens it.
 */
static void fp_ct_refresh(struct nf_conn *ct, u32 last_used)
{
	u32 expires = last_used + fp_ct_timeout(ct);

	if (!nf_ct_is_dying(ct) && (s32)(expires - READ_ONCE(ct->timeout)) > 0)
		WRITE_ONCE(ct->timeout, expires);
}

/*
 * How long a direction whose packets on a stale route were not verified
 * is kept without a fast packet.
 */
#define FP_STALE_ROUTE_KEPT	(5 * HZ)

/* Clears bit of flow's flags, without a locked write if it is clear. */
static void fp_flow_clear_flag(struct fp_flow *flow, int bit)
{
	if (test_bit(bit, &flow->flags))
		clear_bit(bit, &flow->flags);
}

void fp_dir_stale_done(const struct fp_dir *d)
{
	struct fp_flow *flow = fp_dir_flow(d);

	fp_flow_clear_flag(flow, FP_FLOW_STALE_RX + d->index);
	fp_flow_clear_flag(flow, FP_FLOW_STALE_SEEN + d->index);
}

/*
 * GC, d's route stale: did packets come on it, before and after a pass,
 * none verified or forwarded the way d goes (a verification would have
 * taken the new route, or killed the flow), and none fast for a while?
 * Then the stack does not forward d as it did.  A direction no packet came
 * on since (an idle flow, the reverse of a one-way stream) waits for one,
 * or its timeout.
 */
static bool fp_dir_stale_unforwarded(struct fp_flow *flow,
				     const struct fp_dir *d)
{
	int rx = FP_FLOW_STALE_RX + d->index;
	int seen = FP_FLOW_STALE_SEEN + d->index;

	if (!test_bit(rx, &flow->flags))
		return false;
	if (test_bit(seen, &flow->flags))
		return fp_dir_idle(d) > FP_STALE_ROUTE_KEPT;
	set_bit(seen, &flow->flags);
	clear_bit(rx, &flow->flags);
	return false;
}

static enum fastpath_del_reason fp_flow_expired(struct fp_net *fpn,
						struct fp_flow *flow)
{
	struct dst_entry *dst;
	unsigned long timeout;
	u32 idle = U32_MAX;
	int i;

	if (test_bit(FP_FLOW_KILLED, &flow->flags))
		return READ_ONCE(flow->kill_reason);
	if (nf_ct_is_dying(flow->ct))
		return FASTPATH_DEL_REASON_CONNTRACK;
	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		const struct fp_dir *d = &flow->dir[i];

		if (!fp_dir_offloaded(d))
			continue;
		if (READ_ONCE(d->nh->dead))
			return FASTPATH_DEL_REASON_NEIGH;
		/* Once: a verification may be replacing it (verify.c). */
		dst = READ_ONCE(d->dst);
		/*
		 * A stale route is verified again by the direction's next
		 * packet, which takes the new one if the stack still forwards
		 * it the same way (verify.c).  Before the MTU: a dead route's
		 * device is the blackhole's.
		 */
		if (!dst_check(dst, READ_ONCE(d->dst_cookie))) {
			if (fp_dir_stale_unforwarded(flow, d))
				return FASTPATH_DEL_REASON_ROUTE;
			idle = min(idle, fp_dir_idle(d));
			continue;
		}
		fp_dir_stale_done(d);
		if (fp_dir_mtu(fp_route_mtu(dst, d->key.family), d->nh) != d->mtu)
			return FASTPATH_DEL_REASON_MTU;
		idle = min(idle, fp_dir_idle(d));
	}
	timeout = flow->proto == IPPROTO_TCP ? READ_ONCE(fpn->cfg.tcp_timeout) :
					       READ_ONCE(fpn->cfg.udp_timeout);
	if (idle > timeout * HZ)
		return FASTPATH_DEL_REASON_IDLE;
	return 0;
}

/* A flow kept for its refusals, none of which is worth keeping now. */
static bool fp_flow_refusals_stale(struct fp_net *fpn, struct fp_flow *flow)
{
	int i;

	if (nf_ct_is_dying(flow->ct))
		return true;
	for (i = 0; i < IP_CT_DIR_MAX; i++)
		if (fp_dir_refusal_valid(fpn, &flow->dir[i]))
			return false;
	return true;
}

/* What one pass of the GC does besides expiring flows. */
struct fp_gc_pass {
	unsigned long recent;	/* jiffies: a flow used since has moved */
	bool notify;		/* send FLOW_STATS_NTF */
	bool verify;		/* verify every direction again */
};

/*
 * GC side of a live flow: conntrack, neighbours and listeners catch up with
 * a flow that forwarded lately.  Idempotent: a flow seen as moved by two
 * passes gets the same conntrack timeout from both.
 */
static void fp_flow_refresh(struct fp_net *fpn, struct fp_flow *flow,
			    const struct fp_gc_pass *pass)
{
	u32 since = jiffies - pass->recent, least = U32_MAX;
	u64 total = 0, packets, bytes;
	int i;

	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		struct fp_dir *d = &flow->dir[i];
		u32 idle = fp_dir_idle(d);

		if (fp_dir_offloaded(d) && idle <= since) {
			/* Only the GC writes it: no shared line per packet. */
			d->nh->used = 1;
			least = min(least, idle);
		}
	}
	if (least != U32_MAX)
		fp_ct_refresh(flow->ct, (u32)jiffies - least);
	if (!pass->notify)
		return;
	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		fp_dir_counters(&flow->dir[i], &packets, &bytes);
		total += packets;
	}
	/* Not 2^32 packets in one interval. */
	if ((u32)total != flow->notified_packets) {
		flow->notified_packets = total;
		fp_nl_flow_event(fpn, flow, FASTPATH_CMD_FLOW_STATS_NTF, 0);
	}
}

/*
 * Keeps the idle time of a direction without packets (refused, or one-way
 * traffic) from wrapping, once in 2^29 jiffies; a packet's store meanwhile
 * wins.  One that a stalled GC let pass the range comes back to it too.
 */
static void fp_dir_bound_idle(struct fp_dir *d)
{
	u32 now = jiffies, used = READ_ONCE(d->last_used), idle = now - used;

	if (idle > FP_IDLE_MAX + FP_IDLE_MAX / 2 && idle < -FP_IDLE_AHEAD)
		cmpxchg(&d->last_used, used, now - FP_IDLE_MAX);
}

static void fp_gc_one(struct fp_net *fpn, struct fp_flow *flow, void *arg)
{
	const struct fp_gc_pass *pass = arg;
	enum fastpath_del_reason reason;
	int i;

	for (i = 0; i < IP_CT_DIR_MAX; i++)
		fp_dir_bound_idle(&flow->dir[i]);

	if (!READ_ONCE(flow->offloaded)) {
		if (fp_flow_refusals_stale(fpn, flow))
			fp_flow_remove(fpn, flow, 0);
		return;
	}
	reason = fp_flow_expired(fpn, flow);
	if (reason) {
		fp_flow_remove(fpn, flow, reason);
		return;
	}
	fp_flow_refresh(fpn, flow, pass);
	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		struct fp_dir *d = &flow->dir[i];

		/* A daemon or rule changed the connection's mark since. */
		if (fp_dir_offloaded(d))
			fp_verify_again(d, pass->verify ||
				     READ_ONCE(d->ct_mark) != fp_ct_mark(flow->ct));
	}
}

static void fp_gc_work(struct work_struct *work)
{
	struct fp_net *fpn = container_of(to_delayed_work(work), struct fp_net, gc);
	unsigned long interval = msecs_to_jiffies(READ_ONCE(fpn->cfg.stats_interval));
	bool listeners = fp_nl_has_listeners(fpn);
	struct fp_gc_pass pass = {
		/*
		 * A packet stores the time it read at its start: one that
		 * read it before the previous pass began may store it after
		 * the pass saw the flow.
		 */
		.recent = fpn->gc_began - FP_GC_INTERVAL,
		.notify = listeners &&
			  time_after_eq(jiffies, fpn->stats_sent + interval),
		.verify = fp_verify_due(fpn),
	};

	/*
	 * A packet that crossed the ruleset before a change may still be on
	 * its way from the ingress hook to POST_ROUTING, one RCU read-side
	 * section: let it conclude its verification before this pass asks
	 * every direction for another, or its conclusion would stand.  (One
	 * that left it, to an NFQUEUE program, no longer verifies anything.)
	 */
	if (pass.verify)
		synchronize_rcu();
	fpn->gc_began = jiffies;
	fp_flow_walk(fpn, fp_gc_one, &pass);
	fp_nh_gc(fpn);
	if (pass.notify)
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
	if (err)
		goto err_table;
	err = fp_nh_table_init(fpn);
	if (err)
		goto err_by_ct;
	fpn->gc_began = jiffies;
	INIT_DELAYED_WORK(&fpn->gc, fp_gc_work);
	queue_delayed_work(system_power_efficient_wq, &fpn->gc, FP_GC_INTERVAL);
	return 0;

err_by_ct:
	rhashtable_destroy(&fpn->by_ct);
err_table:
	rhashtable_destroy(&fpn->table);
	return err;
}

void fp_flow_table_flush(struct fp_net *fpn)
{
	cancel_delayed_work_sync(&fpn->gc);
	fp_flow_flush(fpn, NULL, NULL, FASTPATH_DEL_REASON_SHUTDOWN);
}

void fp_flow_table_free(struct fp_net *fpn)
{
	fp_nh_table_destroy(fpn);
	rhashtable_destroy(&fpn->table);
	rhashtable_destroy(&fpn->by_ct);
	xa_destroy(&fpn->flows);
}
