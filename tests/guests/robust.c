/* Reliability and isolation, from a root task:
 *  - malformed boot modules (truncated, wrong machine, foreign ABI major)
 *    were refused, with their status in the boot info;
 *  - hypercalls with bad arguments return the documented error codes;
 *  - an untrusted task cannot read or write kernel memory or the root's
 *    memory, and a virtualized thread cannot issue hypercalls: each attempt
 *    arrives at its handler as an exception message;
 *  - 100,000 random hypercalls leave the kernel running and consistent. */
#include "task.h"

#define ROOT_ONLY_ADDRESS 0x20000000ull
#define FUZZ_ROUNDS 100000

static uint32_t control;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static uint64_t fuzz_value(void) {
  uint64_t r = next_random();
  switch (r & 7) {
    case 0:
      return next_random();
    case 1:
      return (r >> 8) & 63; /* small: slots, items, flags */
    case 2:
      return 0xffffffff80000000ull + ((r >> 8) & 0xfffff000);
    case 3:
      return (r >> 8) & 0x7ffffffff000ull; /* page-aligned user addresses */
    case 4:
      return 0x400000 + ((r >> 8) & 0xffff);
    case 5:
      return 0;
    case 6:
      return ~0ull;
    default:
      return (r >> 8) & 0xffff;
  }
}

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  control = bi->control_cap;
  rt_use_console(control);
  uint32_t mem = rt_free_memory_cap(bi);
  uint32_t slot = bi->first_free_slot;

  /* Malformed modules. */
  const BilbyBootModule *m;
  m = rt_module(bi, "truncated.elf");
  RT_CHECK(m->status == BILBY_STATUS_INVALID_ARGUMENT && m->task_cap == 0, "truncated loaded");
  m = rt_module(bi, "wrong_machine.elf");
  RT_CHECK(m->status == BILBY_STATUS_INVALID_ARGUMENT && m->task_cap == 0, "wrong machine loaded");
  m = rt_module(bi, "bad_abi.elf");
  RT_CHECK(m->status == BILBY_STATUS_INCOMPATIBLE_ABI && m->task_cap == 0, "bad ABI loaded");
  /* A newer minor version keeps every older guest working. */
  m = rt_module(bi, "abi_1_0.elf");
  RT_CHECK(m->status == BILBY_STATUS_OK && m->task_cap != 0 &&
               m->abi_version == bilby_abi_version_word(BILBY_ABI_MAJOR, 0),
           "module built for 1.0 not loaded (status %u, version %x)", (unsigned)m->status,
           m->abi_version);
  /* A module's image pays for no kernel object, an endpoint included. */
  RT_EXPECT(bilby_endpoint_create(m->image_cap, slot), BILBY_STATUS_INVALID_ARGUMENT);
  rt_printf("robust: malformed modules were refused; a module built for ABI %u.0 loaded\n",
            BILBY_ABI_MAJOR);

  /* Bad arguments. */
  RT_EXPECT(bilby_thread_resume(0), BILBY_STATUS_INVALID_CAPABILITY);
  RT_EXPECT(bilby_thread_resume(4095), BILBY_STATUS_INVALID_CAPABILITY);
  RT_EXPECT(bilby_thread_resume(4096), BILBY_STATUS_INVALID_CAPABILITY);
  RT_EXPECT(bilby_hypercall(BILBY_HYPERCALL_THREAD_RESUME, ~0ull, 0, 0, 0, 0, 0).status,
         BILBY_STATUS_INVALID_CAPABILITY);
  RT_EXPECT(bilby_thread_resume(control), BILBY_STATUS_WRONG_CAPABILITY_KIND);
  RT_EXPECT(bilby_debug_write(control, (const void *)0xffffffff80100000ull, 8),
         BILBY_STATUS_INVALID_ADDRESS);
  RT_EXPECT(bilby_debug_write(control, (const void *)0x7000000000ull, 8),
         BILBY_STATUS_INVALID_ADDRESS);
  RT_EXPECT(bilby_memory_map(mem, bi->self_task, 0x10000123, 1, BILBY_RIGHT_READ, 0),
         BILBY_STATUS_UNALIGNED);
  RT_EXPECT(bilby_memory_map(mem, bi->self_task, 0xffff800000000000ull, 1, BILBY_RIGHT_READ, 0),
         BILBY_STATUS_INVALID_ADDRESS);
  RT_EXPECT(bilby_memory_map(mem, bi->self_task, 0x10000000, 1, 0, 0), BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_memory_map(mem, bi->self_task, 0x10000000, 0, BILBY_RIGHT_READ, 0),
         BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_memory_map(mem, bi->self_task, 0x400000, 1, BILBY_RIGHT_READ, 0),
         BILBY_STATUS_OCCUPIED);
  RT_EXPECT(bilby_thread_configure(bi->self_thread, BILBY_THREAD_CONFIG_ITEM_PRIORITY, 256, 0),
         BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_thread_configure(bi->self_thread, BILBY_THREAD_CONFIG_ITEM_MODE, 7, 0),
         BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_thread_configure(bi->self_thread, 99, 0, 0), BILBY_STATUS_INVALID_ARGUMENT);
  BilbyUserRegisters regs;
  RT_EXPECT(bilby_thread_exchange_registers(bi->self_thread, &regs, BILBY_EXREGS_READ),
         BILBY_STATUS_INVALID_STATE);
  uint32_t ep = slot++;
  RT_EXPECT(bilby_endpoint_create(mem, ep), BILBY_STATUS_OK);
  RT_EXPECT(bilby_endpoint_create(mem, ep), BILBY_STATUS_OCCUPIED);
  RT_EXPECT(bilby_endpoint_create(control, slot), BILBY_STATUS_WRONG_CAPABILITY_KIND);
  BilbyMessage msg;
  memset(&msg, 0, sizeof msg);
  msg.tag = 0x100; /* reserved bits */
  RT_EXPECT(bilby_ipc_send(ep, &msg), BILBY_STATUS_INVALID_ARGUMENT);
  msg.tag = bilby_tag(BILBY_EXCEPTION_KIND_SYSCALL, 0); /* a kernel label */
  RT_EXPECT(bilby_ipc_call(ep, &msg), BILBY_STATUS_INVALID_ARGUMENT);
  msg.tag = 0;
  RT_EXPECT(bilby_ipc_reply(&msg), BILBY_STATUS_NO_REPLY_PENDING);
  RT_EXPECT(bilby_debug_shutdown(control, 200), BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_cap_copy(slot + 5, bi->self_task, slot + 6, 3, 0), BILBY_STATUS_INVALID_CAPABILITY);
  RT_EXPECT(bilby_unmap_pages(bi->self_task, 0x123, 1), BILBY_STATUS_UNALIGNED);
  /* The hypercalls not covered above, each with a bad argument. */
  RT_EXPECT(bilby_hypercall(999, 0, 0, 0, 0, 0, 0).status, BILBY_STATUS_INVALID_HYPERCALL);
  RT_EXPECT(bilby_hypercall(BILBY_HYPERCALL_DEBUG_PUTC, control, 0x100, 0, 0, 0, 0).status,
         BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_debug_putc(ep, 'x'), BILBY_STATUS_WRONG_CAPABILITY_KIND);
  RT_EXPECT(bilby_ipc_recv(control, &msg), BILBY_STATUS_WRONG_CAPABILITY_KIND);
  RT_EXPECT(bilby_ipc_reply_recv(0, &msg), BILBY_STATUS_INVALID_CAPABILITY);
  RT_EXPECT(bilby_thread_create(mem, bi->self_task, slot, 0x10000123), BILBY_STATUS_UNALIGNED);
  RT_EXPECT(bilby_thread_create(mem, bi->self_task, slot, 0xffff800000000000ull),
         BILBY_STATUS_INVALID_ADDRESS);
  RT_EXPECT(bilby_thread_suspend(ep), BILBY_STATUS_WRONG_CAPABILITY_KIND);
  RT_EXPECT(bilby_task_create(control, slot), BILBY_STATUS_WRONG_CAPABILITY_KIND);
  RT_EXPECT(bilby_task_destroy(4096), BILBY_STATUS_INVALID_CAPABILITY);
  RT_EXPECT(bilby_map_pages(bi->self_task, 0x400000, 0x400000, 1, BILBY_RIGHT_READ),
         BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_map_pages(bi->self_task, 0xffffffff80100000ull, 0x3f000000, 1, BILBY_RIGHT_READ),
         BILBY_STATUS_INVALID_ADDRESS);
  RT_EXPECT(bilby_grant_pages(bi->self_task, 0x3f000000, 0x3f100000, 1, BILBY_RIGHT_READ),
         BILBY_STATUS_INVALID_ADDRESS);
  RT_EXPECT(bilby_grant_pages(bi->self_task, 0x400000, 0x3f000000, 1, BILBY_RIGHT_READ | 8),
         BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_irq_attach(bi->irq_cap_base + 0, ep, 0), BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_irq_attach(bi->irq_cap_base + 2, ep, 0), BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_irq_attach(ep, ep, 0), BILBY_STATUS_WRONG_CAPABILITY_KIND);
  /* I/O ports (ABI 1.1): the kernel's own devices are never issued; a
   * capability bounds every byte of every access. */
  RT_EXPECT(bilby_io_ports_issue(control, 0x3f8, 8, slot), BILBY_STATUS_INSUFFICIENT_RIGHTS);
  RT_EXPECT(bilby_io_ports_issue(control, 0x1f, 2, slot), BILBY_STATUS_INSUFFICIENT_RIGHTS);
  RT_EXPECT(bilby_io_ports_issue(control, 0xf7, 1, slot), BILBY_STATUS_INSUFFICIENT_RIGHTS);
  RT_EXPECT(bilby_io_ports_issue(control, 0x70, 0, slot), BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_hypercall(BILBY_HYPERCALL_IO_PORTS_ISSUE, control, 0xffff, 2, slot, 0, 0).status,
         BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_hypercall(BILBY_HYPERCALL_IO_PORTS_ISSUE, control, 0x10000, 1, slot, 0, 0).status,
         BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_io_ports_issue(ep, 0x70, 2, slot), BILBY_STATUS_WRONG_CAPABILITY_KIND);
  RT_EXPECT(bilby_io_ports_issue(control, 0x70, 2, 4096), BILBY_STATUS_INVALID_CAPABILITY);
  RT_EXPECT(bilby_io_ports_issue(control, 0x70, 2, ep), BILBY_STATUS_OCCUPIED);
  uint32_t ports = slot++;
  RT_EXPECT(bilby_io_ports_issue(control, 0x70, 2, ports), BILBY_STATUS_OK);
  RT_EXPECT(bilby_io_ports_issue(ports, 0x70, 3, slot), BILBY_STATUS_INSUFFICIENT_RIGHTS);
  RT_EXPECT(bilby_io_ports_issue(ports, 0x6f, 1, slot), BILBY_STATUS_INSUFFICIENT_RIGHTS);
  uint32_t value = 0;
  RT_EXPECT(bilby_io_port_read(ports, 0x70, 3, &value), BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_io_port_read(ports, 0x71, 2, &value), BILBY_STATUS_INSUFFICIENT_RIGHTS);
  RT_EXPECT(bilby_io_port_read(ports, 0x3f8, 1, &value), BILBY_STATUS_INSUFFICIENT_RIGHTS);
  RT_EXPECT(bilby_hypercall(BILBY_HYPERCALL_IO_PORT_READ, ports, 0x10070, 1, 0, 0, 0).status,
         BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_io_port_read(control, 0x70, 1, &value), BILBY_STATUS_WRONG_CAPABILITY_KIND);
  RT_EXPECT(bilby_io_port_write(ports, 0x72, 1, 0), BILBY_STATUS_INSUFFICIENT_RIGHTS);
  RT_EXPECT(bilby_io_port_write(ports, 0x70, 8, 0), BILBY_STATUS_INVALID_ARGUMENT);
  RT_EXPECT(bilby_io_port_write(ep, 0x70, 1, 0), BILBY_STATUS_WRONG_CAPABILITY_KIND);
  RT_EXPECT(bilby_device_memory_issue(control, 0, 1, slot), BILBY_STATUS_INVALID_ADDRESS);
  RT_EXPECT(bilby_device_memory_issue(ep, 0xfed00000, 1, slot), BILBY_STATUS_WRONG_CAPABILITY_KIND);
  /* A copy without the use right can neither access nor issue. */
  uint32_t ports_nouse = slot++;
  RT_EXPECT(bilby_cap_copy(ports, bi->self_task, ports_nouse, BILBY_CAP_RIGHT_COPY, 0),
         BILBY_STATUS_OK);
  RT_EXPECT(bilby_io_port_read(ports_nouse, 0x71, 1, &value), BILBY_STATUS_INSUFFICIENT_RIGHTS);
  RT_EXPECT(bilby_io_ports_issue(ports_nouse, 0x71, 1, slot), BILBY_STATUS_INSUFFICIENT_RIGHTS);
  RT_EXPECT(bilby_cap_delete(bi->self_task, ports_nouse), BILBY_STATUS_OK);
  /* An issued capability has its source's rights: issuing from a copy
   * without the copy right gives one that cannot be copied on. */
  uint32_t ports_nocopy = slot++, ports_issued = slot++;
  RT_EXPECT(bilby_cap_copy(ports, bi->self_task, ports_nocopy, BILBY_CAP_RIGHT_USE, 0),
         BILBY_STATUS_OK);
  RT_EXPECT(bilby_io_ports_issue(ports_nocopy, 0x70, 2, ports_issued), BILBY_STATUS_OK);
  RT_EXPECT(bilby_cap_copy(ports_issued, bi->self_task, slot, BILBY_CAP_RIGHT_USE, 0),
         BILBY_STATUS_INSUFFICIENT_RIGHTS);
  RT_EXPECT(bilby_cap_copy(ports, bi->self_task, slot, BILBY_CAP_RIGHT_USE, 0), BILBY_STATUS_OK);
  for (uint32_t del = ports_nocopy; del <= slot; del++)
    RT_EXPECT(bilby_cap_delete(bi->self_task, del), BILBY_STATUS_OK);
  RT_EXPECT(bilby_irq_ack(bi->irq_cap_base + 5), BILBY_STATUS_INVALID_STATE);
  RT_EXPECT(bilby_timer_set(control, ep, 1000000, 2, 0, 0), BILBY_STATUS_INVALID_ARGUMENT);
  BilbyCounters counters;
  RT_EXPECT(bilby_counters_read(ep, &counters), BILBY_STATUS_WRONG_CAPABILITY_KIND);
  RT_EXPECT(bilby_cap_delete(bi->self_task, 0), BILBY_STATUS_INVALID_CAPABILITY);
  RT_EXPECT(bilby_cap_delete(bi->self_task, slot + 7), BILBY_STATUS_INVALID_CAPABILITY);
  rt_printf("robust: bad arguments return error codes\n");

  /* Isolation: the intruder module, handled here. */
  const BilbyBootModule *in = rt_module(bi, "intruder.elf");
  RT_EXPECT(bilby_memory_map(mem, bi->self_task, ROOT_ONLY_ADDRESS, 1, BILBY_RIGHT_READ |
                          BILBY_RIGHT_WRITE, 0), BILBY_STATUS_OK);
  *(volatile uint64_t *)ROOT_ONLY_ADDRESS = 0x5ec7e7;
  RT_EXPECT(bilby_thread_configure(in->thread_cap, BILBY_THREAD_CONFIG_ITEM_HANDLER, ep, 9),
         BILBY_STATUS_OK);
  static const uint32_t vectors[] = {0, 14, 14, 14, 256, 6, 0, 13};
  for (uint64_t attempt = 1; attempt <= 7; attempt++) {
    RT_EXPECT(bilby_thread_exchange_registers(in->thread_cap, &regs, BILBY_EXREGS_READ),
           BILBY_STATUS_OK);
    regs.rip = in->entry;
    regs.rsp = in->stack_pointer;
    regs.rdi = attempt;
    RT_EXPECT(bilby_thread_exchange_registers(in->thread_cap, &regs, BILBY_EXREGS_WRITE),
           BILBY_STATUS_OK);
    RT_EXPECT(bilby_thread_configure(in->thread_cap, BILBY_THREAD_CONFIG_ITEM_MODE,
                                  attempt == 4 ? BILBY_THREAD_MODE_VIRTUALIZED
                                               : BILBY_THREAD_MODE_NATIVE, 0),
           BILBY_STATUS_OK);
    RT_EXPECT(bilby_thread_resume(in->thread_cap), BILBY_STATUS_OK);
    memset(&msg, 0, sizeof msg);
    RT_EXPECT(bilby_ipc_recv(ep, &msg), BILBY_STATUS_OK);
    uint32_t label = bilby_tag_label(msg.tag);
    const BilbyExceptionMessage *e = &utcb->exception;
    RT_CHECK(msg.badge == 9, "badge %lu", msg.badge);
    if (attempt == 4) {
      RT_CHECK(label == BILBY_EXCEPTION_KIND_SYSCALL &&
                   e->regs.rax == BILBY_HYPERCALL_DEBUG_SHUTDOWN,
               "virtualized hypercall: label %x rax %lu", label, e->regs.rax);
    } else if (attempt >= 5) {
      RT_CHECK(label == BILBY_EXCEPTION_KIND_CPU_EXCEPTION && e->vector == vectors[attempt],
               "attempt %lu: label %x vector %u", attempt, label, e->vector);
    } else {
      uint64_t want = attempt == 3 ? ROOT_ONLY_ADDRESS : 0xffffffff80100000ull;
      RT_CHECK(label == BILBY_EXCEPTION_KIND_PAGE_FAULT && e->fault_address == want &&
                   e->vector == BILBY_VECTOR_PAGE_FAULT,
               "attempt %lu: label %x address %lx", attempt, label, e->fault_address);
    }
    rt_printf("robust: intruder attempt %lu stopped: %s %u at %lx\n", attempt,
              label == BILBY_EXCEPTION_KIND_SYSCALL       ? "syscall exception"
              : label == BILBY_EXCEPTION_KIND_PAGE_FAULT ? "page fault"
                                                         : "CPU exception",
              e->vector, attempt == 4 || attempt >= 5 ? e->regs.rip : e->fault_address);
    if (attempt == 4) {
      /* A Resume reply with a kernel rip is refused; the thread stays stopped. */
      utcb->exception.regs.rip = 0xffffffff80100000ull;
      msg.tag = bilby_tag(BILBY_REPLY_LABEL_RESUME, 0);
      RT_EXPECT(bilby_ipc_reply(&msg), BILBY_STATUS_INVALID_ADDRESS);
      continue;
    }
    /* Leave it stopped: a reply that is not Resume. */
    msg.tag = bilby_tag(1, 0);
    RT_EXPECT(bilby_ipc_reply(&msg), BILBY_STATUS_OK);
  }
  /* Without a handler, the faulting thread is stopped and reported. */
  RT_EXPECT(bilby_thread_configure(in->thread_cap, BILBY_THREAD_CONFIG_ITEM_HANDLER, 0, 0),
         BILBY_STATUS_OK);
  RT_EXPECT(bilby_thread_exchange_registers(in->thread_cap, &regs, BILBY_EXREGS_READ),
         BILBY_STATUS_OK);
  regs.rip = in->entry;
  regs.rsp = in->stack_pointer;
  regs.rdi = 8;
  RT_EXPECT(bilby_thread_exchange_registers(in->thread_cap, &regs, BILBY_EXREGS_WRITE),
         BILBY_STATUS_OK);
  RT_EXPECT(bilby_thread_configure(in->thread_cap, BILBY_THREAD_CONFIG_ITEM_MODE,
                                BILBY_THREAD_MODE_NATIVE, 0),
         BILBY_STATUS_OK);
  RT_EXPECT(bilby_thread_resume(in->thread_cap), BILBY_STATUS_OK);
  bilby_yield();
  /* Stopped again (a running or blocked thread refuses this). */
  for (int i = 0; i < 100 && bilby_thread_exchange_registers(in->thread_cap, &regs,
                                                               BILBY_EXREGS_READ) !=
                                 BILBY_STATUS_OK;
       i++)
    bilby_yield();
  RT_EXPECT(bilby_thread_exchange_registers(in->thread_cap, &regs, BILBY_EXREGS_READ),
         BILBY_STATUS_OK);
  rt_printf("robust: a fault with no handler stopped the thread; the kernel runs on\n");
  RT_CHECK(*(volatile uint64_t *)ROOT_ONLY_ADDRESS == 0x5ec7e7, "root memory changed");
  rt_printf("robust: isolation holds\n");

  /* Fuzzing. Hypercalls that would block this thread for good or harm its
   * own task, thread or console are skipped; everything else is fair. */
  BilbyCounters before, after;
  bilby_counters_read(control, &before);
  uint64_t issued = 0, ok = 0;
  while (issued < FUZZ_ROUNDS) {
    uint64_t nr = next_random() % 36; /* includes numbers past the last */
    uint64_t a[6];
    for (int i = 0; i < 6; i++) a[i] = fuzz_value();
    switch (nr) {
      case BILBY_HYPERCALL_DEBUG_SHUTDOWN:
      case BILBY_HYPERCALL_IPC_CALL:
      case BILBY_HYPERCALL_IPC_SEND:
      case BILBY_HYPERCALL_IPC_RECV:
      case BILBY_HYPERCALL_IPC_REPLY_RECV:
      case BILBY_HYPERCALL_DEBUG_PUTC:
      case BILBY_HYPERCALL_DEBUG_WRITE:
        continue;
      case BILBY_HYPERCALL_THREAD_SUSPEND:
      case BILBY_HYPERCALL_THREAD_CONFIGURE:
        if (a[0] == bi->self_thread) continue;
        break;
      case BILBY_HYPERCALL_GRANT_PAGES: /* would give away our own pages */
        continue;
      case BILBY_HYPERCALL_IO_PORT_WRITE:
        /* A random write to a port this task may be issued (0x64, 0x92,
         * 0xcf9) resets the machine: the power of the device, not a kernel
         * fault. Its errors are checked above. */
        continue;
      case BILBY_HYPERCALL_TASK_DESTROY:
      case BILBY_HYPERCALL_UNMAP_PAGES:
      case BILBY_HYPERCALL_CAP_DELETE:
        if (a[0] == bi->self_task) continue;
        break;
      default:
        break;
    }
    BilbyHypercallResult r = bilby_hypercall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    RT_CHECK(r.status <= BILBY_STATUS_INCOMPATIBLE_ABI, "hypercall %lu: status %lu", nr,
             r.status);
    if (r.status == BILBY_STATUS_OK) ok++;
    issued++;
  }
  bilby_counters_read(control, &after);
  RT_CHECK(after.hypercalls - before.hypercalls >= FUZZ_ROUNDS, "hypercall counter");
  RT_CHECK(after.user_to_kernel == after.kernel_to_user, "entries %lu exits %lu",
           after.user_to_kernel, after.kernel_to_user);
  /* The kernel still works: a fresh endpoint; and two timer messages
   * prove ticks ran (each tick checks the kernel's invariants). */
  uint32_t ep2 = slot + 40;
  RT_EXPECT(bilby_endpoint_create(mem, ep2), BILBY_STATUS_OK);
  RT_EXPECT(bilby_timer_set(control, ep2, 10000000, BILBY_TIMER_PERIODIC, 1, 0), BILBY_STATUS_OK);
  for (int i = 0; i < 2; i++) {
    memset(&msg, 0, sizeof msg);
    RT_EXPECT(bilby_ipc_recv(ep2, &msg), BILBY_STATUS_OK);
    RT_CHECK(bilby_tag_label(msg.tag) == BILBY_EXCEPTION_KIND_TIMER, "timer label %x",
             bilby_tag_label(msg.tag));
  }
  RT_EXPECT(bilby_timer_set(control, ep2, 0, 0, 0, 0), BILBY_STATUS_OK);
  rt_printf("robust: %lu random hypercalls survived (%lu succeeded); kernel consistent\n", issued,
            ok);
  rt_shutdown(control, 0);
}
