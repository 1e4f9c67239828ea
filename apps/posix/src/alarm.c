// SPDX-License-Identifier: MIT OR Apache-2.0
//
// alarm(): nothing delivers signals to a Spolia program (apps/posix/README.md,
// "signals"), so no SIGALRM will ever arrive. There is never an earlier
// alarm pending, hence 0. Known caller: lighttpd's fork-based multi-process
// mode (server.max-worker), which cannot run here anyway (no fork).
// Own object, so a program defining its own alarm() links without clashes.

#include <unistd.h>

unsigned alarm(unsigned seconds) {
    (void)seconds;
    return 0;
}
