// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: acceleration rules.
 *
 * Rules decide, when a connection direction is about to be learned,
 * whether it may take the fast path.  A netns's rules form one array sorted
 * by pref, read under RCU by the learning hooks.  Netlink requests, which
 * the genl mutex serialises, replace the whole array, evict the flows the
 * new rules no longer accelerate, and hook the devices as the new rules
 * need: no hook for traffic they bypass entirely (dev.c).
 */
#include <linux/inetdevice.h>
#include <linux/rtnetlink.h>
#include <net/ipv6.h>

#include "fastpath.h"

/* Bounds the copy on every change and the walk at every learning. */
#define FP_RULES_MAX	1024
/* Room between automatically numbered rules for later insertions. */
#define FP_PREF_STEP	10

/* Writers run under genl_mutex, which offers no lockdep check to modules. */
static struct fp_ruleset *fp_rules_deref(struct fp_net *fpn)
{
	return rcu_dereference_protected(fpn->rules, true);
}

bool fp_prefix_match(u8 family, const union nf_inet_addr *addr,
		     const union nf_inet_addr *prefix, u8 len)
{
	if (family == AF_INET)
		return !((addr->ip ^ prefix->ip) & inet_make_mask(len));
	return ipv6_prefix_equal(&addr->in6, &prefix->in6, len);
}

static bool fp_port_in(__be16 port, u16 min, u16 max)
{
	u16 p = ntohs(port);

	return p >= min && p <= max;
}

/* Does device name match pattern, exactly or up to its trailing '*'? */
static bool fp_ifname_match(const char *pattern, const char *name)
{
	size_t len = strnlen(pattern, IFNAMSIZ);

	if (len && pattern[len - 1] == '*')
		return !strncmp(pattern, name, len - 1);
	return !strncmp(pattern, name, IFNAMSIZ);
}

static bool fp_rule_match(const struct fp_rule *r,
			  const struct fp_rule_ctx *ctx)
{
	const struct fp_key *k = ctx->key;

	if (r->match & FP_RULE_IIF && !fp_ifname_match(r->iifname, ctx->iifname))
		return false;
	if (r->match & FP_RULE_OIF && !fp_ifname_match(r->oifname, ctx->oifname))
		return false;
	/* src and dst imply family (checked when the rule was added) */
	if (r->match & FP_RULE_FAMILY && k->family != r->family)
		return false;
	if (r->match & FP_RULE_SRC &&
	    !fp_prefix_match(k->family, &k->src, &r->src, r->src_len))
		return false;
	if (r->match & FP_RULE_DST &&
	    !fp_prefix_match(k->family, &k->dst, &r->dst, r->dst_len))
		return false;
	if (r->match & FP_RULE_PROTO && k->proto != r->proto)
		return false;
	if (r->match & FP_RULE_SPORT &&
	    !fp_port_in(k->sport, r->sport_min, r->sport_max))
		return false;
	if (r->match & FP_RULE_DPORT &&
	    !fp_port_in(k->dport, r->dport_min, r->dport_max))
		return false;
	if (r->match & FP_RULE_DSCP && ctx->dscp != r->dscp)
		return false;
	if (r->match & FP_RULE_MARK && (ctx->mark ^ r->mark) & r->mark_mask)
		return false;
	return true;
}

/* The first rule by pref matching ctx, or NULL. */
static struct fp_rule *fp_rules_lookup(const struct fp_ruleset *set,
				       const struct fp_rule_ctx *ctx)
{
	unsigned int i;

	for (i = 0; set && i < set->n; i++)
		if (fp_rule_match(set->rules[i], ctx))
			return set->rules[i];
	return NULL;
}

const struct fp_rule *fp_rules_match(struct fp_net *fpn,
				     const struct fp_rule_ctx *ctx)
{
	return fp_rules_lookup(rcu_dereference(fpn->rules), ctx);
}

const struct fp_rule *fp_rules_decide(struct fp_net *fpn,
				      const struct fp_rule_ctx *ctx)
{
	struct fp_rule *r = fp_rules_lookup(rcu_dereference(fpn->rules), ctx);

	/* Once per connection direction: learning remembers refusals. */
	if (r)
		atomic64_inc(&r->hits);
	return r;
}

/* May r match a packet of family received on a device named ifname? */
static bool fp_rule_may_match(const struct fp_rule *r, const char *ifname,
			      u8 family)
{
	if (r->match & FP_RULE_IIF && !fp_ifname_match(r->iifname, ifname))
		return false;
	return !(r->match & FP_RULE_FAMILY) || r->family == family;
}

