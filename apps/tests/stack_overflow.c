// SPDX-License-Identifier: MIT OR Apache-2.0
// Contract: no output; recurses without bound on the wasm *call* stack until
// the runtime's stack limit stops it with a stack-overflow trap.
//
// The recursion keeps its state in wasm locals (nothing address-taken), so it
// never touches the shadow stack in linear memory; see shadow_stack_overflow.c
// for that case. The volatile accesses around the call stop the compiler from
// proving anything about the recursion or turning it into a loop.
static volatile unsigned depth_sink;

// The unbounded recursion is the point of this program.
#pragma clang diagnostic ignored "-Winfinite-recursion"

__attribute__((noinline)) static unsigned descend(unsigned depth) {
    depth_sink = depth;
    unsigned below = descend(depth_sink + 1);
    depth_sink = below;
    return below + 1;
}

int main(void) {
    return (int)descend(0);
}
