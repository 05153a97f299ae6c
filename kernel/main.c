// SPDX-License-Identifier: GPL-2.0
/*
 * fastpath: module and network namespace lifetime, parameters, counters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/rtnetlink.h>

#include "fastpath.h"

unsigned int fp_max_flows = 65536;
module_param_named(max_flows, fp_max_flows, uint, 0444);
MODULE_PARM_DESC(max_flows, "Default flow limit of each network namespace");

static unsigned int fp_tcp_timeout = 300;
module_param_named(tcp_timeout, fp_tcp_timeout, uint, 0444);
MODULE_PARM_DESC(tcp_timeout, "Default idle timeout of TCP flows, seconds");

static unsigned int fp_udp_timeout = 30;
module_param_named(udp_timeout, fp_udp_timeout, uint, 0444);
MODULE_PARM_DESC(udp_timeout, "Default idle timeout of UDP flows, seconds");

static unsigned int fp_verify_interval;
module_param_named(verify_interval, fp_verify_interval, uint, 0444);
MODULE_PARM_DESC(verify_interval,
		 "Default seconds between verifications of every flow (0: only after ruleset changes)");

unsigned int fp_net_id __read_mostly;

void fp_stats_inc(struct fp_pcpu_stats __percpu *stats, enum fp_exception exc)
{
	struct fp_pcpu_stats *s = get_cpu_ptr(stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->exc[exc]);
	u64_stats_update_end(&s->syncp);
	put_cpu_ptr(stats);
}

void fp_stats_read(struct fp_pcpu_stats __percpu *stats, struct fp_stats *out)
{
	int cpu, i;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct fp_pcpu_stats *s = per_cpu_ptr(stats, cpu);
		struct fp_stats snap;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			snap.fast_packets = u64_stats_read(&s->fast_packets);
			snap.fast_bytes = u64_stats_read(&s->fast_bytes);
			snap.tx_packets = u64_stats_read(&s->tx_packets);
			snap.tx_bytes = u64_stats_read(&s->tx_bytes);
			snap.slow_packets = u64_stats_read(&s->slow_packets);
			for (i = 0; i < FP_EXC_COUNT; i++)
				snap.exc[i] = u64_stats_read(&s->exc[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));

		out->fast_packets += snap.fast_packets;
		out->fast_bytes += snap.fast_bytes;
		out->tx_packets += snap.tx_packets;
		out->tx_bytes += snap.tx_bytes;
		out->slow_packets += snap.slow_packets;
		for (i = 0; i < FP_EXC_COUNT; i++)
			out->exc[i] += snap.exc[i];
	}
}

void fp_net_stats_read(struct fp_net *fpn, struct fp_stats *out)
{
	struct fp_dev *fpd;
	struct fp_stats dev;

	ASSERT_RTNL();
	fp_stats_read(fpn->stats, out);
	out->fast_packets = atomic64_read(&fpn->retired_packets);
	out->fast_bytes = atomic64_read(&fpn->retired_bytes);
	list_for_each_entry(fpd, &fpn->devs, list) {
		fp_stats_read(fpd->stats, &dev);
		out->fast_packets += dev.fast_packets;
		out->fast_bytes += dev.fast_bytes;
	}
}

static int __net_init fp_net_init(struct net *net)
{
	struct fp_net *fpn = fp_pernet(net);
	int err;

	fpn->net = net;
	fpn->cfg = (struct fp_config) {
		.flow_limit = fp_max_flows,
		.tcp_timeout = fp_tcp_timeout,
		.udp_timeout = fp_udp_timeout,
		.stats_interval = 1000,
		.verify_interval = fp_verify_interval,
	};
	fpn->verified_at = jiffies;
	/* Dumps treat a generation of 0 as none: the first change must count. */
	fpn->gen = 1;
	INIT_LIST_HEAD(&fpn->devs);
	fp_br_init(fpn);
	fpn->stats = netdev_alloc_pcpu_stats(struct fp_pcpu_stats);
	if (!fpn->stats)
		return -ENOMEM;
	err = fp_flow_table_init(fpn);
	if (err)
		goto err_stats;
	return 0;

err_stats:
	free_percpu(fpn->stats);
	return err;
}

static void __net_exit fp_net_exit(struct net *net)
{
	struct fp_net *fpn = fp_pernet(net);

	/* Disabling the last device also stops learning. */
	rtnl_lock();
	fp_dev_disable_all(fpn);
	rtnl_unlock();
	fp_flow_table_flush(fpn);
	fp_rules_free(fpn);
}

/* Once for a batch of exiting netns: the flows' RCU callbacks use fpn. */
static void __net_exit fp_net_exit_batch(struct list_head *net_exit_list)
{
	struct net *net;

	rcu_barrier();
	list_for_each_entry(net, net_exit_list, exit_list) {
		struct fp_net *fpn = fp_pernet(net);

		fp_br_exit(fpn);
		fp_flow_table_free(fpn);
		free_percpu(fpn->stats);
	}
}

static struct pernet_operations fp_net_ops = {
	.init = fp_net_init,
	.exit = fp_net_exit,
	.exit_batch = fp_net_exit_batch,
	.id = &fp_net_id,
	.size = sizeof(struct fp_net),
};

/* A parameter must lie where config-set would take its attribute. */
static bool __init fp_param_valid(const char *name, unsigned int val,
				  unsigned int min, unsigned int max)
{
	if (val >= min && val <= max)
		return true;
	pr_err("parameter %s=%u is out of range %u-%u\n",
	       name, val, min, max);
	return false;
}

static int __init fp_init(void)
{
	int err;

	if (!fp_param_valid("max_flows", fp_max_flows, 1, UINT_MAX) ||
	    !fp_param_valid("tcp_timeout", fp_tcp_timeout, 1,
			    FASTPATH_TIMEOUT_MAX) ||
	    !fp_param_valid("udp_timeout", fp_udp_timeout, 1,
			    FASTPATH_TIMEOUT_MAX) ||
	    !fp_param_valid("verify_interval", fp_verify_interval, 0,
			    FASTPATH_VERIFY_INTERVAL_MAX))
		return -EINVAL;
	err = fp_flow_cache_init();
	if (err)
		return err;
	err = register_pernet_subsys(&fp_net_ops);
	if (err)
		goto err_cache;
	err = fp_dev_notifiers_init();
	if (err)
		goto err_pernet;
	err = fp_netlink_init();
	if (err)
		goto err_notifiers;
	fp_xfrm_watch_init();
	pr_info("version %s loaded\n", FASTPATH_VERSION);
	return 0;

err_notifiers:
	fp_dev_notifiers_exit();
err_pernet:
	unregister_pernet_subsys(&fp_net_ops);
err_cache:
	fp_flow_cache_exit();
	return err;
}

static void __exit fp_exit(void)
{
	fp_xfrm_watch_exit();
	fp_netlink_exit();
	fp_dev_notifiers_exit();
	unregister_pernet_subsys(&fp_net_ops);
	fp_flow_cache_exit();
}

module_init(fp_init);
module_exit(fp_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(FASTPATH_VERSION);
MODULE_DESCRIPTION("Fast path for established forwarded connections");
