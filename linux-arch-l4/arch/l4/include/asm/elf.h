/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_L4_ELF_H
#define _ASM_L4_ELF_H

#include <linux/elf-em.h>
#include <asm/ptrace.h>

#define ELF_CLASS	ELFCLASS64
#define ELF_DATA	ELFDATA2LSB
#define ELF_ARCH	EM_X86_64

#define elf_check_arch(x)	((x)->e_machine == EM_X86_64)

typedef unsigned long elf_greg_t;
#define ELF_NGREG	(sizeof(struct user_regs_struct) / sizeof(elf_greg_t))
typedef elf_greg_t elf_gregset_t[ELF_NGREG];

/* No FPU state is kept by Linux; Bilby owns it per thread. */
typedef struct { unsigned long words[64]; } elf_fpregset_t;

#define ELF_EXEC_PAGESIZE	4096
#define ELF_ET_DYN_BASE		0x400000UL
#define ELF_HWCAP		0
#define ELF_PLATFORM		"x86_64"
#define SET_PERSONALITY(ex)	set_personality(PER_LINUX | (current->personality & (~PER_MASK)))

#endif /* _ASM_L4_ELF_H */
