// SPDX-License-Identifier: GPL-2.0
/*
 * lockdep-abba: takes two mutexes in one order, then in the other, from
 * one thread, so nothing deadlocks but lockdep reports the possible
 * circular dependency.  tests/soak/run --selftest loads it in the debug
 * kernel to show that such a report fails tests/vm/run.
 */
#include <linux/module.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);

static int __init abba_init(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);

	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
	return 0;
}

static void __exit abba_exit(void)
{
}

module_init(abba_init);
module_exit(abba_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Known-bad: AB-BA lock order for lockdep (fastpath soak selftest)");
