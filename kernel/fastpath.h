/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastpath: internal declarations shared by the module's files.
 *
 * A flow is one conntrack entry with two directions.  Each learned
 * direction sits in the per-netns hash keyed by what the ingress hook sees
 * (ingress ifindex + 5-tuple) and carries everything needed to transmit
 * without routing, netfilter or the neighbour layer.
 *
 * Locking: the flow table is written under fp_net.lock and read under RCU;
 * flows are freed after a grace period.  The device list is written under
 * RTNL and read under RCU.  Rules are written under the genl mutex.
 */
#ifndef _FASTPATH_H
#define _FASTPATH_H

#include <linux/if_ether.h>
#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/rhashtable.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netns/generic.h>
#include <linux/fastpath.h>

/* Kernel version differences, all here. */
#if __has_include(<net/gso.h>)	/* 6.5: GSO helpers left skbuff.h */
#include <net/gso.h>
#endif

/* Packets left to the normal stack, indexed like the exceptions attr set. */
enum fp_exception {
	FP_EXC_NO_FLOW,
	FP_EXC_UNSUPPORTED,
	FP_EXC_TTL,
	FP_EXC_MTU,
	FP_EXC_IP_OPTIONS,
	FP_EXC_FRAGMENT,
	FP_EXC_EXT_HEADER,
	FP_EXC_TCP_FLAGS,
	FP_EXC_BAD_HEADER,
	FP_EXC_DEV_DOWN,
	FP_EXC_STALE,
	FP_EXC_NOT_UNICAST,
	FP_EXC_TABLE_FULL,
	FP_EXC_COUNT
};

static_assert((int)FP_EXC_COUNT ==
	      FASTPATH_A_EXCEPTIONS_PAD - FASTPATH_A_EXCEPTIONS_NO_FLOW);

/* Per-CPU counters of a netns (global) or of an enabled device. */
struct fp_pcpu_stats {
	struct u64_stats_sync syncp;
	u64_stats_t fast_packets;	/* netns: forwarded; dev: received */
	u64_stats_t fast_bytes;
	u64_stats_t tx_packets;		/* dev only: fast-path transmits */
	u64_stats_t tx_bytes;
	u64_stats_t slow_packets;
	u64_stats_t exc[FP_EXC_COUNT];	/* netns only */
};

/* Summed snapshot of fp_pcpu_stats. */
struct fp_stats {
	u64 fast_packets, fast_bytes;
	u64 tx_packets, tx_bytes;
	u64 slow_packets;
	u64 exc[FP_EXC_COUNT];
};

/* What the ingress hook matches a packet on.  Padding must be zero. */
struct fp_key {
	union nf_inet_addr src;
	union nf_inet_addr dst;
	__be16 sport;
	__be16 dport;
	int iif;		/* 0 while the direction is not offloaded */
	u8 family;		/* AF_INET or AF_INET6 */
	u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	u8 pad[2];
};

/* What the data plane rewrites (fp_dir.nat). */
#define FP_NAT_SADDR	BIT(0)
#define FP_NAT_DADDR	BIT(1)
#define FP_NAT_SPORT	BIT(2)
#define FP_NAT_DPORT	BIT(3)

/*
 * One direction of a flow.  The fields a packet needs come first.  The
 * tuple fields (key, x*, nat) are set for both directions when the flow is
 * created; the rest only once the direction is offloaded.  Packed without
 * holes: with the flow around them it stays within 256 bytes a direction.
 */
struct fp_dir {
	struct rhash_head node;
	struct fp_key key;		/* as received */
	union nf_inet_addr xsrc;	/* as transmitted */
	union nf_inet_addr xdst;
	__be16 xsport;
	__be16 xdport;
	u8 offloaded;			/* in the hash, taking the fast path */
	u8 nat;				/* FP_NAT_* */
	u8 index;			/* in fp_flow.dir[] */
	u8 killed;			/* flow->kill_reason set: hands off */
	u8 eth[ETH_HLEN];		/* cached Ethernet header */
	u16 mtu;			/* longer packets go to the stack */
	u32 dst_cookie;
	struct net_device *out;		/* flows are removed before it goes */
	struct dst_entry *dst;		/* held: route validity */
	/* out device's counters if it is enabled; freed after its flows */
	struct fp_pcpu_stats __percpu *out_stats;
	atomic64_t packets;
	atomic64_t bytes;
	unsigned long last_used;	/* jiffies */
	union nf_inet_addr nexthop;	/* neighbour the MAC came from */
};

enum fp_flow_flags {
	FP_FLOW_DEAD,		/* unlinked, waiting for RCU */
};

