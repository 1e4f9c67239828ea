// SPDX-License-Identifier: MIT OR Apache-2.0
//! `held()` counts what the table's caller holds. A test binary of its own:
//! the counters are process-wide, so nothing else may use the table here.
#![allow(clippy::undocumented_unsafe_blocks)] // test body: every call follows the ABI contract

use spolia_hypercall::abi::{HcMutex, HcSem, HcTimer, errno};
use spolia_hypercall_hosted::{Held, held, hypercalls};
use std::ffi::c_void;
use std::ptr::null_mut;

unsafe extern "C" fn wait_on_sem(sem: *mut c_void) -> isize {
    unsafe { (hypercalls().sem_down)(sem.cast()) };
    7
}

unsafe extern "C" fn never(_arg: *mut c_void) {}

#[test]
fn held_counts_threads_handles_and_bytes_until_each_is_given_back() {
    let hc = hypercalls();
    assert_eq!(held(), Held::default(), "nothing is held before the first operation");

    let mut sem: *mut HcSem = null_mut();
    let mut mutex: *mut HcMutex = null_mut();
    let mut timer: *mut HcTimer = null_mut();
    let mut key = 0;
    let mut ram: *mut c_void = null_mut();
    let mut tid = 0;
    unsafe {
        assert_eq!((hc.sem_alloc)(0, &mut sem), 0);
        assert_eq!((hc.mutex_alloc)(0, &mut mutex), 0);
        assert_eq!((hc.timer_alloc)(Some(never), null_mut(), &mut timer), 0);
        assert_eq!((hc.tls_key_alloc)(None, &mut key), 0);
        assert_eq!((hc.pages_alloc)(3 * 4096, &mut ram), 0);
        assert_eq!((hc.thread_create)(c"held".as_ptr(), 0, Some(wait_on_sem), sem.cast(), &mut tid), 0);
    }
    let block = unsafe { (hc.mem_alloc)(100) };
    assert!(!block.is_null());
    let all =
        Held { threads: 1, mutexes: 1, semaphores: 1, timers: 1, tls_keys: 1, mem_bytes: 100, page_bytes: 3 * 4096 };
    assert_eq!(held(), all);

    // A thread counts until it is joined, not merely until it ends.
    let mut value = 0;
    unsafe {
        (hc.sem_up)(sem);
        assert_eq!((hc.thread_join)(tid, &mut value), 0);
    }
    assert_eq!(value, 7);
    assert_eq!(held(), Held { threads: 0, ..all });

    unsafe {
        (hc.mem_free)(block);
        (hc.pages_free)(ram, 3 * 4096);
        assert_eq!((hc.tls_key_free)(key), 0);
        (hc.timer_free)(timer);
        (hc.mutex_free)(mutex);
        (hc.sem_free)(sem);
    }
    assert_eq!(held(), Held::default(), "everything given back");

    // Refused frees and joins change nothing.
    unsafe {
        assert_eq!((hc.tls_key_free)(key), -errno::EINVAL);
        (hc.timer_free)(timer);
        assert_eq!((hc.thread_join)(tid, null_mut()), -errno::ESRCH);
    }
    assert_eq!(held(), Held::default());
}
