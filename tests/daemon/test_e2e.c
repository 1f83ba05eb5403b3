/* SPDX-License-Identifier: MIT */
/*
 * hdastreamd end to end: the daemon as a child process on the emulator
 * (line-out into a WAV file, line-in fed back from the line-out), and test
 * clients over TCP (hsd_testclient.h).  Each test has its own folder,
 * config and notify socket, and kills and reaps the daemon whatever
 * happens.  The emulator runs on its real-time clock: the tests check the
 * audio and the order of messages, with generous bounds on every wait, and
 * never a speed.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sndfile.h>

#include "hsd_e2e.h"


/* Latencies and queues with room for a slow machine (a sanitizer build
 * sharing two cores): an audio thread late by more than the latency would
 * put silence into the signal (measured: 200 ms was not always enough
 * under ThreadSanitizer). */
#define CONFIG                                                                 \
	"[daemon]\n"                                                           \
	"controller = emu:lineout=wav:@DIR@/out.wav,linein=loopback\n"         \
	"listen = 127.0.0.1:0\n"                                               \
	"max_clients = 8\n"                                                    \
	"client_queue_ms = 2000\n"                                             \
	"[stream playback]\n"                                                  \
	"direction = render\n"                                                 \
	"latency_ms = 1000\n"                                                  \
	"pin = line-out\n"                                                     \
	"[stream loopback]\n"                                                  \
	"direction = capture\n"                                                \
	"latency_ms = 1000\n"                                                  \
	"pin = line-in\n"


static int setup(void **state)
{
	(void)state;
	if (!tc_daemon_start(&daemon_, CONFIG)) {
		fprintf(stderr, "hdastreamd did not come up; its log is %s\n", daemon_.log);
		tc_daemon_cleanup(&daemon_);
		return -1;
	}
	return 0;
}


/* Wait (bounded) until the listener has `frames` frames past the signal's
 * start, and return where it starts. */
static int64_t wait_signal(listener *l, uint64_t frames)
{
	uint64_t deadline = tc_now_ms() + TC_WAIT_MS;
	int64_t at = -1;

	while (tc_now_ms() < deadline && !atomic_load(&l->failed)) {
		uint64_t have = atomic_load_explicit(&l->frames, memory_order_acquire);

		if (at < 0)
			at = find_signal(l->pcm, have);
		if (at >= 0 && have >= (uint64_t)at + frames)
			break;
		usleep(20000);
	}
	return at;
}

/* ---- Tests ----------------------------------------------------------------- */

/* READY=1 came with the bound address and a STATUS line (setup waited for
 * it; this checks what it said). */
static void ready_notified(void **state)
{
	(void)state;
	assert_non_null(strstr(daemon_.notify_seen, "READY=1"));
	assert_non_null(strstr(daemon_.notify_seen, "STATUS=serving 2 streams on 127.0.0.1:"));
	assert_true(!strncmp(daemon_.listen, "127.0.0.1:", 10));
	assert_true(daemon_.port > 0 && daemon_.port < 65536);
	/* STATUS= follows the clients. */
	{
		tc_client *c = client();

		assert_true(tc_daemon_notified(&daemon_, "STATUS=serving 2 streams on 127.0.0.1:",
					       TC_WAIT_MS));
		assert_true(tc_daemon_notified(&daemon_, "; 1 client", TC_WAIT_MS));
		tc_close(c);
	}
}

/* The signal played into `playback` comes back bit-exact through the
 * loopback to two listeners, who get identical audio; then, after
 * SIGTERM, it is in the line-out WAV file bit-exact too. */
