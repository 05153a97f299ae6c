/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fastpath: internal declarations shared by the module's files.
 *
 * A flow is one conntrack entry with two directions.  Each offloaded
 * direction sits in the per-netns hash keyed by what the ingress hook sees
 * (ingress ifindex + 5-tuple) and carries everything needed to transmit
 * without routing, netfilter or the neighbour layer; its link-layer header
 * comes from a next hop (struct fp_nh) shared by every direction that
 * leaves through the same neighbour.
 *
 * Locking: fp_net.lock serialises every writer of the flow table, the
 * next-hop table and the enabled devices' attachment state; the packet
 * path only reads, under RCU.  The device list is also written under RTNL.
 * Rules are written under the genl mutex.  Flows and next hops are freed
 * after a grace period.
 */
#ifndef _FASTPATH_H
#define _FASTPATH_H

#include <linux/etherdevice.h>
#include <linux/hash.h>
#include <linux/if_ether.h>
#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/refcount.h>
#include <linux/rhashtable.h>
#include <linux/seqlock.h>
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
#if __has_include(<linux/unaligned.h>)	/* 6.12: out of asm/ */
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif
#ifdef CONFIG_NET_XGRESS		/* 6.6: tcx replaced the mini qdiscs */
#define fp_tc_ingress(dev)	rcu_access_pointer((dev)->tcx_ingress)
#define fp_tc_egress(dev)	rcu_access_pointer((dev)->tcx_egress)
#elif defined(CONFIG_NET_CLS_ACT)
#define fp_tc_ingress(dev)	rcu_access_pointer((dev)->miniq_ingress)
#define fp_tc_egress(dev)	rcu_access_pointer((dev)->miniq_egress)
#else
#define fp_tc_ingress(dev)	NULL
#define fp_tc_egress(dev)	NULL
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
	FP_EXC_VERIFY,
	FP_EXC_MISMATCH,
	FP_EXC_BIG_PACKET,
	FP_EXC_COUNT,
	/* Not counted at all: the rules leave the family to the stack. */
	FP_EXC_BYPASSED = FP_EXC_COUNT + 1,
};

static_assert((int)FP_EXC_COUNT ==
	      FASTPATH_A_EXCEPTIONS_PAD - FASTPATH_A_EXCEPTIONS_NO_FLOW);

/* Per-CPU counters of a netns (global) or of an enabled device. */
struct fp_pcpu_stats {
	struct u64_stats_sync syncp;
	u64_stats_t fast_packets;	/* dev: received on the fast path */
	u64_stats_t fast_bytes;
	u64_stats_t tx_packets;		/* dev: fast-path transmits */
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
	int iif;		/* 0 until learning first decides on it */
	u8 family;		/* AF_INET or AF_INET6 */
	u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	u8 pad[2];
};

/* What the data plane rewrites (fp_dir.nat). */
#define FP_NAT_SADDR	BIT(0)
#define FP_NAT_DADDR	BIT(1)
#define FP_NAT_SPORT	BIT(2)
#define FP_NAT_DPORT	BIT(3)

/* Where a direction stands (fp_dir.state); changes under fp_net.lock. */
enum fp_dir_state {
	FP_DIR_NEW,		/* its tuple only: learning has not decided */
	FP_DIR_REFUSED,		/* learning said no (why) until retry_at;
				 * in the table too, unless an offloaded
				 * direction holds its key */
	FP_DIR_OFFLOADED,	/* in the table, transmit state valid */
};

/* How long a refusal or rejection is trusted before learning looks again. */
#define FP_REFUSAL_TTL	(10 * HZ)

/*
 * Why the data plane must leave a direction's packets to the stack
 * (fp_dir.hold), read by every packet: zero means forward.  KILLED is
 * final; the other changes are cmpxchg()es from the state they expect.
 * A verification claims VERIFY as VERIFYING before it writes what it
 * adopts, so that two CPUs verifying one direction at once cannot mix
 * two packets' mark and priority.
 */
enum fp_hold {
	FP_HOLD_NONE,
	FP_HOLD_VERIFY,		/* the next packet goes to be verified */
	FP_HOLD_REJECTED,	/* verification found a difference (why) */
	FP_HOLD_KILLED,		/* the flow is on its way out */
	FP_HOLD_VERIFYING,	/* one CPU is concluding a verification */
};

struct fp_nh;
struct iphdr;
struct ipv6hdr;

/*
 * One direction of a flow, three cache lines of its own: the packet path
 * reads the first two (lookup, then rewrite and transmit state) and
 * writes the third, which holds what else it reads (the first is written
 * only on events: learning, refusal, verification, kill), so the two
 * directions of a flow, often handled by two CPUs, never share a line.
 * A packet of a refused direction reads the first line only (and its
 * flow's conntrack pointer), as it finds the direction, to learn that it
 * goes to the stack.  The tuple fields (key, x*, nat) are set for both
 * directions when the flow is created; the transmit state (nh, dst, mtu)
 * once the direction is offloaded, and dst (with dst_cookie) again by the
 * verification that holds it when its route went stale.
 */
