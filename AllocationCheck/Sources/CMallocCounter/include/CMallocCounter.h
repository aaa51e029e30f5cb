#ifndef IPWATCHER_CMALLOCCOUNTER_H
#define IPWATCHER_CMALLOCCOUNTER_H

/// Allocations (malloc, calloc, realloc) made so far by the calling thread, counted by the interposed
/// allocator functions of this target. Only linked into the test bundle, to show that the hot path does
/// not allocate per queue entry.
unsigned long long ipwatcher_thread_allocations(void);

#endif