static void render_capture_loopback(void **state)
{
	listener a, b;
	tc_client *p = client();
	hsp_opened op = open_ok(p, "playback", 0);
	int64_t at_a, at_b;
	uint64_t idx_a, idx_b, overlap;
	SF_INFO info = {0};
	SNDFILE *f;
	int16_t *wav;
	int64_t at;

	(void)state;
	assert_int_equal(op.direction, HSP_DIR_RENDER);
	assert_int_equal(op.format.rate, 48000);
	assert_true(op.latency_frames >= 48000 - 1 && op.buffer_bytes > op.fifo_bytes);
	listen_start(&a, 48000 * 10);
	listen_start(&b, 48000 * 10);
	play(p, &op, LEAD_FRAMES + PLAY_FRAMES);
	at_a = wait_signal(&a, PLAY_FRAMES);
	at_b = wait_signal(&b, PLAY_FRAMES);
	listen_stop(&a);
	listen_stop(&b);
	assert_true(at_a >= 0);
	assert_true(at_b >= 0);
	/* Every frame of the signal is there and exact for both: a frame
	 * the daemon lost would sit as silence in its place and fail this.
	 * Losses outside the signal (a slow machine) are counted, not
	 * failed on. */
	check_signal(a.pcm, (uint64_t)at_a, PLAY_FRAMES, "listener a");
	check_signal(b.pcm, (uint64_t)at_b, PLAY_FRAMES, "listener b");
	if (a.gaps || b.gaps)
		print_message("frames lost outside the signal: %u gaps (a), %u (b)\n",
			      a.gaps, b.gaps);
	/* The same stream frame is the same audio for both listeners: where
	 * the signal starts in the stream's timeline agrees. */
	idx_a = a.first_index + (uint64_t)at_a;
	idx_b = b.first_index + (uint64_t)at_b;
	assert_int_equal(idx_a, idx_b);
	overlap = PLAY_FRAMES;
	assert_memory_equal(a.pcm + 2 * at_a, b.pcm + 2 * at_b, overlap * FRAME_BYTES);
	/* The loopback offset: where in the capture timeline the signal
	 * landed.  It is fixed by when the render started; bound it loosely
	 * (the whole test runs in well under 10 s of stream). */
	print_message("loopback: signal at capture frame %llu\n", (unsigned long long)idx_a);
	assert_true(idx_a < 48000ull * 60);
	listen_free(&a);
	listen_free(&b);
	tc_close(p);

	/* SIGTERM closes the controller, which completes the WAV. */
	kill(daemon_.pid, SIGTERM);
	assert_true(tc_daemon_wait(&daemon_, TC_WAIT_MS));
	assert_true(WIFEXITED(daemon_.status));
	assert_int_equal(WEXITSTATUS(daemon_.status), 0);
	f = sf_open(daemon_.wav, SFM_READ, &info);
	assert_non_null(f);
	assert_int_equal(info.channels, 2);
	wav = calloc((size_t)info.frames + 1, FRAME_BYTES);
	assert_non_null(wav);
	assert_int_equal(sf_readf_short(f, wav, info.frames), info.frames);
	sf_close(f);
	at = find_signal(wav, (uint64_t)info.frames);
	assert_true(at >= 0);
	assert_true((uint64_t)at + PLAY_FRAMES <= (uint64_t)info.frames);
	check_signal(wav, (uint64_t)at, PLAY_FRAMES, "line-out WAV");
	free(wav);
}

/* A second render client is told busy, by name. */
static void second_render_busy(void **state)
{
	tc_client *a = client(), *b = client();
	hsp_msg m;

	(void)state;
	open_ok(a, "playback", 0);
	assert_true(tc_open(b, "playback", HSP_DIR_RENDER, 0, &m));
	assert_int_equal(m.type, HSP_ERROR);
	assert_int_equal(m.u.error.code, HSP_ERR_BUSY);
	assert_int_equal(m.u.error.fatal, 0);
	assert_string_equal(m.u.error.text, "stream playback is busy");
	/* b stays connected and can do other things. */
	open_ok(b, "loopback", 0);
	tc_close(a);
	tc_close(b);
}

/* A client killed while it holds the render stream frees it: another
 * client gets it (within a bounded wait; the time is printed). */
static void killed_client_frees_engine(void **state)
{
	int ready[2];
	pid_t child;
	char x;
	uint64_t t0, waited;
	tc_client *b;
	hsp_msg m;
	bool opened = false;

	(void)state;
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		tc_client *a = tc_connect(daemon_.port);
		hsp_msg r;

		if (!a || !tc_hello(a) || !tc_open(a, "playback", HSP_DIR_RENDER, 0, &r) ||
		    r.type != HSP_OPENED)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &x, 1), 1);
	close(ready[0]);
	b = client();
	assert_true(tc_open(b, "playback", HSP_DIR_RENDER, 0, &m));
	assert_int_equal(m.type, HSP_ERROR); /* held by the child */
	assert_int_equal(m.u.error.code, HSP_ERR_BUSY);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	t0 = tc_now_ms();
	while (!opened && tc_now_ms() - t0 < TC_WAIT_MS) {
		assert_true(tc_open(b, "playback", HSP_DIR_RENDER, 0, &m));
		opened = m.type == HSP_OPENED;
		if (!opened) {
			assert_int_equal(m.u.error.code, HSP_ERR_BUSY);
			usleep(10000);
		}
	}
	waited = tc_now_ms() - t0;
	print_message("engine free %llu ms after the kill\n", (unsigned long long)waited);
	assert_true(opened);
	/* And usable: a short signal plays out. */
	play(b, &m.u.opened, 4800);
	tc_close(b);
}

