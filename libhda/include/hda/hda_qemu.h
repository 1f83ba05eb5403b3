/* SPDX-License-Identifier: MIT */
/*
 * The "qemu" backend: libhda drives QEMU's own intel-hda model (with its
 * hda-duplex or hda-output codec) through registers and DMA, as it would
 * drive hardware.  QEMU runs as a child process that belongs to the bus.
 *
 *   hda_bus_open("qemu", &bus)  or  hda_bus_open("qemu:KEY=VALUE,...", &bus)
 *
 * Options (all optional):
 *   controller=ich6|ich9 QEMU's intel-hda (PCI 8086:2668, default) or
 *                        ich9-intel-hda (8086:293e): the same model with
 *                        another PCI identity, which libhda reads from
 *                        config space and reports in
 *                        hda_get_device_information
 *   codec=duplex|output  hda-duplex (DAC + ADC, default) or hda-output
 *   machine=q35|pc       QEMU machine type (default q35)
 *   wav=PATH             render audio goes to this WAV file at `rate`,
 *                        created at open (INVALID_PARAMETER if it cannot
 *                        be); without it QEMU's audio backend is "none",
 *                        which discards output and captures silence
 *   rate=HZ              the WAV file's rate (default 48000; QEMU resamples
 *                        streams of any other rate into it)
 *   mem_mb=N             guest RAM, shared with this process through a
 *                        file in $TMPDIR (default 128); its middle half is
 *                        DMA memory, allocated in the file at open
 *                        (INSUFFICIENT_RESOURCES when the filesystem is full).
 *                        A TMPDIR of 40 characters or more is passed over
 *                        for /tmp: the qtest socket's path must fit in a
 *                        sockaddr_un.
 *   timeout_ms=N         bound on every register access (default 2000)
 *   qemu=PATH            the QEMU binary (default qemu-system-x86_64)
 *
 * Registers go over QEMU's qtest socket; DMA memory is guest RAM shared with
 * this process, so nothing on the audio path crosses the socket.
 */
#ifndef HDA_HDA_QEMU_H
#define HDA_HDA_QEMU_H

#include <stdint.h>
#include <sys/types.h>

#include "hda/hda.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The QEMU process behind a qemu bus, or -1 for any other bus. */
pid_t hda_qemu_pid(hda_bus *bus);

/* One reading of WALCLK through the socket, bracketed by the values libhda
 * computes for it from CLOCK_MONOTONIC (what hda_read_position reports on
 * this backend) just before and just after: with a correct calibration,
 * computed_before - calibration_error <= register_value <= computed_after +
 * calibration_error (modulo 2^32), however long the round trip took. */
typedef struct hda_qemu_wall_clock_sample {
	uint32_t computed_before;
	uint32_t register_value;
	uint32_t computed_after;
	uint32_t calibration_error; /* ticks: half the round trip of the
				       tightest calibration read */
} hda_qemu_wall_clock_sample;

/* [control] Take such a reading, so that a test can hold the computed
 * clock against the register.  INVALID_PARAMETER for a bus that is not a
 * qemu bus, DEVICE_NOT_READY once QEMU is gone. */
hda_status hda_qemu_wall_clock(hda_bus *bus, hda_qemu_wall_clock_sample *sample);

/* Whether a sample is consistent, allowing slack_ticks beyond the
 * calibration error (for rounding nanoseconds to ticks). */
static inline bool hda_qemu_wall_clock_sample_ok(const hda_qemu_wall_clock_sample *s,
						 uint32_t slack_ticks)
{
	uint32_t e = s->calibration_error + slack_ticks;

	return (int32_t)(s->register_value - s->computed_before) >= -(int32_t)e &&
	       (int32_t)(s->computed_after - s->register_value) >= -(int32_t)e;
}

/* [control] A dword of the controller's PCI config space (offset a
 * multiple of 4), read through the socket: what the backend reads the PCI
 * identity from, for tests.  INVALID_PARAMETER for a bus that is not a
 * qemu bus or an unaligned offset, DEVICE_NOT_READY once QEMU is gone. */
hda_status hda_qemu_pci_config_read(hda_bus *bus, uint8_t offset, uint32_t *value);

/* [control] Measure again where WALCLK stands against CLOCK_MONOTONIC, as
 * the backend does after every controller reset.  The two clocks drift
 * apart by a few ppm, so a stream that runs for hours may call this now and
 * then.  Threads reading positions meanwhile never wait for it.
 * INVALID_PARAMETER for a bus that is not a qemu bus, DEVICE_NOT_READY once
 * QEMU is gone. */
hda_status hda_qemu_calibrate_wall_clock(hda_bus *bus);

#ifdef __cplusplus
}
#endif

#endif