struct fp_dir {
	/* lookup, and whether the direction is offloaded or refused */
	struct rhash_head node;
	struct fp_key key;		/* as received */
	u32 hold;			/* enum fp_hold */
	u32 retry_at;			/* jiffies: refused or rejected until */
	u8 state;			/* enum fp_dir_state */
	u8 why_gen;			/* fp_net.learn_gen when refused */
	u8 index;			/* in fp_flow.dir[] */
	u8 nat;				/* FP_NAT_* */
	/* rewrite and transmit */
	union nf_inet_addr xsrc ____cacheline_aligned;	/* as transmitted */
	union nf_inet_addr xdst;
	__be16 xsport;
	__be16 xdport;
	u32 dst_cookie;
	struct fp_nh *nh;		/* held */
	struct dst_entry *dst;		/* held: route validity */
	atomic64_t egress;		/* mark and priority the stack gave
					 * verified packets: fp_egress() */
	/*
	 * Written by packets; then the GC's and learning's side.  The CPU
	 * that offloaded the direction, the one its packets normally arrive
	 * on (RSS, RPS), counts them without a locked operation; packets on
	 * any other CPU are counted with atomics.  fp_dir_counters() adds up.
	 */
	u64_stats_t packets ____cacheline_aligned;	/* by CPU owner */
	u64_stats_t bytes;
	struct u64_stats_sync syncp;
	atomic64_t stray_packets;	/* by other CPUs */
	atomic64_t stray_bytes;
	u32 last_used;			/* jiffies, low 32 bits: fp_dir_idle() */
	u32 why_detail;
	u32 ct_mark;			/* conntrack's mark when verified */
	/* What packets arrived with when verified (priority: a VLAN's map) */
	u32 rx_mark;
	u32 rx_priority;
	__be32 rx_flowlabel;		/* IPv6 */
	u8 rx_dsfield;			/* DSCP, ECN masked */
	u8 why;				/* enum fastpath_why */
	u16 mtu;			/* longer packets go to the stack */
	u8 verified;			/* verification passed once */
	u8 acct;			/* add packets to conntrack's counters */
	u16 owner;			/* CPU */
};

enum fp_flow_flags {
	FP_FLOW_DEAD,		/* unlinked, waiting for RCU */
	FP_FLOW_KILLED,		/* stopped: kill_reason set, being removed */
	/*
	 * + direction index.  STALE_RX: a packet of the direction came on
	 * its route gone stale, to be verified, and since then the direction
	 * took no route, the stack forwarded none of its packets the way the
	 * direction does, and no GC pass found its route valid.  STALE_SEEN:
	 * a GC pass found STALE_RX (and cleared it).  With both, the GC
	 * removes a flow whose direction had no fast packet for a while
	 * (fp_flow_expired()).
	 */
	FP_FLOW_STALE_RX,
	FP_FLOW_STALE_RX_LAST = FP_FLOW_STALE_RX + IP_CT_DIR_MAX - 1,
	FP_FLOW_STALE_SEEN,
	FP_FLOW_STALE_SEEN_LAST = FP_FLOW_STALE_SEEN + IP_CT_DIR_MAX - 1,
	/* + direction index: in fp_net.table (fp_net.lock) */
	FP_FLOW_LINKED,
	FP_FLOW_LINKED_LAST = FP_FLOW_LINKED + IP_CT_DIR_MAX - 1,
};

struct fp_flow {
	struct fp_dir dir[IP_CT_DIR_MAX];
	struct nf_conn *ct;		/* held */
	unsigned long flags;
	u8 kill_reason;			/* enum fastpath_del_reason, for the GC */
	u8 family;
	u8 proto;
	u8 offloaded;			/* directions offloaded */
	u32 id;				/* index in fp_net.flows */
	struct rhash_head ct_node;	/* fp_net.by_ct */
	unsigned long created;		/* jiffies */
	u32 notified_packets;		/* for FLOW_STATS_NTF, low 32 bits */
	/*
	 * Per direction (by index): the bridge port (l2.c) its packets were
	 * last seen arriving on by the bridge (low byte, 0: none), and a tag
	 * of when and from which source (fp_port_tag()).  Written whole by
	 * packets that came through the bridge and were forwarded by the
	 * bridge's hook.
	 */
	u16 port[IP_CT_DIR_MAX];
	struct rcu_head rcu;
};

/*
 * Idle times, in 32 bits of jiffies: the GC brings one that passes 1.5
 * times FP_IDLE_MAX back to FP_IDLE_MAX (fp_dir_bound_idle()), over every
 * timeout and far from the wrap.  The top FP_IDLE_AHEAD of the range are
 * negative: a packet on another CPU stored a jiffies newer than the one
 * the reader had read (by a tick, or by a preemption of the reader, for
 * up to a minute).
 */
#define FP_IDLE_MAX	(1U << 30)
#define FP_IDLE_AHEAD	(60U * HZ)
static_assert((u64)FASTPATH_TIMEOUT_MAX * HZ < FP_IDLE_MAX);

/* Jiffies since d's last packet. */
static inline u32 fp_dir_idle(const struct fp_dir *d)
{
	u32 idle = (u32)jiffies - READ_ONCE(d->last_used);

	return idle >= -FP_IDLE_AHEAD ? 0 : idle;
}

/* A direction's published state: pairs with the release in flow.c. */
static inline bool fp_dir_offloaded(const struct fp_dir *d)
{
	return smp_load_acquire(&d->state) == FP_DIR_OFFLOADED;
}

/*
 * How packets routed out of a device leave (l2.c, fp_l2.mode).  DIRECT: the whole
 * header of the device stack under the routed device (VLAN tags, PPPoE
 * session, bridge port) is pushed and the packet sent on the lowest
 * device.  UPPER: the routed device's own header, sent on it, for stacks
 * whose upper devices do something the fast path would skip (a qdisc, tc
 * or netfilter egress, VLAN QoS maps, bridge netfilter, PPP compression).
 */
/* Ethernet, one in-band VLAN tag, PPPoE session and PPP headers: 26. */
#define FP_L2_MAX	32

