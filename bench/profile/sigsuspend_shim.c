// LD_PRELOAD shim that lets `trellis serve` run under Valgrind 3.19 (Debian 12).
//
// libdispatch calls sigsuspend(2) with a signal mask that lives in read-only memory. Valgrind 3.19's
// wrapper for rt_sigsuspend writes into the mask it was given (it removes the signals Valgrind reserves
// for itself), so the write faults and the server dies with SIGSEGV before it accepts a request.
// This shim passes the kernel a writable copy of the mask instead; the signals waited for are the same.
// It is for profiling only and is never linked into Trellis.
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t writable = *mask;
    // The kernel's sigset_t is 8 bytes on Linux x86-64 and arm64, smaller than glibc's 128-byte one.
    return (int)syscall(SYS_rt_sigsuspend, &writable, 8);
}
