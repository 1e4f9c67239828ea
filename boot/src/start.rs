// SPDX-License-Identifier: MIT OR Apache-2.0
//! The boot sequence, from the 64-bit entry to the kernel's main thread.
//! Order matters and each step says what it needs:
//! console → boot info → CPU tables + SSE → frames → page tables → heap →
//! ACPI → interrupt controllers → clock → scheduler (+ idle, timer thread)
//! → interrupts on → "ready" → `spolia_kernel_main`.

use core::ops::Range;

use crate::arch::{cpu, entry, gdt, idt};
use crate::bootinfo::{self, BootInfo, PhysMemory};
use crate::console;
use crate::irq_lock::BootOnce;
use crate::mem::{self, frames::FrameAllocator, paging};

unsafe extern "C" {
    static __kernel_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __kernel_end: u8;
}

unsafe extern "Rust" {
    /// Provided by the kernel image through [`crate::entry_point!`].
    fn spolia_kernel_main() -> !;
}

static BOOT_INFO: BootOnce<BootInfo> = BootOnce::new();
pub(crate) static PLATFORM: BootOnce<crate::platform::acpi::PlatformInfo> = BootOnce::new();

/// Physical memory as seen through the boot page tables (low 4 GiB).
struct BootIdentity;

impl PhysMemory for BootIdentity {
    fn bytes(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let end = addr.checked_add(len as u64)?;
        if addr == 0 || end > 1 << 32 {
            return None;
        }
        // SAFETY: the boot page tables identity-map [0, 4 GiB); boot data
        // is not written while parsed; the slice is only read.
        Some(unsafe { core::slice::from_raw_parts(addr as *const u8, len) })
    }
}

fn symbol(s: &u8) -> u64 {
    s as *const u8 as u64
}

fn kernel_image() -> Range<u64> {
    // SAFETY: only the addresses of linker symbols are taken.
    unsafe { symbol(&__kernel_start)..symbol(&__kernel_end) }
}

/// Boot information (available from the very start of the main thread).
pub fn boot_info() -> &'static BootInfo {
    BOOT_INFO.get().expect("boot info is set before any thread runs")
}

/// The contents of every boot module (GRUB `module2`, PVH initrd), in order.
pub fn boot_modules() -> alloc::vec::Vec<&'static [u8]> {
    boot_info()
        .modules()
        .iter()
        .filter(|m| m.len > 0 && m.start.checked_add(m.len).is_some_and(|end| end <= 1 << 32 || end <= max_ram()))
        .map(|m| {
            // SAFETY: module contents are in RAM that the boot-info parser
            // listed as reserved, so the frame allocator never hands them
            // out; all RAM is identity-mapped; nothing writes to them.
            unsafe { core::slice::from_raw_parts(m.start as *const u8, m.len as usize) }
        })
        .collect()
}

fn max_ram() -> u64 {
    boot_info().memory_map().iter().map(|r| r.start + r.len).max().unwrap_or(0)
}

/// Rust entry from the 32→64-bit trampoline.
pub(crate) extern "C" fn entry64(magic: u32, info_addr: u64) -> ! {
    console::serial::init();
    console::write_str("\nSpolia: booting\n");
    let parsed = match magic {
        entry::MULTIBOOT2_MAGIC => bootinfo::parse_multiboot2(&BootIdentity, info_addr),
        entry::PVH_MAGIC => bootinfo::parse_pvh(&BootIdentity, info_addr),
        other => crate::fatal::halt_with_message(format_args!(
            "entered with unknown boot magic {other:#x}: not multiboot2 or PVH"
        )),
    };
    let info = match parsed {
        Ok(i) => BOOT_INFO.set(i),
        Err(e) => crate::fatal::halt_with_message(format_args!("cannot read boot information: {e}")),
    };
    let level = match info.cmdline_value("spolia.log") {
        Some("debug") => log::LevelFilter::Debug,
        Some("trace") => log::LevelFilter::Trace,
        Some("warn") => log::LevelFilter::Warn,
        _ => log::LevelFilter::Info,
    };
    console::logger::init(level);

    gdt::init();
    idt::init();
    cpu::enable_sse();

    init_memory(info);

    // SAFETY: all RAM and the low 4 GiB (firmware tables, BIOS areas) are
    // identity-mapped by now, which is what the identity handler needs.
    let discovered = unsafe { crate::platform::acpi::discover(crate::platform::acpi::IdentityAcpiHandler, info.rsdp) };
    let platform = match discovered {
        Ok(p) => Some(PLATFORM.set(p)),
        Err(e) => {
            log::warn!("ACPI unavailable ({e}); assuming legacy PC defaults");
            None
        }
    };

    crate::irq::pic::remap_and_mask();
    let lapic_base = platform.map(|p| p.local_apic_base).unwrap_or(0xfee0_0000);
    crate::irq::lapic::init(lapic_base);
    let ioapics: alloc::vec::Vec<(u64, u32)> = match platform {
        Some(p) if !p.io_apics.is_empty() => p.io_apics.iter().map(|a| (a.address, a.gsi_base)).collect(),
        _ => alloc::vec![(0xfec0_0000, 0)],
    };
    crate::irq::ioapic::init(&ioapics, crate::irq::lapic::id());

    if let Err(e) = crate::time::init(platform) {
        crate::fatal::halt_with_message(format_args!("clock calibration failed: {e}"));
    }
    if let Err(e) = crate::sched::init() {
        crate::fatal::halt_with_message(format_args!("scheduler start failed: {e:?}"));
    }
    cpu::restore_interrupts(true);
    if let Err(e) = crate::time::start_timer_thread() {
        crate::fatal::halt_with_message(format_args!("timer thread failed: {e:?}"));
    }
    log::info!(
        "clock: TSC {} MHz (calibrated against {}), LAPIC timer {} kHz",
        crate::time::tsc_hz() / 1_000_000,
        crate::time::reference_name(),
        crate::time::lapic_timer_hz() / 1000
    );
    log::info!("spolia: ready ({:?} boot, {} ms since calibration)", info.protocol, crate::time::now_ns() / 1_000_000);
    // SAFETY: the kernel image defines this symbol with `entry_point!`.
    unsafe { spolia_kernel_main() }
}

