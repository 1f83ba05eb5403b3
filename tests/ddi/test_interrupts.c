/* SPDX-License-Identifier: MIT */
/*
 * Interrupts the caller can schedule, on the emulator with its manual clock:
 * buffers with an IOC every period, stream-interrupt service on the caller's
 * thread, the scheduling of libhda's interrupt thread, and stream
 * interrupts that never wait behind a codec verb.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "hda/hda_codec.h"
#include "hda/hda_emu.h"
#include "testutil.h"

#define URI "emu:clock=manual"
/* 2 ms at 48k/16/2: 96 frames, 3 granules of 128 bytes. */
#define PERIOD 384u
#define PERIODS 4u
#define BOUND_MS 10000 /* bounds on conditions, never waited out when right */

typedef struct pstream {
	hda_engine e;
	hda_mdl *mdl;
	size_t size;
	uint8_t id;
	uint32_t fifo;
	unsigned sd;
	bool render;
	uint64_t start_ns; /* model time the link started */
	int fd;            /* its notification eventfd */
} pstream;

/* A running engine with a buffer of PERIODS periods of PERIOD bytes. */
static void pstream_start(hda_bus *bus, pstream *s, bool render)
{
	hda_emu_stream_truth truth;
	uint16_t conv;

	memset(s, 0, sizeof(*s));
	s->render = render;
	if (render)
		assert_ok(hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, &s->e, &conv));
	else
		assert_ok(hda_allocate_capture_dma_engine(bus, 0, &FMT_48K_16_2, &s->e, &conv));
	assert_ok(hda_allocate_dma_buffer_periods(bus, s->e, PERIOD, PERIODS, &s->mdl, &s->size,
						  &s->id, &s->fifo));
	assert_int_equal(s->size, PERIOD * PERIODS);
	assert_ok(hda_get_engine_descriptor(bus, s->e, &s->sd));
	s->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(s->fd >= 0);
	assert_ok(hda_register_notification_event(bus, s->e, s->fd));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &s->e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &s->e));
	assert_ok(hda_emu_stream_truth_get(hda_emu_from_bus(bus), s->sd, &truth));
	assert_true(truth.running);
	s->start_ns = truth.start_ns;
}

static void pstream_stop(hda_bus *bus, pstream *s)
{
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &s->e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RESET, 1, &s->e));
	assert_ok(hda_unregister_notification_event(bus, s->e, s->fd));
	assert_ok(hda_free_dma_buffer_with_notification(bus, s->e, s->mdl, s->size));
	assert_ok(hda_free_dma_engine(bus, s->e));
	close(s->fd);
}

/*
 * Model time at which the DMA side crosses the end of period k (1-based,
 * counted over laps).  Render: the engine fetches one FIFO ahead of the
 * link, so the memory side reaches k * PERIOD when the link reaches
 * k * PERIOD - fifo.  Capture: memory lags the link by the FIFO, so it is
 * when the link reaches k * PERIOD + fifo.  The link carries frame f at
 * the first t with floor((t - start) * 48000 / 1e9) >= f.
 */
static uint64_t boundary_ns(const pstream *s, unsigned k)
{
	uint64_t mem = (uint64_t)k * PERIOD;
	uint64_t link = s->render ? (mem > s->fifo ? mem - s->fifo : 0) : mem + s->fifo;
	uint64_t frames = link / 4;

	return s->start_ns + (frames * 1000000000ull + 47999) / 48000;
}