struct fp_l2 {
	struct net_device *dev;		/* transmitted on */
	__be16 protocol;		/* skb->protocol: first in-band type */
	__be16 vlan_proto;		/* outermost tag, out of band; 0: none */
	u16 vlan_tci;
	u16 mtu;			/* longest IP packet dev carries */
	u8 hlen;			/* bytes of hdr pushed */
	u8 pppoe_len;			/* PPPoE length field offset, 0: none */
	u8 mode;			/* enum fastpath_xmit_mode */
	u8 room;			/* headroom to transmit: fp_l2_resolve() */
	u8 hdr[FP_L2_MAX];
};

/*
 * A next hop: the link-layer header that the stack would put in front of
 * a packet routed out of a device to a gateway (or on-link destination),
 * and the device it leaves on, shared by every direction that uses it.
 * The neighbour notifier rewrites it in place when the neighbour's address
 * changes, and kills it when the neighbour fails or goes away: a fresh
 * one is then created by the next learning.  Device events and the GC
 * resolve the device stack under it again (an FDB entry moved).  A PPP
 * device has no neighbour: its next hop has a zero address.
 */
struct fp_nh_key {
	union nf_inet_addr addr;
	int ifindex;			/* the routed egress device */
	u8 family;
	u8 pad[3];
};

/*
 * Bridge FDB changes are tracked per slot of link-layer addresses, so that
 * a host sending from ever new addresses only disturbs the traffic of the
 * addresses in the same slots; the hash is keyed per netns, so that no
 * host can aim at another's slot.
 */
#define FP_FDB_SLOT_BITS	8
#define FP_FDB_SLOTS		(1 << FP_FDB_SLOT_BITS)

struct fp_nh {
	struct rhash_head node;		/* fp_net.nh_table, until dead */
	struct list_head list;		/* fp_net.nhs, until dead */
	struct fp_nh_key key;
	struct net_device *dev;		/* flows are removed before it goes */
	seqcount_spinlock_t seq;	/* l2 against fp_net.lock writers */
	u8 dead;			/* neighbour failed: flows must go */
	u8 used;			/* GC: a flow moved traffic this round */
	struct fp_l2 l2;
	/* the egress device's counters while it is enabled */
	struct fp_pcpu_stats __percpu __rcu *tx_stats;
	refcount_t ref;
	struct fp_net *fpn;
	struct rcu_head rcu;
};

struct fp_config {
	u32 flow_limit;
	u32 tcp_timeout;	/* seconds */
	u32 udp_timeout;	/* seconds */
	u32 stats_interval;	/* milliseconds */
	u32 verify_interval;	/* seconds, 0: only after changes */
};

struct fp_net;

/*
 * The PPPoE session a PPP device runs over, while it is connected: its
 * session frames are matched on the device below (the Ethernet or VLAN
 * device the session was set up on), before the PPPoE socket and the
 * second pass through the backlog.  A session on a VLAN device of an
 * Ethernet device is matched on the Ethernet device, by its tag, before
 * the VLAN device's receive round too.  Constant while the hook is
 * registered.
 */
struct fp_pppoe {
	struct net_device *lower;	/* held, hooked; NULL: no session hook */
	netdevice_tracker tracker;
	struct net_device *vlan;	/* held; the session's, lower's upper */
	netdevice_tracker vlan_tracker;
	struct nf_hook_ops ops;
	__be16 vlan_proto;
	u16 vid;
	__be16 sid;
	u8 remote[ETH_ALEN];		/* the access concentrator */
	u8 compressed;			/* compression seen: UPPER only */
};

/* Address families as bits (fp_dev.bypassed, fp_net.learning). */
#define FP_FAMILY_IPV4	FASTPATH_FAMILIES_IPV4
#define FP_FAMILY_IPV6	FASTPATH_FAMILIES_IPV6
#define FP_FAMILIES	(FP_FAMILY_IPV4 | FP_FAMILY_IPV6)

/* family: AF_INET or AF_INET6, or the NFPROTO_ of the same value. */
static inline u8 fp_family_bit(u8 family)
{
	return family == AF_INET ? FP_FAMILY_IPV4 : FP_FAMILY_IPV6;
}

/*
 * A device enabled by name.  While a device of that name exists in the
 * netns it is attached: the ingress hook is registered on it, unless the
 * rules bypass all its traffic.  When it goes away the enablement waits
 * for a device of the same name.
 */
struct fp_dev {
	struct list_head list;		/* fp_net.devs: RTNL, RCU readers */
	char name[IFNAMSIZ];
	struct net_device *dev;		/* NULL while waiting */
	int ifindex;			/* dev's, 0 while waiting: fp_net.lock */
	netdevice_tracker tracker;
	struct nf_hook_ops ops;		/* registered on dev: hooked */
	bool hooked;			/* RTNL */
	/*
	 * FP_FAMILY_ bits: the families of which the rules send every
	 * packet in on this device to the slow path (fp_rules_bypassed()),
	 * both when its hook could not be registered.  Written under RTNL.
	 */
	u8 bypassed;
	struct fp_net *fpn;
	struct fp_pcpu_stats __percpu *stats;
	u64 retired_packets, retired_bytes;	/* moved to the netns's */
	struct fp_pppoe pppoe;
	/* A bridge: its ports' hooks (l2.c), RTNL */
	struct list_head br_ports;
	u8 br_epoch_shift;		/* log2 of an epoch's jiffies */
	struct rcu_head rcu;
};

/* Do the rules send every packet of family in on fpd to the stack? */
static inline bool fp_dev_bypassed(const struct fp_dev *fpd, u8 family)
{
	return READ_ONCE(fpd->bypassed) & fp_family_bit(family);
}

