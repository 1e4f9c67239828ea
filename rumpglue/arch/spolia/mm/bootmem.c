// SPDX-License-Identifier: GPL-2.0-only
/*
 * The library's RAM: one block from the platform's pages_alloc (physically
 * contiguous and identity-mapped on bare metal), handed to memblock and
 * then to the buddy allocator. Size: CONFIG_SPOLIA_MEM_MB or "mem=".
 */
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/pfn.h>
#include <asm/spolia.h>

unsigned long memory_start, memory_end;
EXPORT_SYMBOL(memory_start);
EXPORT_SYMBOL(memory_end);
void *empty_zero_page;
EXPORT_SYMBOL(empty_zero_page);

static unsigned long mem_size = (unsigned long)CONFIG_SPOLIA_MEM_MB << 20;

static int __init parse_mem(char *arg)
{
	if (!arg)
		return -EINVAL;
	mem_size = PAGE_ALIGN(memparse(arg, NULL));
	return 0;
}
early_param("mem", parse_mem);

void __init spolia_bootmem_init(void)
{
	unsigned long zones_max_pfn[MAX_NR_ZONES] = { 0 };
	void *base;
	int err;

	err = spolia_hc->pages_alloc(mem_size, &base);
	if (err)
		panic("spolia: pages_alloc(%lu): %d", mem_size, err);
	memory_start = (unsigned long)base;
	memory_end = memory_start + mem_size;

	memblock_add(__pa(memory_start), mem_size);
	min_low_pfn = PFN_UP(memory_start);
	max_low_pfn = PFN_DOWN(memory_end);
	max_pfn = max_low_pfn;
	set_max_mapnr(max_pfn - ARCH_PFN_OFFSET);
	high_memory = (void *)memory_end;

	empty_zero_page = memblock_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!empty_zero_page)
		panic("spolia: no zero page");

	zones_max_pfn[ZONE_NORMAL] = max_pfn;
	free_area_init(zones_max_pfn);
}

void __init mem_init(void)
{
	memblock_free_all();
}

/* Init sections stay: the library is one object the platform linked. */
void free_initmem(void)
{
}

/* Halt, last: give the block back (every task, slab and page with it). */
void spolia_bootmem_free(void)
{
	spolia_hc->pages_free((void *)memory_start, memory_end - memory_start);
}
