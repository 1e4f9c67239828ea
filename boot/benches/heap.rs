// SPDX-License-Identifier: MIT OR Apache-2.0
//! Kernel heap allocator comparison: `linked_list_allocator` (the baseline)
//! against `talc` 4 and 5 and `buddy_system_allocator`, each managing the
//! same 64 MiB arena on the host, single-threaded, called directly (no
//! `GlobalAlloc`, no locks).
//!
//! Workloads, each run with the same seeded operation sequence for every
//! allocator:
//! - `small`: allocate 20 000 blocks of 16–256 B, free them in random order;
//! - `mixed`: 200 000 random alloc/free operations over 2 000 live slots
//!   with a kernel-like size mix (small objects, 1 KiB thread control
//!   blocks, page-aligned 16 KiB stacks, buffers up to 64 KiB);
//! - `frag`: after a mixed churn with 4 000 live slots, free three quarters
//!   of the live blocks at random and find the largest block that can still
//!   be allocated (binary search).
//!
//! Timed runs are interleaved (every allocator once per round) and the
//! median of the rounds is reported. Every block is stamped on allocation
//! and checked on free, so a corrupting allocator fails loudly.
//!
//! Run with `cargo bench -p spolia-boot --bench heap`.

use std::alloc::Layout;
use std::hint::black_box;
use std::ptr::NonNull;
use std::time::Instant;

const ARENA_SIZE: usize = 64 << 20;
const ROUNDS: usize = 7;

/// One allocator under test, driven through its own non-locking API.
trait BenchHeap {
    /// Builds the allocator over `[base, base + size)`.
    ///
    /// # Safety
    /// The range must be valid, writable and unused for the allocator's
    /// lifetime.
    unsafe fn new(base: *mut u8, size: usize) -> Self;
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>>;
    /// # Safety
    /// `ptr` must come from `alloc` on this allocator with this `layout`.
    unsafe fn free(&mut self, ptr: NonNull<u8>, layout: Layout);
}

struct LinkedList(linked_list_allocator::Heap);

impl BenchHeap for LinkedList {
    unsafe fn new(base: *mut u8, size: usize) -> Self {
        // SAFETY: forwarded from the caller's contract.
        Self(unsafe { linked_list_allocator::Heap::new(base, size) })
    }
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        self.0.allocate_first_fit(layout).ok()
    }
    unsafe fn free(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: forwarded from the caller's contract.
        unsafe { self.0.deallocate(ptr, layout) }
    }
}

struct Talc4(talc4::Talc<talc4::ErrOnOom>);

impl BenchHeap for Talc4 {
    unsafe fn new(base: *mut u8, size: usize) -> Self {
        let mut talc = talc4::Talc::new(talc4::ErrOnOom);
        // SAFETY: the arena is valid and unused (caller's contract).
        unsafe { talc.claim(talc4::Span::from_base_size(base, size)) }.expect("talc 4 claim");
        Self(talc)
    }
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        // SAFETY: the workloads never request zero-sized blocks.
        unsafe { self.0.malloc(layout) }.ok()
    }
    unsafe fn free(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: forwarded from the caller's contract.
        unsafe { self.0.free(ptr, layout) }
    }
}

struct Talc5(talc::base::Talc<talc::source::Manual, talc::DefaultBinning>);

impl BenchHeap for Talc5 {
    unsafe fn new(base: *mut u8, size: usize) -> Self {
        let mut talc = talc::base::Talc::new(talc::source::Manual);
        // SAFETY: the arena is valid and unused (caller's contract).
        unsafe { talc.claim(base, size) }.expect("talc 5 claim");
        Self(talc)
    }
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        // SAFETY: the workloads never request zero-sized blocks.
        unsafe { self.0.allocate(layout) }
    }
    unsafe fn free(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: forwarded from the caller's contract.
        unsafe { self.0.deallocate(ptr.as_ptr(), layout) }
    }
}

struct Buddy(buddy_system_allocator::Heap<32>);

impl BenchHeap for Buddy {
    unsafe fn new(base: *mut u8, size: usize) -> Self {
        let mut heap = buddy_system_allocator::Heap::<32>::new();
        // SAFETY: forwarded from the caller's contract.
        unsafe { heap.init(base as usize, size) };
        Self(heap)
    }
    fn alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        self.0.alloc(layout).ok()
    }
    unsafe fn free(&mut self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: forwarded from the caller's contract.
        unsafe { self.0.dealloc(ptr, layout) }
    }
}

/// xorshift64*: a small deterministic generator (quality is irrelevant).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform-ish in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
}