/* A client that breaks the protocol is told so and disconnected; a
 * listener streaming meanwhile keeps getting audio. */
static void violation_disconnects_only_that_client(void **state)
{
	listener l;
	tc_client *bad = client();
	static const uint8_t junk[8] = {0x77, 0x77, 0, 0, 0, 0, 0, 0}; /* unknown type */
	hsp_msg m;
	uint64_t before, deadline;

	(void)state;
	listen_start(&l, 48000 * 30);
	assert_true(tc_write(bad, junk, sizeof(junk)));
	assert_true(tc_expect(bad, HSP_ERROR, &m, TC_WAIT_MS, NULL, NULL));
	assert_int_equal(m.u.error.code, HSP_ERR_UNKNOWN_TYPE);
	assert_int_equal(m.u.error.fatal, 1);
	assert_int_equal(tc_recv(bad, &m, TC_WAIT_MS), -1); /* closed */
	before = atomic_load(&l.frames);
	deadline = tc_now_ms() + TC_WAIT_MS;
	while (atomic_load(&l.frames) < before + 4800 && tc_now_ms() < deadline &&
	       !atomic_load(&l.failed))
		usleep(10000);
	listen_stop(&l);
	assert_false(l.failed);
	assert_true(l.frames >= before + 4800);
	if (l.gaps)
		print_message("the other listener lost frames %u times (slow machine)\n", l.gaps);
	listen_free(&l);
	tc_close(bad);
}

/* SIGTERM: every client is told (fatal HSP_ERR_SHUTDOWN) and the daemon
 * exits 0 (bounded; the time is printed). */
static void sigterm_tells_clients_and_exits_0(void **state)
{
	tc_client *a = client(), *b = client();
	hsp_msg m;
	uint64_t t0;

	(void)state;
	open_ok(a, "playback", 0);
	open_ok(b, "loopback", 0);
	t0 = tc_now_ms();
	kill(daemon_.pid, SIGTERM);
	assert_true(tc_expect(a, HSP_ERROR, &m, TC_WAIT_MS, NULL, NULL));
	assert_int_equal(m.u.error.code, HSP_ERR_SHUTDOWN);
	assert_int_equal(m.u.error.fatal, 1);
	assert_true(tc_expect(b, HSP_ERROR, &m, TC_WAIT_MS, NULL, NULL));
	assert_int_equal(m.u.error.code, HSP_ERR_SHUTDOWN);
	assert_true(tc_daemon_wait(&daemon_, TC_WAIT_MS));
	print_message("exited %llu ms after SIGTERM\n", (unsigned long long)(tc_now_ms() - t0));
	assert_true(WIFEXITED(daemon_.status));
	assert_int_equal(WEXITSTATUS(daemon_.status), 0);
	assert_true(tc_daemon_notified(&daemon_, "STOPPING=1", TC_WAIT_MS));
	tc_close(a);
	tc_close(b);
}

/* With one output engine, a second render stream gets
 * HDA_STATUS_INSUFFICIENT_RESOURCES by name, and the first plays on. */
static void no_free_engine(void **state)
{
	tc_daemon *d = &daemon_;
	tc_client *a, *b;
	hsp_msg m;

	(void)state;
	assert_true(tc_daemon_start(d, "[daemon]\n"
					"controller = emu:oss=1\n"
					"listen = 127.0.0.1:0\n"
					"[stream one]\ndirection = render\n"
					"[stream two]\ndirection = render\n"));
	a = tc_connect(d->port);
	b = tc_connect(d->port);
	assert_true(tc_hello(a) && tc_hello(b));
	assert_true(tc_open(a, "one", HSP_DIR_RENDER, 0, &m));
	assert_int_equal(m.type, HSP_OPENED);
	assert_true(tc_open(b, "two", HSP_DIR_RENDER, 0, &m));
	assert_int_equal(m.type, HSP_ERROR);
	assert_int_equal(m.u.error.code, HSP_ERR_HDA_INSUFFICIENT_RESOURCES);
	assert_string_equal(hsp_err_name(m.u.error.code), "HDA_STATUS_INSUFFICIENT_RESOURCES");
	tc_close(a);
	tc_close(b);
}

/* Socket activation: systemd-socket-activate binds (it takes no port 0,
 * so a free port is picked by binding and closing one), and the daemon
 * adopts its socket instead of the config's address. */
