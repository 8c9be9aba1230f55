/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_L4_IO_H
#define _ASM_L4_IO_H

#include <asm/page.h>

/* No devices are mapped; "physical" addresses are Linux's own addresses. */
#define page_to_phys(page)	((phys_addr_t)page_to_pfn(page) << PAGE_SHIFT)

#include <asm-generic/io.h>

#endif
