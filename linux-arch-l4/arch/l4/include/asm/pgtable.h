/* SPDX-License-Identifier: GPL-2.0 */
/* Page tables of a no-MMU port: none, only the types and constants mm needs. */
#ifndef _ASM_L4_PGTABLE_H
#define _ASM_L4_PGTABLE_H

#include <asm-generic/pgtable-nopud.h>
#include <asm/page.h>

#define pgd_present(pgd)	(1)
#define pgd_none(pgd)		(0)
#define pgd_bad(pgd)		(0)
#define pgd_clear(pgdp)

#define PAGE_NONE	__pgprot(0)
#define PAGE_SHARED	__pgprot(0)
#define PAGE_COPY	__pgprot(0)
#define PAGE_READONLY	__pgprot(0)
#define PAGE_KERNEL	__pgprot(0)

#define swapper_pg_dir ((pgd_t *) 0)

extern unsigned long empty_zero_page[];
#define ZERO_PAGE(vaddr)	(virt_to_page(empty_zero_page))

#define VMALLOC_START	0
#define VMALLOC_END	0xffffffffffffffffUL

#endif /* _ASM_L4_PGTABLE_H */
