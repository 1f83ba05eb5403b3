/* SPDX-License-Identifier: MIT */
/*
 * The interrupt thread: libhda's stand-in for a kernel's interrupt context,
 * and the caller-side service that can take its stream work over.
 *
 * libhda's thread sleeps on the backend's interrupt eventfd and on a wake
 * eventfd (for asynchronous verb transfers, handed-over codec work and
 * shutdown).  On an interrupt it reads INTSTS and services stream and
 * controller causes until none is pending: the backend signals rising edges
 * of a level-triggered line, so stopping before INTSTS is clear could lose
 * the next edge.
 *
 * Nothing on this path waits for a verb transfer: the RIRB is drained only
 * when the rings are free (a trylock; a transfer drains them itself), and
 * the unsolicited-response queue has a lock of its own (verbs.c).
 *
 * After hda_interrupt_attach the work splits.  Stream causes (SDnSTS, ISRs,
 * notification eventfds) belong to the caller's thread, which polls svc_fd
 * and calls hda_interrupt_dispatch.  Codec causes (CIS: RIRB drain,
 * unsolicited callbacks) stay on libhda's thread, since they take locks a
 * transfer holds and run callbacks that may block.  The line is shared, so
 * each side hands over what it saw and does not own: dispatch clears the
 * RIRB's interrupt flag (so the line can fall and the next IOC makes an
 * edge) and kicks libhda's thread to drain the RIRB; libhda's thread pokes
 * the caller's fd if it read an edge of the line around an attach.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "internal.h"

/* Bounds the work of one wakeup, so a stuck status bit cannot hold the
 * thread in one loop; see service() for what happens next. */
#define IRQ_MAX_ROUNDS 16

static _Thread_local unsigned callback_depth;

bool hda__in_callback(void)
{
	return callback_depth != 0;
}

void hda__enter_callback(void)
{
	callback_depth++;
}

void hda__leave_callback(void)
{
	callback_depth--;
}

/* Add one to an eventfd.  Never blocks: the counter would have to reach
 * 2^64 - 1 first. */
static void fd_add(int fd)
{
	uint64_t one = 1;

	(void)!write(fd, &one, sizeof(one));
}

void hda__irq_kick(hda_bus *bus)
{
	if (bus->wake_fd >= 0)
		fd_add(bus->wake_fd);
}

static void drain_fd(int fd)
{
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
}

/* What a service looks after, and what it leaves behind. */
#define SVC_STREAMS 0x1u /* stream descriptor causes               */
#define SVC_CODEC 0x2u   /* CIS: the RIRB and unsolicited responses */
#define SVC_AGAIN 0x4u   /* ours still pending after the bounded rounds */

/*
 * Look at INTSTS and service what it shows, until a look shows nothing
 * pending.  mine is SVC_STREAMS | SVC_CODEC on libhda's thread, and
 * SVC_STREAMS alone on the caller's: there a codec cause is not serviced
 * but handed over (SVC_CODEC in the result).  Returns SVC_AGAIN when
 * something never cleared.
 */
static unsigned service(hda_bus *bus, unsigned mine)
{
	/* INTSTS bit n is stream descriptor n; n_sd <= 30 (GCAP). */
	uint32_t sd_mask = (1u << bus->n_sd) - 1;
	unsigned left = 0;

	for (unsigned round = 0; round < IRQ_MAX_ROUNDS; round++) {
		uint32_t intsts = hda__rd32(bus, HDA_INTSTS);
		uint32_t streams = intsts & sd_mask, done = 0;

		if (intsts == 0xFFFFFFFFu &&
		    bus->ops->health(bus->plat) != HDA_STATUS_SUCCESS) {
			atomic_store(&bus->dead, true);
			return 0;
		}
		for (unsigned sd = 0; sd < bus->n_sd; sd++) {
			uint8_t sts;

			if (!(streams & (1u << sd)))
				continue;
			sts = hda__rd8(bus, HDA_SD_OFF(sd) + HDA_SD_STS);
			/* Clear what we saw (RW1C) before acting on it. */
			hda__wr8(bus, HDA_SD_OFF(sd) + HDA_SD_STS,
				 sts & HDA_SD_STS_INT_MASK);
			hda__stream_irq(bus, sd, sts & HDA_SD_STS_INT_MASK);
		}
		done |= streams;
		if ((intsts & HDA_INTSTS_CIS) && (mine & SVC_CODEC)) {
			/* CORB memory errors are not used; clear anyway. */
			hda__wr8(bus, HDA_CORBSTS, 0x01);
			/* A transfer in progress drains the RIRB itself and
			 * kicks us when it has: nothing to wait for here,
			 * and nothing to spin on. */
			if (hda__rirb_service(bus))
				done |= HDA_INTSTS_CIS;
		} else if (intsts & HDA_INTSTS_CIS) {
			/* Not ours: libhda's thread drains the RIRB.  But
			 * RINTFL (the only CIS source libhda enables) would
			 * hold the level-triggered line up until it does,
			 * and an IOC raised meanwhile would make no edge on
			 * the caller's fd.  Clearing the flag is one write
			 * that takes no lock; the drain reads RIRBWP, not
			 * the flag.  Then look again, for such an IOC. */
			hda__wr8(bus, HDA_RIRBSTS, HDA_RIRBSTS_RINTFL);
			left |= SVC_CODEC;
			done |= HDA_INTSTS_CIS;
		}
		if (!done)
			return left;
	}
	/* Still pending after the bounded rounds.  The backends signal
	 * rising edges of a level-triggered line, and this one never fell:
	 * no new edge will come, so look again soon instead of waiting. */
	return left | SVC_AGAIN;
}

