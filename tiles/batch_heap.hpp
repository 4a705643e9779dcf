// The heap of a batch job (`gridmap tiles export`) that allocates and frees some tens of MB
// in a fraction of a second. On this kind of machine (a VM) the first touch of each 4 KB
// page costs ~10 us, as much as the job's useful work per page: an export touched ~3,500
// fresh pages (~35 ms). So, for such a job only (never the server):
// - freed memory stays in the process (no trimming, no mmap/munmap per large block), and
// - the heaps that malloc carves from are advised onto transparent huge pages, which this
//   system grants on request (THP "madvise"): one fault per 2 MB instead of 512.
// glibc's own switch for the second (GLIBC_TUNABLES=glibc.malloc.hugetlb=1) is read only
// at start-up, hence this. Both are hints: where they fail nothing changes but the speed.
#pragma once

namespace gridmap::tiles {

// Once, at the start of the job, on its main thread: sets the process's malloc policy and
// prepares the main thread's heap.
void use_batch_heap() noexcept;

// At the start of each thread of the job: prepares the heap (arena) malloc gives that
// thread. Does nothing unless use_batch_heap() was called.
void prepare_thread_heap() noexcept;

}  // namespace gridmap::tiles