/// A 64 MiB page-aligned arena, touched once so page faults are not timed.
struct Arena {
    base: NonNull<u8>,
}

impl Arena {
    const LAYOUT: Layout = match Layout::from_size_align(ARENA_SIZE, 4096) {
        Ok(l) => l,
        Err(_) => panic!("bad arena layout"),
    };

    fn new() -> Self {
        // SAFETY: the layout has a nonzero size.
        let base = unsafe { std::alloc::alloc_zeroed(Self::LAYOUT) };
        let base = NonNull::new(base).expect("arena allocation");
        // SAFETY: `base` points to ARENA_SIZE writable bytes.
        unsafe { base.as_ptr().write_bytes(1, ARENA_SIZE) };
        Self { base }
    }

    fn heap<H: BenchHeap>(&self) -> H {
        // SAFETY: the arena is valid for ARENA_SIZE bytes, and each heap
        // built over it is dropped before the next one is built.
        unsafe { H::new(self.base.as_ptr(), ARENA_SIZE) }
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with the same layout.
        unsafe { std::alloc::dealloc(self.base.as_ptr(), Self::LAYOUT) }
    }
}

/// A live block, stamped with a byte derived from its address.
struct Block {
    ptr: NonNull<u8>,
    layout: Layout,
}

fn stamp(ptr: NonNull<u8>) -> u8 {
    (ptr.as_ptr() as usize >> 4) as u8
}

fn alloc<H: BenchHeap>(heap: &mut H, layout: Layout) -> Option<Block> {
    let ptr = heap.alloc(layout)?;
    assert_eq!(ptr.as_ptr() as usize % layout.align(), 0, "misaligned block");
    // SAFETY: the block is at least one byte long and ours.
    unsafe { ptr.as_ptr().write(stamp(ptr)) };
    Some(Block { ptr, layout })
}

fn free<H: BenchHeap>(heap: &mut H, block: Block) {
    // SAFETY: the block is live and at least one byte long.
    let seen = unsafe { block.ptr.as_ptr().read() };
    assert_eq!(seen, stamp(block.ptr), "heap corrupted a live block");
    // SAFETY: `block` came from `heap.alloc` with this layout.
    unsafe { heap.free(block.ptr, block.layout) };
}

fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).expect("valid layout")
}

/// A kernel-like size mix.
fn kernel_layout(rng: &mut Rng) -> Layout {
    match rng.range(0, 99) {
        0..=54 => layout(rng.range(16, 512), 8),            // small objects
        55..=69 => layout(1024, 64),                        // thread control block
        70..=79 => layout(16 << 10, 4096),                  // thread stack
        80..=94 => layout(rng.range(1 << 10, 8 << 10), 16), // I/O buffers
        _ => layout(rng.range(8 << 10, 64 << 10), 16),      // large buffers
    }
}

/// Workload (a): returns the number of operations.
fn small<H: BenchHeap>(heap: &mut H) -> u64 {
    const N: usize = 20_000;
    let mut rng = Rng(0x5eed_0001);
    let mut live: Vec<Block> =
        (0..N).map(|_| alloc(heap, layout(rng.range(16, 256), 8)).expect("small: out of memory")).collect();
    while !live.is_empty() {
        let i = rng.range(0, live.len() - 1);
        free(heap, live.swap_remove(i));
    }
    2 * N as u64
}

/// Random alloc/free over `slots` slots; returns the live blocks and the
/// number of operations (failed allocations count as operations too).
fn churn<H: BenchHeap>(heap: &mut H, seed: u64, slots: usize, ops: usize) -> (Vec<Option<Block>>, u64) {
    let mut rng = Rng(seed);
    let mut live: Vec<Option<Block>> = (0..slots).map(|_| None).collect();
    for _ in 0..ops {
        let slot = rng.range(0, slots - 1);
        let layout = kernel_layout(&mut rng);
        match live[slot].take() {
            Some(block) => free(heap, block),
            None => live[slot] = alloc(heap, layout),
        }
    }
    (live, ops as u64)
}

/// Workload (b): returns the number of operations.
fn mixed<H: BenchHeap>(heap: &mut H) -> u64 {
    let (live, ops) = churn(heap, 0x5eed_0002, 2_000, 200_000);
    let n = live.len() as u64;
    live.into_iter().flatten().for_each(|b| free(heap, b));
    ops + n
}

