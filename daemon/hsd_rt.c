/* SPDX-License-Identifier: MIT */
/* Real-time setup of the calling thread; see hsd_rt.h. */
#include <alloca.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hsd_rt.h"

/* Stack left untouched below the pre-faulted part: room for the frames of
 * the calls that follow this one and for the guard page's neighbourhood. */
#define STACK_MARGIN (64 * 1024)

/* Stack bytes the calling thread has below this frame, less the margin; 0
 * when that cannot be told. */
static size_t stack_room(void)
{
	pthread_attr_t attr;
	void *lo;
	size_t size;
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	size_t room = 0;

	if (pthread_getattr_np(pthread_self(), &attr))
		return 0;
	if (!pthread_attr_getstack(&attr, &lo, &size) &&
	    here > (uintptr_t)lo + STACK_MARGIN)
		room = here - (uintptr_t)lo - STACK_MARGIN;
	pthread_attr_destroy(&attr);
	return room;
}

/* Touch `bytes` of stack below the caller, one write per page.  noinline so
 * that the area is this call's frame and is released (but stays mapped)
 * when it returns. */
__attribute__((noinline)) static void touch_stack(size_t bytes)
{
	volatile unsigned char *p = alloca(bytes);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	for (size_t off = 0; off < bytes; off += page)
		p[off] = 0;
	if (bytes)
		p[bytes - 1] = 0;
}

/*
 * Whether /proc/self/status shows locked memory: 1 yes, 0 no, -1 cannot
 * tell.  After a real mlockall(MCL_CURRENT) it always does, since every
 * mapping present is locked; the sanitizer runtimes (ASan, TSan) replace
 * mlockall by a no-op that returns 0, and the report must not say granted
 * then.  Read with open/read into the stack, not stdio.
 */
static int memory_locked(void)
{
	char buf[2048];
	const char *p;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "\nVmLck:");
	if (!p)
		return -1;
	return strtoul(p + 7, NULL, 10) > 0;
}

void hsd_rt_setup(const hsd_rt_request *req, hsd_rt_report *rep)
{
	struct sched_param sp = {.sched_priority = req->fifo_priority};
	size_t room;

	memset(rep, 0, sizeof(*rep));
	if (req->fifo_priority) {
		rep->fifo_asked = req->fifo_priority;
		/* pthread_setschedparam returns the error number. */
		rep->fifo_errno = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
		rep->fifo_granted = rep->fifo_errno == 0;
	}
	if (pthread_getschedparam(pthread_self(), &rep->policy, &sp) == 0)
		rep->priority = sp.sched_priority;

	if (req->lock_memory) {
		rep->mlock_requested = true;
		if (mlockall(MCL_CURRENT | MCL_FUTURE))
			rep->mlock_errno = errno;
		else if (memory_locked() == 0)
			rep->mlock_errno = ENOSYS;
		rep->mlock_granted = rep->mlock_errno == 0;
	}

	/* After mlockall: with MCL_FUTURE the pages touched now are locked as
	 * they come in. */
	room = stack_room();
	rep->stack_prefaulted = req->stack_prefault < room ? req->stack_prefault : room;
	touch_stack(rep->stack_prefaulted);
}

/* "NAME: description" of an errno.  strerrorname_np and strerrordesc_np
 * return constant strings, so unlike strerror this is thread-safe. */
static const char *errno_name(int e, char *buf, size_t len)
{
	const char *n = strerrorname_np(e), *d = strerrordesc_np(e);

	snprintf(buf, len, "%s: %s", n ? n : "?", d ? d : "unknown error");
	return buf;
}

int hsd_rt_describe(const hsd_rt_report *rep, char *buf, size_t len)
{
	char fifo[128], mlock[128], e[80];

	if (!rep->fifo_asked)
		snprintf(fifo, sizeof(fifo), "SCHED_FIFO not requested");
	else if (rep->fifo_granted)
		snprintf(fifo, sizeof(fifo), "SCHED_FIFO %d", rep->priority);
	else
		snprintf(fifo, sizeof(fifo), "SCHED_FIFO %d refused (%s)",
			 rep->fifo_asked, errno_name(rep->fifo_errno, e, sizeof(e)));
	if (!rep->mlock_requested)
		snprintf(mlock, sizeof(mlock), "memory locking not requested");
	else if (rep->mlock_granted)
		snprintf(mlock, sizeof(mlock), "memory locked");
	else if (rep->mlock_errno == ENOSYS)
		snprintf(mlock, sizeof(mlock),
			 "mlockall had no effect (ENOSYS: nothing locked; a sanitizer build?)");
	else
		snprintf(mlock, sizeof(mlock), "mlockall refused (%s)",
			 errno_name(rep->mlock_errno, e, sizeof(e)));
	return snprintf(buf, len, "real-time: %s; %s; %zu KiB of stack pre-faulted",
			fifo, mlock, rep->stack_prefaulted / 1024);
}

bool hsd_rt_refused(const hsd_rt_report *rep)
{
	return (rep->fifo_asked && !rep->fifo_granted) ||
	       (rep->mlock_requested && !rep->mlock_granted);
}
