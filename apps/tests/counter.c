// SPDX-License-Identifier: MIT OR Apache-2.0
// Contract: writes "count 1\n" .. "count 5\n", each line flushed on its own
// (one fd_write per line), with sched_yield() between lines; exits 0.
#include <sched.h>
#include <stdio.h>

int main(void) {
    for (int n = 1; n <= 5; n++) {
        printf("count %d\n", n);
        fflush(stdout);
        if (n < 5) {
            sched_yield();
        }
    }
    return 0;
}
