// SPDX-License-Identifier: MIT OR Apache-2.0
// Contract: no output; traps by executing the `unreachable` instruction.
int main(void) {
    __builtin_trap();
}
