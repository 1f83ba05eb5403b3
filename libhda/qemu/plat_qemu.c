/* SPDX-License-Identifier: MIT */
/*
 * The "qemu" platform backend: QEMU's intel-hda model (hda-facts 7) as the
 * controller, reached through the qtest socket for registers and PCI config
 * space, with guest RAM shared with this process for DMA memory.
 *
 * QEMU's quirks are handled here and nowhere else:
 *  - Its codec drops its whole buffer when QEMU's main loop stalls 15-20 ms
 *    with the default use-timer=on; use-timer=off on the codec and a 2 ms
 *    audiodev timer lost nothing in 30 and 60 ms stalls, so that is what is
 *    launched.
 *  - Setting RUN again after a stop restarts the stream at BDL entry 0 with
 *    LPIB 0 (it re-reads the BDL at every start): declared to the driver as
 *    HDA_PLAT_QUIRK_RUN_RESTARTS_BDL, which emulates the resume.
 *  - Its DMA position buffer always equals LPIB: the model moves bytes from
 *    memory at the instant they reach the codec, i.e. it has no FIFO even
 *    though SDnFIFOS reads 256.  So LPIB is "mapped" onto the position
 *    buffer slot: the driver reads the true link position with a plain
 *    load, and reports a FIFO fill of 0, which is what this controller does.
 *  - WALCLK sits behind the socket too, and a round trip is far too slow
 *    for the audio thread (about 50 us, and it can block).  QEMU counts
 *    WALCLK from its virtual clock, which under TCG without icount is the
 *    host's CLOCK_MONOTONIC plus a constant, minus the time of the
 *    controller's last reset.  So the backend measures that constant (see
 *    calibrate) and computes WALCLK from CLOCK_MONOTONIC, with the error of
 *    half the tightest of several round trips.  The constant is one atomic
 *    word, so a reader never waits for a calibration in progress.
 *  - The CORB/RIRB stall at RINTCNT and CORBRP's reset bit need nothing
 *    extra: the driver clears RIRBSTS after every drain and finishes the
 *    CORBRP handshake by writing 0, which is what QEMU needs.
 *  - With `-machine` memory-backend, guest physical address = offset into
 *    the shared file for low RAM, so bus address = guest physical address.
 *    DMA memory is carved from the middle of RAM, and only that part of the
 *    file is ever touched (the CPU is halted): it alone is allocated on
 *    disk, up front (see reserve_dma).
 *  - No firmware runs.  SeaBIOS would assign BAR0, but it uses the same
 *    0xCF8/0xCFC config ports as we do, at the same time (its PCI setup runs
 *    while we connect), and a config access of ours between its address
 *    and data cycles reads or writes the wrong register.  Instead QEMU boots
 *    a 64 KiB "BIOS" that this file writes: cli; hlt at the reset vector.
 *    With the CPU halted, the config ports are ours alone: we assign BAR0,
 *    enable decoding and bus mastering, and route the interrupt.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dma_pool.h"
#include "hda/hda_qemu.h"
#include "hda_regs.h"
#include "plat.h"
#include "qtest.h"

/* Provided by the driver (bus.c). */
hda_status hda_bus_platform(hda_bus *bus, const hda_plat_ops **ops,
			    hda_plat **plat);

#define PCI_CLASS_HDA 0x040300u /* multimedia, HD Audio, no prog-if */
#define STARTUP_TIMEOUT_MS 20000 /* QEMU start under a loaded TCG host */
#define HDA_BAR0 0xE0000000u     /* above RAM (mem_mb <= 2048), below the
				    IOAPIC/HPET/LAPIC windows at 0xFEC00000 */
#define BIOS_SIZE 0x10000u       /* QEMU wants a multiple of 64 KiB */
#define EXIT_TIMEOUT_MS 5000     /* SIGTERM to exit: WAV header written */

typedef struct qemu_opts {
	char controller[8];
	char codec[16];
	char machine[8];
	char wav[1024];
	char binary[1024];
	unsigned rate;
	unsigned mem_mb;
	unsigned timeout_ms;
} qemu_opts;

