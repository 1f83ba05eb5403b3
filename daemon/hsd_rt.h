/* SPDX-License-Identifier: MIT */
/*
 * hsd_rt: real-time setup of the calling thread (the audio thread, once, as
 * it starts, before its first deadline).
 *
 * It asks for SCHED_FIFO at a given priority, so that the audio thread
 * preempts the loop and everything else on the machine that is not
 * real-time; it locks the process's memory with mlockall(MCL_CURRENT |
 * MCL_FUTURE), so that no page the audio thread touches (its code, its
 * stack, the rings, the chunks, the DMA buffers) can be paged out and fault
 * at a deadline; and it pre-faults the thread's stack, since a stack page
 * touched for the first time faults even when memory is locked for the
 * future only.
 *
 * Each of them may be refused (no CAP_SYS_NICE and RLIMIT_RTPRIO too low,
 * no CAP_IPC_LOCK and RLIMIT_MEMLOCK too small, a container that forbids
 * it).  A refusal is not an error: the daemon runs without it, with more
 * risk of underruns, and says so.  The report says what was granted and,
 * for what was refused, the errno, and hsd_rt_describe turns it into the one
 * line the caller logs.
 *
 * Not done here: CPU affinity, and the scheduling of libhda's own threads
 * (hda_set_interrupt_thread_scheduling).
 */
#ifndef HSD_RT_H
#define HSD_RT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct hsd_rt_request {
	int fifo_priority;    /* SCHED_FIFO priority; 0: do not ask */
	bool lock_memory;     /* ask for mlockall(MCL_CURRENT | MCL_FUTURE) */
	size_t stack_prefault; /* bytes of stack to touch; 0: none */
} hsd_rt_request;

typedef struct hsd_rt_report {
	/* SCHED_FIFO: asked for, granted, or refused with fifo_errno (EPERM
	 * when not allowed, EINVAL for a priority outside the policy's
	 * range).  The policy and priority the thread has afterwards are read
	 * back, not assumed. */
	int fifo_asked; /* the priority asked for; 0: not asked */
	bool fifo_granted;
	int fifo_errno;
	int policy;   /* the thread's policy after setup (SCHED_OTHER...) */
	int priority; /* and its priority */
	/* mlockall: refused with EPERM without the privilege or with a zero
	 * RLIMIT_MEMLOCK, ENOMEM when the limit is below what is mapped;
	 * ENOSYS when it returned success and yet nothing is locked (the
	 * ASan and TSan runtimes make mlockall a no-op), checked in
	 * /proc/self/status rather than believed. */
	bool mlock_requested;
	bool mlock_granted;
	int mlock_errno;
	/* Stack bytes touched: the request, capped at what the thread's stack
	 * can hold below the current frame (less a safety margin). */
	size_t stack_prefaulted;
} hsd_rt_report;

/* [control] of the calling thread: apply *req to the calling thread and
 * fill *rep.  Never fails: refusals are in the report. */
void hsd_rt_setup(const hsd_rt_request *req, hsd_rt_report *rep);

/*
 * [any] The one line to log about a report, into buf (always
 * NUL-terminated when len > 0), e.g.
 *   "real-time: SCHED_FIFO 50 refused (EPERM: Operation not permitted);
 *    memory locked; 256 KiB of stack pre-faulted"
 * Returns what snprintf returns.
 */
int hsd_rt_describe(const hsd_rt_report *rep, char *buf, size_t len);

/* [any] Whether the report holds a refusal (the caller logs it as a
 * warning rather than as information). */
bool hsd_rt_refused(const hsd_rt_report *rep);

#endif
