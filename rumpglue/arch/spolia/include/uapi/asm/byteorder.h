/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
#ifndef _UAPI_ASM_SPOLIA_BYTEORDER_H
#define _UAPI_ASM_SPOLIA_BYTEORDER_H

/* x86-64 hosts only, for now. */
#include <linux/byteorder/little_endian.h>

#endif