struct hda_plat {
	qemu_opts o;
	char dir[64];
	pid_t pid; /* reaped by the control thread (child_exited, qemu_close) */
	bool exec_failed; /* the child could not exec QEMU */
	/* The thread QEMU was forked from, alive until QEMU is reaped (see
	 * keeper_main); keeper_stop under keeper_lock tells it to end. */
	pthread_t keeper;
	bool keeper_running, keeper_stop;
	pthread_mutex_t keeper_lock;
	pthread_cond_t keeper_cond;
	int irq_fd;
	qtest *qt;
	uint8_t *ram;
	size_t ram_size;
	hda_dma_pool *pool;
	uint64_t bar0;
	int irq_line;
	unsigned pci_dev; /* the controller's device number on bus 0 */
	hda_plat_info info; /* read from its config space at open */
	atomic_bool gone;
	/* DMA position buffer, as the driver programmed it (see map32) */
	uint32_t dplbase, dpubase;
	/* WALCLK - CLOCK_MONOTONIC, in 24 MHz ticks modulo 2^32.  One atomic
	 * word and not a sequence-counted pair: an audio thread that preempted
	 * calibrate() mid-update on the same CPU would spin on the pair
	 * forever, and the word is never torn. */
	_Atomic uint32_t wc_offset;
};

/* ---- options ------------------------------------------------------------ */

static bool opt_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || end == v || n < lo || n > hi)
		return false;
	*out = (unsigned)n;
	return true;
}

static bool opt_str(const char *v, char *dst, size_t cap)
{
	size_t n = strlen(v);

	if (n == 0 || n >= cap)
		return false;
	memcpy(dst, v, n + 1);
	return true;
}

static hda_status opts_parse(const char *options, qemu_opts *o, char *err,
			     size_t errlen)
{
	static const struct {
		const char *key, *expect;
	} help[] = {
		{"controller", "ich6 or ich9"},
		{"codec", "duplex or output"},
		{"machine", "q35 or pc"},
		{"wav", "a path"},
		{"qemu", "a path"},
		{"rate", "8000..192000"},
		{"mem_mb", "64..2048"},
		{"timeout_ms", "10..60000"},
	};
	char buf[2048], *save = NULL, *tok;

	*o = (qemu_opts){.controller = "ich6", .codec = "duplex", .machine = "q35",
			 .binary = "qemu-system-x86_64", .rate = 48000,
			 .mem_mb = 128, .timeout_ms = 2000};
	if (strlen(options) >= sizeof(buf)) {
		snprintf(err, errlen, "qemu options longer than %zu bytes", sizeof(buf) - 1);
		return HDA_STATUS_INVALID_PARAMETER;
	}
	strcpy(buf, options);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *v = strchr(tok, '=');
		bool ok;

		if (!v) {
			snprintf(err, errlen, "qemu option '%s' has no value (KEY=VALUE)", tok);
			return HDA_STATUS_INVALID_PARAMETER;
		}
		*v++ = '\0';
		if (!strcmp(tok, "controller"))
			ok = (!strcmp(v, "ich6") || !strcmp(v, "ich9")) &&
			     opt_str(v, o->controller, sizeof(o->controller));
		else if (!strcmp(tok, "codec"))
			ok = (!strcmp(v, "duplex") || !strcmp(v, "output")) &&
			     opt_str(v, o->codec, sizeof(o->codec));
		else if (!strcmp(tok, "machine"))
			ok = (!strcmp(v, "q35") || !strcmp(v, "pc")) &&
			     opt_str(v, o->machine, sizeof(o->machine));
		else if (!strcmp(tok, "wav"))
			ok = opt_str(v, o->wav, sizeof(o->wav));
		else if (!strcmp(tok, "qemu"))
			ok = opt_str(v, o->binary, sizeof(o->binary));
		else if (!strcmp(tok, "rate"))
			ok = opt_uint(v, 8000, 192000, &o->rate);
		else if (!strcmp(tok, "mem_mb"))
			ok = opt_uint(v, 64, 2048, &o->mem_mb);
		else if (!strcmp(tok, "timeout_ms"))
			ok = opt_uint(v, 10, 60000, &o->timeout_ms);
		else {
			snprintf(err, errlen, "unknown qemu option '%s'", tok);
			return HDA_STATUS_INVALID_PARAMETER;
		}
		if (!ok) {
			const char *expect = "?";

			for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
				if (!strcmp(help[i].key, tok))
					expect = help[i].expect;
			snprintf(err, errlen, "qemu option '%s': expected %s, got '%s'", tok,
				 expect, v);
			return HDA_STATUS_INVALID_PARAMETER;
		}
	}
	return HDA_STATUS_SUCCESS;
}

/* ---- time -------------------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ---- the QEMU process ---------------------------------------------------- */

/* The reset vector sits 16 bytes below 4 GiB, i.e. at the end of the BIOS
 * image: cli; hlt; jmp back to the hlt.  The CPU never does anything else,
 * so the machine is a bus with devices on it and nothing touching them. */
