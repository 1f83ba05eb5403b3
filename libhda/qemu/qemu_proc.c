/* SPDX-License-Identifier: MIT */
/*
 * The QEMU process of a qemu bus: the firmware it boots (none, in effect:
 * see qemu_write_bios), its command line, its launch from a thread that
 * lives as long as it does, and what its exit means.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qemu.h"

#define STARTUP_TIMEOUT_MS 20000 /* QEMU start under a loaded TCG host */
#define BIOS_SIZE 0x10000u       /* QEMU wants a multiple of 64 KiB */

/* ---- the QEMU process ---------------------------------------------------- */

/* The reset vector sits 16 bytes below 4 GiB, i.e. at the end of the BIOS
 * image: cli; hlt; jmp back to the hlt.  The CPU never does anything else,
 * so the machine is a bus with devices on it and nothing touching them. */
hda_status qemu_write_bios(const char *path)
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

hda_status qemu_spawn(hda_plat *p, const char *sock, const char *ram,
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
void qemu_keeper_stop(hda_plat *p)
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
bool qemu_child_exited(hda_plat *p)
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
hda_status qemu_await_connection(hda_plat *p, int lfd, int *cfd, char *err,
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
		if (qemu_child_exited(p)) {
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
