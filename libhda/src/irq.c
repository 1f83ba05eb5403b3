/* SPDX-License-Identifier: MIT */
/*
 * The interrupt thread: libhda's stand-in for a kernel's interrupt context.
 *
 * It sleeps on the backend's interrupt eventfd and on a wake eventfd (for
 * asynchronous verb transfers and shutdown).  On an interrupt it reads
 * INTSTS and services stream and controller causes until none is pending:
 * the backend signals rising edges of a level-triggered line, so stopping
 * before INTSTS is clear could lose the next edge.
 *
 * Nothing on this path waits for a verb transfer: the RIRB is drained only
 * when the rings are free (a trylock; a transfer drains them itself), and
 * the unsolicited-response queue has a lock of its own (verbs.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
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

void hda__irq_kick(hda_bus *bus)
{
	uint64_t one = 1;

	if (bus->wake_fd >= 0)
		(void)!write(bus->wake_fd, &one, sizeof(one));
}

static void drain_fd(int fd)
{
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
}

/* One look at INTSTS and everything it shows.  Returns true when work
 * remains that only another look can find. */
static bool service(hda_bus *bus)
{
	for (unsigned round = 0; round < IRQ_MAX_ROUNDS; round++) {
		uint32_t intsts = hda__rd32(bus, HDA_INTSTS);
		uint32_t pending;

		if (intsts == 0xFFFFFFFFu &&
		    bus->ops->health(bus->plat) != HDA_STATUS_SUCCESS) {
			atomic_store(&bus->dead, true);
			return false;
		}
		pending = intsts & 0x7FFFFFFFu;
		for (unsigned sd = 0; sd < bus->n_sd; sd++) {
			uint8_t sts;

			if (!(pending & (1u << sd)))
				continue;
			sts = hda__rd8(bus, HDA_SD_OFF(sd) + HDA_SD_STS);
			/* Clear what we saw (RW1C) before acting on it. */
			hda__wr8(bus, HDA_SD_OFF(sd) + HDA_SD_STS,
				 sts & HDA_SD_STS_INT_MASK);
			hda__stream_irq(bus, sd, sts & HDA_SD_STS_INT_MASK);
		}
		if (pending & HDA_INTSTS_CIS) {
			/* CORB memory errors are not used; clear anyway. */
			hda__wr8(bus, HDA_CORBSTS, 0x01);
			/* A transfer in progress drains the RIRB itself and
			 * kicks us when it has: nothing to wait for here,
			 * and nothing to spin on. */
			if (!hda__rirb_service(bus))
				pending &= ~HDA_INTSTS_CIS;
		}
		if (!(pending & ~HDA_INTSTS_GIS))
			return false;
	}
	/* Still pending after the bounded rounds.  The backends signal
	 * rising edges of a level-triggered line, and this one never fell:
	 * no new edge will come, so look again soon instead of waiting. */
	return true;
}

static void *irq_main(void *arg)
{
	hda_bus *bus = arg;
	struct pollfd fds[2] = {
		{.fd = bus->ops->irq_fd(bus->plat), .events = POLLIN},
		{.fd = bus->wake_fd, .events = POLLIN},
	};
	bool again = false;

	while (!atomic_load(&bus->stopping)) {
		/* Work left over: look again in 1 ms.  Not at once, so a
		 * status bit the device never lets go of costs a wakeup a
		 * millisecond rather than a spinning core. */
		int n = poll(fds, 2, again ? 1 : -1);

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
		/* Every wakeup looks at INTSTS: a kick may stand for an
		 * interrupt whose RIRB part was left to a transfer. */
		if (!atomic_load(&bus->dead))
			again = service(bus);
		hda__unsol_dispatch(bus);
	}
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
}