static hda_status write_bios(const char *path)
{
	static const uint8_t halt[] = {0xFA, 0xF4, 0xEB, 0xFD};
	uint8_t *img = calloc(1, BIOS_SIZE);
	int fd = -1;
	hda_status st = HDA_STATUS_INSUFFICIENT_RESOURCES;

	if (!img)
		return st;
	memcpy(img + BIOS_SIZE - 16, halt, sizeof(halt));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0 && write(fd, img, BIOS_SIZE) == (ssize_t)BIOS_SIZE)
		st = HDA_STATUS_SUCCESS;
	if (fd >= 0)
		close(fd);
	free(img);
	return st;
}

static void on_irq(void *ctx, bool raise, int line)
{
	hda_plat *p = ctx;
	uint64_t one = 1;

	/* Only the controller's line (see route_irq); line 0 toggles with
	 * the PIT.  A spurious kick would cost one INTSTS read, no more. */
	if (raise && (p->irq_line < 0 ? line >= 16 && line <= 23 : line == p->irq_line))
		(void)!write(p->irq_fd, &one, sizeof(one));
}

static int build_argv(hda_plat *p, const char *sock, const char *ram,
		      const char *bios, char **argv, char store[][1200])
{
	int n = 0, s = 0;

#define ARG(...)                                                               \
	do {                                                                   \
		snprintf(store[s], sizeof(store[s]), __VA_ARGS__);             \
		argv[n++] = store[s++];                                        \
	} while (0)
	ARG("%s", p->o.binary);
	ARG("-machine");
	ARG("%s,memory-backend=ram", p->o.machine);
	ARG("-object");
	ARG("memory-backend-file,id=ram,size=%uM,mem-path=%s,share=on", p->o.mem_mb, ram);
	ARG("-m");
	ARG("%uM", p->o.mem_mb);
	ARG("-bios");
	ARG("%s", bios);
	ARG("-display");
	ARG("none");
	ARG("-nodefaults");
	ARG("-no-user-config");
	ARG("-device");
	ARG("%s,msi=off", strcmp(p->o.controller, "ich9") ? "intel-hda" : "ich9-intel-hda");
	ARG("-device");
	ARG("hda-%s,audiodev=snd0,use-timer=off", p->o.codec);
	ARG("-audiodev");
	if (p->o.wav[0])
		ARG("wav,id=snd0,path=%s,out.frequency=%u,timer-period=2000", p->o.wav,
		    p->o.rate);
	else
		ARG("none,id=snd0,timer-period=2000");
	ARG("-qtest");
	ARG("unix:%s", sock);
	ARG("-qtest-log");
	ARG("none");
#undef ARG
	argv[n] = NULL;
	return n;
}

typedef struct spawn_job {
	hda_plat *p;
	char **argv;
	int logfd, devnull;
	int fork_errno;
	bool done;
} spawn_job;

/* Fork and exec QEMU; in the parent, the child's pid or -1. */
static pid_t fork_qemu(const spawn_job *job)
{
	pid_t parent = getpid(), pid;
	sigset_t none;

	sigemptyset(&none);
	pid = fork();
	if (pid != 0)
		return pid;
	/* Child: only async-signal-safe calls until exec.  QEMU gets the
	 * signal mask it expects, not the keeper's.  It must not outlive us
	 * if we are killed, including before prctl took effect. */
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(126);
	dup2(job->devnull, 0);
	dup2(job->logfd, 1);
	dup2(job->logfd, 2);
	execvp(job->argv[0], job->argv);
	_exit(127);
}

/*
 * PR_SET_PDEATHSIG fires when the thread that forked exits, not the
 * process: QEMU forked from the caller's thread would be killed when, say,
 * a worker thread that opened the bus ends.  So QEMU is forked from this
 * thread, which then sleeps until qemu_close has reaped QEMU.  The job is
 * the caller's and is not touched after it is marked done.
 */
static void *keeper_main(void *arg)
{
	spawn_job *job = arg;
	hda_plat *p = job->p;
	pid_t pid = fork_qemu(job);
	int fork_errno = errno;

	pthread_mutex_lock(&p->keeper_lock);
	p->pid = pid;
	job->fork_errno = fork_errno;
	job->done = true;
	pthread_cond_broadcast(&p->keeper_cond);
	while (!p->keeper_stop)
		pthread_cond_wait(&p->keeper_cond, &p->keeper_lock);
	pthread_mutex_unlock(&p->keeper_lock);
	return NULL;
}

