/* Path lengths of the hot paths, for development: run under TCG with
 * `-icount shift=0`, where the TSC counts instructions. Prints the fewest
 * instructions over many rounds, minus an empty round (two rdtsc). The
 * benchmark (issue 6) measures these properly; this guest is a quick look.
 * Modules: echo_server.elf, vsys_app.elf. */
#include "task.h"

#define ROUNDS 200

static const BilbyBootModule *module(const BilbyBootInfo *bi, const char *name) {
  for (uint32_t i = 0; i < bi->module_count; i++)
    if (memcmp(bi->modules[i].name, name, strlen(name) + 1) == 0) return &bi->modules[i];
  rt_fail("module %s missing", name);
}

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  uint32_t control = bi->control_cap;
  rt_use_console(control);
  uint32_t mem = rt_free_memory_cap(bi);
  uint32_t slot = bi->first_free_slot;
  uint64_t empty = ~0ull, null = ~0ull, ipc = ~0ull, ipc64 = ~0ull, vsys = ~0ull;
  for (int i = 0; i < ROUNDS; i++) {
    uint64_t t0 = rt_rdtsc();
    uint64_t t1 = rt_rdtsc();
    if (t1 - t0 < empty) empty = t1 - t0;
  }
  for (int i = 0; i < ROUNDS; i++) {
    uint64_t t0 = rt_rdtsc();
    bilby_nop();
    uint64_t t1 = rt_rdtsc();
    if (t1 - t0 < null) null = t1 - t0;
  }
  const BilbyBootModule *server = module(bi, "echo_server.elf");
  uint32_t ep = slot++;
  bilby_endpoint_create(mem, ep);
  bilby_cap_copy(ep, server->task_cap, 1, BILBY_CAP_RIGHTS_ALL, 0);
  bilby_thread_resume(server->thread_cap);
  for (int i = 0; i < ROUNDS; i++) {
    BilbyMessage m;
    m.tag = bilby_tag(7, 1);
    m.w[0] = 1;
    uint64_t t0 = rt_rdtsc();
    bilby_ipc_call(ep, &m);
    uint64_t t1 = rt_rdtsc();
    if (t1 - t0 < ipc) ipc = t1 - t0;
  }
  for (int i = 0; i < ROUNDS; i++) {
    BilbyMessage m;
    m.tag = bilby_tag(7, 64);
    m.w[0] = 1;
    uint64_t t0 = rt_rdtsc();
    bilby_ipc_call(ep, &m);
    uint64_t t1 = rt_rdtsc();
    if (t1 - t0 < ipc64) ipc64 = t1 - t0;
  }
  const BilbyBootModule *app = module(bi, "vsys_app.elf");
  uint32_t hep = slot++;
  bilby_endpoint_create(mem, hep);
  bilby_thread_configure(app->thread_cap, BILBY_THREAD_CONFIG_ITEM_HANDLER, hep, 5);
  bilby_thread_configure(app->thread_cap, BILBY_THREAD_CONFIG_ITEM_MODE,
                         BILBY_THREAD_MODE_VIRTUALIZED, 0);
  bilby_thread_resume(app->thread_cap);
  BilbyMessage m;
  bilby_ipc_recv(hep, &m);
  uint64_t prev = 0;
  for (int i = 0; i < ROUNDS; i++) {
    uint64_t now = rt_rdtsc();
    if (prev && now - prev < vsys) vsys = now - prev;
    utcb->exception.regs.rax = 1;
    m.tag = bilby_tag(BILBY_REPLY_LABEL_RESUME, 0);
    prev = rt_rdtsc();
    bilby_ipc_reply_recv(hep, &m);
  }
  rt_printf("pathlen: empty %lu, null hypercall %lu, ipc call+reply %lu (64 words: %lu), "
            "virtualized syscall %lu (handler loop included)\n",
            empty, null - empty, ipc - empty, ipc64 - empty, vsys - empty);
  rt_shutdown(control, 0);
}
