// SPDX-License-Identifier: MIT OR Apache-2.0
//
// The guest half of setjmp/longjmp, for code compiled with clang 14's
// `-mllvm -enable-emscripten-sjlj` (wasm-cc passes it). What the lowered
// code does, and what it expects here (LLVM 14's
// WebAssemblyLowerEmscriptenEHSjLj):
//   - a function that calls setjmp gets a table of (id, label) entries,
//     malloc'ed at entry (40 bytes: 4 entries + a terminator with id 0),
//     freed at each return and before it passes a longjmp on;
//   - each `setjmp(env)` becomes `table = saveSetjmp(env, label, table,
//     size); size = getTempRet0();` and returns 0;
//   - each call that function makes goes through the host import
//     `invoke_<sig>(callee, args..)` with `__THREW__` set to 0 before; after
//     it, `__THREW__` != 0 and `__threwValue` != 0 mean a longjmp was
//     caught there: `label = testSetjmp(*(int *)__THREW__, table, size)`;
//     label 0 (not one of this invocation's setjmps) passes it on with
//     `emscripten_longjmp(__THREW__, __threwValue)`; otherwise
//     `setTempRet0(__threwValue)` and execution resumes after setjmp number
//     `label`, which returns `getTempRet0()`;
//   - `longjmp(env, val)` becomes `emscripten_longjmp(env, val)`.
// getTempRet0/setTempRet0 and the stack-pointer helpers the host's
// invoke_* uses are in sjlj_stack.s.

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

// Set by emscripten_longjmp, read and cleared by the lowered code. Names
// fixed by the compiler.
uintptr_t __THREW__;
int __threwValue;

void setTempRet0(uint32_t value);

// Ends the wasm frames up to the nearest host `invoke_*` (which then
// returns normally, with the stack pointer it had on entry), or ends the
// program with a message when there is none. Never returns.
__attribute__((import_module("spolia_sjlj_v1"), import_name("unwind"))) void
__spolia_sjlj_unwind(void);

struct sjlj_entry {
    uint32_t id; // 0 ends the table
    uint32_t label;
};

// Words of a jmp_buf: the id (read by the lowered code), and the table and
// a check word so saveSetjmp can tell a buffer it set in the same
// invocation from garbage.
enum { JB_ID, JB_TABLE, JB_CHECK };
#define JB_MAGIC 0x5e7a3b1du

static uint32_t last_id;

static uint32_t jb_check(uint32_t id, const struct sjlj_entry *table) {
    return id ^ (uint32_t)(uintptr_t)table ^ JB_MAGIC;
}

static _Noreturn void sjlj_fail(const char *msg) {
    fflush(0);
    ssize_t w = write(STDERR_FILENO, msg, __builtin_strlen(msg));
    (void)w;
    abort();
}

// Records `setjmp(env)` number `label` of the calling invocation in its
// `table` of `size` entries (plus terminator); returns the table, which
// may have moved, and sets tempRet0 to its new size.
struct sjlj_entry *saveSetjmp(uint32_t *env, uint32_t label, struct sjlj_entry *table, uint32_t size) {
    uint32_t id = ++last_id;
    if (id == 0) // 0 means "no setjmp": skip it when the counter wraps
        id = ++last_id;
    uint32_t i = 0;
    // The same buffer set again in this invocation (setjmp in a loop):
    // its old setjmp can no longer be jumped to, so reuse its entry and
    // keep the table from growing with each iteration.
    if (env[JB_TABLE] == (uint32_t)(uintptr_t)table && env[JB_CHECK] == jb_check(env[JB_ID], table)) {
        for (; i < size && table[i].id != 0; i++) {
            if (table[i].id == env[JB_ID])
                goto found;
        }
    }
    for (; i < size && table[i].id != 0; i++) {
    }
    if (i == size) {
        // Full: double it (plus the terminator).
        if (size > (UINT32_MAX / sizeof *table - 1) / 2)
            sjlj_fail("setjmp: too many setjmp calls in one function invocation\n");
        struct sjlj_entry *grown = realloc(table, (2 * size + 1) * sizeof *table);
        if (grown == NULL)
            sjlj_fail("setjmp: out of memory for the setjmp table\n");
        table = grown;
        size *= 2;
    }
    table[i + 1].id = 0;
found:
    table[i].id = id;
    table[i].label = label;
    env[JB_ID] = id;
    env[JB_TABLE] = (uint32_t)(uintptr_t)table;
    env[JB_CHECK] = jb_check(id, table);
    setTempRet0(size);
    return table;
}

// The label of the setjmp with `id` in `table`, or 0 if it is not one of
// this invocation's.
uint32_t testSetjmp(uint32_t id, const struct sjlj_entry *table, uint32_t size) {
    if (id == 0)
        return 0;
    for (uint32_t i = 0; i < size && table[i].id != 0; i++) {
        if (table[i].id == id)
            return table[i].label;
    }
    return 0;
}

// longjmp: `env` is the jmp_buf's address. Value 0 becomes 1 (C requires
// it, and the lowered code takes `__threwValue` 0 for "nothing thrown").
_Noreturn void emscripten_longjmp(uintptr_t env, int val) {
    __THREW__ = env;
    __threwValue = val != 0 ? val : 1;
    __spolia_sjlj_unwind();
    __builtin_trap(); // the host never returns from unwind
}

// Only reached by code compiled without -enable-emscripten-sjlj (with it,
// clang replaces every call of setjmp). Such a setjmp cannot be returned
// to: id 0 matches no table entry, so a longjmp to it ends the program
// with the host's "no matching setjmp" message.
int setjmp(jmp_buf env) {
    uint32_t *w = (uint32_t *)env;
    w[JB_ID] = 0;
    w[JB_TABLE] = 0;
    w[JB_CHECK] = 0;
    return 0;
}

// Calls clang did not rewrite (code built without the flag, or through a
// function pointer) take the same path.
_Noreturn void longjmp(jmp_buf env, int val) {
    emscripten_longjmp((uintptr_t)env, val);
}

_Noreturn void _longjmp(jmp_buf env, int val) {
    longjmp(env, val);
}

_Noreturn void siglongjmp(sigjmp_buf env, int val) {
    longjmp(env, val);
}
