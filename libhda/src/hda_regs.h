/* SPDX-License-Identifier: MIT */
/*
 * Intel HDA controller register map (BAR0) and codec verb numbers, from
 * hda-facts.md sections 2, 5 and 6.  Shared by the driver and the emulated
 * controller so both speak of one register file.
 */
#ifndef HDA_REGS_H
#define HDA_REGS_H

/* Global registers */
#define HDA_GCAP 0x00 /* 16 */
#define HDA_GCAP_64OK 0x0001
#define HDA_GCAP_NSDO(g) (((g) >> 1) & 0x3)
#define HDA_GCAP_BSS(g) (((g) >> 3) & 0x1F)
#define HDA_GCAP_ISS(g) (((g) >> 8) & 0xF)
#define HDA_GCAP_OSS(g) (((g) >> 12) & 0xF)
#define HDA_VMIN 0x02 /* 8 */
#define HDA_VMAJ 0x03 /* 8 */
#define HDA_OUTPAY 0x04 /* 16 */
#define HDA_INPAY 0x06  /* 16 */
#define HDA_GCTL 0x08   /* 32 */
#define HDA_GCTL_CRST 0x00000001u
#define HDA_GCTL_FCNTRL 0x00000002u
#define HDA_GCTL_UNSOL 0x00000100u
#define HDA_WAKEEN 0x0C   /* 16 */
#define HDA_STATESTS 0x0E /* 16, RW1C */
#define HDA_GSTS 0x10     /* 16 */
#define HDA_INTCTL 0x20   /* 32 */
#define HDA_INTCTL_GIE 0x80000000u
#define HDA_INTCTL_CIE 0x40000000u
#define HDA_INTSTS 0x24 /* 32 */
#define HDA_INTSTS_GIS 0x80000000u
#define HDA_INTSTS_CIS 0x40000000u
#define HDA_WALCLK 0x30 /* 32, 24 MHz */
#define HDA_WALCLK_HZ 24000000u
/* SSYNC: 0x38 on every part since ICH6's successors; old ICH parts used 0x34
 * (hda-facts 8.2).  libhda targets the current layout only. */
#define HDA_SSYNC 0x38 /* 32 */
#define HDA_CORBLBASE 0x40
#define HDA_CORBUBASE 0x44
#define HDA_CORBWP 0x48 /* 16 */
#define HDA_CORBRP 0x4A /* 16 */
#define HDA_CORBRP_RST 0x8000u
#define HDA_CORBCTL 0x4C /* 8 */
#define HDA_CORBCTL_CMEIE 0x01
#define HDA_CORBCTL_RUN 0x02
#define HDA_CORBSTS 0x4D  /* 8 */
#define HDA_CORBSIZE 0x4E /* 8 */
#define HDA_RIRBLBASE 0x50
#define HDA_RIRBUBASE 0x54
#define HDA_RIRBWP 0x58 /* 16 */
#define HDA_RIRBWP_RST 0x8000u
#define HDA_RINTCNT 0x5A /* 16 */
#define HDA_RIRBCTL 0x5C /* 8 */
#define HDA_RIRBCTL_INTCTL 0x01
#define HDA_RIRBCTL_DMAEN 0x02
#define HDA_RIRBCTL_OIC 0x04
#define HDA_RIRBSTS 0x5D /* 8, RW1C */
#define HDA_RIRBSTS_RINTFL 0x01
#define HDA_RIRBSTS_OIS 0x04
#define HDA_RIRBSIZE 0x5E /* 8 */
#define HDA_RINGSIZE_256 0x02 /* size field value for 256 entries */
#define HDA_ICOI 0x60
#define HDA_ICII 0x64
#define HDA_ICIS 0x68 /* 16 */
#define HDA_ICIS_BUSY 0x1
#define HDA_ICIS_VALID 0x2
#define HDA_DPLBASE 0x70
#define HDA_DPUBASE 0x74
#define HDA_DPLBASE_ENABLE 0x1u

/* The controller mirrors WALCLK and every SDnLPIB at +0x2000 (alias page). */
#define HDA_ALIAS_OFFSET 0x2000
#define HDA_MMIO_SIZE 0x4000

/* Stream descriptors: index n at 0x80 + 0x20 n, inputs first, then outputs,
 * then bidirectional.  n is also the INTCTL/INTSTS bit, the SSYNC bit and
 * the position-buffer slot. */