struct fp_flow {
	struct fp_dir dir[IP_CT_DIR_MAX];
	struct nf_conn *ct;		/* held */
	unsigned long flags;
	u8 kill_reason;			/* enum fastpath_del_reason, for the GC */
	u8 family;
	u8 proto;
	u8 dscp;			/* DSCP and skb mark seen when learned, */
	u32 mark;			/* for rule re-evaluation */
	u32 id;				/* index in fp_net.flows */
	struct rhash_head ct_node;	/* fp_net.by_ct */
	unsigned long created;		/* jiffies */
	u64 synced_packets[IP_CT_DIR_MAX];	/* already added to ct acct */
	u64 synced_bytes[IP_CT_DIR_MAX];
	u64 notified_packets;		/* for FLOW_STATS_NTF */
	struct rcu_head rcu;
};

struct fp_config {
	u32 flow_limit;
	u32 tcp_timeout;	/* seconds */
	u32 udp_timeout;	/* seconds */
	u32 stats_interval;	/* milliseconds */
};

struct fp_net;

/* An enabled device. */
struct fp_dev {
	struct list_head list;		/* fp_net.devs, RTNL; RCU readers */
	struct net_device *dev;
	struct fp_net *fpn;
	netdevice_tracker tracker;
	struct nf_hook_ops ops;
	struct fp_pcpu_stats __percpu *stats;
	struct rcu_head rcu;
};

struct fp_ruleset;

/* Per network namespace state. */
struct fp_net {
	struct net *net;
	struct rhashtable table;	/* fp_dir by fp_key */
	struct rhashtable by_ct;	/* fp_flow by conntrack entry */
	struct xarray flows;		/* fp_flow by id: dump order */
	u32 next_id;
	spinlock_t lock;		/* table, by_ct and xarray writers */
	atomic_t nflows;
	u32 gen;			/* bumped on add/remove: dump consistency */
	struct fp_pcpu_stats __percpu *stats;
	atomic64_t flows_learned;
	atomic64_t flows_removed;
	struct fp_config cfg;		/* written under genl mutex, READ_ONCE */
	struct list_head devs;		/* struct fp_dev */
	struct fp_ruleset __rcu *rules;
	struct delayed_work gc;
	unsigned long stats_sent;	/* jiffies of the last FLOW_STATS_NTF round */
};

/* Rule match context: one direction as received, plus learning-time facts. */
struct fp_rule_ctx {
	const struct fp_key *key;
	int oif;
	u8 dscp;
	u32 mark;
};

/* main.c */
extern unsigned int fp_net_id;
extern unsigned int fp_max_flows;

static inline struct fp_net *fp_pernet(const struct net *net)
{
	return net_generic(net, fp_net_id);
}

/* Counts one exception (or table-full refusal) on the current CPU. */
void fp_stats_inc(struct fp_pcpu_stats __percpu *stats, enum fp_exception exc);
void fp_stats_read(struct fp_pcpu_stats __percpu *stats, struct fp_stats *out);

/* flow.c */
int fp_flow_cache_init(void);
void fp_flow_cache_exit(void);
int fp_flow_table_init(struct fp_net *fpn);
/* Removes every flow (reason shutdown) and frees the table. */
void fp_flow_table_destroy(struct fp_net *fpn);
/* RCU read side.  A direction whose received tuple is key (iif included). */
struct fp_dir *fp_flow_lookup(struct fp_net *fpn, const struct fp_key *key);
/*
 * RCU read side.  The flow one of whose directions has this received tuple,
 * whatever its iif (key->iif ignored); NULL if none.
 */
struct fp_flow *fp_flow_find_tuple(struct fp_net *fpn, const struct fp_key *key_any_iif);
/*
 * RCU read side.  The flow with the lowest id >= *id, which is stored in
 * *id; NULL after the last one.  Continue with *id + 1.
 */
struct fp_flow *fp_flow_next(struct fp_net *fpn, unsigned long *id);
typedef bool (*fp_flow_match_t)(const struct fp_flow *flow, const void *arg);
/*
 * Removes the flows match() accepts (all with a NULL match) and returns
 * how many.  Any context; match runs under RCU.
 */
unsigned int fp_flow_flush(struct fp_net *fpn, fp_flow_match_t match,
			   const void *arg, enum fastpath_del_reason reason);
/* Fills the tuple fields of d from direction dir of ct (key.iif = 0). */
void fp_dir_set_tuple(struct fp_dir *d, const struct nf_conn *ct,
		      enum ip_conntrack_dir dir);
/* Offloads direction dir of ct as described by tmpl (learn.c). */
int fp_flow_add(struct fp_net *fpn, struct nf_conn *ct,
		enum ip_conntrack_dir dir, const struct fp_dir *tmpl,
		u32 mark, u8 dscp);
