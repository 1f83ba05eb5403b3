/* SPDX-License-Identifier: MIT */
/*
 * The emulated controller's codec link: CORB, RIRB, the immediate command
 * interface and unsolicited responses, and the interrupt line they and the
 * streams raise.
 */
#include <unistd.h>

#include "emu_ctrl.h"

/* ---- Interrupts ------------------------------------------------------------- */

/*
 * INTSTS is computed, never written by software.  The line is level
 * triggered; the eventfd carries its rising edges.  The driver reads the
 * eventfd and then services until INTSTS shows nothing enabled, so an edge
 * that arrives while it services is never lost: either it saw the new
 * status, or the line dropped and rose again and wrote another edge.
 */
void emu_irq_update(emu_ctrl *c)
{
	uint32_t intctl = rd32(c, HDA_INTCTL), sts = 0;
	uint8_t rsts = rd8(c, HDA_RIRBSTS), rctl = rd8(c, HDA_RIRBCTL);
	bool sd_line = false, cis, line;

	for (unsigned n = 0; n < c->n_sd; n++) {
		const emu_stream *s = &c->sd[n];

		if (s->regs[HDA_SD_STS] & HDA_SD_STS_INT_MASK)
			sts |= 1u << n;
		if ((intctl & (1u << n)) && emu_sd_irq(s))
			sd_line = true;
	}
	cis = ((rsts & HDA_RIRBSTS_RINTFL) && (rctl & HDA_RIRBCTL_INTCTL)) ||
	      ((rsts & HDA_RIRBSTS_OIS) && (rctl & HDA_RIRBCTL_OIC)) ||
	      ((rd8(c, HDA_CORBSTS) & 0x01) &&
	       (rd8(c, HDA_CORBCTL) & HDA_CORBCTL_CMEIE));
	if (cis)
		sts |= HDA_INTSTS_CIS;
	if (sts)
		sts |= HDA_INTSTS_GIS;
	wr32(c, HDA_INTSTS, sts);

	line = (intctl & HDA_INTCTL_GIE) &&
	       (sd_line || (cis && (intctl & HDA_INTCTL_CIE)));
	if (line && !c->irq_line) {
		uint64_t one = 1;
		ssize_t r = write(c->irq_fd, &one, sizeof(one));

		(void)r; /* EAGAIN only at a counter of 2^64 - 2 */
		c->irq_rises++;
	}
	if (!line && c->irq_line)
		pthread_cond_broadcast(&c->irq_low);
	c->irq_line = line;
}

/* ---- Codec link: CORB, RIRB, immediate commands -------------------------- */

static bool verb_exec(emu_ctrl *c, uint32_t cmd, uint32_t *resp)
{
	/* Only codec address 0 sits on the link. */
	if ((cmd >> 28) != 0 || fault_on(c, HDA_EMU_FAULT_CODEC_SILENT))
		return false;
	return emu_codec_verb(c->codec, cmd & 0x0FFFFFFFu, resp);
}

static void rirb_push(emu_ctrl *c, uint32_t resp, uint32_t ex)
{
	uint64_t base = reg64(c, HDA_RIRBLBASE, 0xFFFFFF80u);
	uint8_t wp = (uint8_t)(rd16(c, HDA_RIRBWP) + 1);
	unsigned intcnt = rd16(c, HDA_RINTCNT) & 0xFF;
	uint8_t *p;

	if (!(rd8(c, HDA_RIRBCTL) & HDA_RIRBCTL_DMAEN))
		return;
	p = emu_mem_ptr(c->mem, base + 8ull * wp, 8);
	if (!p)
		return; /* bus error: the response is lost */
	memcpy(p, &resp, 4);
	memcpy(p + 4, &ex, 4);
	wr16(c, HDA_RIRBWP, wp);
	/* RINTCNT 0 means 256 responses. */
	if (++c->rirb_count >= (intcnt ? intcnt : 256u)) {
		wr8(c, HDA_RIRBSTS, rd8(c, HDA_RIRBSTS) | HDA_RIRBSTS_RINTFL);
		c->rirb_count = 0;
	}
}

/* Unsolicited responses reach the RIRB only while GCTL.UNSOL is set;
 * otherwise the controller drops them. */
void emu_unsol_deliver(emu_ctrl *c)
{
	uint32_t r;

	while (emu_codec_pop_unsolicited(c->codec, &r))
		if (c->crst && (rd32(c, HDA_GCTL) & HDA_GCTL_UNSOL))
			rirb_push(c, r, 0 | HDA_RIRB_EX_UNSOL);
}

/* Execute CORB entries RP+1..WP now, in the writer's thread: the model's
 * codec answers instantly, so a verb costs the driver one MMIO round. */
void emu_corb_run(emu_ctrl *c)
{
	uint64_t base = reg64(c, HDA_CORBLBASE, 0xFFFFFF80u);
	uint8_t wp = rd8(c, HDA_CORBWP), rp = rd8(c, HDA_CORBRP);

	if (!(rd8(c, HDA_CORBCTL) & HDA_CORBCTL_RUN) || rp == wp)
		return;
	while (rp != wp) {
		const uint8_t *p;
		uint32_t cmd, resp;

		rp = (uint8_t)(rp + 1);
		wr8(c, HDA_CORBRP, rp);
		p = emu_mem_ptr(c->mem, base + 4ull * rp, 4);
		if (!p) {
			wr8(c, HDA_CORBSTS, 0x01); /* CMEI: memory error */
			continue;
		}
		memcpy(&cmd, p, 4);
		if (verb_exec(c, cmd, &resp))
			rirb_push(c, resp, cmd >> 28);
	}
	emu_unsol_deliver(c);
}

void emu_icis_written(emu_ctrl *c, uint8_t val)
{
	uint32_t resp;

	if (!(val & HDA_ICIS_BUSY))
		return;
	if (verb_exec(c, rd32(c, HDA_ICOI), &resp)) {
		wr32(c, HDA_ICII, resp);
		wr16(c, HDA_ICIS, rd16(c, HDA_ICIS) | HDA_ICIS_VALID);
	}
	wr16(c, HDA_ICIS, rd16(c, HDA_ICIS) & (uint16_t)~HDA_ICIS_BUSY);
}
