/* SPDX-License-Identifier: MIT */
/*
 * librtp, SDP: whole descriptions compared with text written out by hand
 * from RFC 8866, RFC 3551 / 3190 (rtpmap), RFC 7587 (Opus rtpmap and
 * fmtp), RFC 3605 (a=rtcp) and RFC 5761 (a=rtcp-mux); what must be
 * refused; and the bounded output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hsr_sdp.h"

static void check(const hsr_sdp *d, const char *want)
{
	char buf[1024];
	int n;

	memset(buf, 0x55, sizeof(buf));
	n = hsr_sdp_write(buf, sizeof(buf), d);
	if (n < 0)
		fail_msg("hsr_sdp_write: %s", hsr_err_name(n));
	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
}

static const hsr_sdp l24_unicast = {
	.session_id = 3900000000u,
	.session_version = 1,
	.name = "hdastream line-in",
	.address = "192.0.2.10",
	.port = 5004,
	.pt = 97,
	.format = {HSR_L24, 2, 48000},
	.ptime_us = 4166, /* 200 frames: written rounded up */
	.dir = HSR_SDP_RECVONLY,
};

static void test_l24_unicast(void **state)
{
	check(&l24_unicast,
	      "v=0\r\n"
	      "o=- 3900000000 1 IN IP4 192.0.2.10\r\n"
	      "s=hdastream line-in\r\n"
	      "c=IN IP4 192.0.2.10\r\n"
	      "t=0 0\r\n"
	      "m=audio 5004 RTP/AVP 97\r\n"
	      "a=rtpmap:97 L24/48000/2\r\n"
	      "a=ptime:5\r\n"
	      "a=recvonly\r\n");
}

static void test_opus_multicast4(void **state)
{
	const hsr_sdp d = {
		.username = "hdastream",
		.session_id = 42,
		.session_version = 7,
		.origin = "192.0.2.1",
		.address = "239.1.2.3",
		.ttl = 16,
		.port = 5006,
		.rtcp_port = 5007, /* port + 1: no attribute */
		.pt = 111,
		.format = {HSR_OPUS, 2, 48000},
		.ptime_us = 20000,
		.opus = {.useinbandfec = true, .stereo = true,
			 .sprop_stereo = true, .maxplaybackrate = 48000},
		.dir = HSR_SDP_SENDONLY,
	};

	check(&d, "v=0\r\n"
		  "o=hdastream 42 7 IN IP4 192.0.2.1\r\n"
		  "s=-\r\n"
		  "c=IN IP4 239.1.2.3/16\r\n"
		  "t=0 0\r\n"
		  "m=audio 5006 RTP/AVP 111\r\n"
		  "a=rtpmap:111 opus/48000/2\r\n"
		  "a=fmtp:111 useinbandfec=1; stereo=1; sprop-stereo=1; "
		  "maxplaybackrate=48000\r\n"
		  "a=ptime:20\r\n"
		  "a=sendonly\r\n");
}

/* Mono Opus at 16 kHz is still opus/48000/2 (RFC 7587 7); IPv6
 * multicast has no TTL (RFC 8866 5.7); 2.5 ms is written 3. */
static void test_opus_multicast6_mux(void **state)
{
	const hsr_sdp d = {
		.session_id = 1,
		.session_version = 1,
		.origin = "2001:db8::1",
		.address = "ff0e::db8:1",
		.ttl = 16, /* not for IPv6 */
		.port = 5004,
		.rtcp_port = 7000, /* not with rtcp-mux */
		.rtcp_mux = true,
		.pt = 96,
		.format = {HSR_OPUS, 1, 16000},
		.ptime_us = 2500,
	};

	check(&d, "v=0\r\n"
		  "o=- 1 1 IN IP6 2001:db8::1\r\n"
		  "s=-\r\n"
		  "c=IN IP6 ff0e::db8:1\r\n"
		  "t=0 0\r\n"
		  "m=audio 5004 RTP/AVP 96\r\n"
		  "a=rtpmap:96 opus/48000/2\r\n"
		  "a=fmtp:96 useinbandfec=0; stereo=0; sprop-stereo=0\r\n"
		  "a=ptime:3\r\n"
		  "a=rtcp-mux\r\n");
}

/* The static type 10 (RFC 3551), RTCP elsewhere than port + 1 (RFC
 * 3605), no ptime, no direction. */
static void test_l16_static_rtcp_port(void **state)
{
	const hsr_sdp d = {
		.session_id = 5,
		.session_version = 5,
		.address = "::1",
		.port = 5004,
		.rtcp_port = 6000,
		.pt = 10,
		.format = {HSR_L16, 2, 44100},
		.opus = {.useinbandfec = true}, /* not for PCM */
	};

	check(&d, "v=0\r\n"
		  "o=- 5 5 IN IP6 ::1\r\n"
		  "s=-\r\n"
		  "c=IN IP6 ::1\r\n"
		  "t=0 0\r\n"
		  "m=audio 5004 RTP/AVP 10\r\n"
		  "a=rtpmap:10 L16/44100/2\r\n"
		  "a=rtcp:6000\r\n");
}