struct fp_ruleset;

/* Per network namespace state. */
struct fp_net {
	struct net *net;
	struct rhashtable table;	/* fp_dir by fp_key */
	struct rhashtable by_ct;	/* fp_flow by conntrack entry */
	struct rhashtable nh_table;	/* live fp_nh by fp_nh_key */
	struct list_head nhs;		/* live fp_nh, RCU readers */
	struct work_struct nh_refresh;	/* resolves them again (FDB changes) */
	struct xarray flows;		/* fp_flow by id: dump order */
	u32 next_id;
	spinlock_t lock;		/* every writer, see the top */
	atomic_t nflows;		/* flows with an offloaded direction */
	atomic_t nrefused;		/* flows kept only for their refusal */
	u32 gen;			/* bumped by flushes: dump consistency */
	/* fast-path traffic of devices no longer enabled */
	atomic64_t retired_packets, retired_bytes;
	u32 learn_gen;			/* bumped when refusals may be stale */
	/* When to verify every direction again (verify.c) */
	struct socket *watch;		/* nftables commits, while enabled */
	atomic_t ruleset_changes;
	atomic_t stack_changes;		/* IPsec policies, forwarding sysctls */
	atomic_t verify_rounds;		/* fp_verify_due() said yes */
	u32 verified_changes;		/* GC: as of the last verification */
	u32 verified_stack;
	unsigned long verified_at;
	atomic64_t verify_passed;
	atomic64_t verify_failed;
	struct fp_pcpu_stats __percpu *stats;
	atomic64_t flows_learned;
	atomic64_t flows_removed;
	struct fp_config cfg;		/* written under genl mutex, READ_ONCE */
	struct list_head devs;		/* struct fp_dev */
	unsigned int attached;		/* devs with a device: RTNL */
	u8 learning;			/* FP_FAMILY_: hooks registered, RTNL */
	struct fp_ruleset __rcu *rules;
	struct delayed_work gc;
	unsigned long stats_sent;	/* jiffies of the last FLOW_STATS_NTF round */
	unsigned long gc_began;		/* jiffies: the GC's last pass began */
	/* l2.c: forwarding bridge ports, bridges without MST */
	struct xarray br_fwd;		/* a flag by ifindex: RTNL, RCU readers */
	struct work_struct br_reread;	/* the bridges' MST modes, read again */
	/*
	 * Bridge FDB changes reported, by the address's slot (fp_fdb_slot()):
	 * the slots whose next hops are still to be resolved again (bit
	 * FP_FDB_SLOTS: every slot), and a generation each, bumped by every
	 * change, which every packet on a bridge port reads (fp_fdb_gen()).
	 */
	u64 br_fdb_key;
	DECLARE_BITMAP(br_fdb_changed, FP_FDB_SLOTS + 1);
	u8 br_fdb_gen_all ____cacheline_aligned_in_smp;
	u8 br_fdb_gen[FP_FDB_SLOTS];
};

static inline unsigned int fp_fdb_slot(const struct fp_net *fpn, const u8 *addr)
{
	return hash_64(ether_addr_to_u64(addr) ^ fpn->br_fdb_key,
		       FP_FDB_SLOT_BITS);
}

/* The FDB generation that addresses in slot see. */
static inline u8 fp_fdb_gen(const struct fp_net *fpn, unsigned int slot)
{
	return READ_ONCE(fpn->br_fdb_gen_all) + READ_ONCE(fpn->br_fdb_gen[slot]);
}

/* Is this direction's refusal still to be trusted?  Any context. */
static inline bool fp_dir_refusal_valid(const struct fp_net *fpn,
					const struct fp_dir *d)
{
	return READ_ONCE(d->state) == FP_DIR_REFUSED &&
	       READ_ONCE(d->why_gen) == (u8)READ_ONCE(fpn->learn_gen) &&
	       time_before32(jiffies, READ_ONCE(d->retry_at));
}

/* Rule match context: one direction as received, plus learning-time facts. */
struct fp_rule_ctx {
	const struct fp_key *key;
	const char *iifname;
	const char *oifname;
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
/*
 * The netns's counters: its exceptions, and the fast-path traffic of its
 * enabled devices and of those it had.  RTNL held.
 */
void fp_net_stats_read(struct fp_net *fpn, struct fp_stats *out);

/* flow.c */
int fp_flow_cache_init(void);
void fp_flow_cache_exit(void);
int fp_flow_table_init(struct fp_net *fpn);
/* Removes every flow (reason shutdown); no flow can be added after. */
void fp_flow_table_flush(struct fp_net *fpn);
/* Frees the emptied tables once the flows' RCU callbacks have run. */
void fp_flow_table_free(struct fp_net *fpn);
/*
 * 0 if d's key is the one looked up: word by word, without the call to
 * memcmp() rhashtable would make for every direction a lookup meets.
 */
static inline int fp_key_cmp(struct rhashtable_compare_arg *arg,
			     const void *d)
{
	const u32 *a = arg->key;
	const u32 *b = (const u32 *)&((const struct fp_dir *)d)->key;
	u32 diff = 0;
	int i;

	BUILD_BUG_ON(sizeof(struct fp_key) % sizeof(u32));
	/* Wholly unrolled only while the key fits the count below. */
	BUILD_BUG_ON(sizeof(struct fp_key) / sizeof(u32) > 16);
	/*
	 * Learning may change the iif of a refused direction (flow.c).
	 * Unrolled: -O2 keeps a loop of volatile reads, a branch a word.
	 */
	_Pragma("GCC unroll 16")
	for (i = 0; i < sizeof(struct fp_key) / sizeof(u32); i++)
		diff |= a[i] ^ READ_ONCE(b[i]);
	return diff != 0;
}

/* The flow table's parameters, constant so that lookups inline. */
#define FP_DIR_PARAMS {						\
	.head_offset = offsetof(struct fp_dir, node),		\
	.key_offset = offsetof(struct fp_dir, key),		\
	.key_len = sizeof(struct fp_key),			\
	.obj_cmpfn = fp_key_cmp,				\
	.automatic_shrinking = true,				\
}

