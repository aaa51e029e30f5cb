// Counts heap allocations per thread by interposing malloc, calloc and realloc in the test executable and
// forwarding to glibc's own entry points. A thread-local counter keeps tests that run in parallel on other
// threads out of a measurement.
#include <stddef.h>
#include "CMallocCounter.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);

static __thread unsigned long long thread_allocations __attribute__((tls_model("initial-exec")));

void *malloc(size_t size) {
    thread_allocations++;
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    thread_allocations++;
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    thread_allocations++;
    return __libc_realloc(pointer, size);
}

void free(void *pointer) {
    __libc_free(pointer);
}

unsigned long long ipwatcher_thread_allocations(void) {
    return thread_allocations;
}
