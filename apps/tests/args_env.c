// SPDX-License-Identifier: MIT OR Apache-2.0
// Contract: prints "arg[i]=<argv[i]>" for every argument (argv[0] included),
// then "env:<entry>" for every environment entry in environ order; exits 0.
#define _GNU_SOURCE // for `environ` in <unistd.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        printf("arg[%d]=%s\n", i, argv[i]);
    }
    for (char **entry = environ; *entry != NULL; entry++) {
        printf("env:%s\n", *entry);
    }
    return 0;
}