static hda_status spawn(hda_plat *p, const char *sock, const char *ram,
			const char *bios)
{
	char store[32][1200], *argv[33], log[128];
	spawn_job job = {.p = p, .argv = argv};
	sigset_t all, old;
	int rc;

	build_argv(p, sock, ram, bios, argv, store);
	snprintf(log, sizeof(log), "%s/qemu.log", p->dir);
	job.logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	job.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (job.logfd < 0 || job.devnull < 0)
		goto out;
	/* A library thread must not take the application's signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&p->keeper, NULL, keeper_main, &job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		errno = rc;
		goto out;
	}
	p->keeper_running = true;
	pthread_mutex_lock(&p->keeper_lock);
	while (!job.done)
		pthread_cond_wait(&p->keeper_cond, &p->keeper_lock);
	pthread_mutex_unlock(&p->keeper_lock);
	errno = job.fork_errno;
out:
	if (job.logfd >= 0)
		close(job.logfd);
	if (job.devnull >= 0)
		close(job.devnull);
	if (p->pid > 0)
		return HDA_STATUS_SUCCESS;
	p->pid = 0;
	return HDA_STATUS_INSUFFICIENT_RESOURCES;
}

/* Only once QEMU is reaped: the keeper's exit would kill it. */
static void keeper_stop(hda_plat *p)
{
	if (!p->keeper_running)
		return;
	pthread_mutex_lock(&p->keeper_lock);
	p->keeper_stop = true;
	pthread_cond_broadcast(&p->keeper_cond);
	pthread_mutex_unlock(&p->keeper_lock);
	pthread_join(p->keeper, NULL);
	p->keeper_running = false;
}

/* Any thread may reap a child another thread of the process forked (the
 * keeper): only the control thread does, so a pid is never killed after
 * being reaped and reused. */
static bool child_exited(hda_plat *p)
{
	int status;

	if (p->pid <= 0)
		return true;
	if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
		p->exec_failed = WIFEXITED(status) && WEXITSTATUS(status) == 127;
		p->pid = 0;
		return true;
	}
	return false;
}

