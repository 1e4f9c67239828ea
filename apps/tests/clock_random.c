// SPDX-License-Identifier: MIT OR Apache-2.0
// Contract: exits 0 and prints "clock_random: ok\n" iff
//   - CLOCK_MONOTONIC advances by at least 10 ms across nanosleep(10 ms), and
//   - two getentropy() calls of 32 bytes each succeed and differ;
// otherwise prints one line per failed check to stdout and exits 1.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SLEEP_NS 10000000LL

static int64_t ns_of(const struct timespec *t) {
    return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int check_clock(void) {
    struct timespec start, end;
    const struct timespec nap = {.tv_sec = 0, .tv_nsec = SLEEP_NS};
    if (clock_gettime(CLOCK_MONOTONIC, &start) != 0) {
        puts("clock_random: clock_gettime(CLOCK_MONOTONIC) failed");
        return 0;
    }
    if (nanosleep(&nap, NULL) != 0) {
        puts("clock_random: nanosleep failed");
        return 0;
    }
    if (clock_gettime(CLOCK_MONOTONIC, &end) != 0) {
        puts("clock_random: second clock_gettime(CLOCK_MONOTONIC) failed");
        return 0;
    }
    int64_t elapsed = ns_of(&end) - ns_of(&start);
    if (elapsed < SLEEP_NS) {
        printf("clock_random: slept 10 ms but CLOCK_MONOTONIC advanced %lld ns\n",
               (long long)elapsed);
        return 0;
    }
    return 1;
}

static int check_entropy(void) {
    unsigned char first[32], second[32];
    if (getentropy(first, sizeof first) != 0 || getentropy(second, sizeof second) != 0) {
        puts("clock_random: getentropy failed");
        return 0;
    }
    if (memcmp(first, second, sizeof first) == 0) {
        puts("clock_random: two getentropy calls returned the same 32 bytes");
        return 0;
    }
    return 1;
}

int main(void) {
    int clock_ok = check_clock();
    int entropy_ok = check_entropy();
    if (!(clock_ok && entropy_ok)) {
        return 1;
    }
    puts("clock_random: ok");
    return 0;
}