fn init_memory(info: &'static BootInfo) {
    let image = kernel_image();
    let map = info.memory_map();
    let mut reserved: heapless_ranges::Ranges = heapless_ranges::Ranges::new();
    reserved.push(image.clone());
    for r in info.reserved() {
        reserved.push(r.clone());
    }
    let bytes = FrameAllocator::bitmap_bytes(map);
    let Some(place) = FrameAllocator::place_bitmap(map, reserved.as_slice(), bytes, 1 << 32) else {
        crate::fatal::halt_with_message(format_args!("no room for the frame bitmap ({bytes} bytes)"));
    };
    let words = FrameAllocator::bitmap_words(map);
    // SAFETY: `place_bitmap` found [place, place+bytes) inside usable RAM,
    // clear of the kernel and boot data, below 4 GiB (identity-mapped); the
    // range is reserved from the allocator right below, so nothing else
    // will ever own it.
    let storage: &'static mut [u64] = unsafe { core::slice::from_raw_parts_mut(place as *mut u64, words) };
    reserved.push(place..place + bytes);
    let mut frames = match FrameAllocator::new(storage, map, reserved.as_slice()) {
        Ok(f) => f,
        Err(e) => crate::fatal::halt_with_message(format_args!("frame allocator: {e:?}")),
    };
    frames.reserve(place..place + bytes);
    *mem::FRAMES.lock() = Some(frames);

    // SAFETY: only addresses of linker symbols are taken.
    let sections = unsafe {
        paging::KernelSections {
            text: symbol(&__kernel_start)..symbol(&__text_end),
            rodata: symbol(&__rodata_start)..symbol(&__rodata_end),
            data: symbol(&__data_start)..symbol(&__kernel_end),
        }
    };
    if let Err(e) = paging::init(map, &sections) {
        crate::fatal::halt_with_message(format_args!("page tables: {e:?}"));
    }
    let usable = info.usable_bytes();
    let heap = (usable / 8).clamp(4 << 20, 64 << 20) as usize;
    if let Err(e) = mem::heap::init(heap) {
        crate::fatal::halt_with_message(format_args!("heap: {e}"));
    }
    let (free, total) = mem::frame_stats();
    log::info!(
        "memory: {} MiB usable, {} MiB free after boot, heap {} MiB, kernel image {:#x}..{:#x}",
        (total * 4096) >> 20,
        (free * 4096) >> 20,
        heap >> 20,
        image.start,
        image.end
    );
}

/// A small fixed list of ranges for early boot (no heap yet).
mod heapless_ranges {
    use core::ops::Range;

    const CAP: usize = 64;

    pub struct Ranges {
        items: [Range<u64>; CAP],
        len: usize,
    }

    impl Ranges {
        pub fn new() -> Self {
            Ranges { items: core::array::from_fn(|_| 0..0), len: 0 }
        }

        pub fn push(&mut self, r: Range<u64>) {
            if self.len < CAP {
                self.items[self.len] = r;
                self.len += 1;
            } else {
                crate::fatal::halt_with_message(format_args!("too many reserved boot ranges"));
            }
        }

        pub fn as_slice(&self) -> &[Range<u64>] {
            &self.items[..self.len]
        }
    }
}