/* The last line QEMU printed (its log), for an error message. */
static void log_tail(hda_plat *p, char *out, size_t len)
{
	char path[128], buf[1024];
	ssize_t n;
	int fd;

	snprintf(out, len, "(it printed nothing)");
	snprintf(path, sizeof(path), "%s/qemu.log", p->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (lseek(fd, 0, SEEK_END) > (off_t)sizeof(buf) - 1)
		lseek(fd, -(off_t)sizeof(buf) + 1, SEEK_END);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	{
		const char *last = strrchr(buf, '\n') ? strrchr(buf, '\n') + 1 : buf;
		size_t k = strlen(last) < len - 1 ? strlen(last) : len - 1;

		memcpy(out, last, k);
		out[k] = '\0';
	}
}

/* Wait for QEMU to connect to our qtest socket, watching for an early exit
 * (no such binary, bad option). */
static hda_status await_connection(hda_plat *p, int lfd, int *cfd, char *err,
				   size_t errlen)
{
	uint64_t deadline = now_ms() + STARTUP_TIMEOUT_MS;
	char said[256];

	while (now_ms() < deadline) {
		struct pollfd pf = {.fd = lfd, .events = POLLIN};

		if (poll(&pf, 1, 50) > 0) {
			*cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (*cfd >= 0)
				return HDA_STATUS_SUCCESS;
			snprintf(err, errlen, "cannot accept QEMU's qtest connection: %s",
				 strerror(errno));
			return HDA_STATUS_DEVICE_NOT_READY;
		}
		if (child_exited(p)) {
			if (p->exec_failed)
				snprintf(err, errlen,
					 "cannot run '%s' (install the Debian package qemu-system-x86)",
					 p->o.binary);
			else {
				log_tail(p, said, sizeof(said));
				snprintf(err, errlen, "QEMU exited during start-up: %.200s", said);
			}
			return HDA_STATUS_DEVICE_NOT_READY;
		}
	}
	snprintf(err, errlen, "QEMU did not connect to its qtest socket within %u s",
		 STARTUP_TIMEOUT_MS / 1000);
	return HDA_STATUS_DEVICE_NOT_READY;
}

/* ---- PCI config space through the legacy 0xCF8/0xCFC ports ---------------- */

static int cfg_read(hda_plat *p, unsigned dev, unsigned reg, uint32_t *val)
{
	uint64_t v;

	if (qtest_cmd(p->qt, NULL, "outl 0xcf8 0x%x", 0x80000000u | dev << 11 | reg) ||
	    qtest_cmd(p->qt, &v, "inl 0xcfc"))
		return -1;
	*val = (uint32_t)v;
	return 0;
}

static int cfg_write(hda_plat *p, unsigned dev, unsigned reg, uint32_t val)
{
	if (qtest_cmd(p->qt, NULL, "outl 0xcf8 0x%x", 0x80000000u | dev << 11 | reg) ||
	    qtest_cmd(p->qt, NULL, "outl 0xcfc 0x%x", val))
		return -1;
	return 0;
}

/*
 * Interrupt routing without firmware.  q35 (ICH9) wires PIRQ A-H to IOAPIC
 * pins 16-23 whatever its 8259 routing registers say; which PIRQ a slot's
 * INTA lands on is chipset configuration (QEMU's default put slot 1 on pin
 * 21), so any of pins 16-23 counts: nothing else on this machine raises
 * them.  The pc machine's PIIX3 routes PIRQs only to ISA IRQs, through
 * config registers 0x60-0x63 that reset disabled, so all four are routed to
 * IRQ 11 and the IOAPIC sees it on pin 11.
 */
#define PIIX3_PIRQ_ROUTE 0x60
#define PC_HDA_IRQ 11

static hda_status route_irq(hda_plat *p, unsigned dev)
{
	if (!strcmp(p->o.machine, "pc")) {
		if (cfg_write(p, 1, PIIX3_PIRQ_ROUTE, 0x01010101u * PC_HDA_IRQ))
			return HDA_STATUS_DEVICE_NOT_READY;
		p->irq_line = PC_HDA_IRQ;
	} else {
		p->irq_line = -1; /* any of IOAPIC pins 16-23 */
	}
	if (qtest_cmd(p->qt, NULL, "irq_intercept_in /machine/%s/ioapic",
		      strcmp(p->o.machine, "pc") ? "q35" : "i440fx"))
		return HDA_STATUS_DEVICE_NOT_READY;
	return HDA_STATUS_SUCCESS;
}

/* Find the controller on bus 0 by its class (HD Audio), so that any model
 * QEMU offers is found; keep the identity it states; give it BAR0, turn on
 * memory decoding and bus mastering (no firmware did, see the top of this
 * file). */
static hda_status pci_setup(hda_plat *p)
{
	uint32_t id = 0, class_rev = 0, bar, cmd;
	unsigned dev;

	for (dev = 0; dev < 32; dev++) {
		if (cfg_read(p, dev, 0x00, &id) || cfg_read(p, dev, 0x08, &class_rev))
			return HDA_STATUS_DEVICE_NOT_READY;
		if (id != 0xFFFFFFFFu && class_rev >> 8 == PCI_CLASS_HDA)
			break;
	}
	if (dev == 32)
		return HDA_STATUS_DEVICE_NOT_READY;
	p->pci_dev = dev;
	p->info = (hda_plat_info){.vendor_id = (uint16_t)id,
				  .device_id = (uint16_t)(id >> 16),
				  .revision = (uint8_t)class_rev,
				  .quirks = HDA_PLAT_QUIRK_RUN_RESTARTS_BDL};
	if (cfg_write(p, dev, 0x10, HDA_BAR0) || cfg_read(p, dev, 0x10, &bar) ||
	    (bar & ~0xFu) != HDA_BAR0 || cfg_read(p, dev, 0x04, &cmd) ||
	    cfg_write(p, dev, 0x04, (cmd & 0xFFFF) | 0x0006) ||
	    cfg_read(p, dev, 0x04, &cmd) || (cmd & 0x6) != 0x6)
		return HDA_STATUS_DEVICE_NOT_READY;
	p->bar0 = HDA_BAR0;
	return route_irq(p, dev);
}

/* ---- open and close ----------------------------------------------------------- */

static void qemu_close(hda_plat *p)
{
	char path[128];

	if (!p)
		return;
	if (p->pid > 0) {
		/* SIGTERM lets QEMU finish the WAV header; a QEMU that does not
		 * exit in time is killed, and one that already stopped
		 * answering is killed at once. */
		uint64_t deadline = now_ms() + EXIT_TIMEOUT_MS;

		kill(p->pid, atomic_load(&p->gone) ? SIGKILL : SIGTERM);
		while (!child_exited(p) && now_ms() < deadline)
			sleep_ms(5);
		if (p->pid > 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
		}
	}
	keeper_stop(p);
	pthread_cond_destroy(&p->keeper_cond);
	pthread_mutex_destroy(&p->keeper_lock);
	qtest_close(p->qt);
	hda_dma_pool_destroy(p->pool);
	if (p->ram)
		munmap(p->ram, p->ram_size);
	if (p->irq_fd >= 0)
		close(p->irq_fd);
	if (p->dir[0]) {
		const char *names[] = {"qemu.log", "qtest.sock", "ram", "bios.bin"};

		for (size_t i = 0; i < 4; i++) {
			snprintf(path, sizeof(path), "%s/%s", p->dir, names[i]);
			unlink(path);
		}
		rmdir(p->dir);
	}
	free(p);
}

/*
 * QEMU opens the WAV file only once it runs, and carries on without it when
 * it cannot: a bad path would mean audio silently lost.  So the file is
 * created here, where failing is still possible; QEMU rewrites it.
 */
static hda_status check_wav(const char *path, char *err, size_t errlen)
{
	int fd;

	if (!path[0])
		return HDA_STATUS_SUCCESS;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create the WAV file '%s': %s", path,
			 strerror(errno));
		return HDA_STATUS_INVALID_PARAMETER;
	}
	close(fd);
	return HDA_STATUS_SUCCESS;
}

