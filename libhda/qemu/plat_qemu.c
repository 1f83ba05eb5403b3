/* SPDX-License-Identifier: MIT */
/*
 * The "qemu" platform backend: QEMU's intel-hda model (hda-facts 7) as the
 * controller, reached through the qtest socket for registers and PCI config
 * space, with guest RAM shared with this process for DMA memory.  This file
 * has its options, open and close, DMA memory, the ops table and the public
 * hda_qemu.h routines; qemu_proc.c runs the QEMU process, qemu_regs.c
 * reaches its registers (qemu.h lists them).
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
 *    qemu_calibrate, qemu_regs.c) and computes WALCLK from CLOCK_MONOTONIC,
 *    with the error of half the tightest of several round trips.  The constant is one atomic
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
 *    a 64 KiB "BIOS" that qemu_proc.c writes: cli; hlt at the reset vector.
 *    With the CPU halted, the config ports are ours alone: we assign BAR0,
 *    enable decoding and bus mastering, and route the interrupt.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hda/hda_qemu.h"
#include "hda_regs.h"
#include "qemu.h"

/* Provided by the driver (bus.c). */
hda_status hda_bus_platform(hda_bus *bus, const hda_plat_ops **ops,
			    hda_plat **plat);

#define EXIT_TIMEOUT_MS 5000     /* SIGTERM to exit: WAV header written */

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
		while (!qemu_child_exited(p) && now_ms() < deadline)
			sleep_ms(5);
		if (p->pid > 0) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
		}
	}
	qemu_keeper_stop(p);
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
	if (qemu_write_bios(bios))
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
	if (qemu_spawn(p, sock, ram, bios))
		SYS_FAIL("cannot start a process for QEMU");
#undef SYS_FAIL
	st = qemu_await_connection(p, lfd, &cfd, err, errlen);
	if (st)
		goto fail;
	if (qtest_open(cfd, p->o.timeout_ms, qemu_on_irq, p, &p->qt)) {
		close(cfd);
		st = HDA_STATUS_INSUFFICIENT_RESOURCES;
		goto fail;
	}
	st = qemu_pci_setup(p);
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

hda_status hda_qemu_wall_clock(hda_bus *bus, hda_qemu_wall_clock_sample *s)
{
	const hda_plat_ops *ops;
	hda_plat *p;

	if (!s || hda_bus_platform(bus, &ops, &p) || ops != &hda_plat_qemu_ops)
		return HDA_STATUS_INVALID_PARAMETER;
	s->computed_before = qemu_wall_clock(p);
	s->register_value = qemu_read32(p, HDA_WALCLK);
	s->computed_after = qemu_wall_clock(p);
	s->calibration_error = qemu_wall_clock_error(p);
	return qemu_health(p);
}

hda_status hda_qemu_pci_config_read(hda_bus *bus, uint8_t offset, uint32_t *value)
{
	const hda_plat_ops *ops;
	hda_plat *p;

	if (!value || offset % 4 || hda_bus_platform(bus, &ops, &p) ||
	    ops != &hda_plat_qemu_ops)
		return HDA_STATUS_INVALID_PARAMETER;
	if (atomic_load(&p->gone) || qemu_cfg_read(p, p->pci_dev, offset, value))
		return HDA_STATUS_DEVICE_NOT_READY;
	return HDA_STATUS_SUCCESS;
}

hda_status hda_qemu_calibrate_wall_clock(hda_bus *bus)
{
	const hda_plat_ops *ops;
	hda_plat *p;

	if (hda_bus_platform(bus, &ops, &p) || ops != &hda_plat_qemu_ops)
		return HDA_STATUS_INVALID_PARAMETER;
	qemu_calibrate(p);
	return qemu_health(p);
}