static void socket_activation(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char addr[64], want[64];
	tc_daemon *d = &daemon_;
	tc_client *c = NULL;
	uint64_t deadline;

	(void)state;
	if (system("command -v systemd-socket-activate >/dev/null") != 0)
		skip();
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	close(s);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(sa.sin_port));
	assert_true(tc_daemon_prepare(d, "[daemon]\nlisten = 127.0.0.1:1\n"
					  "[stream s]\ndirection = render\n"));
	{
		char env[320];
		char *argv[] = {"systemd-socket-activate", "-l", addr, "-E", env,
				getenv("HDASTREAMD"), "--config", d->conf, NULL};

		snprintf(env, sizeof(env), "NOTIFY_SOCKET=%.300s", d->notify_path);
		assert_true(tc_daemon_spawn(d, argv));
		/* The activator starts the daemon on the first connection. */
		deadline = tc_now_ms() + TC_READY_MS;
		while (!c && tc_now_ms() < deadline) {
			c = tc_connect(ntohs(sa.sin_port));
			if (!c)
				usleep(20000);
		}
	}
	assert_non_null(c);
	assert_true(tc_daemon_notified(d, "READY=1", TC_READY_MS));
	snprintf(want, sizeof(want), "%s", addr);
	assert_string_equal(d->listen, want);
	assert_true(tc_hello(c));
	tc_close(c);
}

/* A client that sends without waiting for credit is slowed through TCP,
 * not dropped: every frame it sent plays, bit-exact, in order. */
static void faster_than_credit_is_slowed(void **state)
{
	tc_client *c = client();
	hsp_opened op = open_ok(c, "playback", 0);
	uint64_t total = LEAD_FRAMES + 6 * 48000, credit = 0;
	uint32_t tag = tc_request(c, HSP_START, op.stream);
	SF_INFO info = {0};
	SNDFILE *f;
	int16_t *wav;
	int64_t at;

	(void)state;
	expect_ack(c, tag, &credit);
	/* Far past the window (the ring holds two seconds): the daemon stops
	 * reading this connection until the frames fit. */
	assert_true(total > op.window_frames * 2);
	send_signal(c, op.stream, 0, total, UINT64_MAX);
	tag = tc_request(c, HSP_DRAIN, op.stream);
	expect_ack(c, tag, &credit);
	assert_true(credit >= total); /* the credit caught up with it all */
	tc_close(c);
	kill(daemon_.pid, SIGTERM);
	assert_true(tc_daemon_wait(&daemon_, TC_WAIT_MS));
	f = sf_open(daemon_.wav, SFM_READ, &info);
	assert_non_null(f);
	wav = calloc((size_t)info.frames + 1, FRAME_BYTES);
	assert_non_null(wav);
	assert_int_equal(sf_readf_short(f, wav, info.frames), info.frames);
	sf_close(f);
	at = find_signal(wav, (uint64_t)info.frames);
	assert_true(at >= 0);
	assert_true((uint64_t)at + total - LEAD_FRAMES <= (uint64_t)info.frames);
	check_signal(wav, (uint64_t)at, total - LEAD_FRAMES, "line-out WAV");
	free(wav);
}

/* POSITION: periodic while running (tag 0), and on request (its tag),
 * with the fields PROTOCOL.md defines. */
