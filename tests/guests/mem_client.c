/* The client of the memory test: it asks the root task (endpoint in slot 1,
 * the root's task capability in slot 2) for commands by calling it, carries
 * them out and calls again with the result. Its page faults go to the root,
 * its pager. */
#include "rt.h"

#define EP 1
#define ROOT_TASK 2
enum { HELLO = 1, RESULT = 2, TOUCH = 10, MAP_BACK = 11, READ = 12, STOP = 13 };

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  (void)bi;
  (void)utcb;
  BilbyMessage m;
  memset(&m, 0, sizeof m);
  m.tag = bilby_tag(HELLO, 0);
  for (;;) {
    bilby_ipc_call(EP, &m);
    uint64_t cmd = bilby_tag_label(m.tag), a = m.w[0], b = m.w[1];
    volatile uint64_t *p = (volatile uint64_t *)a;
    uint64_t result = 0;
    switch (cmd) {
      case TOUCH:
        result = *p;
        if (b) *p = b;
        break;
      case MAP_BACK:
        result = bilby_map_pages(ROOT_TASK, a, b, 1, BILBY_RIGHT_READ);
        break;
      case READ:
        result = *p;
        break;
      default:
        for (;;) {
        }
    }
    memset(&m, 0, sizeof m);
    m.tag = bilby_tag(RESULT, 1);
    m.w[0] = result;
  }
}
