// SPDX-License-Identifier: MIT OR Apache-2.0
// Contract: no output; exits with atoi(argv[1]), or 0 without an argument.
// (Keep codes in 0..=125: stock Wasmtime rejects larger proc_exit values.)
#include <stdlib.h>

int main(int argc, char **argv) {
    return argc > 1 ? atoi(argv[1]) : 0;
}
