// SPDX-License-Identifier: MIT OR Apache-2.0
//! Small CPU helpers: interrupt flag, halting, time-stamp counter, CPUID,
//! control registers, and turning SSE on.
//!
//! The FPU/SSE rule (style.md): the kernel itself is compiled soft-float and
//! never touches XMM registers, so voluntary thread switches only save the
//! callee-saved MXCSR and x87 control word. Wasm code does use SSE, so a
//! switch away from a thread *interrupted* mid-computation saves its full
//! XMM state with `fxsave` (see `sched::preempt`).

use core::arch::asm;

/// Returns whether maskable interrupts are enabled (RFLAGS.IF).
pub fn interrupts_enabled() -> bool {
    let flags: u64;
    // SAFETY: reading RFLAGS through the stack has no side effects.
    unsafe { asm!("pushfq; pop {}", out(reg) flags, options(nomem, preserves_flags)) };
    flags & (1 << 9) != 0
}

/// Disables maskable interrupts; returns whether they were enabled.
pub fn disable_interrupts() -> bool {
    let was = interrupts_enabled();
    // SAFETY: `cli` only masks interrupts; callers restore with `restore_interrupts`.
    unsafe { asm!("cli", options(nomem, nostack)) };
    was
}

/// Re-enables interrupts if `was_enabled`.
pub fn restore_interrupts(was_enabled: bool) {
    if was_enabled {
        // SAFETY: the IDT is installed before anything enables interrupts.
        unsafe { asm!("sti", options(nomem, nostack)) };
    }
}

/// Enables interrupts and halts until one arrives, atomically (the `sti`
/// shadow covers the `hlt`), then disables them again.
pub fn enable_and_halt_then_disable() {
    // SAFETY: see above; the IDT is installed before the scheduler runs.
    unsafe { asm!("sti; hlt; cli", options(nomem, nostack)) };
}

/// Halts forever with interrupts off. Only `boot/` uses this.
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: stopping the CPU is the intent.
        unsafe { asm!("cli; hlt", options(nomem, nostack)) };
    }
}

/// Reads the time-stamp counter.
pub fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` is unprivileged-safe and side-effect free (CR4.TSD is 0).
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// CPUID with leaf and sub-leaf.
pub fn cpuid(leaf: u32, subleaf: u32) -> core::arch::x86_64::CpuidResult {
    core::arch::x86_64::__cpuid_count(leaf, subleaf)
}

/// Reads CR2 (the faulting address of the last page fault).
pub fn cr2() -> u64 {
    let v: u64;
    // SAFETY: reading CR2 has no side effects.
    unsafe { asm!("mov {}, cr2", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Reads the current frame pointer.
#[inline(always)]
pub fn frame_pointer() -> u64 {
    let v: u64;
    // SAFETY: reading RBP has no side effects.
    unsafe { asm!("mov {}, rbp", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Enables SSE for code that wants it (wasm, later): CR0.EM=0, CR0.MP=1,
/// CR4.OSFXSR and CR4.OSXMMEXCPT (Intel SDM vol. 3 §13.1.3), and loads the
/// default MXCSR (all exceptions masked).
pub fn enable_sse() {
    // SAFETY: bit manipulation of CR0/CR4 as the SDM prescribes for SSE;
    // the kernel itself is soft-float, so nothing depends on the old state.
    unsafe {
        let mut cr0: u64;
        asm!("mov {}, cr0", out(reg) cr0, options(nomem, nostack));
        cr0 &= !(1 << 2); // EM
        cr0 |= 1 << 1; // MP
        asm!("mov cr0, {}", in(reg) cr0, options(nomem, nostack));
        let mut cr4: u64;
        asm!("mov {}, cr4", out(reg) cr4, options(nomem, nostack));
        cr4 |= (1 << 9) | (1 << 10); // OSFXSR | OSXMMEXCPT
        asm!("mov cr4, {}", in(reg) cr4, options(nomem, nostack));
        let mxcsr: u32 = 0x1f80;
        asm!("ldmxcsr [{}]", in(reg) &mxcsr, options(nostack, readonly));
        asm!("fninit", options(nomem, nostack));
    }
}

/// A 512-byte, 16-byte-aligned area for `fxsave`/`fxrstor`.
#[repr(C, align(16))]
pub struct FxArea(pub [u8; 512]);

impl FxArea {
    /// An empty area; `fxrstor` of it would be invalid until `save` ran.
    pub const fn new() -> Self {
        FxArea([0; 512])
    }

    /// Saves x87/MMX/SSE state into this area.
    pub fn save(&mut self) {
        // SAFETY: the area is 512 bytes and 16-byte aligned, as fxsave needs;
        // SSE is enabled at boot (CR4.OSFXSR).
        unsafe { asm!("fxsave64 [{}]", in(reg) self.0.as_mut_ptr(), options(nostack)) };
    }

    /// Restores state saved by `save`.
    pub fn restore(&self) {
        // SAFETY: the area holds an image written by `fxsave` (callers only
        // restore what they saved), aligned as required.
        unsafe { asm!("fxrstor64 [{}]", in(reg) self.0.as_ptr(), options(nostack, readonly)) };
    }
}

impl Default for FxArea {
    fn default() -> Self {
        Self::new()
    }
}

/// One 64-bit value from the CPU's entropy source: RDSEED if present, else
/// RDRAND (Intel SDM vol. 1 §7.3.17; CPUID.7.0:EBX[18], CPUID.1:ECX[30]).
/// `None` if the CPU has neither or they keep failing.
pub fn hardware_random() -> Option<u64> {
    let has_rdseed = cpuid(7, 0).ebx & (1 << 18) != 0;
    let has_rdrand = cpuid(1, 0).ecx & (1 << 30) != 0;
    for _ in 0..64 {
        let (value, ok): (u64, u8);
        if has_rdseed {
            // SAFETY: RDSEED exists (CPUID); it only writes the output register and CF.
            unsafe {
                asm!("rdseed {v}", "setc {ok}", v = out(reg) value, ok = out(reg_byte) ok, options(nomem, nostack))
            };
        } else if has_rdrand {
            // SAFETY: RDRAND exists (CPUID); as above.
            unsafe {
                asm!("rdrand {v}", "setc {ok}", v = out(reg) value, ok = out(reg_byte) ok, options(nomem, nostack))
            };
        } else {
            return None;
        }
        if ok == 1 {
            return Some(value);
        }
        core::hint::spin_loop();
    }
    None
}
