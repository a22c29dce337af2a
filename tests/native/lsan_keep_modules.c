/* LD_PRELOADed by `make test-asan-integration` only: dlclose() leaves the library mapped.
 * A plugin library that allocates and is unloaded before exit (ALSA's pulse plugin, opened
 * through PortAudio by the device tests) leaves LeakSanitizer stacks in an "<unknown
 * module>" that no suppression can name; kept mapped, its frames carry the library's name
 * and tests/lsan.supp can suppress exactly that third-party library. */
#include <dlfcn.h>

int dlclose(void *handle) {
    (void)handle;
    return 0;
}