static void test_directions(void **state)
{
	static const char *const want[] = {NULL, "sendrecv", "sendonly",
					   "recvonly", "inactive"};
	char buf[512], line[32];

	for (unsigned i = 0; i <= HSR_SDP_INACTIVE; i++) {
		hsr_sdp d = l24_unicast;

		d.dir = (uint8_t)i;
		assert_true(hsr_sdp_write(buf, sizeof(buf), &d) > 0);
		if (!want[i]) {
			assert_null(strstr(buf, "a=sendrecv"));
			assert_null(strstr(buf, "only"));
			continue;
		}
		snprintf(line, sizeof(line), "\r\na=%s\r\n", want[i]);
		assert_non_null(strstr(buf, line));
	}
}

static void test_refused(void **state)
{
	char buf[1024];
	hsr_sdp d;

#define REFUSE(field, value)                                                   \
	do {                                                                   \
		d = l24_unicast;                                               \
		d.field = value;                                               \
		assert_int_equal(hsr_sdp_write(buf, sizeof(buf), &d),          \
				 -HSR_ERR_INVALID);                            \
	} while (0)
	REFUSE(address, NULL);
	REFUSE(address, "example.net");     /* no host names */
	REFUSE(address, "192.0.2.300");
	REFUSE(address, "fe80::1%eth0");
	REFUSE(address, "239.1.2.3");       /* IPv4 multicast, no TTL, and
					       no origin */
	REFUSE(origin, "239.1.2.9");        /* a multicast origin */
	REFUSE(origin, "nowhere");
	REFUSE(name, "evil\r\na=sendonly");  /* a line of its own */
	REFUSE(name, "tab\there");
	REFUSE(username, "two words");
	REFUSE(username, "");
	REFUSE(port, 0);
	REFUSE(port, 65535);                /* RTCP would be on 65536 */
	REFUSE(pt, 10);                     /* 10 is L16/44100/2 */
	REFUSE(pt, 128);
	REFUSE(format.channels, 0);
	REFUSE(dir, 5);
#undef REFUSE
	/* IPv4 multicast with an origin but no TTL. */
	d = l24_unicast;
	d.address = "239.1.2.3";
	d.origin = "192.0.2.1";
	assert_int_equal(hsr_sdp_write(buf, sizeof(buf), &d), -HSR_ERR_INVALID);
	d.ttl = 1;
	assert_true(hsr_sdp_write(buf, sizeof(buf), &d) > 0);
	assert_non_null(strstr(buf, "c=IN IP4 239.1.2.3/1\r\n"));
	/* Port 65535 is fine with RTCP elsewhere or muxed. */
	d = l24_unicast;
	d.port = 65535;
	d.rtcp_mux = true;
	assert_true(hsr_sdp_write(buf, sizeof(buf), &d) > 0);
	d.rtcp_mux = false;
	d.rtcp_port = 65534;
	assert_true(hsr_sdp_write(buf, sizeof(buf), &d) > 0);
	/* Opus's maxplaybackrate is 8000..48000. */
	d = l24_unicast;
	d.format = (hsr_format){HSR_OPUS, 2, 48000};
	d.opus.maxplaybackrate = 7999;
	assert_int_equal(hsr_sdp_write(buf, sizeof(buf), &d), -HSR_ERR_INVALID);
	d.opus.maxplaybackrate = 48001;
	assert_int_equal(hsr_sdp_write(buf, sizeof(buf), &d), -HSR_ERR_INVALID);
	d.opus.maxplaybackrate = 8000;
	assert_true(hsr_sdp_write(buf, sizeof(buf), &d) > 0);
}

/* Every buffer shorter than the description and its NUL: refused, an
 * empty string left, nothing past cap touched. */
static void test_bounded(void **state)
{
	char buf[512];
	int n = hsr_sdp_write(buf, sizeof(buf), &l24_unicast);

	assert_true(n > 0);
	assert_int_equal(hsr_sdp_write(NULL, 0, &l24_unicast), -HSR_ERR_NO_SPACE);
	for (size_t cap = 1; cap <= (size_t)n; cap++) {
		memset(buf, 0x55, sizeof(buf));
		assert_int_equal(hsr_sdp_write(buf, cap, &l24_unicast),
				 -HSR_ERR_NO_SPACE);
		assert_int_equal(buf[0], 0);
		assert_int_equal(buf[cap], 0x55);
	}
	memset(buf, 0x55, sizeof(buf));
	assert_int_equal(hsr_sdp_write(buf, (size_t)n + 1, &l24_unicast), n);
	assert_int_equal(buf[n], 0);
	assert_int_equal(buf[n + 1], 0x55);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_l24_unicast),
		cmocka_unit_test(test_opus_multicast4),
		cmocka_unit_test(test_opus_multicast6_mux),
		cmocka_unit_test(test_l16_static_rtcp_port),
		cmocka_unit_test(test_directions),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
