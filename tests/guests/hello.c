/* The smallest root task: checks the ABI version by hypercall, prints
 * through the console capability, and shuts the machine down with 0. */
#include "rt.h"

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  rt_use_console(bi->control_cap);
  uint32_t major = 0, minor = 0;
  uint64_t st = bilby_abi_version(&major, &minor);
  RT_CHECK(st == BILBY_STATUS_OK, "abi_version status %lu", st);
  RT_CHECK(bi->magic == BILBY_BOOT_INFO_MAGIC, "boot info magic %lx", bi->magic);
  RT_CHECK(utcb->version == BILBY_ABI_VERSION, "utcb version %x", utcb->version);
  rt_printf("hello: root task running, kernel ABI %u.%u, guest built for %u.%u\n", major, minor,
            BILBY_ABI_MAJOR, BILBY_ABI_MINOR);
  rt_printf("hello: %u memory regions, %u modules, first free slot %u\n",
            bi->memory_region_count, bi->module_count, bi->first_free_slot);
  RT_CHECK(bilby_nop() == BILBY_STATUS_OK, "nop");
  RT_CHECK(bilby_hypercall(9999, 0, 0, 0, 0, 0, 0).status == BILBY_STATUS_INVALID_HYPERCALL,
           "unknown hypercall not refused");
  rt_printf("hello: done\n");
  rt_shutdown(bi->control_cap, 0);
}
