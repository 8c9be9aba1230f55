/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_L4_SETUP_H
#define _ASM_L4_SETUP_H

#include <uapi/asm/setup.h>

#ifndef __ASSEMBLY__
#include <linux/init.h>
#include <linux/linkage.h>

/* Entry points and helpers shared by the files of arch/l4. */
asmlinkage void l4_start_kernel(void *boot_info);
asmlinkage void l4_return_to_user(void);
void l4_register_console(void);
void paging_init(void);
void l4_time_early_init(void);
extern unsigned long l4_idle_wakeups;
#endif

#endif /* _ASM_L4_SETUP_H */
