/* Device memory, end to end (ABI 1.1): the root task issues itself a
 * Memory capability over the HPET's registers (MMIO at 0xfed00000), maps
 * them, reads the timer's capabilities, starts its main counter and sees
 * it advance; maps the same page a second time by MapPages and reads the
 * same registers through it. Refusals: RAM, the interrupt controllers,
 * unaligned or empty ranges, executable device mappings, and hypercalls
 * that would make the kernel read device memory as a user buffer. */
#include "task.h"

#define HPET_BASE 0xfed00000ull
#define HPET_VA 0x30000000ull
#define HPET_VA2 0x30010000ull
#define HPET_CAPABILITIES 0x000 /* bits 16-31 vendor, 32-63 period in fs */
#define HPET_CONFIG 0x010       /* bit 0: counter enabled */
#define HPET_COUNTER 0x0f0
#define HPET_MAX_PERIOD_FS 100000000ull /* the specification's bound: 100 ns */

static uint64_t reg(uint64_t va, uint64_t off) {
  return *(volatile uint64_t *)(va + off);
}

static void set_reg(uint64_t va, uint64_t off, uint64_t v) {
  *(volatile uint64_t *)(va + off) = v;
}

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  (void)utcb;
  uint32_t control = bi->control_cap;
  rt_use_console(control);
  uint32_t self = bi->self_task;
  uint32_t slot = bi->first_free_slot;

  /* Refusals: the firmware's RAM, the interrupt controllers, bad ranges. */
  uint64_t ram = 0;
  for (uint32_t i = 0; i < bi->memory_region_count; i++)
    if (bi->memory[i].kind == BILBY_MEMORY_KIND_FREE) ram = bi->memory[i].base;
  RT_CHECK(ram != 0, "no free RAM region in the boot info");
  RT_EXPECT(bilby_device_memory_issue(control, ram, 1, slot), BILBY_STATUS_INVALID_ADDRESS);
  RT_EXPECT(bilby_device_memory_issue(control, 0, 1, slot), BILBY_STATUS_INVALID_ADDRESS);
  RT_EXPECT(bilby_device_memory_issue(control, BILBY_LOCAL_APIC_BASE, 1, slot),
         BILBY_STATUS_INVALID_ADDRESS);
  RT_EXPECT(bilby_device_memory_issue(control, BILBY_IO_APIC_BASE - 0x1000, 2, slot),
         BILBY_STATUS_INVALID_ADDRESS);
  RT_EXPECT(bilby_device_memory_issue(control, BILBY_DEVICE_MEMORY_LIMIT, 1, slot),
         BILBY_STATUS_INVALID_ADDRESS);
  RT_EXPECT(bilby_device_memory_issue(control, HPET_BASE + 8, 1, slot), BILBY_STATUS_UNALIGNED);
  RT_EXPECT(bilby_device_memory_issue(control, HPET_BASE, 0, slot), BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_device_memory_issue(self, HPET_BASE, 1, slot), BILBY_STATUS_WRONG_CAPABILITY_KIND);

  uint32_t hpet = slot++;
  RT_EXPECT(bilby_device_memory_issue(control, HPET_BASE, 1, hpet), BILBY_STATUS_OK);
  RT_EXPECT(bilby_device_memory_issue(control, HPET_BASE, 1, hpet), BILBY_STATUS_OCCUPIED);
  /* Issued with the control capability's rights: from a copy without the
   * copy right, a capability that cannot be copied on. */
  uint32_t control_nocopy = slot++, hpet_nocopy = slot++;
  RT_EXPECT(bilby_cap_copy(control, self, control_nocopy, BILBY_CAP_RIGHT_USE, 0), BILBY_STATUS_OK);
  RT_EXPECT(bilby_device_memory_issue(control_nocopy, HPET_BASE, 1, hpet_nocopy), BILBY_STATUS_OK);
  RT_EXPECT(bilby_cap_copy(hpet_nocopy, self, slot, BILBY_CAP_RIGHT_USE, 0),
         BILBY_STATUS_INSUFFICIENT_RIGHTS);
  RT_EXPECT(bilby_cap_copy(hpet, self, slot, BILBY_CAP_RIGHT_USE, 0), BILBY_STATUS_OK);
  for (uint32_t del = control_nocopy; del <= slot; del++)
    RT_EXPECT(bilby_cap_delete(self, del), BILBY_STATUS_OK);
  /* Not a pool: it pays for no kernel object. */
  RT_EXPECT(bilby_endpoint_create(hpet, slot), BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_memory_map(hpet, self, HPET_VA, 1, BILBY_RIGHTS_ALL, 0),
         BILBY_STATUS_INVALID_ARGUMENT); /* executable */
  RT_EXPECT(bilby_memory_map(hpet, self, HPET_VA, 1, BILBY_RIGHT_READ, 1),
         BILBY_STATUS_INVALID_ARGUMENT); /* past its one page */
  RT_EXPECT(bilby_memory_map(hpet, self, HPET_VA, 1, BILBY_RIGHT_READ | BILBY_RIGHT_WRITE, 0),
         BILBY_STATUS_OK);

  uint64_t caps = reg(HPET_VA, HPET_CAPABILITIES);
  uint64_t period = caps >> 32, vendor = (caps >> 16) & 0xffff;
  RT_CHECK(period != 0 && period <= HPET_MAX_PERIOD_FS && vendor != 0 && vendor != 0xffff,
           "not an HPET at %llx: capabilities %lx", HPET_BASE, caps);
  rt_printf("hpet_driver: HPET at 0xfed00000 mapped into user space: vendor %lx, period %lu fs\n", vendor,
            period);

  set_reg(HPET_VA, HPET_CONFIG, reg(HPET_VA, HPET_CONFIG) | 1);
  uint64_t c0 = reg(HPET_VA, HPET_COUNTER);
  uint64_t c1 = c0;
  for (int i = 0; i < 1000000 && c1 == c0; i++) c1 = reg(HPET_VA, HPET_COUNTER);
  RT_CHECK(c1 > c0, "HPET counter did not advance (%lx, %lx)", c0, c1);
  rt_printf("hpet_driver: main counter advanced from %lu to %lu\n", c0, c1);

  /* A derived mapping reaches the same registers. */
  RT_EXPECT(bilby_map_pages(self, HPET_VA, HPET_VA2, 1, BILBY_RIGHT_READ), BILBY_STATUS_OK);
  RT_CHECK(reg(HPET_VA2, HPET_CAPABILITIES) == caps, "second mapping reads %lx",
           reg(HPET_VA2, HPET_CAPABILITIES));
  /* The kernel reads no device memory as a user buffer. */
  RT_EXPECT(bilby_debug_write(control, (const void *)HPET_VA, 8), BILBY_STATUS_INVALID_ADDRESS);
  set_reg(HPET_VA, HPET_CONFIG, reg(HPET_VA, HPET_CONFIG) & ~1ull);
  RT_EXPECT(bilby_unmap_pages(self, HPET_VA, 1), BILBY_STATUS_OK);
  /* The recursive unmap took the derived mapping too: map it afresh. */
  RT_EXPECT(bilby_memory_map(hpet, self, HPET_VA2, 1, BILBY_RIGHT_READ, 0), BILBY_STATUS_OK);
  RT_CHECK(reg(HPET_VA2, HPET_CAPABILITIES) == caps, "fresh mapping reads %lx",
           reg(HPET_VA2, HPET_CAPABILITIES));
  rt_printf("hpet_driver: device memory refused for RAM and interrupt controllers; "
            "mapped, derived and unmapped like any memory\n");
  rt_shutdown(control, 0);
}
