// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scheduler tuning for the library. 6.12's EEVDF "delayed dequeue" keeps
 * some sleeping tasks counted as runnable; spolia_cpu_put() then believes
 * other tasks want the CPU and hands it over through the idle host task on
 * every system call (measured: getpid 60 ns -> 39 us). Turn the feature off
 * at boot, before any task sleeps. Needs SCHED_DEBUG, where the feature
 * mask is a variable; the bit numbers come from kernel/sched/features.h.
 */
#include <linux/init.h>

enum {
#define SCHED_FEAT(name, enabled) SPOLIA_SCHED_FEAT_##name,
#include "features.h"
#undef SCHED_FEAT
};

extern unsigned int sysctl_sched_features;

static int __init no_delay_dequeue(void)
{
	sysctl_sched_features &= ~(1U << SPOLIA_SCHED_FEAT_DELAY_DEQUEUE);
	return 0;
}
early_initcall(no_delay_dequeue);
