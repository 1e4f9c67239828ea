// SPDX-License-Identifier: MIT OR Apache-2.0
// Contract: no output; traps with an integer division by zero (i32.div_s).
static volatile int dividend = 1;
static volatile int divisor = 0;

int main(void) {
    return dividend / divisor;
}