/* RCU read side.  A direction whose received tuple is key (iif included). */
static inline struct fp_dir *fp_flow_lookup(struct fp_net *fpn,
					    const struct fp_key *key)
{
	return rhashtable_lookup(&fpn->table, key,
				 (struct rhashtable_params)FP_DIR_PARAMS);
}
/* RCU read side.  The flow of conntrack entry ct, offloaded or not. */
struct fp_flow *fp_flow_find_ct(struct fp_net *fpn, const struct nf_conn *ct);
/*
 * RCU read side.  The flow with an offloaded direction, one of whose
 * directions has this received tuple (key->iif ignored) in conntrack zone
 * zone; NULL if none.
 */
struct fp_flow *fp_flow_find_tuple(struct fp_net *fpn, const struct fp_key *key_any_iif,
				   u16 zone);
/*
 * RCU read side.  The flow with an offloaded direction with the lowest
 * id >= *id, which is stored in *id; NULL after the last one.  Continue
 * with *id + 1.
 */
struct fp_flow *fp_flow_next(struct fp_net *fpn, unsigned long *id);
typedef bool (*fp_flow_match_t)(const struct fp_flow *flow, const void *arg);
/*
 * Removes the flows match() accepts (all with a NULL match) and returns
 * how many had an offloaded direction.  Process context; match runs under
 * RCU.
 */
unsigned int fp_flow_flush(struct fp_net *fpn, fp_flow_match_t match,
			   const void *arg, enum fastpath_del_reason reason);
/* Fills the tuple fields of d from direction dir of ct (key.iif = 0). */
void fp_dir_set_tuple(struct fp_dir *d, const struct nf_conn *ct,
		      enum ip_conntrack_dir dir);
/*
 * What learning found out about one direction of ct: offload it (tmpl
 * holds its transmit state, in_fpd must still be attached with the iif)
 * or remember why not.
 */
struct fp_learned {
	struct fp_dir tmpl;		/* key, mtu, dst_cookie, dst (held) */
	struct fp_dev *in_fpd;
	struct net_device *out;
	union nf_inet_addr nexthop;
	u32 mark;
	u8 dscp;
	u8 why;				/* enum fastpath_why, 0: offload */
	u32 why_detail;
	/* what verification of this packet found (fp_verify_learned) */
	u32 hold;			/* FP_HOLD_NONE or FP_HOLD_VERIFY */
	__be32 rx_flowlabel;
	u8 rx_dsfield;
	u32 rx_mark;
	u32 rx_priority;
	u32 priority;
	u32 learn_gen;			/* fp_net.learn_gen the rules were read at */
};
u16 fp_route_mtu(const struct dst_entry *dst, u8 family);

/* The route's MTU, and what the device transmitted on carries. */
static inline u16 fp_dir_mtu(u16 route_mtu, const struct fp_nh *nh)
{
	return min(route_mtu, READ_ONCE(nh->l2.mtu));
}
int fp_flow_learn(struct fp_net *fpn, struct nf_conn *ct,
		  enum ip_conntrack_dir dir, struct fp_learned *l);
/*
 * RCU read side, for skb, a packet of direction dir of ct that the stack
 * forwards (state: POST_ROUTING's): is the direction neither offloaded nor
 * refused for a reason still worth trusting?
 */
bool fp_flow_learn_needed(struct fp_net *fpn, const struct nf_conn *ct,
			  enum ip_conntrack_dir dir, const struct sk_buff *skb,
			  const struct nf_hook_state *state);
/* Runs the GC now (any context). */
void fp_gc_kick(struct fp_net *fpn);
/*
 * Packet path: hands the flow to the GC for removal with this reason.
 * False if another kill got there first (its reason stands).
 */
bool fp_flow_kill(struct fp_net *fpn, struct fp_flow *flow,
		  enum fastpath_del_reason reason);
/* Any context: no packet of d is waiting on a stale route. */
void fp_dir_stale_done(const struct fp_dir *d);
/* Bytes held by the flow table (flows and hash buckets). */
size_t fp_flow_memory(struct fp_net *fpn);
/* The conntrack tuple a connection's direction is looked up by. */
static inline struct nf_conntrack_tuple fp_key_ct_tuple(const struct fp_key *key)
{
	return (struct nf_conntrack_tuple) {
		.src.l3num = key->family,
		.src.u3 = key->src,
		.src.u.all = key->sport,
		.dst.u3 = key->dst,
		.dst.u.all = key->dport,
		.dst.protonum = key->proto,
	};
}

/*
 * A direction's egress mark (low 32 bits) and priority (high 32 bits) in
 * one word, read once by a packet: both come from the same verification,
 * also on 32-bit machines (atomic64_t; there a locked read, or a hashed
 * lock where atomic64 is generic).  A packet of a direction that two CPUs
 * carry, checked against the received metadata while another CPU's
 * verification adopts new values, may pass on old, new or mixed received
 * metadata and leave with either verification's egress word: one packet,
 * once, as during a ruleset commit.
 */
static inline u64 fp_egress(u32 mark, u32 priority)
{
	return (u64)priority << 32 | mark;
}

