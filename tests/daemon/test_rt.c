/* SPDX-License-Identifier: MIT */
/*
 * hsd_rt: the report says what the kernel did.  Refusals are provoked in a
 * forked child (RLIMIT_RTPRIO and RLIMIT_MEMLOCK lowered, CAP_SYS_NICE and
 * CAP_IPC_LOCK dropped, so this holds for root too), and a grant is checked
 * against what the kernel then says about the thread.  The stack pre-fault
 * is checked with mincore on a stack of the test's own.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hsd_rt.h"

/* The ASan and TSan runtimes replace mlockall by a no-op returning 0 (their
 * shadow memory is terabytes of reserved address space), which the report
 * gives as ENOSYS whatever the kernel would have said. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MLOCK_ERRNO(e) ENOSYS
#define MLOCK_NAME(e) "mlockall had no effect (ENOSYS: "
#else
#define MLOCK_ERRNO(e) (e)
#define MLOCK_NAME(e) "mlockall refused (" #e ": "
#endif

/* What a child sends back: the report, its line, and the kernel's view. */
struct outcome {
	hsd_rt_report rep;
	char line[512];
	int kernel_policy;
	int kernel_priority;
	long vm_locked_kb;
	int setup_errno; /* rlimit or capset failed in the child */
};

static long vm_locked_kb(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char buf[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Drop CAP_SYS_NICE and CAP_IPC_LOCK from every set of this process. */
static int drop_rt_caps(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	const unsigned caps[] = {CAP_SYS_NICE, CAP_IPC_LOCK};

	if (syscall(SYS_capget, &h, d))
		return errno;
	for (unsigned i = 0; i < 2; i++) {
		uint32_t bit = 1u << (caps[i] % 32);

		d[caps[i] / 32].effective &= ~bit;
		d[caps[i] / 32].permitted &= ~bit;
		d[caps[i] / 32].inheritable &= ~bit;
	}
	return syscall(SYS_capset, &h, d) ? errno : 0;
}

/*
 * Run hsd_rt_setup(req) in a child, after lowering its limits when
 * memlock_limit >= 0 (RLIMIT_RTPRIO to 0, RLIMIT_MEMLOCK to memlock_limit)
 * and dropping the capabilities that bypass them.
 */
static struct outcome in_child(const hsd_rt_request *req, long memlock_limit)
{
	struct outcome o;
	int fds[2], status;
	pid_t pid;

	memset(&o, 0, sizeof(o));
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sched_param sp;

		close(fds[0]);
		if (memlock_limit >= 0) {
			struct rlimit rt = {0, 0};
			struct rlimit ml = {(rlim_t)memlock_limit, (rlim_t)memlock_limit};

			if (setrlimit(RLIMIT_RTPRIO, &rt) || setrlimit(RLIMIT_MEMLOCK, &ml))
				o.setup_errno = errno;
			else
				o.setup_errno = drop_rt_caps();
		}
		hsd_rt_setup(req, &o.rep);
		hsd_rt_describe(&o.rep, o.line, sizeof(o.line));
		o.kernel_policy = sched_getscheduler(0);
		o.kernel_priority = sched_getparam(0, &sp) ? -1 : sp.sched_priority;
		o.vm_locked_kb = vm_locked_kb();
		_exit(write(fds[1], &o, sizeof(o)) == sizeof(o) ? 0 : 1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &o, sizeof(o)), sizeof(o));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(o.setup_errno, 0);
	return o;
}

static void test_refusal_named(void **state)
{
	hsd_rt_request req = {.fifo_priority = 50, .lock_memory = true,
			      .stack_prefault = 64 * 1024};
	struct outcome o = in_child(&req, 0);

	assert_int_equal(o.rep.fifo_asked, 50);
	assert_false(o.rep.fifo_granted);
	assert_int_equal(o.rep.fifo_errno, EPERM);
	assert_int_equal(o.rep.policy, SCHED_OTHER);
	assert_int_equal(o.kernel_policy, SCHED_OTHER);
	assert_true(o.rep.mlock_requested);
	assert_false(o.rep.mlock_granted);
	/* A zero limit without CAP_IPC_LOCK: not allowed at all. */
	assert_int_equal(o.rep.mlock_errno, MLOCK_ERRNO(EPERM));
	assert_int_equal(o.vm_locked_kb, 0);
	assert_true(hsd_rt_refused(&o.rep));
	/* Refusals do not stop the rest. */
	assert_int_equal(o.rep.stack_prefaulted, 64 * 1024);
	assert_non_null(strstr(o.line, "SCHED_FIFO 50 refused (EPERM: "));
	assert_non_null(strstr(o.line, MLOCK_NAME(EPERM)));
	assert_non_null(strstr(o.line, "64 KiB of stack pre-faulted"));
}

/* A limit above zero but below what the process maps: ENOMEM, named. */
static void test_memlock_too_small(void **state)
{
	hsd_rt_request req = {.lock_memory = true};
	struct outcome o = in_child(&req, 4096);

	assert_int_equal(o.rep.fifo_asked, 0);
	assert_false(o.rep.mlock_granted);
	assert_int_equal(o.rep.mlock_errno, MLOCK_ERRNO(ENOMEM));
	assert_int_equal(o.vm_locked_kb, 0);
	assert_true(hsd_rt_refused(&o.rep));
	assert_non_null(strstr(o.line, "SCHED_FIFO not requested"));
	assert_non_null(strstr(o.line, MLOCK_NAME(ENOMEM)));
}

/* With the test's own privileges, whatever they are: granted or refused,
 * the report agrees with the kernel. */
static void test_report_matches_kernel(void **state)
{
	hsd_rt_request req = {.fifo_priority = 10, .lock_memory = true};
	struct outcome o = in_child(&req, -1);

	assert_int_equal(o.rep.policy, o.kernel_policy);
	assert_int_equal(o.rep.priority, o.kernel_priority);
	assert_int_equal(o.rep.fifo_granted, o.kernel_policy == SCHED_FIFO);
	assert_int_equal(o.rep.fifo_granted, o.rep.fifo_errno == 0);
	if (o.rep.fifo_granted) {
		assert_int_equal(o.kernel_priority, 10);
		assert_non_null(strstr(o.line, "SCHED_FIFO 10;"));
	} else {
		assert_non_null(strstr(o.line, "SCHED_FIFO 10 refused ("));
	}
	assert_true(o.rep.mlock_requested);
	assert_int_equal(o.rep.mlock_granted, o.vm_locked_kb > 0);
	assert_int_equal(o.rep.mlock_granted, o.rep.mlock_errno == 0);
	assert_int_equal(hsd_rt_refused(&o.rep),
			 !o.rep.fifo_granted || !o.rep.mlock_granted);
	print_message("granted here: %s\n", o.line);
}

/* An out-of-range priority is refused with EINVAL, not clamped. */
static void test_bad_priority(void **state)
{
	hsd_rt_request req = {.fifo_priority = 100};
	struct outcome o = in_child(&req, -1);

	assert_false(o.rep.fifo_granted);
	assert_int_equal(o.rep.fifo_errno, EINVAL);
	assert_int_equal(o.kernel_policy, SCHED_OTHER);
	assert_non_null(strstr(o.line, "SCHED_FIFO 100 refused (EINVAL: "));
}

/* ---- Stack pre-fault ---------------------------------------------------- */

/* Large enough for TSan, whose per-thread state lives in static TLS at the
 * top of a caller-provided stack and takes most of a megabyte of it. */
#define STACK_BYTES (4 * 1024 * 1024)

struct stack_run {
	unsigned char *stack;
	size_t request;
	hsd_rt_report rep;
	size_t resident_before, resident_after; /* pages of the stack */
};

static size_t resident_pages(const unsigned char *base, size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 0;
	unsigned char vec[STACK_BYTES / 4096];

	if (bytes / page > sizeof(vec) || mincore((void *)base, bytes, vec))
		return SIZE_MAX;
	for (size_t i = 0; i < bytes / page; i++)
		n += vec[i] & 1;
	return n;
}

static void *stack_thread(void *arg)
{
	struct stack_run *s = arg;
	hsd_rt_request req = {.stack_prefault = s->request};

	s->resident_before = resident_pages(s->stack, STACK_BYTES);
	hsd_rt_setup(&req, &s->rep);
	s->resident_after = resident_pages(s->stack, STACK_BYTES);
	return NULL;
}

static struct stack_run run_on_stack(size_t request)
{
	struct stack_run s = {.request = request};
	pthread_attr_t attr;
	pthread_t t;

	s.stack = mmap(NULL, STACK_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	assert_true(s.stack != MAP_FAILED);
	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setstack(&attr, s.stack, STACK_BYTES), 0);
	assert_int_equal(pthread_create(&t, &attr, stack_thread, &s), 0);
	pthread_join(t, NULL);
	pthread_attr_destroy(&attr);
	munmap(s.stack, STACK_BYTES);
	return s;
}

/* Pages that the pre-fault brought in: the area below the thread's frame,
 * of which at most the two pages around the frame were resident before. */
static void assert_faulted_in(const struct stack_run *s)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	assert_true(s->resident_after != SIZE_MAX);
	assert_true(s->resident_after - s->resident_before + 2 >=
		    s->rep.stack_prefaulted / page);
}

static void test_stack_prefault(void **state)
{
	struct stack_run s = run_on_stack(1024 * 1024);

	assert_int_equal(s.rep.stack_prefaulted, 1024 * 1024);
	assert_faulted_in(&s);

	/* More than the stack holds: capped below it, and no crash. */
	s = run_on_stack(4 * STACK_BYTES);
	assert_true(s.rep.stack_prefaulted > STACK_BYTES / 2);
	assert_true(s.rep.stack_prefaulted < STACK_BYTES);
	assert_faulted_in(&s);
}

static void test_describe_nothing_asked(void **state)
{
	hsd_rt_report rep = {0};
	char line[256];

	assert_false(hsd_rt_refused(&rep));
	hsd_rt_describe(&rep, line, sizeof(line));
	assert_string_equal(line, "real-time: SCHED_FIFO not requested; memory "
				  "locking not requested; 0 KiB of stack pre-faulted");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusal_named),
		cmocka_unit_test(test_memlock_too_small),
		cmocka_unit_test(test_report_matches_kernel),
		cmocka_unit_test(test_bad_priority),
		cmocka_unit_test(test_stack_prefault),
		cmocka_unit_test(test_describe_nothing_asked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