/*
 * Guest RAM is a sparse file: a page the filesystem cannot supply when it is
 * first touched kills this process with SIGBUS.  Only the DMA pool is ever
 * touched (by us and by QEMU's DMA; the CPU is halted), so its blocks alone
 * are allocated now, where running out is an error that can be reported.
 */
static hda_status reserve_dma(int rfd, size_t off, size_t len, const char *where,
			      char *err, size_t errlen)
{
	int rc = posix_fallocate(rfd, (off_t)off, (off_t)len);

	if (rc) {
		snprintf(err, errlen,
			 "cannot reserve %zu MiB of DMA memory for QEMU in %s: %s", len >> 20,
			 where, strerror(rc));
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	}
	return HDA_STATUS_SUCCESS;
}

static hda_status qemu_open(const char *options, hda_plat **out, char *err,
			    size_t errlen)
{
	char sock[128], ram[128], bios[128];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *tmp = getenv("TMPDIR");
	int lfd = -1, cfd = -1, rfd = -1;
	size_t pool_off, pool_size;
	hda_plat *p;
	hda_status st;

	/* The qtest socket's path must fit a sockaddr_un (108 bytes), so a
	 * long TMPDIR is passed over for /tmp (documented in hda_qemu.h). */
	if (!tmp || !*tmp || strlen(tmp) >= 40)
		tmp = "/tmp";
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return HDA_STATUS_INSUFFICIENT_RESOURCES;
	}
	p->irq_fd = -1;
	pthread_mutex_init(&p->keeper_lock, NULL);
	pthread_cond_init(&p->keeper_cond, NULL);
	st = opts_parse(options, &p->o, err, errlen);
	if (!st)
		st = check_wav(p->o.wav, err, errlen);
	if (st)
		goto fail;
	/* Until QEMU runs, a failure is this machine's (files, memory); each
	 * says what it was, with errno as it stood right then. */
#define SYS_FAIL(...)                                                          \
	do {                                                                   \
		int e_ = errno;                                                \
		char what_[160];                                               \
		snprintf(what_, sizeof(what_), __VA_ARGS__);                   \
		snprintf(err, errlen, "%s: %s", what_, strerror(e_));          \
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;                        \
		goto fail;                                                     \
	} while (0)
	snprintf(p->dir, sizeof(p->dir), "%s/hda-qemu-XXXXXX", tmp);
	if (!mkdtemp(p->dir)) {
		p->dir[0] = '\0';
		SYS_FAIL("cannot create a directory under %s", tmp);
	}
	snprintf(sock, sizeof(sock), "%s/qtest.sock", p->dir);
	snprintf(ram, sizeof(ram), "%s/ram", p->dir);
	snprintf(bios, sizeof(bios), "%s/bios.bin", p->dir);
	if (write_bios(bios))
		SYS_FAIL("cannot write %s", bios);

	/* Guest RAM: a file both QEMU and we map shared.  DMA memory is its
	 * middle half, clear of what the machine puts low and high. */
	p->ram_size = (size_t)p->o.mem_mb << 20;
	pool_off = p->ram_size / 4;
	pool_size = p->ram_size / 2;
	rfd = open(ram, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (rfd < 0 || ftruncate(rfd, (off_t)p->ram_size) != 0) {
		snprintf(err, errlen, "cannot create %u MiB of guest RAM in %s: %s",
			 p->o.mem_mb, tmp, strerror(errno));
		goto fail;
	}
	st = reserve_dma(rfd, pool_off, pool_size, tmp, err, errlen);
	if (st)
		goto fail;
	st = HDA_STATUS_INSUFFICIENT_RESOURCES;
	p->ram = mmap(NULL, p->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
	if (p->ram == MAP_FAILED) {
		p->ram = NULL;
		SYS_FAIL("cannot map guest RAM (%s)", ram);
	}
	if (hda_dma_pool_create(p->ram + pool_off, pool_off, pool_size, &p->pool))
		SYS_FAIL("cannot set up the DMA pool");
	p->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->irq_fd < 0)
		SYS_FAIL("cannot create an eventfd");
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		SYS_FAIL("cannot create a socket");
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		SYS_FAIL("socket path %s", sock);
	}
	strcpy(sa.sun_path, sock);
	/* QEMU connects to the qtest socket as a client: listen first. */
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1))
		SYS_FAIL("cannot listen on %s", sock);
	if (spawn(p, sock, ram, bios))
		SYS_FAIL("cannot start a process for QEMU");
