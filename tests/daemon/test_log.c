/* SPDX-License-Identifier: MIT */
/* hsd_log: prefixes, the level filter, lines, cuts, level names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include <cmocka.h>

#include "hsd_log.h"

static char *buf;
static size_t len;
static FILE *mem;

static int setup(void **state)
{
	(void)state;
	mem = open_memstream(&buf, &len);
	hsd_log_set_stream(mem);
	hsd_log_set_level(HSD_LOG_DEFAULT);
	return mem ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	hsd_log_set_stream(NULL);
	fclose(mem);
	free(buf);
	return 0;
}

/* The prefixes are sd-daemon.h's, in value and in text. */
static void test_prefixes(void **state)
{
	(void)state;
	hsd_log_set_level(HSD_LOG_DEBUG);
	hsd_log(HSD_LOG_ERROR, "e %d", 1);
	hsd_log(HSD_LOG_WARNING, "w %s", "2");
	hsd_log(HSD_LOG_NOTICE, "n");
	hsd_log(HSD_LOG_INFO, "i");
	hsd_log(HSD_LOG_DEBUG, "d");
	fflush(mem);
	assert_string_equal(buf, SD_ERR "e 1\n" SD_WARNING "w 2\n" SD_NOTICE "n\n"
			    SD_INFO "i\n" SD_DEBUG "d\n");
}

static void test_filter(void **state)
{
	(void)state;
	assert_int_equal(hsd_log_get_level(), HSD_LOG_INFO);
	hsd_log(HSD_LOG_DEBUG, "hidden by default");
	hsd_log(HSD_LOG_INFO, "shown");
	hsd_log_set_level(HSD_LOG_WARNING);
	assert_int_equal(hsd_log_get_level(), HSD_LOG_WARNING);
	assert_true(hsd_log_enabled(HSD_LOG_ERROR));
	assert_true(hsd_log_enabled(HSD_LOG_WARNING));
	assert_false(hsd_log_enabled(HSD_LOG_NOTICE));
	hsd_log(HSD_LOG_NOTICE, "hidden");
	hsd_log(HSD_LOG_INFO, "hidden");
	hsd_log(HSD_LOG_WARNING, "kept");
	hsd_log(HSD_LOG_ERROR, "kept too");
	fflush(mem);
	assert_string_equal(buf, "<6>shown\n<4>kept\n<3>kept too\n");
}

/* Every line gets the prefix, so journald files each at its priority. */
static void test_lines(void **state)
{
	(void)state;
	hsd_log(HSD_LOG_NOTICE, "one\ntwo\n\nfour");
	hsd_log(HSD_LOG_INFO, "trailing newline\n");
	fflush(mem);
	assert_string_equal(buf, "<5>one\n<5>two\n<5>\n<5>four\n<6>trailing newline\n");
}

static void test_cut(void **state)
{
	char big[HSD_LOG_LINE_MAX * 2];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	hsd_log(HSD_LOG_ERROR, "%s", big);
	fflush(mem);
	/* "<3>", HSD_LOG_LINE_MAX - 4 x's, "...", "\n" */
	assert_int_equal(len, 3 + HSD_LOG_LINE_MAX - 4 + 3 + 1);
	assert_memory_equal(buf + len - 5, "x...\n", 5);
}

static void test_names(void **state)
{
	static const char *const names[] = {"error", "warning", "notice", "info", "debug"};
	hsd_log_level l;

	(void)state;
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(hsd_log_level_parse(names[i], &l), 0);
		assert_int_equal(l, LOG_ERR + (int)i);
		assert_string_equal(hsd_log_level_name(l), names[i]);
	}
	assert_int_equal(hsd_log_level_parse("err", &l), -EINVAL);
	assert_int_equal(hsd_log_level_parse("", &l), -EINVAL);
	assert_int_equal(hsd_log_level_parse("Info", &l), -EINVAL);
	assert_null(hsd_log_level_name((hsd_log_level)LOG_CRIT));
	assert_null(hsd_log_level_name((hsd_log_level)8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prefixes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut, setup, teardown),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