static inline u32 fp_egress_mark(u64 egress)
{
	return lower_32_bits(egress);
}

static inline u32 fp_egress_priority(u64 egress)
{
	return upper_32_bits(egress);
}

/* Rules that match or restore it (meta mark set ct mark) see a change. */
static inline u32 fp_ct_mark(const struct nf_conn *ct)
{
#ifdef CONFIG_NF_CONNTRACK_MARK
	return READ_ONCE(ct->mark);
#else
	return 0;
#endif
}

static inline struct fp_flow *fp_dir_flow(const struct fp_dir *d)
{
	return container_of(d, struct fp_flow, dir[d->index]);
}

/* What a direction forwarded, from any context: exact. */
static inline void fp_dir_counters(const struct fp_dir *d, u64 *packets,
				   u64 *bytes)
{
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&d->syncp);
		*packets = u64_stats_read(&d->packets);
		*bytes = u64_stats_read(&d->bytes);
	} while (u64_stats_fetch_retry(&d->syncp, start));
	*packets += atomic64_read(&d->stray_packets);
	*bytes += atomic64_read(&d->stray_bytes);
}

/* nh.c: next hops.  Writers hold fp_net.lock. */
int fp_nh_table_init(struct fp_net *fpn);
void fp_nh_table_destroy(struct fp_net *fpn);
/*
 * The live next hop out of dev to addr, created if needed, with a
 * reference; NULL if the neighbour is not valid (or on failure).
 */
struct fp_nh *fp_nh_get(struct fp_net *fpn, struct net_device *dev,
			u8 family, const union nf_inet_addr *addr);
void fp_nh_put(struct fp_nh *nh);
void fp_nh_put_locked(struct fp_net *fpn, struct fp_nh *nh);
/* Resolves every next hop's device stack again (device events). */
void fp_nh_refresh_all(struct fp_net *fpn);
/* The enabled device's counters (or NULL) for next hops out of dev. */
void fp_nh_set_tx_stats(struct fp_net *fpn, const struct net_device *dev,
			struct fp_pcpu_stats __percpu *stats);
/* Source address change of dev: its next hops' headers follow. */
void fp_nh_dev_addr_changed(struct fp_net *fpn, const struct net_device *dev);
/* GC: keep the neighbours of next hops that carried traffic fresh. */
void fp_nh_gc(struct fp_net *fpn);
int fp_nh_notifier_init(void);
void fp_nh_notifier_exit(void);

/* l2.c: device stacks under the routed egress device */
/*
 * Resolves how packets routed out of dev to the link-layer address daddr
 * (unused for PPP) leave; RCU read side.  0, or an error if the stack
 * would not send them anywhere the fast path can (a bridge flooding).
 */
int fp_l2_resolve(struct fp_net *fpn, struct net_device *dev, u8 family,
		  const u8 *daddr, struct fp_l2 *l2);
/* For fpctl dev show: how dev transmits; *lower NULL if per destination. */
enum fastpath_xmit_mode fp_l2_describe(struct fp_net *fpn, struct net_device *dev,
				 struct net_device **lower);
/* Bridge port states: a device registered or unregistered (RTNL). */
void fp_br_init(struct fp_net *fpn);
void fp_br_exit(struct fp_net *fpn);
void fp_br_dev_event(struct fp_net *fpn, struct net_device *dev,
		     unsigned long event);
int fp_br_notifier_init(void);
void fp_br_notifier_exit(void);
/*
 * The ports of an enabled bridge, hooked to take established flows' packets
 * before the bridge (RTNL): all of fpd's ports, none, or dev as it joins
 * (upper set) or leaves (upper NULL) a bridge, or goes away.
 */
void fp_br_ports_attach(struct fp_dev *fpd);
void fp_br_ports_detach(struct fp_dev *fpd);
void fp_br_port_event(struct fp_net *fpn, struct net_device *dev,
		      const struct net_device *upper);
/* The PPPoE session under an enabled PPP device: early ingress (RTNL). */
void fp_pppoe_attach(struct fp_dev *fpd);
void fp_pppoe_detach(struct fp_dev *fpd);

/*
 * learn.c: netfilter POST_ROUTING hooks of one netns, one a family.  RTNL:
 * registers those of the families given, unregisters the others.
 */
int fp_learn_set(struct fp_net *fpn, u8 families);
/*
 * What of the connection itself keeps it off the fast path (0: nothing).
 * NO_REPLY, REMOVING, PROTOCOL and TCP_STATE are passing states; HELPER
 * and CT_STATE last.
 */
enum fastpath_why fp_ct_why(const struct nf_conn *ct);
/* What of a route and its egress device the data plane cannot reproduce. */
enum fastpath_why fp_route_why(const struct dst_entry *dst);
/*
 * The device a forwarded skb arrived on, as learning keys it: under an L3
 * master (VRF), its slave, not skb_iif.
 */
int fp_skb_iif(const struct sk_buff *skb, u8 pf);
/*
 * What of the route a forwarded skb took keeps direction t (its received
 * tuple and translation) off the fast path: fp_route_why(), an L3 master
 * that received skb, a resilient nexthop group.  RCU read side.
 */
enum fastpath_why fp_skb_route_why(struct net *net, const struct sk_buff *skb,
				   const struct fp_dir *t);
/* The cookie dst_check() needs to tell that dst, of this family, is stale. */
u32 fp_dst_cookie(const struct dst_entry *dst, u8 family);
/*
 * Did ip6_forward() skip its forward policy check for skb (disable_policy),
 * where there is a policy to check?  RCU read side.
 */