/* The eventfd's count, without waiting (0 when nothing was added). */
static uint64_t take(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

static void advance_to(hda_emu *emu, uint64_t t)
{
	uint64_t now = hda_emu_now_ns(emu);

	assert_true(t >= now);
	if (t > now)
		assert_ok(hda_emu_advance(emu, t - now));
}

/* ---- IOC every period: the rules ------------------------------------------ */

static void periods_rules(void **state)
{
	hda_bus *bus;
	hda_engine e;
	uint16_t conv;
	hda_mdl *mdl = NULL;
	size_t size = 0;
	uint8_t id = 0;
	uint32_t fifo = 0;
	static const struct {
		size_t ask, period;
	} rounding[] = {{192, 256}, {191, 128}, {100, 128}, {1, 128}, {0, 128}, {384, 384}};

	(void)state;
	assert_ok(hda_bus_open(URI, &bus));
	assert_ok(hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, &e, &conv));
	/* 2..256 periods: one BDL entry each */
	assert_status(hda_allocate_dma_buffer_periods(bus, e, PERIOD, 1, &mdl, &size, &id, &fifo),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_allocate_dma_buffer_periods(bus, e, PERIOD, 257, &mdl, &size, &id, &fifo),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_allocate_dma_buffer_periods(bus, e, PERIOD, 2, NULL, &size, &id, &fifo),
		      HDA_STATUS_INVALID_PARAMETER);
	/* over 4 MiB: a parameter rule, not a shortage */
	assert_status(hda_allocate_dma_buffer_periods(bus, e, 16384 + 128, 256, &mdl, &size, &id,
						      &fifo),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_null(mdl);
	assert_int_equal(size, 0);
	/* the period rounds to the nearest granule (128 B), ties up, one at
	 * least; the total is period x periods */
	for (size_t i = 0; i < sizeof(rounding) / sizeof(rounding[0]); i++) {
		assert_ok(hda_allocate_dma_buffer_periods(bus, e, rounding[i].ask, 3, &mdl, &size,
							  &id, &fifo));
		assert_int_equal(size, rounding[i].period * 3);
		assert_int_equal(mdl->byte_count, size);
		assert_int_equal(mdl->byte_offset, 0);
		/* it is a notification buffer, and only that free fits */
		assert_status(hda_free_dma_buffer(bus, e), HDA_STATUS_INVALID_DEVICE_REQUEST);
		assert_status(hda_allocate_dma_buffer_periods(bus, e, PERIOD, 2, &mdl, &size, &id,
							      &fifo),
			      HDA_STATUS_INVALID_DEVICE_REQUEST);
		assert_ok(hda_free_dma_buffer_with_notification(bus, e, mdl, size));
	}
	/* exactly 4 MiB is allowed */
	assert_ok(hda_allocate_dma_buffer_periods(bus, e, 16384, 256, &mdl, &size, &id, &fifo));
	assert_int_equal(size, 4u << 20);
	assert_ok(hda_free_dma_buffer_with_notification(bus, e, mdl, size));
	assert_ok(hda_free_dma_engine(bus, e));
	hda_bus_close(bus);

	/* a total the FIFO could swallow: refused, never regrown */
	assert_ok(hda_bus_open(URI ",fifo=1024", &bus));
	assert_ok(hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, &e, &conv));
	size = 0;
	assert_status(hda_allocate_dma_buffer_periods(bus, e, 256, 4, &mdl, &size, &id, &fifo),
		      HDA_STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(size, 0);
	assert_ok(hda_allocate_dma_buffer_periods(bus, e, 256, 5, &mdl, &size, &id, &fifo));
	assert_int_equal(fifo, 1024);
	assert_ok(hda_free_dma_buffer_with_notification(bus, e, mdl, size));
	assert_ok(hda_free_dma_engine(bus, e));
	hda_bus_close(bus);

	/* memory that cannot be had: 4 MiB on a 1 MiB machine */
	assert_ok(hda_bus_open(URI ",dma_mb=1", &bus));
	assert_ok(hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, &e, &conv));
	assert_status(hda_allocate_dma_buffer_periods(bus, e, 16384, 256, &mdl, &size, &id, &fifo),
		      HDA_STATUS_INSUFFICIENT_RESOURCES);
	assert_ok(hda_free_dma_engine(bus, e));
	hda_bus_close(bus);
}

/* ---- IOC every period, delivered by libhda's thread ----------------------- */

/* Two laps of the buffer: for each period, nothing up to 1 ns before its
 * boundary, then exactly one notification. */