static void *irq_main(void *arg)
{
	hda_bus *bus = arg;
	int line_fd = bus->ops->irq_fd(bus->plat);
	struct pollfd fds[2] = {
		{.fd = line_fd, .events = POLLIN},
		{.fd = bus->wake_fd, .events = POLLIN},
	};
	bool again = false;

	while (!atomic_load(&bus->stopping)) {
		int n, idle;

		/* The line is the caller's while it services streams: an
		 * edge we read here would be one its fd never shows.  (One
		 * read around an attach is passed on below.) */
		fds[0].fd = atomic_load(&bus->svc_caller) ? -1 : line_fd;
		/* Work left over: look again in 1 ms.  Not at once, so a
		 * status bit the device never lets go of costs a wakeup a
		 * millisecond rather than a spinning core.  While engines
		 * run, look every HDA_HEALTH_PERIOD_MS anyway: a device that
		 * dies raises no interrupt (QEMU killed, the emulator's
		 * fault=gone), and the health look below is what notices
		 * it, whoever services the streams. */
		idle = atomic_load(&bus->engines_running) &&
			       !atomic_load(&bus->gone_told)
		       ? HDA_HEALTH_PERIOD_MS : -1;
		n = poll(fds, 2, again ? 1 : idle);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[0].revents & POLLIN)
			drain_fd(fds[0].fd);
		if (fds[1].revents & POLLIN)
			drain_fd(fds[1].fd);
		if (atomic_load(&bus->stopping))
			break;
		pthread_mutex_lock(&bus->svc_lock);
		if (atomic_load(&bus->svc_caller)) {
			/* Streams are the caller's: an edge we read was its,
			 * so pass it on.  Codec work is ours when dispatch
			 * handed it over; only then, so that a transfer's
			 * kicks (it holds the rings) make no busy loop. */
			if (fds[0].revents & POLLIN)
				fd_add(bus->svc_poke_fd);
			if (atomic_exchange(&bus->svc_codec, false))
				(void)hda__rirb_service(bus);
			again = false;
			/* From our next poll on the line is left alone:
			 * the attach waiting for that may return. */
			bus->svc_seen = true;
			pthread_cond_broadcast(&bus->svc_cond);
		} else if (!atomic_load(&bus->dead)) {
			/* Every wakeup looks at INTSTS: a kick may stand
			 * for an interrupt whose RIRB part was left to a
			 * transfer. */
			again = (service(bus, SVC_STREAMS | SVC_CODEC) &
				 SVC_AGAIN) != 0;
		}
		pthread_mutex_unlock(&bus->svc_lock);
		/* health is an atomic load (plat.h); service() alone would
		 * miss a device that dies while the caller services streams. */
		if (!atomic_load(&bus->dead) &&
		    bus->ops->health(bus->plat) != HDA_STATUS_SUCCESS)
			atomic_store(&bus->dead, true);
		if (atomic_load(&bus->dead))
			hda__device_gone(bus); /* signals eventfds, once */
		hda__unsol_dispatch(bus);
	}
	/* No attach may wait for a thread that is gone. */
	pthread_mutex_lock(&bus->svc_lock);
	bus->svc_seen = true;
	pthread_cond_broadcast(&bus->svc_cond);
	pthread_mutex_unlock(&bus->svc_lock);
	return NULL;
}