#define HDA_SD_BASE 0x80
#define HDA_SD_STRIDE 0x20
#define HDA_SD_OFF(n) (HDA_SD_BASE + HDA_SD_STRIDE * (n))
#define HDA_SD_MAX 30

#define HDA_SD_CTL 0x00 /* 24 bits: read/write as 8+16 or 32 with STS */
#define HDA_SD_CTL_SRST 0x000001u
#define HDA_SD_CTL_RUN 0x000002u
#define HDA_SD_CTL_IOCE 0x000004u
#define HDA_SD_CTL_FEIE 0x000008u
#define HDA_SD_CTL_DEIE 0x000010u
#define HDA_SD_CTL_INT_MASK 0x00001Cu
#define HDA_SD_CTL_STRIPE_SHIFT 16
#define HDA_SD_CTL_TP 0x040000u
#define HDA_SD_CTL_DIR 0x080000u
#define HDA_SD_CTL_STRM_SHIFT 20
#define HDA_SD_CTL_STRM_MASK 0xF00000u
#define HDA_SD_STS 0x03 /* 8, RW1C except FIFORDY */
#define HDA_SD_STS_BCIS 0x04
#define HDA_SD_STS_FIFOE 0x08
#define HDA_SD_STS_DESE 0x10
#define HDA_SD_STS_FIFORDY 0x20
#define HDA_SD_STS_INT_MASK 0x1C
#define HDA_SD_LPIB 0x04  /* 32 */
#define HDA_SD_CBL 0x08   /* 32 */
#define HDA_SD_LVI 0x0C   /* 16 */
#define HDA_SD_FIFOW 0x0E /* 16 */
#define HDA_SD_FIFOS 0x10 /* 16 */
#define HDA_SD_FMT 0x12   /* 16 */
#define HDA_SD_BDPL 0x18  /* 32 */
#define HDA_SD_BDPU 0x1C  /* 32 */

/* BDL */
#define HDA_BDL_ENTRY_SIZE 16
#define HDA_BDL_MAX_ENTRIES 256
#define HDA_BDL_ALIGN 128
#define HDA_FRAGMENT_ALIGN 128

/* Codec verbs (12-bit) */
#define HDA_VERB_GET_PARAMETER 0xF00
#define HDA_VERB_GET_CONNECT_SEL 0xF01
#define HDA_VERB_SET_CONNECT_SEL 0x701
#define HDA_VERB_GET_CONNECT_LIST 0xF02
#define HDA_VERB_GET_POWER_STATE 0xF05
#define HDA_VERB_SET_POWER_STATE 0x705
#define HDA_VERB_GET_CHANNEL_STREAMID 0xF06
#define HDA_VERB_SET_CHANNEL_STREAMID 0x706
#define HDA_VERB_GET_PIN_WIDGET_CONTROL 0xF07
#define HDA_VERB_SET_PIN_WIDGET_CONTROL 0x707
#define HDA_VERB_GET_UNSOLICITED_ENABLE 0xF08
#define HDA_VERB_SET_UNSOLICITED_ENABLE 0x708
#define HDA_VERB_GET_PIN_SENSE 0xF09
#define HDA_VERB_GET_EAPD 0xF0C
#define HDA_VERB_SET_EAPD 0x70C
#define HDA_VERB_GET_CONFIG_DEFAULT 0xF1C
#define HDA_VERB_FUNCTION_RESET 0x7FF
/* Codec verbs (4-bit) */
#define HDA_VERB4_SET_CONVERTER_FORMAT 0x2
#define HDA_VERB4_SET_AMP_GAIN_MUTE 0x3
#define HDA_VERB4_GET_CONVERTER_FORMAT 0xA
#define HDA_VERB4_GET_AMP_GAIN_MUTE 0xB

/* GET_PARAMETER ids */
#define HDA_PAR_VENDOR_ID 0x00
#define HDA_PAR_REVISION_ID 0x02
#define HDA_PAR_NODE_COUNT 0x04
#define HDA_PAR_FG_TYPE 0x05
#define HDA_PAR_AUDIO_WIDGET_CAP 0x09
#define HDA_PAR_PCM 0x0A
#define HDA_PAR_STREAM_FORMATS 0x0B
#define HDA_PAR_PIN_CAP 0x0C
#define HDA_PAR_AMP_IN_CAP 0x0D
#define HDA_PAR_CONNLIST_LEN 0x0E
#define HDA_PAR_POWER_STATE 0x0F
#define HDA_PAR_AMP_OUT_CAP 0x12

