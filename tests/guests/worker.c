/* A server for the threads test (endpoint in slot 1): label 1 echoes the
 * registers, label 2 returns a UTCB message with every word incremented,
 * label 3 fills its own SSE registers with another pattern before replying
 * (so a missing FPU switch would show in the caller). */
#include "rt.h"

#define EP 1

static void clobber_sse(void) {
  static const uint64_t junk[2] = {0xdeaddeaddeaddeadull, 0xbeefbeefbeefbeefull};
  __asm__ volatile(
      "movdqu (%0), %%xmm0\n movdqu (%0), %%xmm1\n movdqu (%0), %%xmm2\n movdqu (%0), %%xmm3\n"
      "movdqu (%0), %%xmm4\n movdqu (%0), %%xmm5\n movdqu (%0), %%xmm6\n movdqu (%0), %%xmm7\n"
      "movdqu (%0), %%xmm8\n movdqu (%0), %%xmm9\n movdqu (%0), %%xmm10\n movdqu (%0), %%xmm11\n"
      "movdqu (%0), %%xmm12\n movdqu (%0), %%xmm13\n movdqu (%0), %%xmm14\n movdqu (%0), %%xmm15\n"
      :
      : "r"(junk)
      : "memory");
}

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  (void)bi;
  BilbyMessage m;
  memset(&m, 0, sizeof m);
  bilby_ipc_recv(EP, &m);
  for (;;) {
    uint32_t label = bilby_tag_label(m.tag), words = bilby_tag_words(m.tag);
    if (label == 2) {
      for (uint32_t i = 4; i < words; i++) utcb->mr[i] += 1;
      for (int i = 0; i < 4; i++) m.w[i] += 1;
    } else if (label == 3) {
      clobber_sse();
    }
    m.tag = bilby_tag(label, words);
    bilby_ipc_reply_recv(EP, &m);
  }
}