bool fp_ipv6_policy_skipped(const struct sk_buff *skb);
enum fastpath_why fp_ipv4_route_group_why(struct net *net, struct flowi4 *fl4,
					  const struct rtable *rt);
enum fastpath_why fp_ipv6_route_group_why(const struct rt6_info *rt);
enum fastpath_why fp_out_why(const struct net_device *out);
bool fp_skb_nexthop(const struct sk_buff *skb, u8 family,
		    union nf_inet_addr *nexthop);

/*
 * What ip_forward() does to this packet and the fast path cannot: it drops
 * one a switch routed already, and checks one IPsec decapsulated against
 * the forwarding policy.  Learning refuses such a packet; a later packet
 * of a learned direction may still be one (tested by each).
 */
static inline enum fastpath_why fp_skb_why(const struct sk_buff *skb)
{
	if (secpath_exists(skb))
		return FASTPATH_WHY_XFRM;
#ifdef CONFIG_NET_SWITCHDEV
	if (skb->offload_l3_fwd_mark)
		return FASTPATH_WHY_ROUTE;
#endif
	return 0;
}
bool fp_sends_redirects(int iif, const struct net_device *out, u8 family);

/* explain.c */
struct fp_explain_dir {
	bool offloaded;			/* forwarded on the fast path */
	u32 why;			/* enum fastpath_why */
	u32 detail;			/* rule pref, verify field */
	int iif, oif;			/* 0: not known */
};

struct fp_explain {
	u32 ct_id;
	struct fp_dir tuple[IP_CT_DIR_MAX];	/* tuple fields only */
	struct fp_explain_dir dir[IP_CT_DIR_MAX];
};
/*
 * Why each direction of the connection that has the tuple key (key->iif
 * ignored) in conntrack zone is (not) on the fast path.  Process context.
 */
int fp_explain(struct fp_net *fpn, const struct fp_key *key, u16 zone,
	       struct fp_explain *ex, struct netlink_ext_ack *extack);
/*
 * RCU read side: fills ex for a direction learning has offloaded or
 * refused; false (ex untouched) for one it has not decided on.
 */
bool fp_explain_learned(const struct fp_dir *d, struct fp_explain_dir *ex);

/* dataplane.c, ipv4.c, ipv6.c: the netdev ingress hook */
unsigned int fp_ingress(void *priv, struct sk_buff *skb,
			const struct nf_hook_state *state);
/*
 * NF_STOLEN (forwarded), or NF_ACCEPT and why in *exc; the caller counts.
 * Received on fpd's device, or decapsulated for it; or, port the id of
 * one of fpd's bridge ports (0: none), received on that port and
 * forwarded only if the bridge would pass it to fpd's device, and left
 * quietly otherwise (fp_rx_flow()).  fp_rx() picks the family.
 */
unsigned int fp_rx(struct fp_dev *fpd, struct sk_buff *skb,
		   enum fp_exception *exc, int port);
unsigned int fp_ipv4_rx(struct fp_net *fpn, struct fp_dev *fpd,
			struct sk_buff *skb, enum fp_exception *exc, int port);
unsigned int fp_ipv6_rx(struct fp_net *fpn, struct fp_dev *fpd,
			struct sk_buff *skb, enum fp_exception *exc, int port);
/* Bridge port port (its id) passes skb on to fpd's bridge (fp_rx_flow()). */
void fp_port_note(const struct fp_dev *fpd, const struct sk_buff *skb,
		  int port);
static inline unsigned int fp_pass(enum fp_exception *exc,
				   enum fp_exception why)
{
	*exc = why;
	return NF_ACCEPT;
}
unsigned int fp_exception(struct fp_net *fpn, struct fp_dev *fpd,
			  enum fp_exception exc);
/* What the family code found in a received packet's network header. */
struct fp_rx {
	struct fp_key key;		/* ports and iif filled by fp_rx_flow */
	unsigned int thoff;		/* L4 header offset from skb->data */
	unsigned int len;		/* IP packet length */
	__be32 flowlabel;		/* IPv6; 0 for IPv4 */
	u8 ttl;				/* TTL or hop limit */
	u8 dsfield;			/* ECN masked */
};
struct fp_dir *fp_rx_flow(struct fp_net *fpn, struct fp_dev *fpd,
			  struct sk_buff *skb, struct fp_rx *rx,
			  enum fp_exception *exc, int port);
unsigned int fp_xmit(struct fp_dev *fpd, struct fp_dir *d,
		     struct sk_buff *skb, unsigned int len);
/*
 * The headers as direction d transmits them, from pointers to the network
 * and transport headers (of a packet, or of a copy being verified);
 * partial: the L4 checksum is CHECKSUM_PARTIAL's pseudo-header sum.
 */
void fp_rewrite_l4(void *l4, const struct fp_dir *d, bool partial);
void fp_ipv4_rewrite(struct iphdr *iph, void *l4, const struct fp_dir *d,
		     bool partial);
void fp_ipv6_rewrite(struct ipv6hdr *ip6h, void *l4, const struct fp_dir *d,
		     bool partial);

/* verify.c */
/* Data plane: a probe taken from skb's last packet is void (skb reused). */
void fp_probe_forget(const struct sk_buff *skb);
/* Data plane: keeps the copy of a held direction's packet to verify. */
void fp_probe_record(struct fp_net *fpn, struct sk_buff *skb,
		     struct fp_dir *d, const struct fp_rx *rx);
/*
 * Data plane: skb, which the stack may forward, has no offloaded direction
 * (d: the refused one it found, or NULL).  Learning gets a copy of its
 * headers, or word that its direction's refusal still stands.
 */