#define HDA_FG_TYPE_AUDIO 0x01
/* Widget capabilities: type in [23:20] */
#define HDA_WCAP_TYPE(w) (((w) >> 20) & 0xF)
#define HDA_WID_AUD_OUT 0x0
#define HDA_WID_AUD_IN 0x1
#define HDA_WID_AUD_MIX 0x2
#define HDA_WID_AUD_SEL 0x3
#define HDA_WID_PIN 0x4
#define HDA_WID_POWER 0x5
#define HDA_WID_VOL_KNOB 0x6
#define HDA_WID_BEEP 0x7
#define HDA_WCAP_STEREO 0x000001u
#define HDA_WCAP_IN_AMP 0x000002u
#define HDA_WCAP_OUT_AMP 0x000004u
#define HDA_WCAP_CONN_LIST 0x000100u
#define HDA_WCAP_UNSOL 0x000080u
#define HDA_WCAP_POWER 0x000400u
#define HDA_WCAP_AMP_OVERRIDE 0x000008u /* own amp caps; else the AFG's */
#define HDA_WCAP_DELAY(w) (((w) >> 16) & 0xF) /* pipeline delay, samples */
/* Pin capabilities */
#define HDA_PINCAP_PRES_DETECT 0x00000004u
#define HDA_PINCAP_OUT 0x00000010u
#define HDA_PINCAP_IN 0x00000020u
#define HDA_PINCAP_EAPD 0x00010000u
#define HDA_PINCAP_VREF(p) (((p) >> 8) & 0xFF) /* bits as HDA_VREFCAP_* */
#define HDA_VREFCAP_HIZ 0x01
#define HDA_VREFCAP_50 0x02
#define HDA_VREFCAP_GRD 0x04
#define HDA_VREFCAP_80 0x10
#define HDA_VREFCAP_100 0x20
/* Pin widget control */
#define HDA_PINCTL_IN_EN 0x20
#define HDA_PINCTL_OUT_EN 0x40
#define HDA_PINCTL_HP_EN 0x80
#define HDA_PINCTL_VREF_MASK 0x07
#define HDA_PINCTL_VREF_HIZ 0x00
#define HDA_PINCTL_VREF_50 0x01
#define HDA_PINCTL_VREF_GRD 0x02
#define HDA_PINCTL_VREF_80 0x04
#define HDA_PINCTL_VREF_100 0x05
/* GET_POWER_STATE: [7:4] actual, [3:0] setting */
#define HDA_PWR_ACTUAL(r) (((r) >> 4) & 0xF)
#define HDA_PWR_SETTING(r) ((r) & 0xF)
/* Amp gain/mute payload */
#define HDA_AMP_SET_OUTPUT 0x8000u
#define HDA_AMP_SET_INPUT 0x4000u
#define HDA_AMP_SET_LEFT 0x2000u
#define HDA_AMP_SET_RIGHT 0x1000u
#define HDA_AMP_SET_INDEX_SHIFT 8
#define HDA_AMP_MUTE 0x80u
#define HDA_AMP_GAIN_MASK 0x7Fu
/* Amp caps (GET_PARAMETER 0x0D / 0x12): [31] mute capable, [22:16] step
 * size in 0.25 dB minus 1, [14:8] steps minus 1, [6:0] gain of 0 dB. */
#define HDA_AMPCAP_MUTE 0x80000000u
#define HDA_AMPCAP_STEP_QDB(c) ((((c) >> 16) & 0x7F) + 1)
#define HDA_AMPCAP_NSTEPS(c) (((c) >> 8) & 0x7F)
#define HDA_AMPCAP_OFFSET(c) ((c) & 0x7F)
/* Get amp gain/mute payload selectors */
#define HDA_AMP_GET_OUTPUT 0x8000u
#define HDA_AMP_GET_LEFT 0x2000u
/* Unsolicited enable */
#define HDA_UNSOL_ENABLE 0x80
/* Pin sense */
#define HDA_PIN_SENSE_PRESENCE 0x80000000u

/* Stream format (SDnFMT, converter format) */
#define HDA_FMT_NON_PCM 0x8000u
#define HDA_FMT_BASE_44K1 0x4000u
#define HDA_FMT_MULT_SHIFT 11
#define HDA_FMT_DIV_SHIFT 8
#define HDA_FMT_BITS_SHIFT 4

/* Codec response word in the RIRB (8 bytes): response, then extended */
#define HDA_RIRB_EX_SDI_MASK 0x0Fu
#define HDA_RIRB_EX_UNSOL 0x10u

#endif /* HDA_REGS_H */
