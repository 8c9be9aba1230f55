/* Threads, scheduling and messages, from the root task:
 *  - SSE registers survive hypercalls and a switch to another task that
 *    uses its own SSE registers (the kernel saves and restores them);
 *  - a 64-word message travels through the UTCBs, both ways;
 *  - two threads of equal priority that never block both make progress
 *    (timer preemption, round robin);
 *  - the user timer delivers periodic Timer messages with growing times;
 *  - a higher-priority thread runs as soon as it is resumed or sent a
 *    message (IpcSend/IpcRecv), and a deleted capability is gone.
 * Module: worker.elf. */
#include "task.h"

#define STACK 0x70000000ull
#define STACK_PAGES 4
#define SPIN_UTCB 0x70010000ull

static volatile uint64_t spins;
static volatile uint64_t high_state, high_value;
static uint32_t high_ep;

static void high_thread(void) {
  BilbyMessage m;
  high_state = 1;
  for (;;) {
    memset(&m, 0, sizeof m);
    if (bilby_ipc_recv(high_ep, &m) != BILBY_STATUS_OK) break;
    high_value = m.w[0];
    high_state++;
  }
  for (;;) {
  }
}

static void spinner(void) {
  for (;;) spins++;
}

static void load_sse(const uint64_t *p) {
  __asm__ volatile(
      "movdqu 0(%0), %%xmm0\n movdqu 16(%0), %%xmm1\n movdqu 32(%0), %%xmm2\n"
      "movdqu 48(%0), %%xmm3\n movdqu 64(%0), %%xmm4\n movdqu 80(%0), %%xmm5\n"
      "movdqu 96(%0), %%xmm6\n movdqu 112(%0), %%xmm7\n movdqu 128(%0), %%xmm8\n"
      "movdqu 144(%0), %%xmm9\n movdqu 160(%0), %%xmm10\n movdqu 176(%0), %%xmm11\n"
      "movdqu 192(%0), %%xmm12\n movdqu 208(%0), %%xmm13\n movdqu 224(%0), %%xmm14\n"
      "movdqu 240(%0), %%xmm15\n"
      :
      : "r"(p)
      : "memory");
}

