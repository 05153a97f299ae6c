// SPDX-License-Identifier: GPL-2.0
/*
 * fp-delay: a test module that holds one call of a function as it
 * returns, so that a test can make a race window wide enough to hit every
 * time.  Loaded with the function's name and a filter on one of its
 * arguments (arg, counted from 0): either a struct net_device * whose name
 * must be ifname, or, without ifname, an int that must equal value.  Each
 * write of shots arms that many holds, of delay_ms each (10 s at most),
 * for calls the filter takes made
 * in softirq (the packet path; not a worker's or a netlink request's).
 * While a call is held, delaying reads 1; held counts the holds done
 * (meant one at a time: plain words).
 *
 *   insmod fp-delay.ko symbol=fp_l2_resolve arg=1 ifname=r1 delay_ms=3000
 *   insmod fp-delay.ko symbol=fp_flow_learn_needed arg=2 value=0
 *   echo 1 > /sys/module/fp_delay/parameters/shots
 */
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/netdevice.h>

static char *symbol;
module_param(symbol, charp, 0444);
MODULE_PARM_DESC(symbol, "function whose return is held");

static unsigned int arg = 1;
module_param(arg, uint, 0444);
MODULE_PARM_DESC(arg, "the argument the filter reads, from 0");

static char *ifname;
module_param(ifname, charp, 0444);
MODULE_PARM_DESC(ifname, "the device the argument must be");

static int value;
module_param(value, int, 0444);
MODULE_PARM_DESC(value, "without ifname: the int the argument must equal");

static unsigned int delay_ms = 1000;
module_param(delay_ms, uint, 0644);
MODULE_PARM_DESC(delay_ms, "how long a call is held");

static int shots;
module_param(shots, int, 0644);
MODULE_PARM_DESC(shots, "calls still to hold");

static int delaying;
module_param(delaying, int, 0444);
MODULE_PARM_DESC(delaying, "1 while a call is held");

static unsigned int held;
module_param(held, uint, 0444);
MODULE_PARM_DESC(held, "calls held so far");

static bool fp_delay_filter(unsigned long val)
{
	const struct net_device *dev = (const void *)val;

	if (!ifname)
		return (int)val == value;	/* the register's upper half is undefined */
	return dev && !strncmp(dev->name, ifname, IFNAMSIZ);
}

/* 0: this call is held, its return handler runs. */
static int fp_delay_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	int left = READ_ONCE(shots);

	if (!in_serving_softirq() ||
	    !fp_delay_filter(regs_get_kernel_argument(regs, arg)))
		return 1;	/* no return handler for this call */
	do {
		if (left <= 0)
			return 1;
	} while (!try_cmpxchg(&shots, &left, left - 1));
	return 0;
}

static int fp_delay_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	/* Well below the soft-lockup and RCU stall timeouts (20 s, 21 s). */
	u64 end = ktime_get_mono_fast_ns() +
		  (u64)min(READ_ONCE(delay_ms), 10000U) * NSEC_PER_MSEC;

	WRITE_ONCE(delaying, 1);
	/*
	 * By the clock: mdelay()'s loop is calibrated at boot, and a TCG
	 * guest's calibration can be far off.
	 */
	while (ktime_get_mono_fast_ns() < end)
		cpu_relax();
	WRITE_ONCE(held, held + 1);
	WRITE_ONCE(delaying, 0);
	return 0;
}

static struct kretprobe fp_delay_probe = {
	.entry_handler = fp_delay_entry,
	.handler = fp_delay_return,
};

static int __init fp_delay_init(void)
{
	if (!symbol)
		return -EINVAL;
	fp_delay_probe.kp.symbol_name = symbol;
	return register_kretprobe(&fp_delay_probe);
}

static void __exit fp_delay_exit(void)
{
	unregister_kretprobe(&fp_delay_probe);
}

module_init(fp_delay_init);
module_exit(fp_delay_exit);
MODULE_DESCRIPTION("Holds a function's return: widens race windows for tests");
MODULE_LICENSE("GPL");
