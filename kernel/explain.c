// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: why a connection is, or is not, on the fast path.
 *
 * Computed on request, from conntrack's entry, the flow table and the
 * routes and devices as they are now: nothing on the packet path pays for
 * it.  A direction that learning has seen carries its own answer (its
 * state, or the refusal it remembers); for one it has not seen, the same
 * checks learning would make are made here, in the same order as far as
 * they can be without a packet.
 */
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_zones.h>

#include "fastpath.h"

/* The route the stack would take to addr: its device and whether local. */
static int fp_explain_route(struct net *net, u8 family,
			    const union nf_inet_addr *addr, int *ifindex,
			    bool *local, enum fastpath_why *route_why)
{
	struct dst_entry *dst;

	if (family == AF_INET) {
		struct flowi4 fl4 = { .daddr = addr->ip };
		/* The key as asked: the lookup fills in a source. */
		struct flowi4 key = { .daddr = addr->ip,
				      .flowi4_iif = LOOPBACK_IFINDEX };
		struct rtable *rt = ip_route_output_key(net, &fl4);

		if (IS_ERR(rt))
			return PTR_ERR(rt);
		*local = rt->rt_type == RTN_LOCAL;
		dst = &rt->dst;
		*route_why = fp_ipv4_route_group_why(net, &key, rt);
	} else {
		struct flowi6 fl6 = { .daddr = addr->in6 };

		dst = ip6_route_output(net, NULL, &fl6);
		if (dst->error) {
			int err = dst->error;

			dst_release(dst);
			return err;
		}
		*local = dst->dev->flags & IFF_LOOPBACK;
		*route_why = fp_ipv6_route_group_why(container_of(dst,
						struct rt6_info, dst));
	}
	*ifindex = dst->dev->ifindex;
	/* In learning's order: the route, its next hops, the device. */
	if (*local)
		*route_why = 0;
	else
		*route_why = fp_route_why(dst) ?: *route_why ?: fp_out_why(dst->dev);
	dst_release(dst);
	return 0;
}

/*
 * A direction learning has not decided on: where its packets come from
 * (the route back to its sender) and go to (the route to its receiver,
 * after NAT), and what the rules say.
 */
static void fp_explain_path(struct fp_net *fpn, const struct fp_dir *t,
			    struct fp_explain_dir *ex)
{
	enum fastpath_why in_why, out_why;
	struct fp_rule_ctx ctx = {
		.key = &t->key,
	};
	const struct fp_rule *rule;
	bool in_local, out_local;
	struct net_device *out;
	struct fp_dev *in;

	if (fp_explain_route(fpn->net, t->key.family, &t->key.src, &ex->iif,
			     &in_local, &in_why) ||
	    fp_explain_route(fpn->net, t->key.family, &t->xdst, &ex->oif,
			     &out_local, &out_why)) {
		ex->why = FASTPATH_WHY_ROUTE;
		return;
	}
	if (in_local || out_local) {
		ex->why = FASTPATH_WHY_LOCAL;
		return;
	}
	rcu_read_lock();
	in = fp_dev_find(fpn, ex->iif);
	out = dev_get_by_index_rcu(fpn->net, ex->oif);
	if (!in) {
		ex->why = FASTPATH_WHY_IIF_DISABLED;
	} else if (out && fp_sends_redirects(ex->iif, out, t->key.family)) {
		/* Learning refuses it before the rules, as here. */
		ex->why = FASTPATH_WHY_REDIRECT;
	} else {
		ctx.iifname = in->name;
		ctx.oifname = out ? out->name : "";
		rule = fp_rules_match(fpn, &ctx);
		if (rule && rule->action == FASTPATH_RULE_ACTION_BYPASS) {
			ex->why = FASTPATH_WHY_RULE;
			ex->detail = rule->pref;
		} else {
			ex->why = out_why ?: FASTPATH_WHY_NOT_SEEN;
		}
	}
	rcu_read_unlock();
}

bool fp_explain_learned(const struct fp_dir *d, struct fp_explain_dir *ex)
{
	static const u8 hold_why[] = {
		[FP_HOLD_NONE] = FASTPATH_WHY_OFFLOADED,
		[FP_HOLD_VERIFY] = FASTPATH_WHY_VERIFYING,
		[FP_HOLD_REJECTED] = FASTPATH_WHY_VERIFY,
		[FP_HOLD_KILLED] = FASTPATH_WHY_REMOVING,
		[FP_HOLD_VERIFYING] = FASTPATH_WHY_VERIFYING,
	};
	u32 hold;

	/* Acquire: nh and the rest were published before the state. */
	switch (smp_load_acquire(&d->state)) {
	case FP_DIR_OFFLOADED:
		ex->iif = d->key.iif;
		ex->oif = d->nh->dev->ifindex;
		hold = READ_ONCE(d->hold);
		ex->why = hold_why[hold];
		/* One packet to be sampled does not take a flow off the fast path. */
		ex->offloaded = hold == FP_HOLD_NONE ||
				((hold == FP_HOLD_VERIFY ||
				  hold == FP_HOLD_VERIFYING) &&
				 READ_ONCE(d->verified));
		if (hold == FP_HOLD_REJECTED)
			ex->detail = READ_ONCE(d->why_detail);
		return true;
	case FP_DIR_REFUSED:
		/* Where learning saw it: a device of an L3 master may be why. */
		ex->iif = READ_ONCE(d->key.iif);
		ex->why = READ_ONCE(d->why);
		ex->detail = READ_ONCE(d->why_detail);
		return true;
	}
	return false;
}

int fp_explain(struct fp_net *fpn, const struct fp_key *key, u16 zone_id,
	       struct fp_explain *ex, struct netlink_ext_ack *extack)
{
	struct nf_conntrack_tuple tuple = fp_key_ct_tuple(key);
	struct nf_conntrack_tuple_hash *h;
	struct nf_conntrack_zone zone;
	enum fastpath_why ct_why;
	struct fp_flow *flow;
	struct nf_conn *ct;
	int i;

	nf_ct_zone_init(&zone, zone_id, NF_CT_DEFAULT_ZONE_DIR, 0);
	h = nf_conntrack_find_get(fpn->net, &zone, &tuple);
	if (!h) {
		NL_SET_ERR_MSG(extack, "conntrack has no connection with this tuple");
		return -ENOENT;
	}
	ct = nf_ct_tuplehash_to_ctrack(h);
	memset(ex, 0, sizeof(*ex));
	ex->ct_id = nf_ct_get_id(ct);
	ct_why = fp_ct_why(ct);

	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		fp_dir_set_tuple(&ex->tuple[i], ct, i);
		rcu_read_lock();
		flow = fp_flow_find_ct(fpn, ct);
		if (flow && fp_explain_learned(&flow->dir[i], &ex->dir[i])) {
			rcu_read_unlock();
			continue;
		}
		rcu_read_unlock();
		if (ct_why)
			ex->dir[i].why = ct_why;
		else
			fp_explain_path(fpn, &ex->tuple[i], &ex->dir[i]);
	}
	nf_ct_put(ct);
	return 0;
}