static void periods_on_libhda_thread(bool render)
{
	hda_bus *bus;
	hda_emu *emu;
	pstream s;

	assert_ok(hda_bus_open(URI, &bus));
	emu = hda_emu_from_bus(bus);
	pstream_start(bus, &s, render);
	for (unsigned k = 1; k <= 2 * PERIODS; k++) {
		advance_to(emu, boundary_ns(&s, k) - 1);
		advance_to(emu, boundary_ns(&s, k));
		assert_int_equal(wait_eventfd(s.fd, 1, BOUND_MS), 1);
	}
	/* no stray one: the count stands at one a period */
	assert_int_equal(take(s.fd), 0);
	pstream_stop(bus, &s);
	hda_bus_close(bus);
}

static void periods_render(void **state)
{
	(void)state;
	periods_on_libhda_thread(true);
}

static void periods_capture(void **state)
{
	(void)state;
	periods_on_libhda_thread(false);
}

/* ---- Service on the caller's thread --------------------------------------- */

/* The model clock, advanced on a thread of its own: a step that raises the
 * interrupt line waits (hda_emu_advance) until a handler lowers it, and the
 * handler is now this test's own thread. */
typedef struct model_clock {
	hda_emu *emu;
	uint64_t ns;
	pthread_t t;
	hda_status st;
} model_clock;

static void *clock_main(void *arg)
{
	model_clock *c = arg;

	c->st = hda_emu_advance(c->emu, c->ns);
	return NULL;
}

static void clock_go(model_clock *c, uint64_t to)
{
	c->ns = to - hda_emu_now_ns(c->emu);
	assert_int_equal(pthread_create(&c->t, NULL, clock_main, c), 0);
}

static void clock_wait(model_clock *c)
{
	assert_int_equal(pthread_join(c->t, NULL), 0);
	assert_ok(c->st);
}

static bool readable(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

/*
 * Every period: up to 1 ns before the boundary the service fd stays quiet
 * and nothing fires; at the boundary the fd becomes readable, still nothing
 * fires (libhda's thread no longer services streams), and the notification
 * is there when dispatch returns on this thread, at the boundary's model
 * time.
 */
static void periods_on_caller_thread(bool render)
{
	hda_bus *bus;
	model_clock c;
	pstream s;
	int fd;

	assert_ok(hda_bus_open(URI, &bus));
	c.emu = hda_emu_from_bus(bus);
	assert_ok(hda_interrupt_attach(bus));
	assert_ok(hda_interrupt_fd(bus, &fd));
	/* the first dispatch after attach looks at whatever was pending */
	assert_true(readable(fd, 0));
	assert_ok(hda_interrupt_dispatch(bus));
	assert_false(readable(fd, 0));
	pstream_start(bus, &s, render);
	for (unsigned k = 1; k <= 2 * PERIODS; k++) {
		uint64_t t = boundary_ns(&s, k);

		clock_go(&c, t - 1);
		clock_wait(&c);
		assert_false(readable(fd, 0));
		assert_int_equal(take(s.fd), 0);
		clock_go(&c, t);
		assert_true(readable(fd, BOUND_MS));
		assert_int_equal(take(s.fd), 0);
		assert_ok(hda_interrupt_dispatch(bus));
		assert_int_equal(take(s.fd), 1);
		assert_int_equal(hda_emu_now_ns(c.emu), t);
		clock_wait(&c);
	}
	pstream_stop(bus, &s);
	/* close while attached: the fd goes with the bus */
	hda_bus_close(bus);
	errno = 0;
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
}

static void caller_render(void **state)
{
	(void)state;
	periods_on_caller_thread(true);
}

static void caller_capture(void **state)
{
	(void)state;
	periods_on_caller_thread(false);
}

/* A BDL-interface engine whose ISR records the thread it runs on. */
typedef struct isr_log {
	hda_bus *bus;
	_Atomic unsigned calls;
	_Atomic unsigned on_main; /* calls on the test's thread */
	pthread_t main;
	hda_status nested; /* hda_interrupt_dispatch from inside the ISR */
	int policy, priority; /* of the thread the last ISR ran on */
	int fd;
} isr_log;

static void log_isr(void *ctx, uint32_t sts)
{
	isr_log *l = ctx;
	struct sched_param sp;

	if (!(sts & 0x04))
		return;
	if (pthread_equal(pthread_self(), l->main))
		l->on_main++;
	l->nested = hda_interrupt_dispatch(l->bus);
	(void)pthread_getschedparam(pthread_self(), &l->policy, &sp);
	l->priority = sp.sched_priority;
	l->calls++;
	(void)!write(l->fd, &(uint64_t){1}, sizeof(uint64_t));
}

/* Four 384-byte entries with IOC on each. */
static void isr_engine(hda_bus *bus, isr_log *l, hda_engine *e)
{
	hda_mdl *data;
	hda_bdl_entry *bdl;
	uint16_t conv;
	uint8_t id;
	uint32_t fifo;

	assert_ok(hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, e, &conv));
	assert_ok(hda_allocate_contiguous_dma_buffer(bus, *e, 4 * PERIOD, &data, &bdl));
	for (unsigned i = 0; i < 4; i++)
		bdl[i] = (hda_bdl_entry){data->pages[0].bus + i * PERIOD, PERIOD, HDA_BDL_IOC};
	assert_ok(hda_setup_dma_engine_with_bdl(bus, *e, 4 * PERIOD, 3, log_isr, l, &id, &fifo));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, e));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, e));
}

