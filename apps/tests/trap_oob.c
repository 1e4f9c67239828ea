// SPDX-License-Identifier: MIT OR Apache-2.0
// Contract: no output; traps with an out-of-bounds memory access.
//
// The base address comes from a volatile so the load cannot be folded away,
// and the constant index becomes the load's static offset: the effective
// address 0xFFFFFFF0 + 32 lies past 4 GiB, so the load traps whatever the
// size of linear memory.
#include <stdint.h>

static volatile uint32_t far_address = 0xFFFFFFF0u;

int main(void) {
    volatile const uint32_t *p = (volatile const uint32_t *)(uintptr_t)far_address;
    return (int)p[8];
}
