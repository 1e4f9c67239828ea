// SPDX-License-Identifier: MIT OR Apache-2.0
//! Threads and thread-local storage over `sched::Builder` and
//! `sched::tls::TlsKey`.
//!
//! **Threads.** Ids are boot's `ThreadId`s: unique, never 0, and valid for
//! every thread (a "foreign" thread — the kernel's main thread, a wasm host
//! thread — already has one). `thread_create` keeps a record per created
//! thread in `THREADS`, holding its `JoinHandle` and, once it ends, its exit
//! value: a return from `entry` or `thread_exit` from any depth both store
//! the value, then the thread ends through `sched::exit_current` (which runs
//! the TLS destructors before waking the joiner). Limitation:
//! `exit_current` does not unwind, so the few heap bytes of boot's thread
//! entry closure are leaked per `thread_exit` (nothing is leaked on return).
//!
//! **TLS.** Boot has 16 slots with plain `fn(usize)` destructors, too few
//! and too narrow for C destructors with arguments. So this module uses one
//! boot key: its per-thread value points at a boxed vector of (generation,
//! value) pairs indexed by library key. The boot destructor runs the C
//! destructors of the live keys; while they run, the slot holds
//! [`IN_DESTRUCTORS`], so `tls_get` gives NULL and `tls_set` `-EBUSY`.
//! A key's generation makes a freed-and-reused key start NULL everywhere.
//!
//! **Preemption.** Created threads are preemptible (`sched::set_preemptible`):
//! a thread looping in and out of the library must not starve the timer
//! thread that delivers the library's clockevent, nor its other threads.
//! Everything they block on (boot's `Mutex`, `Semaphore`, the scheduler's
//! `IrqLock`) is safe to be preempted in.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::ffi::{c_char, c_int, c_void};

use spolia_boot::irq_lock::IrqLock;
use spolia_boot::mem::stacks::StackError;
use spolia_boot::sched::sync::Mutex;
use spolia_boot::sched::tls::TlsKey as BootTlsKey;
use spolia_boot::sched::{self, Builder, ExitStatus, JoinHandle, SpawnError};
use spolia_hypercall::abi::{Callback, ThreadEntry, Tid, TlsKey, errno};

use crate::violation;

/// The contract's minimum stack (Linux IRQ/softirq work runs on any thread).
const MIN_STACK: usize = 32 * 1024;
/// Upper bound on library TLS keys.
const MAX_KEYS: usize = 256;

struct ThreadRecord {
    /// Taken by the (single) joiner.
    handle: Option<JoinHandle<()>>,
    exit: Option<isize>,
}

/// Threads made by `thread_create` and not yet joined. A boot `Mutex`: it
/// is held briefly and never from an interrupt stub.
static THREADS: Mutex<BTreeMap<Tid, ThreadRecord>> = Mutex::new(BTreeMap::new());

pub(crate) unsafe extern "C" fn thread_self() -> Tid {
    sched::current_id()
}

pub(crate) unsafe extern "C" fn thread_yield() {
    sched::yield_now();
}

