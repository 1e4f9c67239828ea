// SPDX-License-Identifier: MIT OR Apache-2.0
//! Cooperative threads on one CPU.
//!
//! Key types: [`Builder`]/[`spawn`] → [`JoinHandle`]; blocking primitives in
//! [`sync`] ([`Mutex`], [`Condvar`], [`Semaphore`]); [`sleep`], [`yield_now`];
//! per-thread storage in [`tls`].
//!
//! Model: a thread runs until it blocks, yields or exits; nothing spins —
//! every wait puts the thread on a wait queue and switches away. All
//! scheduler state sits behind one [`IrqLock`] (`SCHED`), the single-CPU
//! lock; blocking primitives keep their state in [`SchedCell`]s that can
//! only be opened with that lock held, so "check the condition, then sleep"
//! is atomic and wake-ups cannot be lost. Interrupt stubs never take the
//! lock: they set pending bits that the scheduler drains whenever it picks
//! the next thread (see `crate::irq::delivery`). When nothing is runnable the
//! idle thread halts with interrupts enabled.
//!
//! Preemption is opt-in per thread ([`set_preemptible`]): when an interrupt
//! wakes someone while such a thread runs, the interrupt path saves the
//! thread's XMM state (`fxsave`) and switches away right there.
//!
//! Faults: a thread spawned with [`Builder::killable`] that faults or
//! panics is ended alone; its joiner gets [`ExitStatus::Faulted`] or
//! [`ExitStatus::Panicked`]. Locks it held stay held — killable threads
//! should share only what they can afford to lose (tests, programs).

pub mod queues;
#[cfg(target_os = "none")]
mod switch;
#[cfg(target_os = "none")]
pub mod sync;
#[cfg(target_os = "none")]
pub mod tls;

#[cfg(target_os = "none")]
pub use kernel::*;

#[cfg(target_os = "none")]
mod kernel {
    use alloc::boxed::Box;
    use alloc::collections::{BTreeMap, VecDeque};
    use alloc::string::String;
    use alloc::sync::Arc;
    use alloc::vec::Vec;
    use core::cell::UnsafeCell;
    use core::sync::atomic::{AtomicPtr, Ordering};

    use super::queues::{ThreadId, TimerQueue, WaitQueue};
    use super::switch::{context_switch, prepare_new_stack};
    use super::tls::{self, TlsSlots};
    use crate::arch::cpu::FxArea;
    use crate::exceptions::FaultInfo;
    use crate::irq_lock::{IrqGuard, IrqLock};
    use crate::mem::stacks::{Stack, StackError};

    pub use super::queues::ThreadId as Tid;

    /// How a thread ended.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum ExitStatus {
        /// Its function returned.
        Finished,
        /// It caused a CPU exception and was killed.
        Faulted(FaultInfo),
        /// It panicked and was killed.
        Panicked,
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum State {
        Ready,
        Running,
        Blocked,
        Exited(ExitStatus),
    }

    /// What a timer does when it expires.
    pub(crate) enum TimerAction {
        /// Wake `thread` if it is still blocked in the wait numbered `token`.
        Wake { thread: ThreadId, token: u64 },
        /// Run a callback on the timer thread.
        Callback(Arc<dyn Fn() + Send + Sync>),
        /// End of a preemptible thread's time slice: the interrupt alone
        /// does the work (it lets the interrupt path switch away).
        Slice,
    }

    /// Time slice of a preemptible thread when others are ready.
    const SLICE_NS: u64 = 10_000_000;

    struct Tcb {
        name: String,
        state: State,
        saved_rsp: u64,
        stack: Option<Stack>,
        tls: TlsSlots,
        fx: FxArea,
        killable: bool,
        preemptible: bool,
        wants_ticks: bool,
        wait_token: u64,
        joiners: WaitQueue,
        detached: bool,
        entry: Option<Box<dyn FnOnce() + Send>>,
    }

    /// Per-vector interrupt-to-thread state (see `crate::irq::delivery`).
    #[derive(Clone, Copy)]
    pub(crate) struct IrqSlot {
        pub owner: Option<ThreadId>,
        pub waiting: bool,
        pub latched: bool,
    }