/* Selectors of r that some packet it may match can fail. */
static u32 fp_rule_conditions(const struct fp_rule *r)
{
	u32 match = r->match & ~(FP_RULE_IIF | FP_RULE_FAMILY);

	/* A zero-length prefix matches every address of its family. */
	if (!r->src_len)
		match &= ~FP_RULE_SRC;
	if (!r->dst_len)
		match &= ~FP_RULE_DST;
	return match;
}

/*
 * Does set send every packet of family received on a device named ifname
 * to the slow path?  The first rule that may match one decides, unless it
 * bypasses only some: then the next, until one may accelerate.
 */
static bool fp_rules_bypass_all(const struct fp_ruleset *set,
				const char *ifname, u8 family)
{
	unsigned int i;

	for (i = 0; set && i < set->n; i++) {
		const struct fp_rule *r = set->rules[i];

		if (!fp_rule_may_match(r, ifname, family))
			continue;
		/* It may let some of them through. */
		if (r->action != FASTPATH_RULE_ACTION_BYPASS)
			return false;
		if (!fp_rule_conditions(r))
			return true;
	}
	return false;
}

u8 fp_rules_bypassed(struct fp_net *fpn, const char *ifname)
{
	const struct fp_ruleset *set;
	u8 bits = 0;

	rcu_read_lock();
	set = rcu_dereference(fpn->rules);
	if (fp_rules_bypass_all(set, ifname, AF_INET))
		bits |= FP_FAMILY_IPV4;
	if (fp_rules_bypass_all(set, ifname, AF_INET6))
		bits |= FP_FAMILY_IPV6;
	rcu_read_unlock();
	return bits;
}