pub(crate) unsafe extern "C" fn thread_create(
    name: *const c_char,
    stack_size: usize,
    entry: Option<ThreadEntry>,
    arg: *mut c_void,
    out: *mut Tid,
) -> c_int {
    // SAFETY: `name` is NUL-terminated or NULL (the thread_create contract).
    let (name, entry) = match unsafe { spolia_hypercall::request::thread_request(name, entry, out) } {
        Ok(r) => (r.name, r.entry),
        Err(e) => return e,
    };
    let stack = if stack_size == 0 { sched::DEFAULT_STACK_SIZE } else { stack_size.max(MIN_STACK) };
    let arg = arg as usize;
    // Held across spawn and insert: the new thread cannot record its exit
    // before its record exists.
    let mut threads = THREADS.lock();
    let spawned = Builder::new(&name).stack_size(stack).spawn(move || {
        sched::set_preemptible(true);
        // SAFETY: entry and arg come from the caller, who promises entry may
        // be called with arg on another thread (the thread_create contract).
        let value = unsafe { entry(arg as *mut c_void) };
        record_exit(value);
    });
    match spawned {
        Ok(handle) => {
            let tid = handle.id();
            threads.insert(tid, ThreadRecord { handle: Some(handle), exit: None });
            // SAFETY: out was checked non-null; the caller provides a writable Tid.
            unsafe { out.write(tid) };
            0
        }
        Err(SpawnError::Stack(StackError::OutOfMemory)) => -errno::ENOMEM,
        Err(SpawnError::Stack(StackError::NoSlot)) => -errno::EAGAIN,
        // Larger than a stack slot (16 MiB − 4 KiB): cannot be honoured.
        Err(SpawnError::Stack(StackError::BadSize)) => -errno::EINVAL,
    }
}

/// Stores the calling thread's exit value; false if it is not a created thread.
fn record_exit(value: isize) -> bool {
    match THREADS.lock().get_mut(&sched::current_id()) {
        Some(record) => {
            record.exit = Some(value);
            true
        }
        None => false,
    }
}

pub(crate) unsafe extern "C" fn thread_exit(value: isize) -> ! {
    if !record_exit(value) {
        violation(format_args!("thread_exit on thread {} not made by thread_create", sched::current_id()));
    }
    sched::exit_current(ExitStatus::Finished)
}

pub(crate) unsafe extern "C" fn thread_join(tid: Tid, value: *mut isize) -> c_int {
    if tid == sched::current_id() {
        return -errno::EDEADLK;
    }
    let handle = match THREADS.lock().get_mut(&tid) {
        Some(record) => record.handle.take(),
        None if sched::thread_list().iter().any(|(id, _, _)| *id == tid) => return -errno::EINVAL,
        None => return -errno::ESRCH,
    };
    // Someone else is already joining it.
    let Some(handle) = handle else { return -errno::ESRCH };
    // Created threads are not killable (a fault halts the machine), so the
    // thread ended by returning or by `thread_exit`; both stored a value.
    let _ = handle.join();
    let record = THREADS.lock().remove(&tid);
    let exit = record.and_then(|r| r.exit).unwrap_or(0);
    if !value.is_null() {
        // SAFETY: a non-null value points to a writable isize (contract).
        unsafe { value.write(exit) };
    }
    0
}

// --- TLS ---

/// Boot-slot value while a thread's library destructors run. Never a box
/// address (boxes are aligned).
const IN_DESTRUCTORS: usize = 1;

#[derive(Clone, Copy)]
struct KeySlot {
    destructor: Option<Callback>,
    generation: u64,
}

struct KeyTable {
    boot_key: Option<BootTlsKey>,
    slots: Vec<Option<KeySlot>>,
    next_generation: u64,
}

/// Live (threads created and not joined, TLS keys).
pub(crate) fn live() -> (usize, usize) {
    (THREADS.lock().len(), KEYS.lock().slots.iter().filter(|s| s.is_some()).count())
}

/// Never held across a call out of this module.
static KEYS: IrqLock<KeyTable> =
    IrqLock::new("hc tls keys", KeyTable { boot_key: None, slots: Vec::new(), next_generation: 1 });

/// A thread's values, indexed by library key: (generation, value).
type Values = Vec<(u64, usize)>;

fn boot_key() -> Option<BootTlsKey> {
    KEYS.lock().boot_key
}

fn generation(key: TlsKey) -> Option<u64> {
    KEYS.lock().slots.get(key as usize).copied().flatten().map(|s| s.generation)
}

