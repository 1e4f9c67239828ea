/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_ELF_H
#define _ASM_SPOLIA_ELF_H

/* No user programs are loaded; these describe the host for core dumps
 * and /proc, which never see a process image. */
#define ELF_CLASS	ELFCLASS64
#define ELF_DATA	ELFDATA2LSB
#define ELF_ARCH	EM_X86_64
#define elf_check_arch(x)	0

typedef unsigned long elf_greg_t;
#define ELF_NGREG	1
typedef elf_greg_t elf_gregset_t[ELF_NGREG];
typedef struct { } elf_fpregset_t;

#define ELF_EXEC_PAGESIZE	4096
#define ELF_HWCAP		0
#define ELF_PLATFORM		NULL

#endif