/* Index of the first rule whose pref is not below pref. */
static unsigned int fp_rule_pos(const struct fp_ruleset *set, u32 pref)
{
	unsigned int lo = 0, hi = set ? set->n : 0;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (set->rules[mid]->pref < pref)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct fp_rule *fp_rule_find(const struct fp_ruleset *set, u32 pref)
{
	unsigned int pos = fp_rule_pos(set, pref);

	if (!set || pos == set->n || set->rules[pos]->pref != pref)
		return NULL;
	return set->rules[pos];
}

/* A new set of n rules, a later generation than old. */
static struct fp_ruleset *fp_ruleset_alloc(const struct fp_ruleset *old,
					   unsigned int n)
{
	struct fp_ruleset *set;

	set = kzalloc(struct_size(set, rules, n), GFP_KERNEL);
	if (!set)
		return NULL;
	set->gen = old ? old->gen + 1 : 1;
	set->n = n;
	return set;
}

/*
 * Does set send the offloaded direction d, with the metadata it was last
 * verified with, to the slow path?  RCU read side.
 */
static bool fp_dir_bypassed(struct fp_net *fpn, const struct fp_ruleset *set,
			    const struct fp_dir *d)
{
	struct fp_rule_ctx ctx = {
		.key = &d->key,
		.dscp = READ_ONCE(d->rx_dsfield) >> 2,
		.mark = fp_egress_mark(atomic64_read(&d->egress)),
	};
	const struct fp_rule *r;
	const struct fp_dev *in;

	/* The ingress device of an offloaded direction is enabled. */
	in = fp_dev_find(fpn, d->key.iif);
	ctx.iifname = in ? in->name : "";
	ctx.oifname = d->nh->dev->name;
	r = fp_rules_lookup(set, &ctx);
	return r && r->action == FASTPATH_RULE_ACTION_BYPASS;
}

bool fp_rules_bypass(struct fp_net *fpn, const struct fp_dir *d)
{
	return fp_dir_bypassed(fpn, rcu_dereference(fpn->rules), d);
}

/* Does the rule set send an offloaded direction of this flow to the slow path? */
struct fp_rules_eval {
	struct fp_net *fpn;
	const struct fp_ruleset *set;
};

static bool fp_flow_bypassed(const struct fp_flow *flow, const void *arg)
{
	const struct fp_rules_eval *eval = arg;
	int i;

	for (i = 0; i < IP_CT_DIR_MAX; i++)
		if (fp_dir_offloaded(&flow->dir[i]) &&
		    fp_dir_bypassed(eval->fpn, eval->set, &flow->dir[i]))
			return true;
	return false;
}

/*
 * Publish set, evict the flows it bypasses, then hook the devices as it
 * asks.  Returns the old set.
 */
static struct fp_ruleset *fp_rules_replace(struct fp_net *fpn,
					   struct fp_ruleset *set,
					   struct netlink_ext_ack *extack)
{
	struct fp_ruleset *old = rcu_replace_pointer(fpn->rules, set, true);

	/*
	 * Against fp_verify_dir(), which stores a direction's metadata and
	 * then reads the rules: one of the two sees the other's store.
	 */
	smp_mb();
	/*
	 * Refusals by the old rules are void, and learners that read them
	 * do not insert (fp_dir_offload): release orders the set before.
	 */
	spin_lock_bh(&fpn->lock);
	smp_store_release(&fpn->learn_gen, fpn->learn_gen + 1);
	spin_unlock_bh(&fpn->lock);
	if (set && set->n) {
		struct fp_rules_eval eval = { .fpn = fpn, .set = set };

		fp_flow_flush(fpn, fp_flow_bypassed, &eval,
			      FASTPATH_DEL_REASON_RULE);
	}
	rtnl_lock();
	fp_dev_rules_changed(fpn, extack);
	rtnl_unlock();
	return old;
}

/*
 * Insert rule (allocated by the caller, owned by the set on success).  A
 * zero pref means after the last rule.
 */
int fp_rule_add(struct fp_net *fpn, struct fp_rule *rule,
		struct netlink_ext_ack *extack)
{
	struct fp_ruleset *old = fp_rules_deref(fpn), *set;
	unsigned int n = old ? old->n : 0, pos;

	if (n >= FP_RULES_MAX) {
		NL_SET_ERR_MSG(extack, "too many rules");
		return -ENOSPC;
	}
	if (!rule->pref) {
		u32 last = n ? old->rules[n - 1]->pref : 0;

		if (last > U32_MAX - FP_PREF_STEP) {
			NL_SET_ERR_MSG(extack, "no pref left after the last rule");
			return -ERANGE;
		}
		rule->pref = last + FP_PREF_STEP;
	}
	pos = fp_rule_pos(old, rule->pref);
	if (pos < n && old->rules[pos]->pref == rule->pref)
		return -EEXIST;

	set = fp_ruleset_alloc(old, n + 1);
	if (!set)
		return -ENOMEM;
	if (old) {
		memcpy(set->rules, old->rules, pos * sizeof(*set->rules));
		memcpy(set->rules + pos + 1, old->rules + pos,
		       (n - pos) * sizeof(*set->rules));
	}
	set->rules[pos] = rule;
	old = fp_rules_replace(fpn, set, extack);
	kfree_rcu(old, rcu);
	return 0;
}

int fp_rule_del(struct fp_net *fpn, u32 pref, struct netlink_ext_ack *extack)
{
	struct fp_ruleset *old = fp_rules_deref(fpn), *set;
	struct fp_rule *rule = fp_rule_find(old, pref);
	unsigned int pos;

	if (!rule)
		return -ENOENT;
	set = fp_ruleset_alloc(old, old->n - 1);
	if (!set)
		return -ENOMEM;
	pos = fp_rule_pos(old, pref);
	memcpy(set->rules, old->rules, pos * sizeof(*set->rules));
	memcpy(set->rules + pos, old->rules + pos + 1,
	       (old->n - pos - 1) * sizeof(*set->rules));
	/* Deleting an accelerate rule can uncover a bypass rule. */
	old = fp_rules_replace(fpn, set, extack);
	kfree_rcu(old, rcu);
	kfree_rcu(rule, rcu);
	return 0;
}

/* Free a set no longer published, and its rules. */
static void fp_ruleset_free(struct fp_ruleset *set)
{
	unsigned int i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++)
		kfree_rcu(set->rules[i], rcu);
	kfree_rcu(set, rcu);
}

int fp_rules_flush(struct fp_net *fpn, struct netlink_ext_ack *extack)
{
	struct fp_ruleset *set = fp_ruleset_alloc(fp_rules_deref(fpn), 0);

	/* An empty set rather than none keeps the generation moving. */
	if (!set)
		return -ENOMEM;
	fp_ruleset_free(fp_rules_replace(fpn, set, extack));
	return 0;
}

/* netns exit: no learning or netlink request can reach fpn any more. */
void fp_rules_free(struct fp_net *fpn)
{
	fp_ruleset_free(rcu_replace_pointer(fpn->rules, NULL, true));
}
