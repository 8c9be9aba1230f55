// A C++17 translation unit that includes both headers: the ABI must be
// usable from C++ guests as well.
#include <bilby/abi.h>
#include <bilby/hypercalls.h>

static_assert(sizeof(BilbyUtcb) <= BILBY_UTCB_SIZE, "UTCB fits its page");
static_assert(BILBY_HYPERCALL_IPC_CALL == 5, "hypercall numbers are constant expressions");

extern "C" uint64_t cxx_probe_ipc_call(uint32_t endpoint) {
  BilbyMessage m{bilby_tag(1, 0), 0, {1, 2, 3, 4}};
  bilby_ipc_call(endpoint, &m);
  return m.w[0];
}
