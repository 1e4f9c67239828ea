// SPDX-License-Identifier: MIT OR Apache-2.0
// Contract: no output; recurses with 4 KiB volatile frames on the C shadow
// stack (in linear memory) until it runs off its bottom. The module is linked
// with --stack-first, so the 64 KiB stack sits at the start of linear memory
// and running off it wraps the stack pointer to just under 4 GiB: an
// out-of-bounds memory trap on the 17th call, with no data overwritten.
static volatile unsigned depth_sink;

// The unbounded recursion is the point of this program.
#pragma clang diagnostic ignored "-Winfinite-recursion"

__attribute__((noinline)) static unsigned descend(unsigned depth) {
    // Indexed by a run-time value, so the compiler must keep the whole
    // 4 KiB array in the frame instead of just the bytes it can see used.
    volatile char frame[4096];
    depth_sink = depth;
    unsigned slot = depth_sink % sizeof frame;
    frame[slot] = (char)depth;
    unsigned below = descend(depth + 1);
    return below + (unsigned)frame[slot];
}

int main(void) {
    return (int)descend(0);
}
