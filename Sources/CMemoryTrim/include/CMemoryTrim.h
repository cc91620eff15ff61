#ifndef C_MEMORY_TRIM_H
#define C_MEMORY_TRIM_H

// Any libc header defines __GLIBC__ on glibc; without one the check below would always fail.
#include <stdlib.h>

// Returns the free memory of glibc's arenas to the system; does nothing elsewhere.
#if defined(__GLIBC__)
#include <malloc.h>
static inline void datastore_trim_free_memory(void) { (void)malloc_trim(0); }
static inline int datastore_can_trim_free_memory(void) { return 1; }
#else
static inline void datastore_trim_free_memory(void) {}
static inline int datastore_can_trim_free_memory(void) { return 0; }
#endif

#endif
