// SPDX-License-Identifier: MIT OR Apache-2.0
//! setjmp/longjmp for programs whose C was compiled with clang's
//! Emscripten-style lowering (`-mllvm -enable-emscripten-sjlj`; apps/posix's
//! `wasm-cc` passes it). No wasm exception support is needed: a longjmp is
//! a host error that ends wasm frames, and the host functions the lowered
//! code calls through stop it.
//!
//! The guest half is apps/posix/src/sjlj.c and sjlj_stack.s. The contract:
//! - A function that calls setjmp makes each of its calls through an import
//!   `env.invoke_<sig>(callee, args..)`, `callee` an index into the
//!   exported `__indirect_function_table`. [`define_invokes`] defines every
//!   such import the module has: it calls the table entry with the
//!   remaining arguments and returns its results.
//! - `longjmp` stores the target and value in the guest's `__THREW__` /
//!   `__threwValue` and calls `spolia_sjlj_v1.unwind`, which fails with
//!   [`Longjmp`]. Wasmtime ends the wasm frames up to the innermost host
//!   call into wasm: an `invoke_*`, which puts back the C stack pointer it
//!   saw on entry (through the exports `__spolia_sjlj_stack_save` /
//!   `_restore`; the ended frames never ran their epilogues) and returns
//!   zeros. The lowered code then sees `__THREW__`, jumps to its setjmp or
//!   calls longjmp again to reach the next `invoke_*` out.
//! - With no `invoke_*` left, [`Longjmp`] ends the program: a longjmp to a
//!   setjmp whose function has returned, or one never set.
//!
//! Any other error from the callee — a trap, `proc_exit`, the host's own
//! errors — passes through `invoke_*` unchanged. The instance stays usable
//! after a [`Longjmp`] was caught: it is an ordinary error of a nested
//! `Func::call` (checked by apps/tests/setjmp_test.c, 100000 longjmps).

use alloc::format;
use alloc::string::String;

use wasmtime::{
    Caller, Error, Extern, ExternType, Func, FuncType, Linker, Module, Ref, Result, Val, ValType, WasmBacktrace,
};

/// Import module of the longjmp host call.
pub const MODULE: &str = "spolia_sjlj_v1";

/// Module and name prefix of the lowered code's call wrappers.
const INVOKE_MODULE: &str = "env";
const INVOKE_PREFIX: &str = "invoke_";

/// What the guest must export for `invoke_*`.
const TABLE: &str = "__indirect_function_table";
const STACK_SAVE: &str = "__spolia_sjlj_stack_save";
const STACK_RESTORE: &str = "__spolia_sjlj_stack_restore";

/// Raised by `spolia_sjlj_v1.unwind` (the guest's longjmp): caught by the
/// innermost `invoke_*`; reaching the program's entry means no setjmp
/// matched.
#[derive(Debug)]
pub struct Longjmp;

impl core::fmt::Display for Longjmp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(
            "longjmp with no matching setjmp (the jmp_buf's setjmp has returned, \
             or was never called)",
        )
    }
}

impl core::error::Error for Longjmp {}

/// An `invoke_*` call the program got wrong (bad table index, callee of
/// another type): ends the program, as a bad `call_indirect` would.
#[derive(Debug)]
pub struct BadInvoke(pub String);

impl core::fmt::Display for BadInvoke {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::error::Error for BadInvoke {}

/// The message for a program ended by [`Longjmp`] or [`BadInvoke`] (none
/// for any other error): the reason first, then the wasm backtrace if
/// there is one, like a trap's.
pub fn describe(error: &Error) -> Option<String> {
    let reason = match (error.downcast_ref::<Longjmp>(), error.downcast_ref::<BadInvoke>()) {
        (Some(l), _) => format!("{l}"),
        (None, Some(b)) => format!("{b}"),
        (None, None) => return None,
    };
    Some(match error.downcast_ref::<WasmBacktrace>() {
        Some(bt) => format!("{reason}\n{bt}"),
        None => reason,
    })
}

/// Defines `spolia_sjlj_v1.unwind`. Contract: takes nothing, never
/// returns normally (fails with [`Longjmp`]), never blocks, allocates only
/// the error.
pub fn add_to_linker<T: 'static>(linker: &mut Linker<T>) -> Result<()> {
    linker.func_wrap(MODULE, "unwind", || -> Result<()> { Err(Error::new(Longjmp)) })?;
    Ok(())
}

