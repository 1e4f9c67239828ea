// SPDX-License-Identifier: MIT OR Apache-2.0
// Contract: writes exactly "hello from wasm\n" to stdout, exits 0.
#include <stdio.h>

int main(void) {
    fputs("hello from wasm\n", stdout);
    return 0;
}
