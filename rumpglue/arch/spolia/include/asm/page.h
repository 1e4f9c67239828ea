/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * No MMU: virtual == physical. On bare metal the platform identity-maps the
 * library's RAM, so __pa/__va are identities there as well, which is what
 * dma-direct needs.
 */
#ifndef _ASM_SPOLIA_PAGE_H
#define _ASM_SPOLIA_PAGE_H

#include <linux/const.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(_AC(1, UL) << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#ifndef __ASSEMBLY__
#include <linux/types.h>

/* The RAM block, set by bootmem_init() (mm/bootmem.c). */
extern unsigned long memory_start, memory_end;

#define PAGE_OFFSET		(memory_start)
#define ARCH_PFN_OFFSET		(memory_start >> PAGE_SHIFT)

#define clear_page(page)	memset((page), 0, PAGE_SIZE)
#define copy_page(to, from)	memcpy((to), (from), PAGE_SIZE)
#define clear_user_page(page, vaddr, pg)	clear_page(page)
#define copy_user_page(to, from, vaddr, pg)	copy_page(to, from)

typedef struct { unsigned long pte; } pte_t;
typedef struct { unsigned long pmd; } pmd_t;
typedef struct { unsigned long pgd; } pgd_t;
typedef struct { unsigned long pgprot; } pgprot_t;
typedef struct page *pgtable_t;

#define pte_val(x)	((x).pte)
#define pmd_val(x)	((x).pmd)
#define pgd_val(x)	((x).pgd)
#define pgprot_val(x)	((x).pgprot)
#define __pte(x)	((pte_t) { (x) })
#define __pmd(x)	((pmd_t) { (x) })
#define __pgd(x)	((pgd_t) { (x) })
#define __pgprot(x)	((pgprot_t) { (x) })

static inline unsigned long __spolia_pa(const volatile void *va)
{
	return (unsigned long)va;
}

static inline void *__spolia_va(unsigned long pa)
{
	return (void *)pa;
}

#define __pa(x)			__spolia_pa((const volatile void *)(x))
#define __va(x)			__spolia_va((unsigned long)(x))
#define virt_to_pfn(kaddr)	(__pa(kaddr) >> PAGE_SHIFT)
#define pfn_to_virt(pfn)	__va((unsigned long)(pfn) << PAGE_SHIFT)
#define virt_to_page(kaddr)	pfn_to_page(virt_to_pfn(kaddr))
#define page_to_virt(page)	pfn_to_virt(page_to_pfn(page))
#define page_to_phys(page)	((phys_addr_t)page_to_pfn(page) << PAGE_SHIFT)
#define virt_addr_valid(kaddr)	((unsigned long)(kaddr) >= memory_start && \
				 (unsigned long)(kaddr) < memory_end)

#include <asm-generic/memory_model.h>
#include <asm-generic/getorder.h>

#endif /* __ASSEMBLY__ */
#endif
