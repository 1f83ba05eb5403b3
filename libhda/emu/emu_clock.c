/* SPDX-License-Identifier: MIT */
/*
 * The emulated controller's model time: one device step moves every
 * running stream to a model time; the device thread steps on the real-time
 * clock, emu_ctrl_advance on the manual one.
 */
#include <errno.h>
#include <signal.h>

#include "emu_ctrl.h"

/* ---- Device step --------------------------------------------------------- */

/* WALCLK = floor(now_ns * 24e6 / 1e9) = floor(now_ns * 3 / 125), split so
 * that it is exact without overflow for any now_ns; wraps at 2^32 ticks
 * (about 179 s, hda-facts 8.3). */
static uint32_t walclk_at(uint64_t now_ns)
{
	return (uint32_t)((now_ns / 125) * 3 + (now_ns % 125) * 3 / 125);
}

static void device_step(emu_ctrl *c, uint64_t now_ns)
{
	emu_sd_env env;

	__atomic_store_n(&c->now_ns, now_ns, __ATOMIC_RELEASE);
	/* A device that is gone does nothing; mapped words keep their last
	 * values. */
	if (fault_on(c, HDA_EMU_FAULT_DEVICE_GONE))
		return;
	if (c->crst) {
		uint32_t stepped = 0;

		env = emu_ctrl_sd_env(c);
		for (unsigned n = 0; n < c->n_sd; n++)
			if (c->sd[n].run)
				stepped |= 1u << n;
		/* Outputs first: what the line-out plays this step is what
		 * a loopback source captures this step. */
		for (unsigned n = 0; n < c->n_sd; n++)
			if (c->sd[n].run && c->sd[n].output)
				emu_sd_step(&c->sd[n], &env, now_ns);
		for (unsigned n = 0; n < c->n_sd; n++)
			if (c->sd[n].run && !c->sd[n].output)
				emu_sd_step(&c->sd[n], &env, now_ns);
		/*
		 * The words a driver reads without the lock (WALCLK, LPIB,
		 * the position buffer) change together, after the step's
		 * work (the codec, the sinks' file writes), in a handful of
		 * stores: a reader that takes WALCLK and then the positions
		 * sees them from one step unless it straddles these few
		 * stores, which its second WALCLK read catches (libhda
		 * position.c), given the order below.  Published in the step's work instead, a
		 * reader could meet this step's WALCLK with the previous
		 * step's positions a whole tick (48 frames at 48 kHz) behind
		 * for as long as the work took: the truth=PATH test saw it.
		 */
		for (unsigned n = 0; n < c->n_sd; n++)
			if (stepped >> n & 1u) /* one that failed too */
				emu_sd_publish(&c->sd[n], &env);
		/* WALCLK last, with release: a reader whose first WALCLK read
		 * sees this step's value then sees this step's positions too;
		 * one whose two reads straddle this store reads again.  One
		 * that falls wholly between the position stores and this one
		 * (the device thread preempted here) sees this step's
		 * positions with the previous step's WALCLK, a tick early: no
		 * reader of separate words can tell, as on hardware, where no
		 * register set is read atomically either.  (WALCLK first
		 * would date the previous step's positions a tick late in the
		 * same window; this order keeps every reading a true snapshot
		 * of one step, and test_e2e_truth checks exactly that.) */
		emu_walclk_store(c, walclk_at(now_ns));
		emu_truth_step(c->truth, c->sd, c->n_sd, now_ns,
			       c->sd_mask);
	} else {
		emu_walclk_store(c, walclk_at(now_ns));
	}
	emu_codec_step_end(c->codec);
	emu_unsol_deliver(c);
	emu_irq_update(c);
}

/*
 * Real-time clock: one tick every tick_ns of CLOCK_MONOTONIC, on absolute
 * deadlines so that sleep overshoot never accumulates.  The model time of
 * a step is the clock reading, not the deadline: if the thread was late the
 * link simply carries more frames in that step, exactly as much as the
 * elapsed time demands.  Missed ticks are skipped, not replayed.
 */
static void *device_thread(void *arg)
{
	emu_ctrl *c = arg;
	uint64_t next = c->tick_ns;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		uint64_t abs = c->created_mono_ns + next, now;
		struct timespec ts = {.tv_sec = (time_t)(abs / NS_PER_S),
				      .tv_nsec = (long)(abs % NS_PER_S)};

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR)
			;
		now = mono_ns() - c->created_mono_ns;
		pthread_mutex_lock(&c->lock);
		if (now > c->now_ns)
			device_step(c, now);
		pthread_mutex_unlock(&c->lock);
		next += c->tick_ns;
		if (next <= now)
			next = (now / c->tick_ns + 1) * c->tick_ns;
	}
	return NULL;
}

int emu_clock_thread_start(emu_ctrl *c)
{
	sigset_t all, old;
	int r;

	/* The device thread must not take the application's signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&c->thread, NULL, device_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == 0)
		c->thread_started = true;
	return -r;
}

/* ---- Manual clock ---------------------------------------------------------- */

uint64_t emu_ctrl_now_ns(emu_ctrl *ctrl)
{
	return __atomic_load_n(&ctrl->now_ns, __ATOMIC_ACQUIRE);
}

/*
 * In real time the interrupt handler has a tick of real time to clear the
 * status before the next IOC; back-to-back manual steps would give it none,
 * and IOCs would merge into one level (as on hardware whose handler is
 * late).  So after a step that raised the line, wait (bounded, lock
 * released) for the handler to lower it.  Caller holds the lock.
 */
static void irq_handoff(emu_ctrl *c)
{
	uint64_t abs = mono_ns() + c->irq_wait_ns;
	struct timespec ts = {.tv_sec = (time_t)(abs / NS_PER_S),
			      .tv_nsec = (long)(abs % NS_PER_S)};

	while (c->irq_line && !fault_on(c, HDA_EMU_FAULT_DEVICE_GONE))
		if (pthread_cond_timedwait(&c->irq_low, &c->lock, &ts) ==
		    ETIMEDOUT)
			break;
}

/* Manual clock: step in ticks of at most tick_us, as the device thread
 * would, so that loopback latency, IOC timing and interrupts look the same
 * as in real time.  The lock is dropped between ticks so that the driver's
 * interrupt thread can service in between. */
hda_status emu_ctrl_advance(emu_ctrl *ctrl, uint64_t ns)
{
	if (!ctrl->manual)
		return HDA_STATUS_INVALID_DEVICE_REQUEST;
	while (ns > 0) {
		uint64_t d = ns < ctrl->tick_ns ? ns : ctrl->tick_ns;
		uint64_t rises;

		pthread_mutex_lock(&ctrl->lock);
		rises = ctrl->irq_rises;
		device_step(ctrl, ctrl->now_ns + d);
		if (ctrl->irq_wait_ns && ctrl->irq_rises != rises)
			irq_handoff(ctrl);
		pthread_mutex_unlock(&ctrl->lock);
		ns -= d;
	}
	return HDA_STATUS_SUCCESS;
}
