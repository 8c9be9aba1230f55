/* A guest-OS "personality" in miniature, the OK Linux path: the root task
 * loads a Linux-numbered C program (boot module 0) into a task it builds
 * itself, starts its thread in virtualized mode with this task as its
 * exception handler and pager, and serves its system calls (write, getpid,
 * brk, exit, exit_group) from the exception messages: every `syscall` the
 * app executes arrives here as exception IPC and is answered with a Resume
 * reply carrying the result in rax. It also reports, from the kernel's
 * counters, what one virtualized system call costs in mode and
 * address-space switches. */
#include "task.h"

#define SHADOW_BASE 0x40000000ull  /* app address A is here at SHADOW_BASE + A */
#define IMAGE_WINDOW 0x30000000ull /* the app's ELF image, read-only */
#define APP_STACK_TOP 0x0f000000ull
#define APP_STACK_PAGES 16
#define APP_UTCB 0x0fff0000ull
#define APP_PID 1

enum { LINUX_WRITE = 1, LINUX_BRK = 12, LINUX_GETPID = 39, LINUX_EXIT = 60, LINUX_EXIT_GROUP = 231 };
enum { LINUX_EBADF = 9, LINUX_EFAULT = 14, LINUX_ENOSYS = 38 };

static rt_space app;
static uint64_t brk_start, brk_end;

/* Linux brk: grows the heap by mapping fresh pages; returns the break. */
static uint64_t linux_brk(uint64_t want) {
  if (want <= brk_end || want >= APP_STACK_TOP - APP_STACK_PAGES * BILBY_PAGE_SIZE) {
    if (want >= brk_start && want <= brk_end) brk_end = want > brk_end ? brk_end : want;
    return brk_end;
  }
  uint64_t mapped = (brk_end + BILBY_PAGE_SIZE - 1) & ~(BILBY_PAGE_SIZE - 1);
  uint64_t top = (want + BILBY_PAGE_SIZE - 1) & ~(BILBY_PAGE_SIZE - 1);
  if (top > mapped &&
      rt_map_shadowed(&app, mapped, (top - mapped) / BILBY_PAGE_SIZE,
                      BILBY_RIGHT_READ | BILBY_RIGHT_WRITE) != BILBY_STATUS_OK)
    return brk_end;
  brk_end = want;
  return brk_end;
}

static int64_t linux_write(uint64_t fd, uint64_t buf, uint64_t len) {
  if (fd != 1 && fd != 2) return -LINUX_EBADF;
  if (buf >= RT_SHADOW_SPAN || len > RT_SHADOW_SPAN - buf) return -LINUX_EFAULT;
  /* The app's memory is mapped from ours: read it at the shadow address. */
  uint64_t st = bilby_debug_write(rt_control_cap, (const void *)(SHADOW_BASE + buf), len);
  return st == BILBY_STATUS_OK ? (int64_t)len : -LINUX_EFAULT;
}

