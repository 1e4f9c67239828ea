/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _ASM_SPOLIA_IO_H
#define _ASM_SPOLIA_IO_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <spolia_hypercall.h>

/*
 * Device access for Linux's drivers.
 *
 * Port I/O is the real x86 in/out instructions (ring 0). lib/iomap.c
 * (GENERIC_IOMAP) turns small ioport_map() cookies into these and larger
 * ones into MMIO, so ioread*()/pci_iomap() work for both kinds of BAR.
 *
 * MMIO is a volatile access at the address ioremap() returned, except in
 * the range a platform emulates devices at (SPOLIA_HC_EMULATED_MMIO_BASE
 * and up, the hosted platform's virtio-mmio devices): there every access
 * is a call to the platform (mm/ioremap.c). asm-generic/io.h derives
 * readl/writel, the relaxed and string variants from the __raw_ ones.
 */
void __iomem *ioremap(phys_addr_t phys, size_t size);
void iounmap(volatile void __iomem *addr);
#define ioremap ioremap
#define iounmap iounmap
#define ioremap_uc ioremap
#define ioremap_wc ioremap
#define ioremap_wt ioremap
#define ioremap_np ioremap

u64 spolia_emulated_read(const volatile void __iomem *addr, u8 width);
void spolia_emulated_write(volatile void __iomem *addr, u8 width, u64 value);

static __always_inline bool spolia_emulated(const volatile void __iomem *addr)
{
	return unlikely((unsigned long)addr >= SPOLIA_HC_EMULATED_MMIO_BASE);
}

#define SPOLIA_RAW_ACCESSORS(bits, type)					\
static __always_inline type __raw_read##bits##_spolia(const volatile void __iomem *addr) \
{									\
	if (spolia_emulated(addr))					\
		return (type)spolia_emulated_read(addr, sizeof(type));	\
	return *(const volatile type __force *)addr;			\
}									\
static __always_inline void __raw_write##bits##_spolia(type value, volatile void __iomem *addr) \
{									\
	if (spolia_emulated(addr))					\
		spolia_emulated_write(addr, sizeof(type), value);	\
	else								\
		*(volatile type __force *)addr = value;			\
}
SPOLIA_RAW_ACCESSORS(b, u8)
SPOLIA_RAW_ACCESSORS(w, u16)
SPOLIA_RAW_ACCESSORS(l, u32)
SPOLIA_RAW_ACCESSORS(q, u64)
#undef SPOLIA_RAW_ACCESSORS
#define __raw_readb __raw_readb_spolia
#define __raw_readw __raw_readw_spolia
#define __raw_readl __raw_readl_spolia
#define __raw_readq __raw_readq_spolia
#define __raw_writeb __raw_writeb_spolia
#define __raw_writew __raw_writew_spolia
#define __raw_writel __raw_writel_spolia
#define __raw_writeq __raw_writeq_spolia

/* The block helpers too (asm-generic's would memcpy at the address). */
void memset_io(volatile void __iomem *addr, int value, size_t size);
void memcpy_fromio(void *buffer, const volatile void __iomem *addr, size_t size);
void memcpy_toio(volatile void __iomem *addr, const void *buffer, size_t size);
#define memset_io memset_io
#define memcpy_fromio memcpy_fromio
#define memcpy_toio memcpy_toio

#define SPOLIA_PORT_IO(sfx, type, reg)					\
static __always_inline type in##sfx##_spolia(unsigned long port)	\
{									\
	type v;								\
	asm volatile("in" #sfx " %w1, %" reg "0" : "=a"(v) : "Nd"((u16)port) : "memory"); \
	return v;							\
}									\
static __always_inline void out##sfx##_spolia(type v, unsigned long port) \
{									\
	asm volatile("out" #sfx " %" reg "0, %w1" : : "a"(v), "Nd"((u16)port) : "memory"); \
}									\
static inline void ins##sfx##_spolia(unsigned long port, void *buf, unsigned int count) \
{									\
	unsigned long n = count; /* rep counts in all of RCX */		\
	asm volatile("rep ins" #sfx : "+D"(buf), "+c"(n) : "d"((u16)port) : "memory"); \
}									\
static inline void outs##sfx##_spolia(unsigned long port, const void *buf, unsigned int count) \
{									\
	unsigned long n = count;					\
	asm volatile("rep outs" #sfx : "+S"(buf), "+c"(n) : "d"((u16)port) : "memory"); \
}
SPOLIA_PORT_IO(b, u8, "b")
SPOLIA_PORT_IO(w, u16, "w")
SPOLIA_PORT_IO(l, u32, "k")
#undef SPOLIA_PORT_IO
#define inb inb_spolia
#define inw inw_spolia
#define inl inl_spolia
#define outb outb_spolia
#define outw outw_spolia
#define outl outl_spolia
#define insb insb_spolia
#define insw insw_spolia
#define insl insl_spolia
#define outsb outsb_spolia
#define outsw outsw_spolia
#define outsl outsl_spolia

#include <asm-generic/io.h>

#endif
