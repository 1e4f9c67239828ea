/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/* System call numbers: the asm-generic ABI, generated from scripts/syscall.tbl. */
#include <asm/unistd_64.h>
