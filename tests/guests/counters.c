/* The switch-count proofs, from the kernel's own counters: one null
 * hypercall costs 2 mode switches and 0 address-space switches; one IPC
 * call+reply between two tasks costs 4 and 2; one virtualized syscall
 * (app `syscall` -> exception IPC -> this handler -> Resume reply -> app)
 * costs 4 and 2. Each figure is the fewest over many rounds (a timer
 * interrupt can only add), minus what reading the counters itself costs
 * (two reads back to back). Modules: echo_server.elf, vsys_app.elf. */
#include "task.h"

#define ROUNDS 50

static uint32_t control;

typedef struct {
  uint64_t modes, as;
} cost;

static cost diff(const BilbyCounters *a, const BilbyCounters *b) {
  cost c;
  c.modes = (b->user_to_kernel - a->user_to_kernel) + (b->kernel_to_user - a->kernel_to_user);
  c.as = b->address_space_switches - a->address_space_switches;
  return c;
}

static void keep_min(cost *best, cost c) {
  if (c.modes < best->modes) best->modes = c.modes;
  if (c.as < best->as) best->as = c.as;
}

static void report(const char *what, cost c, cost base, uint64_t want_modes, uint64_t want_as) {
  uint64_t modes = c.modes - base.modes, as = c.as - base.as;
  rt_printf("counters: %s: %lu mode switches, %lu address-space switches\n", what, modes, as);
  RT_CHECK(modes == want_modes && as == want_as, "%s: expected %lu and %lu", what, want_modes,
           want_as);
}

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  control = bi->control_cap;
  rt_use_console(control);
  uint32_t mem = rt_free_memory_cap(bi);
  uint32_t slot = bi->first_free_slot;
  BilbyCounters a, b;

  cost base = {~0ull, ~0ull};
  for (int i = 0; i < ROUNDS; i++) {
    bilby_counters_read(control, &a);
    bilby_counters_read(control, &b);
    keep_min(&base, diff(&a, &b));
  }

  cost null = {~0ull, ~0ull};
  for (int i = 0; i < ROUNDS; i++) {
    bilby_counters_read(control, &a);
    bilby_nop();
    bilby_counters_read(control, &b);
    keep_min(&null, diff(&a, &b));
  }
  report("null hypercall", null, base, 2, 0);

  /* IPC: the echo server is another task; give it an endpoint in slot 1. */
  const BilbyBootModule *server = rt_module(bi, "echo_server.elf");
  uint32_t ep = slot++;
  RT_CHECK(bilby_endpoint_create(mem, ep) == BILBY_STATUS_OK, "endpoint");
  RT_CHECK(bilby_cap_copy(ep, server->task_cap, 1, BILBY_CAP_RIGHTS_ALL, 0) == BILBY_STATUS_OK,
           "cap_copy");
  RT_CHECK(bilby_thread_resume(server->thread_cap) == BILBY_STATUS_OK, "resume server");
  cost ipc = {~0ull, ~0ull};
  for (int i = 0; i < ROUNDS; i++) {
    BilbyMessage m;
    memset(&m, 0, sizeof m);
    m.tag = bilby_tag(7, 1);
    m.w[0] = (uint64_t)i;
    bilby_counters_read(control, &a);
    uint64_t st = bilby_ipc_call(ep, &m);
    bilby_counters_read(control, &b);
    RT_CHECK(st == BILBY_STATUS_OK && m.w[0] == (uint64_t)i + 1, "echo reply %lu %lu", st, m.w[0]);
    keep_min(&ipc, diff(&a, &b));
  }
  report("IPC call+reply between two tasks", ipc, base, 4, 2);

  /* Virtualized syscalls: this task handles the app's exceptions. */
  const BilbyBootModule *app = rt_module(bi, "vsys_app.elf");
  uint32_t hep = slot++;
  RT_CHECK(bilby_endpoint_create(mem, hep) == BILBY_STATUS_OK, "endpoint");
  RT_CHECK(bilby_thread_configure(app->thread_cap, BILBY_THREAD_CONFIG_ITEM_HANDLER, hep, 5) ==
               BILBY_STATUS_OK,
           "handler");
  RT_CHECK(bilby_thread_configure(app->thread_cap, BILBY_THREAD_CONFIG_ITEM_MODE,
                                  BILBY_THREAD_MODE_VIRTUALIZED, 0) == BILBY_STATUS_OK,
           "mode");
  RT_CHECK(bilby_thread_resume(app->thread_cap) == BILBY_STATUS_OK, "resume app");
  BilbyMessage m;
  memset(&m, 0, sizeof m);
  RT_CHECK(bilby_ipc_recv(hep, &m) == BILBY_STATUS_OK, "recv");
  cost vsys = {~0ull, ~0ull};
  int have = 0;
  for (int i = 0; i < ROUNDS; i++) {
    bilby_counters_read(control, &b);
    if (have) keep_min(&vsys, diff(&a, &b));
    RT_CHECK(bilby_tag_label(m.tag) == BILBY_EXCEPTION_KIND_SYSCALL && m.badge == 5,
             "exception label %x badge %lu", bilby_tag_label(m.tag), m.badge);
    RT_CHECK(utcb->exception.regs.rax == 39, "syscall number %lu", utcb->exception.regs.rax);
    utcb->exception.regs.rax = 1234;
    m.tag = bilby_tag(BILBY_REPLY_LABEL_RESUME, 0);
    bilby_counters_read(control, &a);
    have = 1;
    RT_CHECK(bilby_ipc_reply_recv(hep, &m) == BILBY_STATUS_OK, "reply_recv");
  }
  report("virtualized syscall", vsys, base, 4, 2);
  rt_printf("counters: all switch counts as designed\n");
  rt_shutdown(control, 0);
}
