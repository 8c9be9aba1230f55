/* Memory delegation and page-fault IPC, L4 style, from the root task:
 *  - the client's page fault arrives at its pager (this task) as a
 *    PageFault message; a MapAndResume reply maps a page of ours there and
 *    the client continues (and its write is visible here: shared frame);
 *  - the client maps that page on, back into our task (a grandchild
 *    mapping); unmapping our page removes the client's and the grandchild
 *    mapping too (recursive unmap), so the client faults again;
 *  - granting a page moves it: the client reads it, we no longer have it.
 * Module: mem_client.elf. */
#include "task.h"

#define PAGE_A 0x60000000ull     /* ours, mapped to the client on its fault */
#define PAGE_B 0x61000000ull     /* ours, for the second fault */
#define GRANDCHILD 0x62000000ull /* the client maps PAGE_A's page back here */
#define PAGE_G 0x64000000ull     /* ours, granted to the client */
#define PROBE 0x6f000000ull      /* where map_pages probes a mapping to */
#define CLIENT_VA 0x50000000ull
#define CLIENT_GRANT_VA 0x52000000ull

enum { HELLO = 1, RESULT = 2, TOUCH = 10, MAP_BACK = 11, READ = 12, STOP = 13 };
enum { BADGE_CLIENT = 1, BADGE_PAGER = 2 };

static uint32_t ep, self_task, mem;
static BilbyMessage m;

/* Replies to the client's pending call with a command, waits for the next. */
static void command(uint32_t cmd, uint64_t a, uint64_t b) {
  memset(&m, 0, sizeof m);
  m.tag = bilby_tag(cmd, 2);
  m.w[0] = a;
  m.w[1] = b;
  uint64_t st = bilby_ipc_reply_recv(ep, &m);
  RT_CHECK(st == BILBY_STATUS_OK, "reply_recv %lu", st);
}

static void expect_client_result(uint64_t want, const char *what) {
  RT_CHECK(m.badge == BADGE_CLIENT && bilby_tag_label(m.tag) == RESULT,
           "%s: expected the client's result, got badge %lu label %x", what, m.badge,
           bilby_tag_label(m.tag));
  RT_CHECK(m.w[0] == want, "%s: client got %lx, expected %lx", what, m.w[0], want);
}

static void expect_fault_and_map(uint64_t page, uint64_t addr) {
  RT_CHECK(m.badge == BADGE_PAGER && bilby_tag_label(m.tag) == BILBY_EXCEPTION_KIND_PAGE_FAULT,
           "expected a page fault, got badge %lu label %x", m.badge, bilby_tag_label(m.tag));
  RT_CHECK(m.w[0] == addr, "fault address %lx, expected %lx", m.w[0], addr);
  rt_printf("memory: client page fault at %lx (error %lx) -> map our %lx\n", m.w[0], m.w[1], page);
  memset(&m, 0, sizeof m);
  m.tag = bilby_tag(BILBY_REPLY_LABEL_MAP_AND_RESUME, 4);
  m.w[0] = page;
  m.w[1] = addr & ~(BILBY_PAGE_SIZE - 1);
  m.w[2] = 1;
  m.w[3] = BILBY_RIGHT_READ | BILBY_RIGHT_WRITE;
  uint64_t st = bilby_ipc_reply_recv(ep, &m);
  RT_CHECK(st == BILBY_STATUS_OK, "map-and-resume reply %lu", st);
}