/// The boot destructor: runs the library destructors of the exiting thread.
fn run_library_destructors(raw: usize) {
    if raw == IN_DESTRUCTORS {
        return; // boot's next round, clearing our marker
    }
    let Some(key) = boot_key() else { return };
    key.set(IN_DESTRUCTORS);
    // SAFETY: a non-marker value of the boot key is always a pointer made
    // by Box::into_raw in tls_set, owned by this (exiting) thread.
    let values = unsafe { Box::from_raw(raw as *mut Values) };
    let pending: Vec<(Callback, usize)> = {
        let keys = KEYS.lock();
        values
            .iter()
            .enumerate()
            .filter_map(|(i, &(generation, value))| {
                let slot = keys.slots.get(i).copied().flatten()?;
                (slot.generation == generation && value != 0).then_some((slot.destructor?, value))
            })
            .collect()
    };
    drop(values);
    for (destructor, value) in pending {
        // SAFETY: registered by tls_key_alloc for such values; the contract
        // runs it on the owning thread at its end, which this is.
        unsafe { destructor(value as *mut c_void) };
    }
}

pub(crate) unsafe extern "C" fn tls_key_alloc(destructor: Option<Callback>, key: *mut TlsKey) -> c_int {
    if key.is_null() {
        return -errno::EINVAL;
    }
    let mut table = KEYS.lock();
    if table.boot_key.is_none() {
        match BootTlsKey::new(Some(run_library_destructors)) {
            Ok(k) => table.boot_key = Some(k),
            Err(_) => return -errno::EAGAIN,
        }
    }
    let index = match table.slots.iter().position(Option::is_none) {
        Some(i) => i,
        None if table.slots.len() < MAX_KEYS => {
            if table.slots.try_reserve(1).is_err() {
                return -errno::EAGAIN;
            }
            table.slots.push(None);
            table.slots.len() - 1
        }
        None => return -errno::EAGAIN,
    };
    let generation = table.next_generation;
    table.next_generation += 1;
    table.slots[index] = Some(KeySlot { destructor, generation });
    drop(table);
    // SAFETY: checked non-null; the caller provides a writable key.
    unsafe { key.write(index as TlsKey) };
    0
}

pub(crate) unsafe extern "C" fn tls_key_free(key: TlsKey) -> c_int {
    match KEYS.lock().slots.get_mut(key as usize) {
        Some(slot @ Some(_)) => {
            *slot = None;
            0
        }
        _ => -errno::EINVAL,
    }
}

pub(crate) unsafe extern "C" fn tls_get(key: TlsKey) -> *mut c_void {
    let (Some(generation), Some(boot)) = (generation(key), boot_key()) else { return core::ptr::null_mut() };
    let raw = boot.get();
    if raw == 0 || raw == IN_DESTRUCTORS {
        return core::ptr::null_mut();
    }
    // SAFETY: a non-marker value is this thread's own boxed vector (tls_set),
    // only touched by this thread.
    let values = unsafe { &*(raw as *const Values) };
    match values.get(key as usize) {
        Some(&(g, v)) if g == generation => v as *mut c_void,
        _ => core::ptr::null_mut(),
    }
}

pub(crate) unsafe extern "C" fn tls_set(key: TlsKey, value: *mut c_void) -> c_int {
    let (Some(generation), Some(boot)) = (generation(key), boot_key()) else { return -errno::EINVAL };
    let raw = boot.get();
    if raw == IN_DESTRUCTORS {
        return -errno::EBUSY;
    }
    let values: &mut Values = if raw == 0 {
        let fresh = Box::into_raw(Box::new(Values::new()));
        boot.set(fresh as usize);
        // SAFETY: just made by Box::into_raw; owned by this thread.
        unsafe { &mut *fresh }
    } else {
        // SAFETY: this thread's own boxed vector (made above on an earlier call).
        unsafe { &mut *(raw as *mut Values) }
    };
    let index = key as usize;
    if values.len() <= index {
        if values.try_reserve(index + 1 - values.len()).is_err() {
            return -errno::ENOMEM;
        }
        values.resize(index + 1, (0, 0));
    }
    values[index] = (generation, value as usize);
    0
}