#undef SYS_FAIL
	st = await_connection(p, lfd, &cfd, err, errlen);
	if (st)
		goto fail;
	if (qtest_open(cfd, p->o.timeout_ms, on_irq, p, &p->qt)) {
		close(cfd);
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
		goto fail;
	}
	st = pci_setup(p);
	if (st) {
		snprintf(err, errlen, qtest_dead(p->qt)
					      ? "QEMU stopped answering on its qtest socket"
					      : "no usable intel-hda device on QEMU's PCI bus");
		goto fail;
	}
	close(lfd);
	close(rfd);
	*out = p;
	return HDA_STATUS_SUCCESS;
fail:
	if (lfd >= 0)
		close(lfd);
	if (rfd >= 0)
		close(rfd);
	qemu_close(p);
	return st;
}

/* ---- MMIO -------------------------------------------------------------------- */

/* A failed access means QEMU is gone or stopped answering: from then on the
 * device reads all ones, like a PCI device after surprise removal. */
static uint64_t mmio_read(hda_plat *p, char w, uint32_t off, uint64_t ones)
{
	uint64_t v;

	if (atomic_load(&p->gone))
		return ones;
	if (qtest_cmd(p->qt, &v, "read%c 0x%llx", w,
		      (unsigned long long)(p->bar0 + off))) {
		atomic_store(&p->gone, true);
		return ones;
	}
	return v;
}

static void mmio_write(hda_plat *p, char w, uint32_t off, uint32_t val)
{
	if (atomic_load(&p->gone))
		return;
	if (qtest_cmd(p->qt, NULL, "write%c 0x%llx 0x%x", w,
		      (unsigned long long)(p->bar0 + off), val))
		atomic_store(&p->gone, true);
}

static uint8_t qemu_read8(hda_plat *p, uint32_t off)
{
	return (uint8_t)mmio_read(p, 'b', off, 0xFF);
}

static uint16_t qemu_read16(hda_plat *p, uint32_t off)
{
	return (uint16_t)mmio_read(p, 'w', off, 0xFFFF);
}

static uint32_t qemu_read32(hda_plat *p, uint32_t off)
{
	return (uint32_t)mmio_read(p, 'l', off, 0xFFFFFFFFu);
}

static void qemu_write8(hda_plat *p, uint32_t off, uint8_t val)
{
	mmio_write(p, 'b', off, val);
}

static void qemu_write16(hda_plat *p, uint32_t off, uint16_t val)
{
	mmio_write(p, 'w', off, val);
}

/* CLOCK_MONOTONIC in WALCLK ticks (24 MHz = 3 per 125 ns), wrapping as
 * WALCLK does; ns x 3 overflows only after 190 years of uptime. */
static uint32_t ns_to_ticks(uint64_t ns)
{
	return (uint32_t)(ns * 3 / 125);
}

/*
 * Measure where WALCLK stands against CLOCK_MONOTONIC: read it between two
 * clock reads, several times, and keep the tightest pair; the register was
 * sampled within half that round trip of its midpoint.
 */
#define CALIBRATION_TRIES 8

static void calibrate(hda_plat *p)
{
	uint64_t best = UINT64_MAX, mid = 0;
	uint32_t ticks = 0;

	for (unsigned i = 0; i < CALIBRATION_TRIES; i++) {
		uint64_t t0 = now_ns(), t1;
		uint32_t v = (uint32_t)mmio_read(p, 'l', HDA_WALCLK, 0xFFFFFFFFu);

		t1 = now_ns();
		if (atomic_load(&p->gone))
			return;
		if (t1 - t0 < best) {
			best = t1 - t0;
			mid = t0 + (t1 - t0) / 2;
			ticks = v;
		}
	}
	/* Nothing else is published with it: relaxed suffices. */
	atomic_store_explicit(&p->wc_offset, ticks - ns_to_ticks(mid),
			      memory_order_relaxed);
}

static uint32_t qemu_wall_clock(hda_plat *p)
{
	return ns_to_ticks(now_ns()) +
	       atomic_load_explicit(&p->wc_offset, memory_order_relaxed);
}

static void qemu_write32(hda_plat *p, uint32_t off, uint32_t val)
{
	/* Remember where the driver put the position buffer (see map32). */
	if (off == HDA_DPLBASE)
		p->dplbase = val;
	else if (off == HDA_DPUBASE)
		p->dpubase = val;
	mmio_write(p, 'l', off, val);
	/* A controller reset restarts QEMU's WALCLK count. */
	if (off == HDA_GCTL)
		calibrate(p);
}