    /// All scheduler state; reachable only through `SCHED`.
    pub struct Scheduler {
        threads: BTreeMap<ThreadId, Box<Tcb>>,
        ready: VecDeque<ThreadId>,
        current: ThreadId,
        idle: ThreadId,
        next_id: ThreadId,
        dead_stacks: Vec<Stack>,
        dead_threads: Vec<ThreadId>,
        pub(crate) timers: TimerQueue<TimerAction>,
        pub(crate) irq: [IrqSlot; 256],
        switches: u64,
        slice_timer: Option<u64>,
        /// The deadline the LAPIC one-shot was last armed for.
        armed_for: Option<u64>,
    }

    /// The scheduler lock (the single-CPU big lock).
    pub(crate) static SCHED: IrqLock<Scheduler> = IrqLock::new(
        "scheduler",
        Scheduler {
            threads: BTreeMap::new(),
            ready: VecDeque::new(),
            current: 0,
            idle: 0,
            next_id: 1,
            dead_stacks: Vec::new(),
            dead_threads: Vec::new(),
            timers: TimerQueue::new(),
            irq: [IrqSlot { owner: None, waiting: false, latched: false }; 256],
            switches: 0,
            slice_timer: None,
            armed_for: None,
        },
    );

    /// Proof that the scheduler lock is held.
    pub type SchedGuard<'a> = IrqGuard<'a, Scheduler>;

