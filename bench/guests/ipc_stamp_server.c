/*
 * ipc_stamp_server.c: ipc_server with timestamps in its replies, for the
 * per-stage breakdown of the IPC round trip (a separate module, so the
 * timed server runs none of this code).
 */
#define BENCH_STAMP 1
#include "ipc_server.c"