/* Attached: every ISR runs on the dispatching thread; detached: on
 * libhda's thread again. */
static void attach_detach(void **state)
{
	hda_bus *bus;
	hda_engine e;
	model_clock c;
	isr_log l = {.main = pthread_self(), .fd = eventfd(0, EFD_CLOEXEC)};
	int fd;

	(void)state;
	assert_status(hda_interrupt_attach(NULL), HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_interrupt_dispatch(NULL), HDA_STATUS_INVALID_PARAMETER);
	assert_ok(hda_bus_open(URI, &bus));
	c.emu = hda_emu_from_bus(bus);
	l.bus = bus;
	/* not attached yet */
	assert_status(hda_interrupt_fd(bus, &fd), HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_status(hda_interrupt_dispatch(bus), HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_status(hda_interrupt_detach(bus), HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_ok(hda_interrupt_attach(bus));
	assert_status(hda_interrupt_attach(bus), HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_ok(hda_interrupt_fd(bus, &fd));
	isr_engine(bus, &l, &e);
	/* 8 periods; each one's IOC is serviced here, on this thread */
	for (unsigned k = 1; k <= 8; k++) {
		clock_go(&c, hda_emu_now_ns(c.emu) + 2000000);
		while (l.calls < k) {
			assert_true(readable(fd, BOUND_MS));
			assert_ok(hda_interrupt_dispatch(bus));
		}
		clock_wait(&c);
	}
	assert_int_equal(l.calls, 8);
	assert_int_equal(l.on_main, 8);
	/* dispatch from inside a callback is refused */
	assert_status(l.nested, HDA_STATUS_UNSUCCESSFUL);
	/* detach: libhda's thread services again, the fd is gone */
	assert_ok(hda_interrupt_detach(bus));
	assert_status(hda_interrupt_detach(bus), HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_status(hda_interrupt_fd(bus, &fd), HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_status(hda_interrupt_dispatch(bus), HDA_STATUS_INVALID_DEVICE_REQUEST);
	assert_ok(hda_emu_advance(c.emu, 8000000));
	assert_int_equal(wait_eventfd(l.fd, 12, BOUND_MS), 12);
	assert_int_equal(l.calls, 12);
	assert_int_equal(l.on_main, 8);
	/* and a second attach works like the first */
	assert_ok(hda_interrupt_attach(bus));
	assert_ok(hda_interrupt_fd(bus, &fd));
	clock_go(&c, hda_emu_now_ns(c.emu) + 2000000);
	while (l.calls < 13) {
		assert_true(readable(fd, BOUND_MS));
		assert_ok(hda_interrupt_dispatch(bus));
	}
	clock_wait(&c);
	assert_int_equal(l.on_main, 9);
	assert_ok(hda_interrupt_detach(bus));
	hda_bus_close(bus);
	close(l.fd);
}

/* Attached, codec work stays on libhda's thread: an unsolicited response
 * wakes the caller's fd, whose dispatch hands it over, and the callback
 * runs on libhda's thread. */
typedef struct unsol_log {
	pthread_t main;
	_Atomic bool on_main;
	uint32_t response;
	int fd;
} unsol_log;

static void on_unsol(hda_codec_response r, void *ctx)
{
	unsol_log *u = ctx;

	u->on_main = pthread_equal(pthread_self(), u->main);
	u->response = r.response;
	(void)!write(u->fd, &(uint64_t){1}, sizeof(uint64_t));
}

static void caller_codec_work_stays(void **state)
{
	hda_bus *bus;
	model_clock c;
	unsol_log u = {.main = pthread_self(), .fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
	hda_codec_transfer t;
	uint8_t tag;
	int fd;

	(void)state;
	assert_ok(hda_bus_open(URI, &bus));
	c.emu = hda_emu_from_bus(bus);
	assert_ok(hda_register_event_callback(bus, on_unsol, &u, &tag));
	/* the headphone pin (0x09) reports its jack under our tag */
	t.command = hda_verb12(0, 0x09, 0x708, (uint8_t)(0x80 | tag));
	assert_ok(hda_transfer_codec_verbs(bus, 1, &t, NULL, NULL));
	assert_true(t.response.is_valid);
	assert_ok(hda_interrupt_attach(bus));
	assert_ok(hda_interrupt_fd(bus, &fd));
	/* synchronous verbs need no dispatch: a transfer reads the RIRB */
	assert_ok(hda_transfer_codec_verbs(bus, 1, &t, NULL, NULL));
	assert_true(t.response.is_valid);
	assert_ok(hda_emu_set_jack(c.emu, 0x09, true));
	clock_go(&c, hda_emu_now_ns(c.emu) + 1000000);
	/* dispatch whenever the fd asks, until the callback has run */
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = u.fd, .events = POLLIN}};

		assert_true(poll(p, 2, BOUND_MS) > 0);
		if (p[1].revents & POLLIN)
			break;
		assert_ok(hda_interrupt_dispatch(bus));
	}
	clock_wait(&c);
	/* the read orders the callback's stores before ours */
	assert_int_equal(take(u.fd), 1);
	assert_false(u.on_main);
	assert_int_equal(u.response >> 26, tag);
	assert_ok(hda_interrupt_detach(bus));
	hda_bus_close(bus);
	close(u.fd);
}

/* ---- Scheduling of libhda's thread ---------------------------------------- */

/* Run ISRs on libhda's thread until one more has run, then check the
 * policy that thread runs under. */
static void expect_isr_policy(hda_bus *bus, isr_log *l, int policy, int priority)
{
	unsigned before = l->calls;

	assert_ok(hda_emu_advance(hda_emu_from_bus(bus), 2000000));
	assert_true(wait_eventfd(l->fd, 1, BOUND_MS) >= 1);
	assert_true(l->calls > before);
	assert_int_equal(l->policy, policy);
	assert_int_equal(l->priority, priority);
}

/* Whether this process may use SCHED_FIFO at all, found on a thread of
 * its own, independently of libhda. */
static bool rt_allowed(void)
{
	pthread_t t;
	int r = -1;

	assert_int_equal(pthread_create(&t, NULL, test_rt_probe, &r), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(r == 0 || r == EPERM);
	return r == 0;
}

static void scheduling(void **state)
{
	hda_bus *bus;
	hda_engine e;
	isr_log l = {.main = pthread_self(), .fd = eventfd(0, EFD_CLOEXEC)};

	(void)state;
	assert_status(hda_set_interrupt_thread_scheduling(NULL, SCHED_OTHER, 0),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_ok(hda_bus_open(URI, &bus));
	l.bus = bus;
	isr_engine(bus, &l, &e);
	/* what the kernel does not accept */
	assert_status(hda_set_interrupt_thread_scheduling(bus, 12345, 0),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_set_interrupt_thread_scheduling(bus, SCHED_FIFO, 0),
		      HDA_STATUS_INVALID_PARAMETER);
	assert_status(hda_set_interrupt_thread_scheduling(bus, SCHED_OTHER, 5),
		      HDA_STATUS_INVALID_PARAMETER);
	/* SCHED_BATCH needs no privilege: it works anywhere, and applies to
	 * the thread that runs the ISR */
	expect_isr_policy(bus, &l, SCHED_OTHER, 0);
	assert_ok(hda_set_interrupt_thread_scheduling(bus, SCHED_BATCH, 0));
	expect_isr_policy(bus, &l, SCHED_BATCH, 0);
	/* SCHED_FIFO works exactly when this process may use it */
	if (rt_allowed()) {
		assert_ok(hda_set_interrupt_thread_scheduling(bus, SCHED_FIFO, 1));
		expect_isr_policy(bus, &l, SCHED_FIFO, 1);
	} else {
		assert_status(hda_set_interrupt_thread_scheduling(bus, SCHED_FIFO, 1),
			      HDA_STATUS_ACCESS_DENIED);
		expect_isr_policy(bus, &l, SCHED_BATCH, 0);
	}
	assert_ok(hda_set_interrupt_thread_scheduling(bus, SCHED_OTHER, 0));
	expect_isr_policy(bus, &l, SCHED_OTHER, 0);
	hda_bus_close(bus);
	close(l.fd);
}

/* Take SCHED_FIFO away from this process: no real-time rlimit and, for
 * root, no CAP_SYS_NICE.  False when the capability cannot be dropped. */
static bool drop_rt(void)
{
	struct rlimit none = {0, 0};
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	if (setrlimit(RLIMIT_RTPRIO, &none) != 0)
		return false;
	if (syscall(SYS_capget, &h, d) != 0)
		return false;
	d[CAP_SYS_NICE / 32].effective &= ~(1u << (CAP_SYS_NICE % 32));
	d[CAP_SYS_NICE / 32].permitted &= ~(1u << (CAP_SYS_NICE % 32));
	return syscall(SYS_capset, &h, d) == 0;
}

/* The refusal, made certain in a child that may not use SCHED_FIFO,
 * whoever runs the suite. */
static void scheduling_refused(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		hda_bus *bus;
		hda_status st;

		if (!drop_rt())
			_exit(77);
		if (hda_bus_open(URI, &bus))
			_exit(2);
		st = hda_set_interrupt_thread_scheduling(bus, SCHED_FIFO, 1);
		hda_bus_close(bus);
		_exit(st == HDA_STATUS_ACCESS_DENIED ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- Verbs never block stream interrupts ---------------------------------- */

/*
 * A transfer that holds the rings for a long time: windows of 64 verbs that
 * no codec answers.  The driver waits HDA_VERB_TIMEOUT_US (100 ms of real
 * time) for each window, exactly as for a silent codec (fault=codec), so
 * the batch holds the rings for SILENT_WINDOWS x 100 ms = 2 s.  That is the
 * one bound in this test, and it is huge: the 8 periods below take 8
 * model-clock steps and 8 eventfd wakeups, microseconds each.
 *
 * Its first verb goes to the codec, which answers: it binds the line-out
 * DAC to a probe stream, so converter frames start to count.  Seeing them
 * proves the transfer is under way, and so holds the rings (a transfer
 * takes them before its first verb and keeps them to its end).  The other
 * verbs go to codec address 1, where no codec sits.  (With the silent-codec
 * fault the first verb could not be answered, and nothing would show that
 * the transfer had begun.)
 */
#define SILENT_WINDOWS 20u

typedef struct verber {
	hda_bus *bus;
	hda_codec_transfer *t;
	size_t n;
	atomic_bool finished;
	hda_status st;
} verber;

static void *verber_main(void *arg)
{
	verber *v = arg;

	v->st = hda_transfer_codec_verbs(v->bus, v->n, v->t, NULL, NULL);
	atomic_store(&v->finished, true);
	return NULL;
}

/* The line-out path, carrying `id` except at its DAC, which is unbound. */
static void line_out_unbound(hda_bus *bus, uint8_t id, uint16_t conv, hda_codec_path *out)
{
	hda_codec_transfer t;

	assert_ok(test_find_path(bus, HDA_PATH_OUTPUT, HDA_PIN_LINE_OUT, out));
	assert_ok(hda_codec_path_enable(bus, out, id, conv));
	t.command = hda_verb12(0, out->converter, 0x706, 0);
	assert_ok(hda_transfer_codec_verbs(bus, 1, &t, NULL, NULL));
	assert_true(t.response.is_valid);
}

static void silent_codec_keeps_iocs(void **state)
{
	hda_bus *bus;
	hda_emu *emu;
	hda_engine probe;
	hda_mdl *mdl;
	size_t size;
	uint8_t id;
	uint32_t fifo;
	uint16_t conv;
	hda_codec_path out;
	pstream s;
	pthread_t th;
	uint64_t frames = 0, deadline;
	verber v = {.n = 64 * SILENT_WINDOWS};

	(void)state;
	assert_ok(hda_bus_open(URI, &bus));
	emu = hda_emu_from_bus(bus);
	v.bus = bus;
	/* the probe stream runs from the start, into a DAC not bound to it */
	assert_ok(hda_allocate_render_dma_engine(bus, &FMT_48K_16_2, false, &probe, &conv));
	assert_ok(hda_allocate_dma_buffer(bus, probe, 1920, &mdl, &size, &id, &fifo));
	line_out_unbound(bus, id, conv, &out);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &probe));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RUN, 1, &probe));
	v.t = calloc(v.n, sizeof(*v.t));
	assert_non_null(v.t);
	v.t[0].command = hda_verb12(0, out.converter, 0x706, (uint8_t)(id << 4));
	for (size_t i = 1; i < v.n; i++)
		v.t[i].command = hda_verb12(1, 0x01, 0xF00, 0x00);
	assert_int_equal(pthread_create(&th, NULL, verber_main, &v), 0);
	/* wait (bounded) until the DAC plays: the transfer holds the rings */
	deadline = test_now_ms() + BOUND_MS;
	while (frames == 0 && test_now_ms() < deadline) {
		assert_ok(hda_emu_advance(emu, 100000));
		assert_ok(hda_emu_converter_frames(emu, out.converter, &frames));
	}
	assert_true(frames > 0);
	assert_false(atomic_load(&v.finished));
	/* Period by period, each notification arrives while the transfer
	 * still holds the rings.  Before the fix the interrupt thread waited
	 * for the rings on every wakeup, and these came only after the whole
	 * batch. */
	pstream_start(bus, &s, true);
	for (unsigned k = 1; k <= 2 * PERIODS; k++) {
		advance_to(emu, boundary_ns(&s, k));
		assert_int_equal(wait_eventfd(s.fd, 1, BOUND_MS), 1);
		assert_false(atomic_load(&v.finished));
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_ok(v.st);
	assert_true(v.t[0].response.is_valid);
	assert_false(v.t[v.n - 1].response.is_valid);
	pstream_stop(bus, &s);
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_STOP, 1, &probe));
	assert_ok(hda_set_dma_engine_state(bus, HDA_STREAM_STATE_RESET, 1, &probe));
	assert_ok(hda_free_dma_buffer(bus, probe));
	assert_ok(hda_free_dma_engine(bus, probe));
	hda_bus_close(bus);
	free(v.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(periods_rules),
		cmocka_unit_test(periods_render),
		cmocka_unit_test(periods_capture),
		cmocka_unit_test(caller_render),
		cmocka_unit_test(caller_capture),
		cmocka_unit_test(attach_detach),
		cmocka_unit_test(caller_codec_work_stays),
		cmocka_unit_test(scheduling),
		cmocka_unit_test(scheduling_refused),
		cmocka_unit_test(silent_codec_keeps_iocs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