static int mapped(uint64_t va) {
  uint64_t st = bilby_map_pages(self_task, va, PROBE, 1, BILBY_RIGHT_READ);
  if (st == BILBY_STATUS_OK) bilby_unmap_pages(self_task, PROBE, 1);
  return st == BILBY_STATUS_OK;
}

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  (void)utcb;
  rt_use_console(bi->control_cap);
  self_task = bi->self_task;
  mem = rt_free_memory_cap(bi);
  uint32_t slot = bi->first_free_slot;
  const BilbyBootModule *client = &bi->modules[0];
  ep = slot++;
  RT_CHECK(bilby_endpoint_create(mem, ep) == BILBY_STATUS_OK, "endpoint");
  RT_CHECK(bilby_cap_copy(ep, client->task_cap, 1, BILBY_CAP_RIGHTS_ALL, BADGE_CLIENT) ==
               BILBY_STATUS_OK,
           "cap_copy ep");
  RT_CHECK(bilby_cap_copy(self_task, client->task_cap, 2, BILBY_CAP_RIGHTS_ALL, 0) ==
               BILBY_STATUS_OK,
           "cap_copy task");
  RT_CHECK(bilby_thread_configure(client->thread_cap, BILBY_THREAD_CONFIG_ITEM_PAGER, ep,
                                  BADGE_PAGER) == BILBY_STATUS_OK,
           "pager");
  RT_CHECK(bilby_memory_map(mem, self_task, PAGE_A, 1, BILBY_RIGHTS_ALL, 0) == BILBY_STATUS_OK,
           "map A");
  RT_CHECK(bilby_memory_map(mem, self_task, PAGE_B, 1, BILBY_RIGHTS_ALL, 0) == BILBY_STATUS_OK,
           "map B");
  *(volatile uint64_t *)PAGE_A = 0xabcd;
  *(volatile uint64_t *)PAGE_B = 0x5555;
  RT_CHECK(bilby_thread_resume(client->thread_cap) == BILBY_STATUS_OK, "resume");

  memset(&m, 0, sizeof m);
  RT_CHECK(bilby_ipc_recv(ep, &m) == BILBY_STATUS_OK && bilby_tag_label(m.tag) == HELLO, "hello");

  /* 1. Page fault -> pager -> MapAndResume; shared frame. */
  command(TOUCH, CLIENT_VA + 8 * 0, 0x1234);
  expect_fault_and_map(PAGE_A, CLIENT_VA);
  expect_client_result(0xabcd, "first touch");
  RT_CHECK(*(volatile uint64_t *)PAGE_A == 0x1234, "client's write not visible");
  rt_printf("memory: the client read our %lx and its write %lx is visible here\n", 0xabcdul,
            0x1234ul);

  /* 2. The client maps the page on, back into us: a grandchild mapping. */
  command(MAP_BACK, CLIENT_VA, GRANDCHILD);
  expect_client_result(BILBY_STATUS_OK, "map back");
  RT_CHECK(mapped(GRANDCHILD) && *(volatile uint64_t *)GRANDCHILD == 0x1234, "grandchild");

  /* 3. Recursive unmap of our page takes the child and grandchild. */
  RT_CHECK(bilby_unmap_pages(self_task, PAGE_A, 1) == BILBY_STATUS_OK, "unmap");
  RT_CHECK(!mapped(PAGE_A) && !mapped(GRANDCHILD), "recursive unmap left a mapping");
  command(TOUCH, CLIENT_VA, 0);
  expect_fault_and_map(PAGE_B, CLIENT_VA);
  expect_client_result(0x5555, "touch after unmap");
  rt_printf("memory: recursive unmap removed the client's and the grandchild mapping\n");

  /* 4. Grant moves a page. */
  RT_CHECK(bilby_memory_map(mem, self_task, PAGE_G, 1, BILBY_RIGHTS_ALL, 0) == BILBY_STATUS_OK,
           "map G");
  *(volatile uint64_t *)PAGE_G = 0x7777;
  RT_CHECK(bilby_grant_pages(client->task_cap, PAGE_G, CLIENT_GRANT_VA, 1,
                             BILBY_RIGHT_READ | BILBY_RIGHT_WRITE) == BILBY_STATUS_OK,
           "grant");
  RT_CHECK(!mapped(PAGE_G), "granted page still mapped here");
  command(READ, CLIENT_GRANT_VA, 0);
  expect_client_result(0x7777, "read granted page");
  RT_CHECK(bilby_map_pages(client->task_cap, PAGE_B, CLIENT_GRANT_VA, 1, BILBY_RIGHT_READ) ==
               BILBY_STATUS_OCCUPIED,
           "mapping over a mapped page");
  RT_CHECK(bilby_map_pages(client->task_cap, PAGE_B, 0x53000000, 1, BILBY_RIGHTS_ALL) ==
               BILBY_STATUS_OK,
           "map within rights");
  rt_printf("memory: grant moved the page to the client\n");
  rt_printf("memory: all delegation checks passed\n");
  rt_shutdown(bi->control_cap, 0);
}