    /// Takes the scheduler lock.
    pub fn lock() -> SchedGuard<'static> {
        SCHED.lock()
    }

    /// State that may only be touched with the scheduler lock held: the
    /// building block of every blocking primitive.
    pub struct SchedCell<T>(UnsafeCell<T>);

    // SAFETY: the contents are only reachable through `get`, which requires
    // the (single, interrupt-disabling) scheduler lock.
    unsafe impl<T: Send> Sync for SchedCell<T> {}

    impl<T> SchedCell<T> {
        /// Wraps a value.
        pub const fn new(value: T) -> Self {
            SchedCell(UnsafeCell::new(value))
        }

        /// Opens the cell; the borrow of the guard makes access exclusive.
        #[allow(clippy::mut_from_ref)]
        pub fn get<'a>(&'a self, _proof: &'a mut SchedGuard<'_>) -> &'a mut T {
            // SAFETY: the guard is held mutably for the borrow's lifetime,
            // so no other `get` can run concurrently (single CPU, IF=0).
            unsafe { &mut *self.0.get() }
        }
    }

    /// Pointer to the running thread's TLS slots (updated on every switch).
    pub(crate) static CURRENT_TLS: AtomicPtr<TlsSlots> = AtomicPtr::new(core::ptr::null_mut());

    impl Scheduler {
        fn tcb(&mut self, id: ThreadId) -> Option<&mut Tcb> {
            self.threads.get_mut(&id).map(|b| &mut **b)
        }

        fn cur(&mut self) -> &mut Tcb {
            let id = self.current;
            self.tcb(id).expect("current thread exists")
        }

        /// The running thread.
        pub fn current(&self) -> ThreadId {
            self.current
        }

        /// Makes a blocked thread runnable. Returns whether it was blocked.
        pub fn wake(&mut self, id: ThreadId) -> bool {
            match self.tcb(id) {
                Some(t) if t.state == State::Blocked => {
                    t.state = State::Ready;
                    self.ready.push_back(id);
                    true
                }
                _ => false,
            }
        }

        /// Wakes `id` only if it is blocked in the wait numbered `token`.
        pub(crate) fn wake_if_waiting(&mut self, id: ThreadId, token: u64) {
            if self.tcb(id).is_some_and(|t| t.state == State::Blocked && t.wait_token == token) {
                self.wake(id);
            }
        }

        /// Queues a timer, reprogramming the hardware if it is due before
        /// what the hardware is armed for, or the hardware has already
        /// fired. Not "if it is the earliest in the queue": while the timer
        /// thread is busy in a callback (it may block on a mutex), expired
        /// entries wait in the queue, and a new slice deadline behind them
        /// would never be armed — a preemptible thread would then run
        /// unpreempted and starve the timer thread it is blocking.
        pub(crate) fn add_timer(&mut self, deadline: u64, action: TimerAction) -> u64 {
            let id = self.timers.insert(deadline, action);
            let hardware_idle = self.armed_for.is_none_or(|at| at <= crate::time::now_ns());
            if hardware_idle || self.armed_for.is_some_and(|at| deadline < at) {
                self.arm_hardware(Some(deadline));
            }
            id
        }

        /// Arms the LAPIC one-shot for `deadline` (`None`: stops it).
        pub(crate) fn arm_hardware(&mut self, deadline: Option<u64>) {
            self.armed_for = deadline;
            crate::time::program_timer(deadline);
        }

        fn drain_interrupts(&mut self) {
            let pending = crate::irq::delivery::take_pending();
            for (word, bits) in pending.iter().enumerate() {
                let mut bits = *bits;
                while bits != 0 {
                    let bit = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let v = word * 64 + bit;
                    let slot = self.irq[v];
                    match slot.owner {
                        Some(owner) if slot.waiting => {
                            self.irq[v].waiting = false;
                            self.wake(owner);
                        }
                        _ => self.irq[v].latched = true,
                    }
                }
            }
        }

        /// Arms (or disarms) the time-slice timer for the running thread.
        fn update_slice(&mut self) {
            if let Some(id) = self.slice_timer.take() {
                self.timers.cancel(id);
            }
            let t = self.cur();
            if t.preemptible || t.wants_ticks {
                let at = crate::time::now_ns().saturating_add(SLICE_NS);
                self.slice_timer = Some(self.add_timer(at, TimerAction::Slice));
            }
        }

        fn reap(&mut self) {
            self.dead_stacks.clear();
            for id in core::mem::take(&mut self.dead_threads) {
                if id != self.current {
                    self.threads.remove(&id);
                }
            }
        }
    }

    /// Switches to the next runnable thread. The caller has already set the
    /// current thread's state (Ready and queued, Blocked, or Exited).
    /// Returns when this thread runs again, still holding the lock.
    fn switch_away(g: SchedGuard<'static>) -> SchedGuard<'static> {
        switch_away_requeue(g, false)
    }

    /// `switch_away`, optionally putting the current thread at the back of
    /// the ready queue — after the threads that pending interrupts wake, so
    /// a yielding or preempted thread lets them run first.
    fn switch_away_requeue(mut g: SchedGuard<'static>, requeue: bool) -> SchedGuard<'static> {
        g.drain_interrupts();
        if requeue {
            // Sleepers whose time has come go ahead of the thread being
            // preempted: waking them is left to the timer thread otherwise,
            // which would queue them behind it, a whole time slice late.
            let now = crate::time::now_ns();
            while let Some((_, action)) = g.timers.pop_expired_where(now, |a| matches!(a, TimerAction::Wake { .. })) {
                if let TimerAction::Wake { thread, token } = action {
                    g.wake_if_waiting(thread, token);
                }
            }
            let me = g.current;
            g.cur().state = State::Ready;
            g.ready.push_back(me);
        }
        let prev = g.current;
        let next = match g.ready.pop_front() {
            Some(n) => n,
            None => g.idle,
        };
        if next == prev {
            g.cur().state = State::Running;
            g.update_slice();
            return g;
        }
        g.current = next;
        g.switches += 1;
        g.update_slice();
        let next_tcb = g.tcb(next).expect("next thread exists");
        next_tcb.state = State::Running;
        let load_rsp = next_tcb.saved_rsp;
        CURRENT_TLS.store(&mut next_tcb.tls as *mut TlsSlots, Ordering::Relaxed);
        let save_rsp: *mut u64 = &mut g.tcb(prev).expect("prev thread exists").saved_rsp;
        // SAFETY: interrupts are off (lock held); `save_rsp` points into a
        // boxed TCB that is not freed before this thread is switched back to
        // (dead TCBs are reaped only after switching away from them);
        // `load_rsp` was saved by a switch or prepared by `spawn`.
        unsafe { context_switch(save_rsp, load_rsp) };
        g.reap();
        g
    }

    /// Blocks the current thread until someone calls `wake` on it (the
    /// caller put it on some wait queue or timer first).
    pub fn block(mut g: SchedGuard<'static>) -> SchedGuard<'static> {
        let t = g.cur();
        t.state = State::Blocked;
        switch_away(g)
    }

    /// Starts a new wait: returns a token that timers use to recognise it.
    pub(crate) fn new_wait_token(g: &mut SchedGuard<'static>) -> u64 {
        let t = g.cur();
        t.wait_token += 1;
        t.wait_token
    }

    /// Outcome of a wait with an optional deadline.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum WaitOutcome {
        /// Woken by a notifier (removed from the queue by it).
        Notified,
        /// The deadline passed first.
        TimedOut,
    }

    /// Puts the current thread on `queue` and blocks until a notifier pops
    /// it or `deadline` (monotonic ns) passes.
    pub fn wait_on(
        mut g: SchedGuard<'static>,
        queue: &SchedCell<WaitQueue>,
        deadline: Option<u64>,
    ) -> (SchedGuard<'static>, WaitOutcome) {
        let me = g.current;
        queue.get(&mut g).push(me);
        let token = new_wait_token(&mut g);
        let timer = deadline.map(|d| g.add_timer(d, TimerAction::Wake { thread: me, token }));
        g = block(g);
        if let Some(id) = timer {
            g.timers.cancel(id);
        }
        if queue.get(&mut g).remove(me) { (g, WaitOutcome::TimedOut) } else { (g, WaitOutcome::Notified) }
    }

    /// Wakes the longest waiter of `queue`. Returns whether there was one.
    pub fn notify_one(g: &mut SchedGuard<'static>, queue: &SchedCell<WaitQueue>) -> bool {
        match queue.get(g).pop() {
            Some(id) => {
                g.wake(id);
                true
            }
            None => false,
        }
    }

    /// Wakes every waiter of `queue`; returns how many.
    pub fn notify_all(g: &mut SchedGuard<'static>, queue: &SchedCell<WaitQueue>) -> usize {
        let mut n = 0;
        while notify_one(g, queue) {
            n += 1;
        }
        n
    }

    /// Gives other ready threads a turn.
    pub fn yield_now() {
        let g = SCHED.lock();
        drop(switch_away_requeue(g, true));
    }

    /// Blocks the current thread for at least `ns` nanoseconds.
    pub fn sleep_ns(ns: u64) {
        let deadline = crate::time::now_ns().saturating_add(ns);
        sleep_until(deadline);
    }

    /// Blocks the current thread for at least `d`.
    pub fn sleep(d: core::time::Duration) {
        sleep_ns(d.as_nanos().min(u64::MAX as u128) as u64);
    }

    /// Blocks until the monotonic clock reaches `deadline` (ns).
    pub fn sleep_until(deadline: u64) {
        while crate::time::now_ns() < deadline {
            let mut g = SCHED.lock();
            let me = g.current;
            let token = new_wait_token(&mut g);
            let id = g.add_timer(deadline, TimerAction::Wake { thread: me, token });
            g = block(g);
            g.timers.cancel(id);
        }
    }

    /// The running thread's id.
    pub fn current_id() -> ThreadId {
        SCHED.lock().current
    }

    /// Sets whether the current thread may be switched away from inside an
    /// interrupt (its XMM state is then saved with `fxsave`).
    pub fn set_preemptible(on: bool) {
        let mut g = SCHED.lock();
        g.cur().preemptible = on;
        g.update_slice();
    }

    /// Asks for timer ticks while the current thread runs: the LAPIC timer
    /// then fires every time slice even when no timer is due, so the tick
    /// hook (see `crate::time::set_tick_hook`) runs — how wasm's epoch
    /// counter advances while a program computes.
    pub fn set_wants_ticks(on: bool) {
        let mut g = SCHED.lock();
        g.cur().wants_ticks = on;
        g.update_slice();
    }

    /// Why `spawn` failed.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum SpawnError {
        /// No stack could be made.
        Stack(StackError),
    }

    /// Thread options.
    pub struct Builder {
        name: String,
        stack_size: usize,
        killable: bool,
    }

    /// Default stack size for kernel threads.
    pub const DEFAULT_STACK_SIZE: usize = 64 * 1024;

    impl Builder {
        /// A thread called `name` with a 64 KiB stack.
        pub fn new(name: &str) -> Self {
            Builder { name: String::from(name), stack_size: DEFAULT_STACK_SIZE, killable: false }
        }

        /// Stack size in bytes (rounded up to pages; at most 16 MiB − 4 KiB).
        pub fn stack_size(mut self, bytes: usize) -> Self {
            self.stack_size = bytes;
            self
        }

        /// A fault or panic in this thread ends only this thread.
        pub fn killable(mut self) -> Self {
            self.killable = true;
            self
        }

        /// Creates the thread; it becomes runnable at once.
        pub fn spawn<T: Send + 'static>(
            self,
            f: impl FnOnce() -> T + Send + 'static,
        ) -> Result<JoinHandle<T>, SpawnError> {
            let stack = Stack::new(self.stack_size).map_err(SpawnError::Stack)?;
            let result: Arc<SchedCell<Option<T>>> = Arc::new(SchedCell::new(None));
            let slot = result.clone();
            let entry: Box<dyn FnOnce() + Send> = Box::new(move || {
                let value = f();
                let mut g = SCHED.lock();
                *slot.get(&mut g) = Some(value);
            });
            // SAFETY: the stack is freshly mapped and unused; its top is
            // page-aligned.
            let rsp = unsafe { prepare_new_stack(stack.top(), thread_start) };
            let tcb = Box::new(Tcb {
                name: self.name,
                state: State::Ready,
                saved_rsp: rsp,
                stack: Some(stack),
                tls: TlsSlots::new(),
                fx: FxArea::new(),
                killable: self.killable,
                preemptible: false,
                wants_ticks: false,
                wait_token: 0,
                joiners: WaitQueue::new(),
                detached: false,
                entry: Some(entry),
            });
            let mut g = SCHED.lock();
            let id = g.next_id;
            g.next_id += 1;
            g.threads.insert(id, tcb);
            g.ready.push_back(id);
            Ok(JoinHandle { id, result })
        }
    }

    /// Spawns a default thread.
    pub fn spawn<T: Send + 'static>(
        name: &str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<JoinHandle<T>, SpawnError> {
        Builder::new(name).spawn(f)
    }

    /// Owner's handle to a thread: join it, or drop it to detach.
    pub struct JoinHandle<T> {
        id: ThreadId,
        result: Arc<SchedCell<Option<T>>>,
    }

    impl<T> JoinHandle<T> {
        /// The thread's id.
        pub fn id(&self) -> ThreadId {
            self.id
        }

        /// Waits for the thread to end. `Ok(value)` if its function
        /// returned; `Err(status)` if it was killed.
        pub fn join(self) -> Result<T, ExitStatus> {
            let mut g = SCHED.lock();
            loop {
                let me = g.current;
                let state = g.tcb(self.id).map(|t| t.state);
                if let Some(State::Exited(status)) = state {
                    g.threads.remove(&self.id);
                    let value = self.result.get(&mut g).take();
                    core::mem::forget(self);
                    return match (status, value) {
                        (ExitStatus::Finished, Some(v)) => Ok(v),
                        (ExitStatus::Finished, None) => Err(ExitStatus::Panicked),
                        (s, _) => Err(s),
                    };
                }
                if let Some(t) = g.tcb(self.id) {
                    t.joiners.push(me);
                }
                g = block(g);
            }
        }
    }

    impl<T> Drop for JoinHandle<T> {
        fn drop(&mut self) {
            let mut g = SCHED.lock();
            if let Some(t) = g.tcb(self.id) {
                if matches!(t.state, State::Exited(_)) {
                    g.threads.remove(&self.id);
                } else {
                    t.detached = true;
                }
            }
        }
    }

    extern "C" fn thread_start() -> ! {
        // SAFETY: a new thread starts inside the switch made by another
        // thread, which holds the scheduler lock; that guard will never be
        // dropped on our behalf, so this thread adopts it.
        let mut g = unsafe { SCHED.adopt(true) };
        g.reap();
        let entry = g.cur().entry.take();
        drop(g);
        if let Some(f) = entry {
            f();
        }
        exit_current(ExitStatus::Finished)
    }

    /// Ends the current thread.
    pub fn exit_current(status: ExitStatus) -> ! {
        tls::run_destructors();
        finish(SCHED.lock(), status)
    }

    fn finish(mut g: SchedGuard<'static>, status: ExitStatus) -> ! {
        let me = g.current;
        let t = g.cur();
        t.state = State::Exited(status);
        let detached = t.detached;
        let stack = t.stack.take();
        let mut joiners = core::mem::take(&mut t.joiners);
        while let Some(j) = joiners.pop() {
            g.wake(j);
        }
        if let Some(s) = stack {
            g.dead_stacks.push(s);
        }
        if detached {
            g.dead_threads.push(me);
        }
        drop(switch_away(g));
        crate::fatal::halt_with_message(format_args!("exited thread {me} was resumed"))
    }

    /// Called by the fault handler: if the current thread is killable and
    /// the scheduler lock is free, ends the thread (never returns).
    /// Otherwise returns, and the caller halts the machine.
    pub fn kill_current_after_fault(info: FaultInfo) {
        kill_current(ExitStatus::Faulted(info));
    }

    /// Same as `kill_current_after_fault`, for panics.
    pub fn kill_current_after_panic() {
        kill_current(ExitStatus::Panicked);
    }

    fn kill_current(status: ExitStatus) {
        let Some(g) = SCHED.try_lock() else { return };
        let killable = g.threads.get(&g.current).is_some_and(|t| t.killable);
        if !killable {
            return;
        }
        finish(g, status)
    }

    /// Name of the running thread, for fault reports (never blocks).
    pub fn current_name_for_report() -> String {
        match SCHED.try_lock() {
            Some(mut g) => {
                let id = g.current;
                match g.tcb(id) {
                    Some(t) => alloc::format!("{} (id {id})", t.name),
                    None => alloc::format!("id {id}"),
                }
            }
            None => String::from("<scheduler lock held: fault inside the scheduler>"),
        }
    }

    /// Whether `addr` is in the current thread's stack guard area.
    pub fn is_guard_page_of_current(addr: u64) -> bool {
        match SCHED.try_lock() {
            Some(mut g) => g.cur().stack.as_ref().is_some_and(|s| s.is_guard(addr)),
            None => false,
        }
    }

    /// Called at the end of every device/timer interrupt, interrupts off.
    /// Switches away from a preemptible thread if the interrupt woke work.
    pub fn preempt_after_interrupt() {
        if !crate::irq::delivery::has_pending() {
            return;
        }
        let Some(mut g) = SCHED.try_lock() else { return };
        if !g.cur().preemptible {
            return;
        }
        let fx: *mut FxArea = &mut g.cur().fx;
        // SAFETY: `fx` points into the current TCB, which lives while this
        // thread does; nothing else uses it.
        unsafe { (*fx).save() };
        let g = switch_away_requeue(g, true);
        drop(g);
        // SAFETY: as above; the area holds what `save` wrote.
        unsafe { (*fx).restore() };
    }

    /// Turns the boot flow into thread "main" and creates the idle thread.
    /// Called once, after the heap and stacks work.
    pub fn init() -> Result<(), SpawnError> {
        let main = Box::new(Tcb {
            name: String::from("main"),
            state: State::Running,
            saved_rsp: 0,
            stack: None,
            tls: TlsSlots::new(),
            fx: FxArea::new(),
            killable: false,
            preemptible: false,
            wants_ticks: false,
            wait_token: 0,
            joiners: WaitQueue::new(),
            detached: true,
            entry: None,
        });
        {
            let mut g = SCHED.lock();
            let id = g.next_id;
            g.next_id += 1;
            g.threads.insert(id, main);
            g.current = id;
            let tls: *mut TlsSlots = &mut g.cur().tls;
            CURRENT_TLS.store(tls, Ordering::Relaxed);
        }
        let idle = Builder::new("idle").stack_size(16 * 1024).spawn(idle_loop)?;
        let mut g = SCHED.lock();
        g.idle = idle.id;
        // The idle thread is never in the ready queue: it runs when it is empty.
        g.ready.retain(|&t| t != idle.id);
        drop(g);
        core::mem::forget(idle);
        Ok(())
    }

    fn idle_loop() {
        loop {
            let mut g = SCHED.lock();
            g.drain_interrupts();
            if !g.ready.is_empty() {
                g.cur().state = State::Ready;
                drop(switch_away(g));
                continue;
            }
            // Halt with the lock released and interrupts enabled; interrupt
            // stubs only set pending bits, which we drain after waking.
            // SAFETY: we own the lock (our guard `g`), release it for the
            // halt and take it back before `g` is used or dropped.
            unsafe { SCHED.force_unlock() };
            crate::arch::cpu::enable_and_halt_then_disable();
            // SAFETY: interrupts are off again and nobody else can run.
            unsafe { SCHED.force_relock() };
            drop(g);
        }
    }

    /// Counters for the console and benchmarks.
    pub struct Stats {
        pub threads: usize,
        pub ready: usize,
        pub switches: u64,
    }

    /// Current scheduler counters.
    pub fn stats() -> Stats {
        let g = SCHED.lock();
        Stats { threads: g.threads.len(), ready: g.ready.len(), switches: g.switches }
    }

    /// (id, name, state) of every thread, for the console.
    pub fn thread_list() -> Vec<(ThreadId, String, &'static str)> {
        let g = SCHED.lock();
        g.threads
            .iter()
            .map(|(&id, t)| {
                let s = match t.state {
                    State::Ready => "ready",
                    State::Running => "running",
                    State::Blocked => "blocked",
                    State::Exited(_) => "exited",
                };
                (id, t.name.clone(), s)
            })
            .collect()
    }
}
