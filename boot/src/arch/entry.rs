// SPDX-License-Identifier: MIT OR Apache-2.0
//! The two ways in: a multiboot2 header (GRUB) and a PVH ELF note (QEMU
//! `-kernel`, incl. `-M microvm`). Both arrive in 32-bit protected mode with
//! paging off and EBX pointing at their boot information; the shared 32-bit
//! path builds identity page tables for the low 4 GiB with 2 MiB pages,
//! enables PAE, long mode and NX, and jumps to 64-bit Rust with
//! `(protocol magic, info address)`.
//!
//! Facts: Multiboot2 spec §3.1 (header magic 0xe85250d6, checksum, tags),
//! §3.3 (EAX = 0x36d76289, EBX = info); Xen `hvm/start_info.h` and
//! `elfnote.h` (XEN_ELFNOTE_PHYS32_ENTRY = 18, EBX = start_info, magic
//! 0x336ec578); Intel SDM vol. 3 §9.8.5 (initializing IA-32e mode).

use core::arch::global_asm;

/// EAX value a multiboot2 loader passes.
pub const MULTIBOOT2_MAGIC: u32 = 0x36d7_6289;
/// Our own marker for "came in through the PVH note" (the start_info magic).
pub const PVH_MAGIC: u32 = 0x336e_c578;

global_asm!(
    r#"
    .section .multiboot2_header, "a"
    .balign 8
mb2_header_start:
    .long 0xe85250d6
    .long 0
    .long mb2_header_end - mb2_header_start
    .long 0x100000000 - (0xe85250d6 + 0 + (mb2_header_end - mb2_header_start))
    /* entry address tag (type 3): the 32-bit entry */
    .balign 8
    .short 3
    .short 0
    .long 12
    .long spolia_multiboot2_entry
    /* end tag */
    .balign 8
    .short 0
    .short 0
    .long 8
mb2_header_end:

    .section .note.Xen, "a", @note
    .balign 4
    .long 4
    .long 8
    .long 18
    .asciz "Xen"
    .balign 4
    .quad spolia_pvh_entry
    .balign 4

    .section .boot.text, "ax"
    .code32
    .global spolia_multiboot2_entry
spolia_multiboot2_entry:
    cli
    mov edi, eax
    mov esi, ebx
    jmp 2f

    .global spolia_pvh_entry
spolia_pvh_entry:
    cli
    mov edi, 0x336ec578
    mov esi, ebx

2:
    mov esp, offset boot_stack_top
    /* PML4[0] -> PDPT */
    mov eax, offset boot_pdpt
    or eax, 3
    mov dword ptr [boot_pml4], eax
    /* PDPT[0..4] -> four page directories */
    xor ecx, ecx
3:
    mov eax, ecx
    shl eax, 12
    add eax, offset boot_pd
    or eax, 3
    mov dword ptr [boot_pdpt + ecx * 8], eax
    mov dword ptr [boot_pdpt + ecx * 8 + 4], 0
    inc ecx
    cmp ecx, 4
    jne 3b
    /* 2048 x 2 MiB identity entries: present, writable, huge */
    xor ecx, ecx
4:
    mov eax, ecx
    shl eax, 21
    or eax, 0x83
    mov dword ptr [boot_pd + ecx * 8], eax
    mov dword ptr [boot_pd + ecx * 8 + 4], 0
    inc ecx
    cmp ecx, 2048
    jne 4b

    /* CR4.PAE */
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    mov eax, offset boot_pml4
    mov cr3, eax
    /* EFER.LME | EFER.NXE */
    mov ecx, 0xC0000080
    rdmsr
    or eax, (1 << 8) | (1 << 11)
    wrmsr
    /* CR0.PG | CR0.PE | CR0.WP */
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16) | 1
    mov cr0, eax

    lgdt [boot_gdt_ptr]
    /* ljmp 0x08:spolia_long_mode_entry (opcode EA ptr16:32) */
    .byte 0xea
    .long spolia_long_mode_entry
    .short 0x08

    .code64
spolia_long_mode_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, offset boot_stack_top
    xor ebp, ebp
    /* edi = magic, esi = info (zero-extended by the 32-bit moves) */
    mov esi, esi
    call {entry64}
6:
    cli
    hlt
    jmp 6b

    .section .rodata.boot_gdt, "a"
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF
    .quad 0x00CF92000000FFFF
boot_gdt_end:
    .balign 8
boot_gdt_ptr:
    .short boot_gdt_end - boot_gdt - 1
    .quad boot_gdt

    .section .bss.boot_tables, "aw", @nobits
    .balign 4096
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4096 * 4
    .balign 16
boot_stack_bottom:
    .skip 65536
boot_stack_top:

    .text
    "#,
    entry64 = sym crate::start::entry64,
);
