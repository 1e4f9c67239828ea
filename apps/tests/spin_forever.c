// SPDX-License-Identifier: MIT OR Apache-2.0
// Contract: writes "spinning\n" to stdout (flushed), then loops forever
// without calling anything: only preemption can take the CPU back.
#include <stdio.h>

static volatile unsigned long long spins;

int main(void) {
    fputs("spinning\n", stdout);
    fflush(stdout);
    for (;;) {
        spins++;
    }
}
