// SPDX-License-Identifier: GPL-2.0
/*
 * Boot of Linux as a Bilby task: from _start to start_kernel, and the
 * memory layout set up in setup_arch.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/panic_notifier.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/start_kernel.h>
#include <linux/string.h>
#include <asm/sections.h>
#include <asm/setup.h>
#include <shared/bilby_glue.h>

/* The flat "physical" memory: [PAGE_OFFSET, memory_end), the image first. */
unsigned long memory_start;
unsigned long memory_end;

struct task_struct *l4_current_task = &init_task;

static char builtin_cmdline[] __initdata = CONFIG_L4_CMDLINE;
static unsigned long memory_limit = (unsigned long)CONFIG_L4_MEMORY_MB << 20;

static int __init l4_parse_mem(char *p)
{
	unsigned long size;

	if (!p)
		return -EINVAL;
	size = memparse(p, &p);
	if (size < (8UL << 20))
		return -EINVAL;
	memory_limit = min(memory_limit, size);
	return 0;
}
early_param("mem", l4_parse_mem);

asmlinkage __visible void __init __noreturn l4_start_kernel(void *boot_info)
{
	/* Without a valid BootInfo there is no capability to print with. */
	if (bilby_glue_init(boot_info))
		bilby_shutdown(BILBY_EXIT_PANIC);
	l4_time_early_init();
	l4_register_console();
	start_kernel();
}

static int l4_panic_exit(struct notifier_block *nb, unsigned long ev, void *msg)
{
	bilby_shutdown(BILBY_EXIT_PANIC);
}

static struct notifier_block l4_panic_block = {
	.notifier_call = l4_panic_exit,
	.priority = INT_MIN,
};

void __init setup_arch(char **cmdline_p)
{
	unsigned long granted, err, abi, built = bilby_glue_abi_version();

	atomic_notifier_chain_register(&panic_notifier_list, &l4_panic_block);
	if (builtin_cmdline[0])
		strscpy(boot_command_line, builtin_cmdline, COMMAND_LINE_SIZE);
	*cmdline_p = boot_command_line;
	parse_early_param();

	abi = bilby_kernel_abi_version();
	pr_info("l4: Linux on Bilby, kernel ABI %lu.%lu, built for %lu.%lu\n",
		abi >> 16, abi & 0xffff, built >> 16, built & 0xffff);

	memory_start = PAGE_ALIGN((unsigned long)_end);
	err = bilby_memory_grant(memory_start, memory_limit, &granted);
	if (err)
		panic("l4: Bilby refused to map %lu MiB at %#lx: %s\n",
		      memory_limit >> 20, memory_start, bilby_status_name(err));
	memory_end = memory_start + granted;
	high_memory = (void *)memory_end;

	min_low_pfn = PFN_DOWN(PAGE_OFFSET);
	max_low_pfn = PFN_DOWN(memory_end);
	max_pfn = max_low_pfn;

	memblock_add(PAGE_OFFSET, memory_end - PAGE_OFFSET);
	memblock_reserve(PAGE_OFFSET, memory_start - PAGE_OFFSET);
	pr_info("l4: memory: image %#lx-%#lx, %lu MiB granted by Bilby at %#lx-%#lx\n",
		PAGE_OFFSET, (unsigned long)_end, granted >> 20, memory_start, memory_end);

	paging_init();
}
