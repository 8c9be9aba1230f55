/* A native IPC server for the counter tests: the root task gives it an
 * endpoint capability in slot 1 and resumes it; it answers every call with
 * the message it got, words incremented, forever. */
#include "rt.h"

#define SERVER_ENDPOINT 1

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  (void)bi;
  (void)utcb;
  BilbyMessage m;
  memset(&m, 0, sizeof m);
  bilby_ipc_recv(SERVER_ENDPOINT, &m);
  for (;;) {
    m.w[0]++;
    bilby_ipc_reply_recv(SERVER_ENDPOINT, &m);
  }
}