static void store_sse(uint64_t *p) {
  __asm__ volatile(
      "movdqu %%xmm0, 0(%0)\n movdqu %%xmm1, 16(%0)\n movdqu %%xmm2, 32(%0)\n"
      "movdqu %%xmm3, 48(%0)\n movdqu %%xmm4, 64(%0)\n movdqu %%xmm5, 80(%0)\n"
      "movdqu %%xmm6, 96(%0)\n movdqu %%xmm7, 112(%0)\n movdqu %%xmm8, 128(%0)\n"
      "movdqu %%xmm9, 144(%0)\n movdqu %%xmm10, 160(%0)\n movdqu %%xmm11, 176(%0)\n"
      "movdqu %%xmm12, 192(%0)\n movdqu %%xmm13, 208(%0)\n movdqu %%xmm14, 224(%0)\n"
      "movdqu %%xmm15, 240(%0)\n"
      :
      : "r"(p)
      : "memory");
}

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  uint32_t control = bi->control_cap;
  rt_use_console(control);
  uint32_t mem = rt_free_memory_cap(bi);
  uint32_t slot = bi->first_free_slot;
  const BilbyBootModule *worker = &bi->modules[0];
  uint32_t ep = slot++;
  RT_CHECK(bilby_endpoint_create(mem, ep) == BILBY_STATUS_OK, "endpoint");
  RT_CHECK(bilby_cap_copy(ep, worker->task_cap, 1, BILBY_CAP_RIGHTS_ALL, 0) == BILBY_STATUS_OK,
           "cap_copy");
  RT_CHECK(bilby_thread_resume(worker->thread_cap) == BILBY_STATUS_OK, "resume worker");

  /* 1. SSE state across hypercalls and a switch to a task that uses SSE. */
  uint64_t pattern[32], back[32];
  for (int i = 0; i < 32; i++) pattern[i] = 0x0101010101010101ull * (uint64_t)(i + 1);
  load_sse(pattern);
  bilby_nop();
  BilbyMessage m;
  memset(&m, 0, sizeof m);
  m.tag = bilby_tag(3, 0);
  RT_CHECK(bilby_ipc_call(ep, &m) == BILBY_STATUS_OK, "call 3");
  bilby_abi_version(0, 0);
  store_sse(back);
  RT_CHECK(memcmp(pattern, back, sizeof pattern) == 0, "SSE registers changed across kernel entries");
  rt_printf("threads: SSE registers survived hypercalls and a switch to an SSE-using task\n");

  /* 2. A 64-word message. */
  memset(&m, 0, sizeof m);
  for (int i = 0; i < 4; i++) m.w[i] = 100 + (uint64_t)i;
  for (int i = 4; i < 64; i++) utcb->mr[i] = 1000 + (uint64_t)i;
  m.tag = bilby_tag(2, 64);
  RT_CHECK(bilby_ipc_call(ep, &m) == BILBY_STATUS_OK, "call 2");
  RT_CHECK(bilby_tag_words(m.tag) == 64, "reply words %u", bilby_tag_words(m.tag));
  for (int i = 0; i < 4; i++) RT_CHECK(m.w[i] == 101 + (uint64_t)i, "w%d = %lu", i, m.w[i]);
  for (int i = 4; i < 64; i++)
    RT_CHECK(utcb->mr[i] == 1001 + (uint64_t)i, "mr[%d] = %lu", i, utcb->mr[i]);
  rt_printf("threads: a 64-word message went through the UTCBs and back\n");

  /* 3. Preemption: a second thread of ours spins; so do we. */
  RT_CHECK(bilby_memory_map(mem, bi->self_task, STACK, STACK_PAGES,
                            BILBY_RIGHT_READ | BILBY_RIGHT_WRITE, 0) == BILBY_STATUS_OK,
           "stack");
  RT_CHECK(bilby_memory_map(mem, bi->self_task, SPIN_UTCB, 1, BILBY_RIGHT_READ | BILBY_RIGHT_WRITE,
                            0) == BILBY_STATUS_OK,
           "utcb");
  rt_space self = {mem, bi->self_task, bi->self_task, 0};
  uint32_t spin_thread = slot++;
  RT_CHECK(rt_start_thread(&self, spin_thread, (uint64_t)(uintptr_t)spinner,
                           STACK + STACK_PAGES * BILBY_PAGE_SIZE, SPIN_UTCB, 0) == BILBY_STATUS_OK,
           "spinner");
  RT_CHECK(bilby_thread_resume(spin_thread) == BILBY_STATUS_OK, "resume spinner");
  uint64_t rounds = 0;
  while (spins < 1000000) rounds++;
  RT_CHECK(bilby_thread_suspend(spin_thread) == BILBY_STATUS_OK, "suspend spinner");
  rt_printf("threads: two spinning threads of equal priority both ran (timer preemption)\n");

  /* 4. The user timer. */
  uint32_t tep = slot++;
  RT_CHECK(bilby_endpoint_create(mem, tep) == BILBY_STATUS_OK, "timer endpoint");
  uint64_t now0 = 0, last = 0;
  RT_CHECK(bilby_timer_set(control, tep, 20000000, BILBY_TIMER_PERIODIC, 77, &now0) ==
               BILBY_STATUS_OK,
           "timer_set");
  for (int i = 0; i < 3; i++) {
    memset(&m, 0, sizeof m);
    RT_CHECK(bilby_ipc_recv(tep, &m) == BILBY_STATUS_OK, "timer recv");
    RT_CHECK(bilby_tag_label(m.tag) == BILBY_EXCEPTION_KIND_TIMER && m.badge == 77,
             "timer message label %x badge %lu", bilby_tag_label(m.tag), m.badge);
    RT_CHECK(m.w[0] > last && m.w[0] > now0, "timer times %lu after %lu", m.w[0], last);
    last = m.w[0];
  }
  RT_CHECK(bilby_timer_set(control, tep, 0, 0, 0, 0) == BILBY_STATUS_OK, "timer stop");
  rt_printf("threads: three periodic timer messages, times growing (%lu ns after start)\n",
            last - now0);
  /* 5. Priorities, IpcSend/IpcRecv, CapDelete. */
  high_ep = slot++;
  RT_CHECK(bilby_endpoint_create(mem, high_ep) == BILBY_STATUS_OK, "high endpoint");
  RT_CHECK(bilby_memory_map(mem, bi->self_task, STACK + 0x1000000, STACK_PAGES,
                            BILBY_RIGHT_READ | BILBY_RIGHT_WRITE, 0) == BILBY_STATUS_OK,
           "high stack");
  RT_CHECK(bilby_memory_map(mem, bi->self_task, SPIN_UTCB + 0x1000000, 1,
                            BILBY_RIGHT_READ | BILBY_RIGHT_WRITE, 0) == BILBY_STATUS_OK,
           "high utcb");
  uint32_t high = slot++;
  RT_CHECK(rt_start_thread(&self, high, (uint64_t)(uintptr_t)high_thread,
                           STACK + 0x1000000 + STACK_PAGES * BILBY_PAGE_SIZE,
                           SPIN_UTCB + 0x1000000, 0) == BILBY_STATUS_OK,
           "high thread");
  RT_CHECK(bilby_thread_configure(high, BILBY_THREAD_CONFIG_ITEM_PRIORITY, 200, 0) ==
               BILBY_STATUS_OK,
           "priority");
  RT_CHECK(bilby_thread_resume(high) == BILBY_STATUS_OK, "resume high");
  RT_CHECK(high_state == 1, "the higher-priority thread did not run first (%lu)", high_state);
  memset(&m, 0, sizeof m);
  m.tag = bilby_tag(9, 1);
  m.w[0] = 4242;
  RT_CHECK(bilby_ipc_send(high_ep, &m) == BILBY_STATUS_OK, "send");
  RT_CHECK(high_state == 2 && high_value == 4242, "send not received at once (%lu, %lu)",
           high_state, high_value);
  RT_CHECK(bilby_cap_delete(bi->self_task, high_ep) == BILBY_STATUS_OK, "cap_delete");
  RT_CHECK(bilby_ipc_send(high_ep, &m) == BILBY_STATUS_INVALID_CAPABILITY, "deleted cap works");
  rt_printf("threads: a higher-priority thread preempts at once; send/receive; deleted cap gone\n");
  /* 6. Destroying a task whose thread waits in an endpoint queue. */
  RT_CHECK(bilby_task_destroy(worker->task_cap) == BILBY_STATUS_OK, "task_destroy");
  RT_CHECK(bilby_thread_resume(worker->thread_cap) == BILBY_STATUS_INVALID_CAPABILITY,
           "the destroyed thread's capability survived");
  RT_CHECK(bilby_map_pages(worker->task_cap, STACK, STACK, 1, BILBY_RIGHT_READ) ==
               BILBY_STATUS_INVALID_CAPABILITY,
           "the destroyed task's capability survived");
  rt_printf("threads: a task destroyed while its thread waited in IPC is gone, capabilities too\n");
  rt_printf("threads: all checks passed\n");
  rt_shutdown(control, 0);
}
