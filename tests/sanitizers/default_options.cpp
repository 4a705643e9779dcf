// The sanitizers' options, compiled into every program of a sanitized build (see
// gridmap_warnings in the top CMakeLists.txt) so that ctest, the programs the tests start
// (gridmap under node and Chromium) and a program run by hand behave alike. ASAN_OPTIONS,
// UBSAN_OPTIONS, LSAN_OPTIONS and TSAN_OPTIONS in the environment still override them.

#define GRIDMAP_DEFAULT_OPTIONS(fn, text) \
  extern "C" const char* fn() { return text; }

// A small quarantine of freed memory: with the default 256 MB every password hash (argon2id
// takes 64 MB) gets fresh pages, which makes the test suite about 1.5 times as slow.
// No tracking of dynamic TLS (intercept_tls_get_addr=0): with Debian 12's glibc 2.36 the
// leak checker of clang 14 reads a stale range of a library's TLS once SpatiaLite (loaded
// and unloaded with each connection) has been closed, and dies at exit ("Tracer caught
// signal 11", "DTLS ... at 0x474-0x1000001576") after every test passed.
GRIDMAP_DEFAULT_OPTIONS(__asan_default_options,
                        "check_initialization_order=1:strict_init_order=1:"
                        "detect_stack_use_after_return=1:strict_string_checks=1:"
                        "quarantine_size_mb=16:intercept_tls_get_addr=0")
// Leaks are reported, except those of the third-party libraries listed in lsan.supp, which
// keep caches for the life of the process.
GRIDMAP_DEFAULT_OPTIONS(__lsan_default_options,
                        "suppressions=" GRIDMAP_SANITIZER_DIR "/lsan.supp:print_suppressions=0")
GRIDMAP_DEFAULT_OPTIONS(__ubsan_default_options,
                        "halt_on_error=1:print_stacktrace=1:"
                        "suppressions=" GRIDMAP_SANITIZER_DIR "/ubsan.supp")
GRIDMAP_DEFAULT_OPTIONS(__tsan_default_options,
                        "halt_on_error=1:second_deadlock_stack=1:"
                        "suppressions=" GRIDMAP_SANITIZER_DIR "/tsan.supp")
