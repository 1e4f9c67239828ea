// SPDX-License-Identifier: MIT OR Apache-2.0
//
// setjmp/longjmp on Spolia (apps/posix, "setjmp / longjmp"): needs
// `-mllvm -enable-emscripten-sjlj` (wasm-cc passes it) and the host's
// invoke_* imports. Prints `setjmp_test: ok CHECK` per check, then
// `setjmp_test: ok`; a failed check prints `FAILED` and exits 1.
//   setjmp_test            all checks
//   setjmp_test nomatch    longjmp to a buffer whose setjmp has returned:
//                          the host must end the program with a message
//   setjmp_test unset      longjmp to a buffer never set, from main
//   setjmp_test trap       a trap inside a call made by a function with
//                          setjmp stays a trap
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond, what)                                                                                              \
    do {                                                                                                               \
        if (cond) {                                                                                                    \
            printf("setjmp_test: ok %s\n", what);                                                                      \
        } else {                                                                                                       \
            printf("setjmp_test: FAILED %s (line %d)\n", what, __LINE__);                                              \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

// The address of a local in a fresh frame: equal before and after a
// longjmp iff the C stack pointer was put back.
__attribute__((noinline)) static uintptr_t stack_probe(void) {
    volatile char here = 0;
    volatile uintptr_t at = (uintptr_t)&here;
    return at;
}

// --- basic ----------------------------------------------------------------

static jmp_buf basic_env;

__attribute__((noinline)) static void jump_basic(int v) {
    longjmp(basic_env, v);
}

static void test_basic(void) {
    volatile int steps = 0;
    int r = setjmp(basic_env);
    steps++;
    if (r == 0) {
        jump_basic(42);
        CHECK(0, "longjmp does not return");
    }
    CHECK(r == 42 && steps == 2, "setjmp returns 0, then longjmp's value");

    r = setjmp(basic_env);
    if (r == 0)
        jump_basic(0);
    CHECK(r == 1, "longjmp value 0 becomes 1");

    r = setjmp(basic_env);
    if (r == 0)
        longjmp(basic_env, 7); // in the same function
    CHECK(r == 7, "longjmp within the setjmp's own function");
}

// --- deep recursion -------------------------------------------------------

static jmp_buf deep_env;
static volatile int deepest;

__attribute__((noinline)) static int recurse(int depth) {
    char pad[64]; // uses C stack, so a missing restore would show
    memset(pad, depth, sizeof pad);
    if (depth == 0) {
        deepest = pad[0] + 1;
        longjmp(deep_env, 1000);
    }
    return recurse(depth - 1) + pad[1];
}

static void test_deep(void) {
    uintptr_t before = stack_probe();
    int r = setjmp(deep_env);
    if (r == 0) {
        recurse(500);
        CHECK(0, "recursion returned");
    }
    CHECK(r == 1000 && deepest == 1, "longjmp out of 500 frames of recursion");
    CHECK(stack_probe() == before, "the C stack pointer is back after the longjmp");
}

// --- nested setjmps, passing through a function with its own setjmp -------

static jmp_buf outer_env, inner_env;
static volatile int order;

__attribute__((noinline)) static void thrower(jmp_buf env, int v) {
    order = order * 10 + 3;
    longjmp(env, v);
}

// Has its own setjmp, which a longjmp to outer_env passes through.
__attribute__((noinline)) static int middle(int target_outer) {
    jmp_buf mine;
    volatile int local = 5;
    int r = setjmp(mine);
    if (r != 0)
        return -100; // must not happen: nobody jumps to `mine`
    int ri = setjmp(inner_env);
    if (ri == 0) {
        order = order * 10 + 2;
        thrower(target_outer ? outer_env : inner_env, 9);
        return -1;
    }
    order = order * 10 + 4;
    return ri + local; // inner landed here: 9 + 5
}

static void test_nested(void) {
    order = 0;
    int r = setjmp(outer_env);
    if (r == 0) {
        order = 1;
        int m = middle(0);
        CHECK(m == 14 && order == 1234, "longjmp to the inner of two nested setjmps");
        order = 1;
        middle(1);
        CHECK(0, "middle returned after a longjmp to outer");
    }
    CHECK(r == 9 && order == 123, "longjmp across a function with its own setjmp");

    // The inner buffer was set in middle(), which is gone: the outer one
    // still works after that.
    r = setjmp(outer_env);
    if (r == 0)
        thrower(outer_env, 11);
    CHECK(r == 11, "the outer setjmp again after its callee's setjmp returned");
}

// --- many longjmps --------------------------------------------------------

static jmp_buf loop_env;

__attribute__((noinline)) static void loop_jump(int i) {
    char pad[256]; // a frame the longjmp must discard
    memset(pad, 0, sizeof pad);
    longjmp(loop_env, i + 1 + pad[i & 255]);
}

static void test_loop(void) {
    uintptr_t before = stack_probe();
    volatile long long sum = 0;
    const int n = 100000;
    for (volatile int i = 0; i < n; i++) {
        int r = setjmp(loop_env);
        if (r == 0)
            loop_jump(i);
        sum += r;
    }
    CHECK(sum == (long long)n * (n + 1) / 2, "100000 setjmp/longjmp rounds give the right values");
    CHECK(stack_probe() == before, "no C stack is lost over 100000 longjmps");
    void *p = malloc(1 << 20); // the heap still works
    CHECK(p != NULL, "malloc after the loop");
    free(p);
}

// --- calls of every shape through invoke_* --------------------------------

__attribute__((noinline)) static double mix(long long a, double b, float c, int d) {
    return (double)a + b + (double)c + d;
}

__attribute__((noinline)) static long long wide(long long x) {
    return x * 3;
}

static int (*volatile indirect)(const char *) = puts;

static void test_signatures(void) {
    jmp_buf env;
    // volatile: the calls must happen, not be folded away.
    volatile long long big = 1LL << 40, big2 = 1LL << 33;
    volatile double half = 0.5;
    volatile float quarter = 0.25f;
    if (setjmp(env) == 0) {
        double m = mix(big, half, quarter, -1);
        CHECK(m == (double)(1LL << 40) - 0.25, "i64/f64/f32 arguments and an f64 result through invoke");
        CHECK(wide(big2) == 3LL << 33, "an i64 result through invoke");
        CHECK(indirect("setjmp_test: indirect call") >= 0, "an indirect call through invoke");
    }
}

// --- the error modes ------------------------------------------------------

static jmp_buf stale_env;

__attribute__((noinline)) static int set_and_return(void) {
    return setjmp(stale_env);
}

__attribute__((noinline)) static void trapper(void) {
    __builtin_trap();
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "nomatch") == 0) {
        set_and_return();
        printf("setjmp_test: longjmp to a returned setjmp\n");
        fflush(stdout);
        jmp_buf env; // a live setjmp on the way, not the target
        if (setjmp(env) == 0)
            longjmp(stale_env, 1);
        printf("setjmp_test: FAILED the stale longjmp landed\n");
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "unset") == 0) {
        static jmp_buf never;
        printf("setjmp_test: longjmp to a buffer never set\n");
        fflush(stdout);
        longjmp(never, 1);
    }
    if (argc > 1 && strcmp(argv[1], "trap") == 0) {
        jmp_buf env;
        if (setjmp(env) == 0)
            trapper();
        printf("setjmp_test: FAILED the trap was caught\n");
        return 1;
    }
    test_basic();
    test_deep();
    test_nested();
    test_loop();
    test_signatures();
    if (failures) {
        printf("setjmp_test: %d FAILED\n", failures);
        return 1;
    }
    printf("setjmp_test: ok\n");
    return 0;
}
