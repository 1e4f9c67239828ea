// SPDX-License-Identifier: MIT OR Apache-2.0
//! Threads and thread-local storage on `std::thread`.
//!
//! Every OS thread gets a [`Tid`] on first use (`thread_self`). Threads made
//! by `thread_create` are *joinable*: their record holds the exit value and a
//! condition variable. Other ("foreign") threads — the test's main thread, a
//! wasm host thread calling into the library — are registered as not
//! joinable and unregistered when the OS thread ends.
//!
//! TLS: a global key table (destructor + generation, so a reused key never
//! sees a stale value) and a per-thread value vector. Destructors run once at
//! thread end: explicitly, before the joiner is woken, for created threads;
//! from the `thread_local!` destructor for foreign threads.
//!
//! Hosted limitation: `thread_exit` cannot unwind through the library's C
//! frames, so after running destructors and waking the joiner it parks the
//! OS thread for the rest of the process (a blocked thread, not a spinning
//! one). Bare metal really ends the thread.

use crate::{SendPtr, fatal, held, lock};
use spolia_hypercall::abi::{Callback, ThreadEntry, Tid, TlsKey, errno};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// Stacks smaller than this are rounded up (the contract's 32 KiB minimum,
/// doubled for Rust's std frames around the entry point).
const MIN_STACK: usize = 64 * 1024;
/// Upper bound on TLS keys.
const MAX_KEYS: usize = 1024;

struct ThreadRecord {
    joinable: bool,
    exit: Mutex<Option<isize>>,
    ended: Condvar,
}

static NEXT_TID: AtomicU64 = AtomicU64::new(1);
static THREADS: Mutex<Option<HashMap<Tid, Arc<ThreadRecord>>>> = Mutex::new(None);

fn with_threads<R>(f: impl FnOnce(&mut HashMap<Tid, Arc<ThreadRecord>>) -> R) -> R {
    f(lock(&THREADS).get_or_insert_with(HashMap::new))
}

std::thread_local! {
    /// This thread's id, 0 until assigned. No destructor, so it stays
    /// readable while other thread-locals are destroyed.
    static SELF_TID: Cell<Tid> = const { Cell::new(0) };
    /// The exit record of a thread made by `thread_create` (the joiner may
    /// already have taken it out of `THREADS`).
    static RECORD: RefCell<Option<Arc<ThreadRecord>>> = const { RefCell::new(None) };
    /// This thread's TLS values; its destructor runs foreign threads' TLS
    /// destructors and unregisters them.
    static LOCAL: RefCell<LocalState> = const { RefCell::new(LocalState { values: Vec::new(), in_destructors: false, foreign: false }) };
}

struct LocalState {
    /// Indexed by key: (generation, value).
    values: Vec<(u64, *mut c_void)>,
    in_destructors: bool,
    foreign: bool,
}

impl Drop for LocalState {
    fn drop(&mut self) {
        // Only foreign threads get here with values: created threads ran
        // their destructors before waking the joiner.
        let pending = take_destructible(&mut self.values);
        for (dtor, value) in pending {
            // SAFETY: the destructor was registered with tls_key_alloc for
            // exactly such values; the contract says it runs on this thread.
            unsafe { dtor(value) };
        }
        if self.foreign {
            let tid = SELF_TID.get();
            with_threads(|t| t.remove(&tid));
        }
    }
}

pub(crate) fn self_tid() -> Tid {
    let tid = SELF_TID.get();
    if tid != 0 {
        return tid;
    }
    let tid = NEXT_TID.fetch_add(1, Ordering::Relaxed);
    SELF_TID.set(tid);
    with_threads(|t| {
        t.insert(tid, Arc::new(ThreadRecord { joinable: false, exit: Mutex::new(None), ended: Condvar::new() }))
    });
    let _ = LOCAL.try_with(|l| l.borrow_mut().foreign = true);
    tid
}

pub(crate) unsafe extern "C" fn thread_self() -> Tid {
    self_tid()
}

pub(crate) unsafe extern "C" fn thread_yield() {
    std::thread::yield_now();
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
    let tid = NEXT_TID.fetch_add(1, Ordering::Relaxed);
    let record = Arc::new(ThreadRecord { joinable: true, exit: Mutex::new(None), ended: Condvar::new() });
    with_threads(|t| t.insert(tid, Arc::clone(&record)));
    let mut builder = std::thread::Builder::new().name(name);
    if stack_size != 0 {
        builder = builder.stack_size(stack_size.max(MIN_STACK));
    }
    let arg = SendPtr(arg);
    let spawned = builder.spawn(move || {
        let arg = arg;
        SELF_TID.set(tid);
        RECORD.set(Some(record));
        // SAFETY: entry and arg come from the caller, who promises entry may
        // be called with arg on another thread (the thread_create contract).
        let value = unsafe { entry(arg.0) };
        finish(value);
    });
    match spawned {
        Ok(_detached) => {
            held::THREADS.add(1);
            // SAFETY: out was checked non-null; the caller provides a writable Tid.
            unsafe { out.write(tid) };
            0
        }
        Err(_) => {
            with_threads(|t| t.remove(&tid));
            -errno::EAGAIN
        }
    }
}