/* Asynchronous verb transfers run here, not on the interrupt thread, so a
 * long transfer (a 64-verb batch takes ~20 ms over QEMU's socket) does not
 * run where stream interrupts are serviced.  Running elsewhere is not
 * enough on its own: the interrupt thread must also never wait for the
 * rings a transfer holds.  It once did, taking verb_lock for the
 * unsolicited queue on every wakeup, and a silent codec then held each
 * IOC back for up to 100 ms; see verbs.c. */
static void *verb_worker(void *arg)
{
	hda_bus *bus = arg;

	pthread_mutex_lock(&bus->async_lock);
	while (!atomic_load(&bus->stopping)) {
		if (!bus->async_count) {
			pthread_cond_wait(&bus->async_cond, &bus->async_lock);
			continue;
		}
		pthread_mutex_unlock(&bus->async_lock);
		hda__async_run(bus);
		pthread_mutex_lock(&bus->async_lock);
	}
	pthread_mutex_unlock(&bus->async_lock);
	return NULL;
}

/* The caller's fd: an epoll set over the interrupt line, the poke eventfd
 * and the retry timer, so the caller has one fd to watch. */
static void svc_close(hda_bus *bus)
{
	int *fds[] = {&bus->svc_fd, &bus->svc_poke_fd, &bus->svc_timer_fd};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static hda_status svc_add(int epfd, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0
		       ? HDA_STATUS_SUCCESS
		       : HDA_STATUS_INSUFFICIENT_RESOURCES;
}

static hda_status svc_open(hda_bus *bus)
{
	hda_status st = HDA_STATUS_INSUFFICIENT_RESOURCES;

	bus->svc_fd = epoll_create1(EPOLL_CLOEXEC);
	bus->svc_poke_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	bus->svc_timer_fd = timerfd_create(CLOCK_MONOTONIC,
					   TFD_CLOEXEC | TFD_NONBLOCK);
	if (bus->svc_fd < 0 || bus->svc_poke_fd < 0 || bus->svc_timer_fd < 0)
		goto fail;
	st = svc_add(bus->svc_fd, bus->ops->irq_fd(bus->plat));
	if (!st)
		st = svc_add(bus->svc_fd, bus->svc_poke_fd);
	if (!st)
		st = svc_add(bus->svc_fd, bus->svc_timer_fd);
	if (!st)
		return HDA_STATUS_SUCCESS;
fail:
	svc_close(bus);
	return st;
}

hda_status hda__irq_start(hda_bus *bus)
{
	bus->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (bus->wake_fd < 0)
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	if (pthread_create(&bus->irq_thread, NULL, irq_main, bus) != 0)
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	bus->irq_running = true;
	if (pthread_create(&bus->verb_thread, NULL, verb_worker, bus) != 0)
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	bus->verb_running = true;
	return HDA_STATUS_SUCCESS;
}

void hda__irq_stop(hda_bus *bus)
{
	atomic_store(&bus->stopping, true);
	if (bus->irq_running) {
		hda__irq_kick(bus);
		pthread_join(bus->irq_thread, NULL);
		bus->irq_running = false;
	}
	if (bus->verb_running) {
		pthread_mutex_lock(&bus->async_lock);
		pthread_cond_broadcast(&bus->async_cond);
		pthread_mutex_unlock(&bus->async_lock);
		pthread_join(bus->verb_thread, NULL);
		bus->verb_running = false;
	}
	if (bus->wake_fd >= 0) {
		close(bus->wake_fd);
		bus->wake_fd = -1;
	}
	/* Both threads are gone: nothing uses the caller's fds any more. */
	if (atomic_exchange(&bus->svc_caller, false))
		svc_close(bus);
}

/* ---- Service on the caller's thread -------------------------------------- */

hda_status hda_interrupt_attach(hda_bus *bus)
{
	hda_status st;

	if (hda__in_callback())
		return HDA_STATUS_UNSUCCESSFUL;
	if (!bus)
		return HDA_STATUS_INVALID_PARAMETER;
	/* Taken while libhda's thread is not servicing: from the moment it
	 * is released that thread leaves stream causes alone. */
	pthread_mutex_lock(&bus->svc_lock);
	st = atomic_load(&bus->svc_caller) ? HDA_STATUS_INVALID_DEVICE_REQUEST
					   : svc_open(bus);
	if (st == HDA_STATUS_SUCCESS) {
		atomic_store(&bus->svc_caller, true);
		/* A stream bit may be pending already, its edge read by
		 * libhda's thread: the caller's first dispatch looks. */
		fd_add(bus->svc_poke_fd);
		/* That thread may be in a poll that includes the line.
		 * Wait until it has woken and left it: after this call it
		 * reads no edge of the caller's, so nothing reaches the fd
		 * that the caller did not cause. */
		bus->svc_seen = false;
		hda__irq_kick(bus);
		while (!bus->svc_seen)
			pthread_cond_wait(&bus->svc_cond, &bus->svc_lock);
	}
	pthread_mutex_unlock(&bus->svc_lock);
	return st;
}

hda_status hda_interrupt_detach(hda_bus *bus)
{
	hda_status st = HDA_STATUS_INVALID_DEVICE_REQUEST;

	if (hda__in_callback())
		return HDA_STATUS_UNSUCCESSFUL;
	if (!bus)
		return HDA_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&bus->svc_lock);
	if (atomic_exchange(&bus->svc_caller, false)) {
		svc_close(bus);
		st = HDA_STATUS_SUCCESS;
	}
	pthread_mutex_unlock(&bus->svc_lock);
	/* Whatever the caller left pending, libhda's thread services on
	 * this wakeup: every wakeup looks at INTSTS. */
	if (st == HDA_STATUS_SUCCESS)
		hda__irq_kick(bus);
	return st;
}