static uint64_t delta(const BilbyCounters *a, const BilbyCounters *b, int field) {
  switch (field) {
    case 0:
      return (b->user_to_kernel - a->user_to_kernel) + (b->kernel_to_user - a->kernel_to_user);
    default:
      return b->address_space_switches - a->address_space_switches;
  }
}

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  rt_use_console(bi->control_cap);
  RT_CHECK(bi->module_count >= 1, "personality: no app module given");
  const BilbyBootModule *mod = &bi->modules[0];
  uint32_t slot = bi->first_free_slot;
  uint32_t mem = rt_free_memory_cap(bi);
  uint32_t ep = slot++, app_task = slot++, app_thread = slot++;
  RT_CHECK(bilby_endpoint_create(mem, ep) == BILBY_STATUS_OK, "endpoint_create");

  /* Read the app's ELF through its image capability. */
  uint64_t pages = (mod->image_size + BILBY_PAGE_SIZE - 1) / BILBY_PAGE_SIZE;
  RT_CHECK(mod->image_cap != 0, "module %s has no image capability", mod->name);
  RT_CHECK(bilby_memory_map(mod->image_cap, bi->self_task, IMAGE_WINDOW, pages, BILBY_RIGHT_READ,
                            0) == BILBY_STATUS_OK,
           "mapping the app image");
  /* The kernel loaded the module as a native task too; this personality
   * runs its own copy, whose memory it can see. */
  if (mod->task_cap) bilby_task_destroy(mod->task_cap);

  RT_CHECK(bilby_task_create(mem, app_task) == BILBY_STATUS_OK, "task_create");
  app.memory = mem;
  app.self_task = bi->self_task;
  app.task = app_task;
  app.shadow_base = SHADOW_BASE;
  uint64_t entry, end;
  uint64_t st = rt_load_elf(&app, (const void *)IMAGE_WINDOW, mod->image_size, &entry, &end);
  RT_CHECK(st == BILBY_STATUS_OK, "loading %s: status %lu", mod->name, st);
  brk_start = brk_end = end;
  RT_CHECK(rt_map_shadowed(&app, APP_STACK_TOP - APP_STACK_PAGES * BILBY_PAGE_SIZE,
                           APP_STACK_PAGES, BILBY_RIGHT_READ | BILBY_RIGHT_WRITE) == BILBY_STATUS_OK,
           "app stack");
  RT_CHECK(rt_map_shadowed(&app, APP_UTCB, 1, BILBY_RIGHT_READ | BILBY_RIGHT_WRITE) ==
               BILBY_STATUS_OK,
           "app utcb");
  RT_CHECK(rt_start_thread(&app, app_thread, entry, APP_STACK_TOP, APP_UTCB, 0) == BILBY_STATUS_OK,
           "app thread");
  RT_CHECK(bilby_thread_configure(app_thread, BILBY_THREAD_CONFIG_ITEM_HANDLER, ep, 1) ==
               BILBY_STATUS_OK,
           "handler");
  RT_CHECK(bilby_thread_configure(app_thread, BILBY_THREAD_CONFIG_ITEM_PAGER, ep, 2) ==
               BILBY_STATUS_OK,
           "pager");
  RT_CHECK(bilby_thread_configure(app_thread, BILBY_THREAD_CONFIG_ITEM_MODE,
                                  BILBY_THREAD_MODE_VIRTUALIZED, 0) == BILBY_STATUS_OK,
           "mode");

  /* What reading the counters itself costs: two reads back to back. */
  BilbyCounters c0, c1;
  bilby_counters_read(rt_control_cap, &c0);
  bilby_counters_read(rt_control_cap, &c1);
  uint64_t base_modes = delta(&c0, &c1, 0), base_as = delta(&c0, &c1, 1);

  rt_printf("personality: starting %s (pid %u) in virtualized mode\n", mod->name, APP_PID);
  RT_CHECK(bilby_thread_resume(app_thread) == BILBY_STATUS_OK, "resume");

  BilbyMessage m;
  memset(&m, 0, sizeof m);
  st = bilby_ipc_recv(ep, &m);
  BilbyCounters prev;
  int have_prev = 0;
  uint64_t syscalls = 0, min_modes = ~0ull, min_as = ~0ull, getpid_modes = 0, getpid_as = 0;
  int64_t exit_status = -1;
  for (;;) {
    BilbyCounters now;
    bilby_counters_read(rt_control_cap, &now);
    RT_CHECK(st == BILBY_STATUS_OK, "ipc status %lu", st);
    uint32_t label = bilby_tag_label(m.tag);
    BilbyUserRegisters *r = &utcb->exception.regs;
    if (label != BILBY_EXCEPTION_KIND_SYSCALL) {
      rt_printf("personality: app killed: %s, vector %u, rip %lx, address %lx\n",
                label == BILBY_EXCEPTION_KIND_PAGE_FAULT ? "page fault" : "CPU exception",
                utcb->exception.vector, r->rip, utcb->exception.fault_address);
      exit_status = 139;
      break;
    }
    syscalls++;
    uint64_t modes = 0, as = 0;
    if (have_prev) {
      modes = delta(&prev, &now, 0) - base_modes;
      as = delta(&prev, &now, 1) - base_as;
      if (modes < min_modes) min_modes = modes;
      if (as < min_as) min_as = as;
    }
    int64_t ret;
    switch (r->rax) {
      case LINUX_WRITE:
        ret = linux_write(r->rdi, r->rsi, r->rdx);
        break;
      case LINUX_GETPID:
        ret = APP_PID;
        if (have_prev) {
          getpid_modes = modes;
          getpid_as = as;
        }
        break;
      case LINUX_BRK:
        ret = (int64_t)linux_brk(r->rdi);
        break;
      case LINUX_EXIT:
      case LINUX_EXIT_GROUP:
        exit_status = (int64_t)(r->rdi & 0xff);
        ret = 0;
        break;
      default:
        ret = -LINUX_ENOSYS;
        break;
    }
    if (exit_status >= 0) break;
    r->rax = (uint64_t)ret;
    m.tag = bilby_tag(BILBY_REPLY_LABEL_RESUME, 0);
    bilby_counters_read(rt_control_cap, &prev);
    have_prev = 1;
    st = bilby_ipc_reply_recv(ep, &m);
  }
  rt_printf("personality: app exited with status %ld after %lu system calls\n", exit_status,
            syscalls);
  rt_printf("personality: last getpid cost %lu mode switches and %lu address-space switches\n",
            getpid_modes, getpid_as);
  rt_printf("personality: one virtualized syscall = %lu mode switches, %lu address-space switches "
            "(kernel counters, fewest over %lu syscalls)\n",
            min_modes, min_as, syscalls - 1);
  rt_shutdown(rt_control_cap, (uint64_t)exit_status);
}