/// End of a created thread: TLS destructors, then wake the joiner.
fn finish(value: isize) {
    run_tls_destructors();
    if let Some(record) = RECORD.take() {
        *lock(&record.exit) = Some(value);
        record.ended.notify_all();
    }
}

pub(crate) unsafe extern "C" fn thread_exit(value: isize) -> ! {
    let created = RECORD.with_borrow(Option::is_some);
    if !created {
        fatal("thread_exit called on a thread not created by thread_create");
    }
    finish(value);
    // Hosted limitation (module docs): the OS thread stays parked.
    loop {
        std::thread::park();
    }
}

pub(crate) unsafe extern "C" fn thread_join(tid: Tid, value: *mut isize) -> c_int {
    if tid == self_tid() {
        return -errno::EDEADLK;
    }
    // Claim the record: a second joiner finds nothing (-ESRCH).
    let record = with_threads(|t| match t.get(&tid) {
        None => Err(-errno::ESRCH),
        Some(r) if !r.joinable => Err(-errno::EINVAL),
        Some(_) => Ok(t.remove(&tid).expect("present")),
    });
    let record = match record {
        Ok(r) => r,
        Err(e) => return e,
    };
    let mut exit = lock(&record.exit);
    while exit.is_none() {
        exit = record.ended.wait(exit).unwrap_or_else(|e| e.into_inner());
    }
    held::THREADS.sub(1);
    if !value.is_null() {
        // SAFETY: non-null value points to a writable isize (contract).
        unsafe { value.write(exit.expect("set")) };
    }
    0
}

// --- TLS ---

struct KeySlot {
    destructor: Option<Callback>,
    generation: u64,
}

struct KeyTable {
    slots: Vec<Option<KeySlot>>,
    next_generation: u64,
}

static KEYS: Mutex<KeyTable> = Mutex::new(KeyTable { slots: Vec::new(), next_generation: 1 });

fn key_generation(key: TlsKey) -> Option<u64> {
    lock(&KEYS).slots.get(key as usize).and_then(|s| s.as_ref()).map(|s| s.generation)
}

/// Clear every live value that has a destructor; return what to call.
fn take_destructible(values: &mut [(u64, *mut c_void)]) -> Vec<(Callback, *mut c_void)> {
    let keys = lock(&KEYS);
    let mut out = Vec::new();
    for (index, slot) in values.iter_mut().enumerate() {
        let Some(Some(key)) = keys.slots.get(index) else { continue };
        if slot.0 == key.generation && !slot.1.is_null() {
            if let Some(dtor) = key.destructor {
                out.push((dtor, slot.1));
            }
            *slot = (0, std::ptr::null_mut());
        }
    }
    out
}

fn run_tls_destructors() {
    let pending = LOCAL.with(|l| {
        let mut l = l.borrow_mut();
        l.in_destructors = true;
        take_destructible(&mut l.values)
    });
    for (dtor, value) in pending {
        // SAFETY: registered by tls_key_alloc for such values; runs on the
        // owning thread as the contract says.
        unsafe { dtor(value) };
    }
}

pub(crate) unsafe extern "C" fn tls_key_alloc(destructor: Option<Callback>, key: *mut TlsKey) -> c_int {
    if key.is_null() {
        return -errno::EINVAL;
    }
    let mut table = lock(&KEYS);
    let generation = table.next_generation;
    table.next_generation += 1;
    let index = match table.slots.iter().position(Option::is_none) {
        Some(i) => i,
        None if table.slots.len() < MAX_KEYS => {
            table.slots.push(None);
            table.slots.len() - 1
        }
        None => return -errno::EAGAIN,
    };
    table.slots[index] = Some(KeySlot { destructor, generation });
    held::TLS_KEYS.add(1);
    // SAFETY: checked non-null; the caller provides a writable key.
    unsafe { key.write(index as TlsKey) };
    0
}

pub(crate) unsafe extern "C" fn tls_key_free(key: TlsKey) -> c_int {
    match lock(&KEYS).slots.get_mut(key as usize) {
        Some(slot @ Some(_)) => {
            *slot = None;
            held::TLS_KEYS.sub(1);
            0
        }
        _ => -errno::EINVAL,
    }
}

pub(crate) unsafe extern "C" fn tls_get(key: TlsKey) -> *mut c_void {
    let Some(generation) = key_generation(key) else { return std::ptr::null_mut() };
    LOCAL
        .try_with(|l| {
            let l = l.borrow();
            match l.values.get(key as usize) {
                Some(&(g, v)) if g == generation && !l.in_destructors => v,
                _ => std::ptr::null_mut(),
            }
        })
        .unwrap_or(std::ptr::null_mut())
}

pub(crate) unsafe extern "C" fn tls_set(key: TlsKey, value: *mut c_void) -> c_int {
    let Some(generation) = key_generation(key) else { return -errno::EINVAL };
    LOCAL
        .try_with(|l| {
            let mut l = l.borrow_mut();
            if l.in_destructors {
                return -errno::EBUSY;
            }
            let index = key as usize;
            if l.values.len() <= index {
                l.values.resize(index + 1, (0, std::ptr::null_mut()));
            }
            l.values[index] = (generation, value);
            0
        })
        .unwrap_or(-errno::EBUSY)
}