static void qemu_info(hda_plat *p, hda_plat_info *info)
{
	*info = p->info;
}

/*
 * Registers cannot be mapped: they sit behind the socket.  The one
 * exception is SDnLPIB, which QEMU mirrors exactly into the DMA position
 * buffer (hda-facts 7), so the slot in shared memory serves as the mapped
 * register once the driver has enabled the buffer, as plat.h's map32
 * contract allows: the driver maps only after writing DPUBASE and DPLBASE,
 * which write32 records.
 */
static const volatile uint32_t *qemu_map32(hda_plat *p, uint32_t off)
{
	uint64_t base = ((uint64_t)p->dpubase << 32 | p->dplbase) & ~0x7Full;
	uint32_t sd;

	if (off < HDA_SD_BASE || (off - HDA_SD_BASE) % HDA_SD_STRIDE != HDA_SD_LPIB)
		return NULL;
	sd = (off - HDA_SD_BASE) / HDA_SD_STRIDE;
	if (!(p->dplbase & HDA_DPLBASE_ENABLE) || sd >= HDA_SD_MAX)
		return NULL;
	return hda_dma_pool_ptr(p->pool, base + 8 * sd, 4);
}

static hda_status qemu_dma_alloc(hda_plat *p, size_t size, hda_dma_mem *mem)
{
	hda_status st = hda_dma_pool_alloc(p->pool, size, &mem->host, &mem->bus);

	if (st == HDA_STATUS_SUCCESS)
		mem->size = size;
	return st;
}

static void qemu_dma_free(hda_plat *p, hda_dma_mem *mem)
{
	if (mem->size)
		hda_dma_pool_free(p->pool, mem->bus, mem->size);
}

static int qemu_irq_fd(hda_plat *p)
{
	return p->irq_fd;
}

static hda_status qemu_health(hda_plat *p)
{
	if (atomic_load(&p->gone) || qtest_dead(p->qt))
		return HDA_STATUS_DEVICE_NOT_READY;
	return HDA_STATUS_SUCCESS;
}

const hda_plat_ops hda_plat_qemu_ops = {
	.name = "qemu",
	.open = qemu_open,
	.close = qemu_close,
	.read8 = qemu_read8,
	.read16 = qemu_read16,
	.read32 = qemu_read32,
	.write8 = qemu_write8,
	.write16 = qemu_write16,
	.write32 = qemu_write32,
	.info = qemu_info,
	.map32 = qemu_map32,
	.wall_clock = qemu_wall_clock,
	.dma_alloc = qemu_dma_alloc,
	.dma_free = qemu_dma_free,
	.irq_fd = qemu_irq_fd,
	.health = qemu_health,
};

pid_t hda_qemu_pid(hda_bus *bus)
{
	const hda_plat_ops *ops;
	hda_plat *p;

	if (hda_bus_platform(bus, &ops, &p) || ops != &hda_plat_qemu_ops)
		return -1;
	return p->pid > 0 ? p->pid : -1;
}

hda_status hda_qemu_wall_clock(hda_bus *bus, uint32_t *register_value,
			       uint32_t *computed_value)
{
	const hda_plat_ops *ops;
	hda_plat *p;

	if (!register_value || !computed_value ||
	    hda_bus_platform(bus, &ops, &p) || ops != &hda_plat_qemu_ops)
		return HDA_STATUS_INVALID_PARAMETER;
	*register_value = qemu_read32(p, HDA_WALCLK);
	*computed_value = qemu_wall_clock(p);
	return qemu_health(p);
}

hda_status hda_qemu_pci_config_read(hda_bus *bus, uint8_t offset, uint32_t *value)
{
	const hda_plat_ops *ops;
	hda_plat *p;

	if (!value || offset % 4 || hda_bus_platform(bus, &ops, &p) ||
	    ops != &hda_plat_qemu_ops)
		return HDA_STATUS_INVALID_PARAMETER;
	if (atomic_load(&p->gone) || cfg_read(p, p->pci_dev, offset, value))
		return HDA_STATUS_DEVICE_NOT_READY;
	return HDA_STATUS_SUCCESS;
}

hda_status hda_qemu_calibrate_wall_clock(hda_bus *bus)
{
	const hda_plat_ops *ops;
	hda_plat *p;

	if (hda_bus_platform(bus, &ops, &p) || ops != &hda_plat_qemu_ops)
		return HDA_STATUS_INVALID_PARAMETER;
	calibrate(p);
	return qemu_health(p);
}