hda_status hda_interrupt_fd(hda_bus *bus, int *fd)
{
	if (!bus || !fd)
		return HDA_STATUS_INVALID_PARAMETER;
	if (!atomic_load(&bus->svc_caller))
		return HDA_STATUS_INVALID_DEVICE_REQUEST;
	*fd = bus->svc_fd;
	return HDA_STATUS_SUCCESS;
}

hda_status hda_interrupt_dispatch(hda_bus *bus)
{
	struct epoll_event ev[3];
	unsigned left = 0;
	int n;

	if (hda__in_callback())
		return HDA_STATUS_UNSUCCESSFUL;
	if (!bus)
		return HDA_STATUS_INVALID_PARAMETER;
	if (!atomic_load(&bus->svc_caller))
		return HDA_STATUS_INVALID_DEVICE_REQUEST;
	/* Consume what woke the caller (the fd is level-triggered), then
	 * look at INTSTS whatever it was, as libhda's thread does. */
	n = epoll_wait(bus->svc_fd, ev, 3, 0);
	for (int i = 0; i < n; i++)
		drain_fd(ev[i].data.fd);
	if (!atomic_load(&bus->dead))
		left = service(bus, SVC_STREAMS);
	if (left & SVC_CODEC) {
		atomic_store(&bus->svc_codec, true);
		hda__irq_kick(bus);
	}
	if (left & SVC_AGAIN) {
		/* As libhda's thread does for a status that never clears:
		 * look again in 1 ms, through the fd. */
		struct itimerspec later = {.it_value = {.tv_nsec = 1000000}};

		(void)timerfd_settime(bus->svc_timer_fd, 0, &later, NULL);
	}
	return atomic_load(&bus->dead) ? HDA_STATUS_DEVICE_NOT_READY
				       : HDA_STATUS_SUCCESS;
}

/* ---- Scheduling of libhda's thread --------------------------------------- */

hda_status hda_set_interrupt_thread_scheduling(hda_bus *bus, int policy,
					       int priority)
{
	struct sched_param sp = {.sched_priority = priority};
	int lo, hi, r;

	if (hda__in_callback())
		return HDA_STATUS_UNSUCCESSFUL;
	if (!bus)
		return HDA_STATUS_INVALID_PARAMETER;
	/* -1 for a policy the kernel does not know. */
	lo = sched_get_priority_min(policy);
	hi = sched_get_priority_max(policy);
	if (lo < 0 || hi < 0 || priority < lo || priority > hi)
		return HDA_STATUS_INVALID_PARAMETER;
	r = pthread_setschedparam(bus->irq_thread, policy, &sp);
	if (r == EPERM)
		return HDA_STATUS_ACCESS_DENIED;
	return r ? HDA_STATUS_INVALID_PARAMETER : HDA_STATUS_SUCCESS;
}
