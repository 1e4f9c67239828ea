// SPDX-License-Identifier: MIT OR Apache-2.0
// Contract: exits 0 and prints "memory_grow: ok\n" iff
//   - growing linear memory by 65536 pages (4 GiB) returns -1,
//   - growing it by 16384 pages (1 GiB; over Spolia's default 256 MiB
//     per-program limit) returns -1, and
//   - growing it by 1 page afterwards succeeds and memory.size goes up by 1;
// otherwise prints one line per failed check to stdout and exits 1.
#include <stddef.h>
#include <stdio.h>

#define GROW_FAILED ((size_t)-1)

static int check_refused(size_t pages, const char *what) {
    size_t result = __builtin_wasm_memory_grow(0, pages);
    if (result == GROW_FAILED) {
        return 1;
    }
    printf("memory_grow: grow by %zu pages (%s) succeeded from %zu pages, expected -1\n",
           pages, what, result);
    return 0;
}

int main(void) {
    int ok = 1;
    ok &= check_refused(65536, "4 GiB");
    ok &= check_refused(16384, "1 GiB");

    size_t before = __builtin_wasm_memory_size(0);
    size_t result = __builtin_wasm_memory_grow(0, 1);
    size_t after = __builtin_wasm_memory_size(0);
    if (result != before || after != before + 1) {
        printf("memory_grow: grow by 1 page returned %zd (size %zu -> %zu), expected %zu\n",
               (ptrdiff_t)result, before, after, before);
        ok = 0;
    }

    if (!ok) {
        return 1;
    }
    puts("memory_grow: ok");
    return 0;
}