void fp_probe_unlearned(struct fp_net *fpn, struct sk_buff *skb,
			const struct fp_dir *d, const struct fp_rx *rx);
/*
 * POST_ROUTING, first: did the ingress hook find skb's direction of ct
 * refused, a refusal that stands?  Every packet of a bypassed connection
 * asks, so it is answered before anything else.  Consumes a refusal note
 * for skb; a copy is left to fp_verify().
 */
bool fp_probe_refused(const struct sk_buff *skb, const struct nf_conn *ct,
		      enum ip_conntrack_info ctinfo);
struct fp_probe;
/*
 * POST_ROUTING: if skb is the packet of a probe, as the stack made it,
 * either concludes the verification of its held direction (*done) or
 * returns the probe, for learning to verify the direction it learns.
 * *done too for a probe taken before rules or routes changed: nothing is
 * to be learned from its packet.
 */
const struct fp_probe *fp_verify(struct fp_net *fpn, struct sk_buff *skb,
				  const struct nf_hook_state *state,
				  struct nf_conn *ct,
				  enum ip_conntrack_info ctinfo, bool *done);
/*
 * RCU read side: the stack forwards skb, a packet of d, which came on a
 * stale route, without verifying it (its probe overwritten in its receive
 * batch, or voided by a change in its transit).  The way d goes (device,
 * next hop, MTU): no sign that the stack forwards d elsewhere, whatever
 * came on the stale route before.  Any other way: nothing is concluded.
 */
void fp_dir_stale_forwarded(struct fp_dir *d, const struct sk_buff *skb,
			    const struct nf_hook_state *state);
/*
 * Learning: compares skb with the fast path's rewrite of the copy in p
 * (NULL: none) by the direction in l, and fills l's verdict: refused (why)
 * or the hold and metadata to offload it with.
 */
void fp_verify_learned(const struct fp_probe *p, const struct sk_buff *skb,
		       struct fp_learned *l);
/* GC: is another verification of every direction due? */
bool fp_verify_due(struct fp_net *fpn);
/* GC: holds d for verification if all are due, or its own retry is. */
void fp_verify_again(struct fp_dir *d, bool all);
int fp_watch_start(struct fp_net *fpn);
void fp_watch_stop(struct fp_net *fpn);
void fp_xfrm_watch_init(void);
void fp_xfrm_watch_exit(void);

/* dev.c: callers of enable/disable/disable_all hold RTNL */
/*
 * A netdev ingress hook of fastpath's on dev: after the filters at the
 * default priority 0.
 */
static inline struct nf_hook_ops fp_ingress_ops(nf_hookfn *hook, void *priv,
						struct net_device *dev)
{
	return (struct nf_hook_ops) {
		.hook = hook,
		.priv = priv,
		.pf = NFPROTO_NETDEV,
		.hooknum = NF_NETDEV_INGRESS,
		.priority = 1,
		.dev = dev,
	};
}
int fp_dev_enable(struct fp_net *fpn, const char *name,
		  struct netlink_ext_ack *extack);
int fp_dev_disable(struct fp_net *fpn, const char *name,
		   struct netlink_ext_ack *extack);
/* RTNL or RCU read side: the enabled device attached to ifindex. */
struct fp_dev *fp_dev_find(struct fp_net *fpn, int ifindex);
/* RTNL or RCU read side: the enablement of this name, attached or not. */
struct fp_dev *fp_dev_find_name(struct fp_net *fpn, const char *name);
void fp_dev_disable_all(struct fp_net *fpn);
/*
 * The rules changed (RTNL and the genl mutex held): every enabled device's
 * bypassed families again, and the hooks they need.
 */
void fp_dev_rules_changed(struct fp_net *fpn, struct netlink_ext_ack *extack);
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
	char iifname[IFNAMSIZ];		/* a trailing '*' matches a prefix */
	char oifname[IFNAMSIZ];
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
/*
 * Called by learning under RCU: the first rule that matches ctx, or NULL.
 * Its hit counter counts the decision.
 */
const struct fp_rule *fp_rules_decide(struct fp_net *fpn,
				      const struct fp_rule_ctx *ctx);
/* RCU read side: the first rule that matches ctx, or NULL; no hit. */
const struct fp_rule *fp_rules_match(struct fp_net *fpn,
				     const struct fp_rule_ctx *ctx);
/*
 * RCU read side: does a rule send the offloaded direction d, with the DSCP
 * and mark it was last verified with, to the slow path?
 */
bool fp_rules_bypass(struct fp_net *fpn, const struct fp_dir *d);
struct fp_rule *fp_rule_find(const struct fp_ruleset *set, u32 pref);
int fp_rule_add(struct fp_net *fpn, struct fp_rule *rule,
		struct netlink_ext_ack *extack);
int fp_rule_del(struct fp_net *fpn, u32 pref, struct netlink_ext_ack *extack);
int fp_rules_flush(struct fp_net *fpn, struct netlink_ext_ack *extack);
/*
 * The FP_FAMILY_ bits of the families whose every packet in on a device
 * named ifname the rules send to the slow path.  Any context: a change
 * calls fp_dev_rules_changed() after it publishes the rules.
 */
u8 fp_rules_bypassed(struct fp_net *fpn, const char *ifname);
void fp_rules_free(struct fp_net *fpn);

/* netlink.c */
int fp_netlink_init(void);
void fp_netlink_exit(void);
bool fp_nl_has_listeners(struct fp_net *fpn);
void fp_nl_flow_event(struct fp_net *fpn, const struct fp_flow *flow, u8 cmd,
		      enum fastpath_del_reason reason);

#endif /* _FASTPATH_H */