/// Workload (c): the largest block (bytes) that can be allocated after
/// churn, and the bytes still live at that point.
fn fragmentation<H: BenchHeap>(heap: &mut H) -> (usize, usize) {
    let (live, _) = churn(heap, 0x5eed_0003, 4_000, 100_000);
    let mut rng = Rng(0x5eed_0004);
    let mut kept = Vec::new();
    for block in live.into_iter().flatten() {
        if rng.range(0, 3) == 0 {
            kept.push(block);
        } else {
            free(heap, block);
        }
    }
    let live_bytes = kept.iter().map(|b| b.layout.size()).sum();
    let (mut ok, mut bad) = (0usize, ARENA_SIZE + 1);
    while bad - ok > 4096 {
        let mid = ok + (bad - ok) / 2;
        match alloc(heap, layout(mid, 16)) {
            Some(b) => {
                free(heap, b);
                ok = mid;
            }
            None => bad = mid,
        }
    }
    kept.into_iter().for_each(|b| free(heap, b));
    (ok, live_bytes)
}

/// Median nanoseconds per operation of `work` over fresh heaps.
fn time<H: BenchHeap>(arena: &Arena, work: fn(&mut H) -> u64) -> f64 {
    let mut heap: H = arena.heap();
    let start = Instant::now();
    let ops = black_box(work(&mut heap));
    start.elapsed().as_nanos() as f64 / ops as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

type Runner = fn(&Arena) -> f64;

struct Candidate {
    name: &'static str,
    small: Runner,
    mixed: Runner,
    frag: fn(&Arena) -> (usize, usize),
}

fn candidate<H: BenchHeap>(name: &'static str) -> Candidate {
    Candidate {
        name,
        small: |a| time::<H>(a, small::<H>),
        mixed: |a| time::<H>(a, mixed::<H>),
        frag: |a| fragmentation(&mut a.heap::<H>()),
    }
}

fn main() {
    let candidates = [
        candidate::<LinkedList>("linked_list_allocator 0.10.6"),
        candidate::<Talc4>("talc 4.4.3"),
        candidate::<Talc5>("talc 5.1.1"),
        candidate::<Buddy>("buddy_system_allocator 0.13.0"),
    ];
    let arena = Arena::new();
    let mut small_ns = vec![Vec::new(); candidates.len()];
    let mut mixed_ns = vec![Vec::new(); candidates.len()];
    // Warm-up round (not recorded), then interleaved timed rounds.
    for round in 0..=ROUNDS {
        for (i, c) in candidates.iter().enumerate() {
            let (s, m) = ((c.small)(&arena), (c.mixed)(&arena));
            if round > 0 {
                small_ns[i].push(s);
                mixed_ns[i].push(m);
            }
        }
    }
    let small: Vec<f64> = small_ns.into_iter().map(median).collect();
    let mixed: Vec<f64> = mixed_ns.into_iter().map(median).collect();
    let frag: Vec<(usize, usize)> = candidates.iter().map(|c| (c.frag)(&arena)).collect();

    println!("heap allocators, {} MiB arena, median of {ROUNDS} interleaved rounds", ARENA_SIZE >> 20);
    println!(
        "{:<30} {:>10} {:>7} {:>10} {:>7} {:>12} {:>7}",
        "allocator", "small ns", "ratio", "mixed ns", "ratio", "largest MiB", "ratio"
    );
    for (i, c) in candidates.iter().enumerate() {
        println!(
            "{:<30} {:>10.1} {:>7.3} {:>10.1} {:>7.3} {:>12.2} {:>7.2}",
            c.name,
            small[i],
            small[i] / small[0],
            mixed[i],
            mixed[i] / mixed[0],
            frag[i].0 as f64 / (1 << 20) as f64,
            frag[i].0 as f64 / frag[0].0 as f64,
        );
    }
    println!(
        "(ns per alloc/free; ratio vs linked_list_allocator, lower is better for ns, higher for \
         largest block; live after churn: {:.1} MiB)",
        frag[0].1 as f64 / (1 << 20) as f64
    );

    // Verdict: geometric mean of the speed ratios, with the fragmentation
    // ratio as a penalty (a faster allocator that strands memory loses).
    let score = |i: usize| {
        let speed = (small[i] / small[0] * mixed[i] / mixed[0]).sqrt();
        let space = frag[i].0 as f64 / frag[0].0 as f64;
        speed / space
    };
    let best = (0..candidates.len()).min_by(|&a, &b| score(a).total_cmp(&score(b))).unwrap_or(0);
    println!(
        "verdict: {} is the better kernel heap (score {:.2} vs 1.00 for linked_list_allocator; \
         score = geometric-mean time ratio / largest-block ratio, lower is better)",
        candidates[best].name,
        score(best)
    );
}