static void positions(void **state)
{
	tc_client *c = client();
	hsp_opened op = open_ok(c, "loopback", 20);
	uint32_t tag = tc_request(c, HSP_START, op.stream);
	hsp_position p[2];
	hsp_msg m;
	struct timespec rt;

	(void)state;
	expect_ack(c, tag, NULL);
	for (int i = 0; i < 2; i++) {
		do
			assert_true(tc_expect(c, HSP_POSITION, &m, TC_WAIT_MS, NULL, NULL));
		while (!m.u.position.mono_ns); /* no reading yet */
		p[i] = m.u.position;
		assert_int_equal(p[i].tag, 0);
		assert_int_equal(p[i].stream, op.stream);
		assert_int_equal(p[i].state, HSP_STATE_RUNNING);
		assert_int_equal(p[i].fifo_bytes, op.fifo_bytes);
		/* capture: what is in memory is behind the link by the FIFO */
		assert_true(p[i].dma_frames <= p[i].link_frames);
		assert_true(p[i].link_frames - p[i].dma_frames <= op.fifo_bytes / 4 + 1);
	}
	assert_true(p[1].link_frames > p[0].link_frames);
	assert_true(p[1].mono_ns > p[0].mono_ns);
	assert_true(p[1].wall_ticks > p[0].wall_ticks);
	clock_gettime(CLOCK_REALTIME, &rt);
	assert_true(p[1].real_ns <= (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec);
	assert_true(p[1].real_ns > (uint64_t)(rt.tv_sec - 60) * 1000000000u);
	tag = tc_request(c, HSP_POSITION_REQUEST, op.stream);
	do
		assert_true(tc_expect(c, HSP_POSITION, &m, TC_WAIT_MS, NULL, NULL));
	while (m.u.position.tag != tag);
	assert_true(m.u.position.link_frames >= p[1].link_frames);
	assert_int_equal(m.u.position.frames_dropped, 0);
	tc_close(c);
}

/* A child of the daemon, from /proc (any of its threads may have started
 * it): the QEMU that libhda runs. */
static pid_t child_of(pid_t parent)
{
	char cmd[128], buf[64] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "cat /proc/%d/task/*/children 2>/dev/null", parent);
	f = popen(cmd, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	pclose(f);
	return atoi(buf);
}

/* A libhda error on the audio thread reaches the stream's client as an
 * ERROR naming it: QEMU killed under a playing stream is
 * HDA_STATUS_DEVICE_NOT_READY, and the daemon serves on. */
static void device_gone_reaches_client(void **state)
{
	tc_daemon *d = &daemon_;
	tc_client *c;
	hsp_opened op;
	hsp_msg m;
	uint64_t credit = 0;
	pid_t qemu;
	uint64_t deadline;

	(void)state;
	skip_without_qemu("qemu");
	assert_true(tc_daemon_start(d, "[daemon]\n"
					"controller = qemu:wav=@DIR@/q.wav\n"
					"listen = 127.0.0.1:0\n"
					"[stream playback]\ndirection = render\nlatency_ms = 50\n"));
	c = tc_connect(d->port);
	assert_true(tc_hello(c));
	assert_true(tc_open(c, "playback", HSP_DIR_RENDER, 0, &m));
	assert_int_equal(m.type, HSP_OPENED);
	op = m.u.opened;
	send_signal(c, op.stream, 0, op.window_frames, op.window_frames);
	expect_ack(c, tc_request(c, HSP_START, op.stream), &credit);
	qemu = child_of(d->pid);
	assert_true(qemu > 0);
	kill(qemu, SIGKILL);
	deadline = tc_now_ms() + TC_WAIT_MS;
	for (;;) {
		assert_true(tc_now_ms() < deadline);
		assert_int_equal(tc_recv(c, &m, TC_WAIT_MS), 1);
		if (m.type == HSP_ERROR)
			break;
	}
	print_message("ERROR %s: %s\n", hsp_err_name(m.u.error.code), m.u.error.text);
	assert_int_equal(m.u.error.code, HSP_ERR_HDA_DEVICE_NOT_READY);
	assert_int_equal(m.u.error.stream, op.stream);
	assert_int_equal(m.u.error.fatal, 0);
	/* The connection stays, and the id is gone. */
	m.type = HSP_KEEPALIVE;
	m.u.keepalive.token = 1;
	assert_true(tc_send(c, &m));
	assert_true(tc_request(c, HSP_START, op.stream) != 0);
	assert_true(tc_expect(c, HSP_ERROR, &m, TC_WAIT_MS, NULL, NULL));
	assert_int_equal(m.u.error.code, HSP_ERR_UNKNOWN_STREAM);
	tc_close(c);
}

/* Under a watchdog (WATCHDOG_USEC, as systemd sets it for WatchdogSec),
 * WATCHDOG=1 comes from the loop, at half the interval. */
static void watchdog_notified(void **state)
{
	tc_daemon *d = &daemon_;
	int spawned;

	(void)state;
	assert_true(tc_daemon_prepare(d, CONFIG));
	setenv("WATCHDOG_USEC", "200000", 1);
	spawned = tc_daemon_spawn(d, NULL);
	unsetenv("WATCHDOG_USEC");
	assert_true(spawned);
	assert_true(tc_daemon_notified(d, "READY=1", TC_READY_MS));
	assert_true(tc_daemon_notified(d, "WATCHDOG=1", TC_WAIT_MS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ready_notified, setup, teardown),
		cmocka_unit_test_setup_teardown(render_capture_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(second_render_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(killed_client_frees_engine, setup, teardown),
		cmocka_unit_test_setup_teardown(violation_disconnects_only_that_client, setup,
						teardown),
		cmocka_unit_test_setup_teardown(sigterm_tells_clients_and_exits_0, setup,
						teardown),
		cmocka_unit_test_setup_teardown(faster_than_credit_is_slowed, setup, teardown),
		cmocka_unit_test_setup_teardown(positions, setup, teardown),
		/* These start their own daemon; the teardown reaps it. */
		cmocka_unit_test_teardown(no_free_engine, teardown),
		cmocka_unit_test_teardown(device_gone_reaches_client, teardown),
		cmocka_unit_test_teardown(socket_activation, teardown),
		cmocka_unit_test_teardown(watchdog_notified, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
