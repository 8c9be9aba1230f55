// SPDX-License-Identifier: GPL-2.0
/* Halting and rebooting Linux ends the Bilby machine. */
#include <linux/pm.h>
#include <linux/reboot.h>
#include <shared/bilby_glue.h>

void machine_restart(char *cmd)
{
	bilby_shutdown(BILBY_EXIT_RESTART);
}

void machine_halt(void)
{
	bilby_shutdown(BILBY_EXIT_POWER_OFF);
}

void machine_power_off(void)
{
	do_kernel_power_off();
	bilby_shutdown(BILBY_EXIT_POWER_OFF);
}