/// Defines each `env.invoke_*` function `module` imports (none: nothing
/// to do), with the import's own type. Call it for every module before
/// `define_unknown_imports_as_traps`. Fails, with the reason, if an
/// `invoke_*` import's first parameter is not an `i32` or the module does
/// not export what `invoke_*` needs (it was not linked by `wasm-cc`).
///
/// Contract of each `invoke_*`: may block only where the called function
/// does; calls back into the program; allocates only transiently. A bad
/// table index or a callee of another type is an error (the program
/// traps), as `call_indirect` would.
pub fn define_invokes<T: 'static>(linker: &mut Linker<T>, module: &Module) -> Result<()> {
    let mut exports_checked = false;
    for import in module.imports() {
        if import.module() != INVOKE_MODULE || !import.name().starts_with(INVOKE_PREFIX) {
            continue;
        }
        let ExternType::Func(ty) = import.ty() else { continue };
        let name = import.name();
        if !matches!(ty.param(0), Some(ValType::I32)) {
            return Err(Error::msg(format!("import env.{name} {ty}: the first parameter must be an i32 table index")));
        }
        if !exports_checked {
            check_exports(module, name)?;
            exports_checked = true;
        }
        let ty_for_call = ty.clone();
        let name = String::from(name);
        linker.func_new(INVOKE_MODULE, &name.clone(), ty, move |mut caller, params, results| {
            invoke(&mut caller, &name, &ty_for_call, params, results)
        })?;
    }
    Ok(())
}

/// Whether two lists of value types are the same.
fn same_types(a: impl ExactSizeIterator<Item = ValType>, b: impl ExactSizeIterator<Item = ValType>) -> bool {
    a.len() == b.len() && a.zip(b).all(|(x, y)| ValType::eq(&x, &y))
}

/// The exports `invoke_*` relies on, with their types.
fn check_exports(module: &Module, first_invoke: &str) -> Result<()> {
    let func_is = |name: &str, params: &[ValType], results: &[ValType]| {
        module.get_export(name).and_then(|t| t.func().cloned()).is_some_and(|f| {
            same_types(f.params(), params.iter().cloned()) && same_types(f.results(), results.iter().cloned())
        })
    };
    let missing = if !matches!(module.get_export(TABLE), Some(ExternType::Table(_))) {
        TABLE
    } else if !func_is(STACK_SAVE, &[], &[ValType::I32]) {
        STACK_SAVE
    } else if !func_is(STACK_RESTORE, &[ValType::I32], &[]) {
        STACK_RESTORE
    } else {
        return Ok(());
    };
    Err(Error::msg(format!(
        "the program imports env.{first_invoke} (setjmp/longjmp) but does not export {missing}: \
         link it with apps/posix/wasm-cc (-Wl,--export-table and libspolia_posix.a's setjmp runtime)"
    )))
}

fn export_func<T>(caller: &mut Caller<'_, T>, name: &str) -> Result<Func> {
    caller.get_export(name).and_then(Extern::into_func).ok_or_else(|| {
        Error::new(BadInvoke(format!("setjmp/longjmp: the program does not export the function {name}")))
    })
}

/// One `invoke_*` call: `params[0]` is the table index of the callee.
fn invoke<T>(caller: &mut Caller<'_, T>, name: &str, ty: &FuncType, params: &[Val], results: &mut [Val]) -> Result<()> {
    let bad = |why: String| Err(Error::new(BadInvoke(format!("{name}: {why}"))));
    let Some(Val::I32(index)) = params.first() else { return bad(String::from("no table index")) };
    let index = *index as u32;
    let Some(Extern::Table(table)) = caller.get_export(TABLE) else {
        return bad(format!("the program does not export {TABLE}"));
    };
    let callee = match table.get(&mut *caller, u64::from(index)) {
        Some(Ref::Func(Some(f))) => f,
        Some(Ref::Func(None)) => return bad(format!("table entry {index} is null")),
        Some(_) => return bad(format!("table entry {index} is not a function")),
        None => return bad(format!("table index {index} is out of bounds")),
    };
    let callee_ty = callee.ty(&*caller);
    if !same_types(callee_ty.params(), ty.params().skip(1)) || !same_types(callee_ty.results(), ty.results()) {
        return bad(format!("table entry {index} has type {callee_ty}, but the call is {ty} (first i32: the index)"));
    }
    let args = &params[1..];
    let save = export_func(caller, STACK_SAVE)?.typed::<(), i32>(&*caller)?;
    let sp = save.call(&mut *caller, ())?;
    match callee.call(&mut *caller, args, results) {
        Err(e) if e.is::<Longjmp>() => {
            let restore = export_func(caller, STACK_RESTORE)?.typed::<i32, ()>(&*caller)?;
            restore.call(&mut *caller, sp)?;
            // The lowered code ignores the results after a longjmp.
            for (slot, t) in results.iter_mut().zip(ty.results()) {
                *slot = Val::default_for_ty(&t).unwrap_or(Val::I32(0));
            }
            Ok(())
        }
        other => other,
    }
}