/* Packet path: hands the flow to the GC for removal with this reason. */
void fp_flow_kill(struct fp_net *fpn, struct fp_flow *flow,
		  enum fastpath_del_reason reason);
/* Bytes held by the flow table (flows and hash buckets). */
size_t fp_flow_memory(struct fp_net *fpn);
static inline struct fp_flow *fp_dir_flow(const struct fp_dir *d, int dir)
{
	return container_of(d, struct fp_flow, dir[dir]);
}

/* learn.c: netfilter POST_ROUTING hooks of one netns */
int fp_learn_init(struct net *net);
void fp_learn_exit(struct net *net);

/* dataplane.c, ipv4.c, ipv6.c: the netdev ingress hook */
unsigned int fp_ingress(void *priv, struct sk_buff *skb,
			const struct nf_hook_state *state);
unsigned int fp_ipv4_rx(struct fp_net *fpn, struct fp_dev *fpd,
			struct sk_buff *skb);
unsigned int fp_ipv6_rx(struct fp_net *fpn, struct fp_dev *fpd,
			struct sk_buff *skb);
unsigned int fp_exception(struct fp_net *fpn, struct fp_dev *fpd,
			  enum fp_exception exc);
struct fp_dir *fp_rx_flow(struct fp_net *fpn, struct sk_buff *skb,
			  struct fp_key *key, unsigned int thoff,
			  unsigned int ttl, unsigned int len,
			  enum fp_exception *exc);
void fp_l4_nat(struct sk_buff *skb, const struct fp_dir *d,
	       unsigned int thoff);
unsigned int fp_xmit(struct fp_net *fpn, struct fp_dev *fpd,
		     struct fp_dir *d, struct sk_buff *skb, unsigned int len);

/* dev.c: callers of enable/disable/disable_all hold RTNL */
int fp_dev_enable(struct fp_net *fpn, struct net_device *dev,
		  struct netlink_ext_ack *extack);
int fp_dev_disable(struct fp_net *fpn, struct net_device *dev,
		   struct netlink_ext_ack *extack);
/* RTNL or RCU read side. */
struct fp_dev *fp_dev_find(struct fp_net *fpn, int ifindex);
void fp_dev_disable_all(struct fp_net *fpn);
int fp_dev_notifiers_init(void);
void fp_dev_notifiers_exit(void);

/* rules.c */

/* Fields a rule matches on (fp_rule.match). */
#define FP_RULE_IIF	BIT(0)
#define FP_RULE_OIF	BIT(1)
#define FP_RULE_FAMILY	BIT(2)
#define FP_RULE_SRC	BIT(3)
#define FP_RULE_DST	BIT(4)
#define FP_RULE_PROTO	BIT(5)
#define FP_RULE_SPORT	BIT(6)
#define FP_RULE_DPORT	BIT(7)
#define FP_RULE_DSCP	BIT(8)
#define FP_RULE_MARK	BIT(9)

struct fp_rule {
	u32 pref;
	u32 action;			/* enum fastpath_rule_action */
	u32 match;			/* FP_RULE_* */
	u32 iif;
	u32 oif;
	union nf_inet_addr src;
	union nf_inet_addr dst;
	u8 family;
	u8 src_len;
	u8 dst_len;
	u8 proto;
	u8 dscp;
	u16 sport_min, sport_max;	/* host byte order, inclusive */
	u16 dport_min, dport_max;
	u32 mark;
	u32 mark_mask;
	atomic64_t hits;
	struct rcu_head rcu;
};

/* Immutable once published: writers (genl_mutex) replace the whole set. */
struct fp_ruleset {
	struct rcu_head rcu;
	u32 gen;			/* dump consistency */
	unsigned int n;
	struct fp_rule *rules[];	/* sorted by pref */
};

bool fp_prefix_match(u8 family, const union nf_inet_addr *addr,
		     const union nf_inet_addr *prefix, u8 len);
bool fp_rules_accelerate(struct fp_net *fpn, const struct fp_rule_ctx *ctx);
struct fp_rule *fp_rule_find(const struct fp_ruleset *set, u32 pref);
int fp_rule_add(struct fp_net *fpn, struct fp_rule *rule,
		struct netlink_ext_ack *extack);
int fp_rule_del(struct fp_net *fpn, u32 pref);
int fp_rules_flush(struct fp_net *fpn);
void fp_rules_free(struct fp_net *fpn);

/* netlink.c */
int fp_netlink_init(void);
void fp_netlink_exit(void);
bool fp_nl_has_listeners(struct fp_net *fpn);
void fp_nl_flow_event(struct fp_net *fpn, const struct fp_flow *flow, u8 cmd,
		      enum fastpath_del_reason reason);

#endif /* _FASTPATH_H */
