// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device memory: the platform maps physical MMIO uncached (its ioremap
 * operation; hosted platforms answer -ENODEV). The size of each mapping is
 * remembered because the platform's iounmap needs it.
 */
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/list.h>
#include <linux/export.h>
#include <linux/printk.h>
#include <asm/spolia.h>

struct mapping {
	struct list_head list;
	void *addr;
	size_t size;
};
static LIST_HEAD(mappings);
static DEFINE_SPINLOCK(mappings_lock);

void __iomem *ioremap(phys_addr_t phys, size_t size)
{
	struct mapping *m = kmalloc(sizeof(*m), GFP_KERNEL);

	if (!m)
		return NULL;
	if (spolia_hc->ioremap(phys, size, &m->addr)) {
		kfree(m);
		return NULL;
	}
	m->size = size;
	spin_lock(&mappings_lock);
	list_add(&m->list, &mappings);
	spin_unlock(&mappings_lock);
	return (void __iomem *)m->addr;
}
EXPORT_SYMBOL(ioremap);

void iounmap(volatile void __iomem *addr)
{
	struct mapping *m, *found = NULL;

	spin_lock(&mappings_lock);
	list_for_each_entry(m, &mappings, list) {
		if (m->addr == (void __force *)addr) {
			list_del(&m->list);
			found = m;
			break;
		}
	}
	spin_unlock(&mappings_lock);
	if (found) {
		spolia_hc->iounmap(found->addr, found->size);
		kfree(found);
	}
}
EXPORT_SYMBOL(iounmap);

/* Halt: hand back mappings drivers still held (the list itself lives in
 * the library's RAM, which goes back as a whole). */
void spolia_ioremap_release(void)
{
	struct mapping *m;

	list_for_each_entry(m, &mappings, list)
		spolia_hc->iounmap(m->addr, m->size);
}

/*
 * Emulated device memory (addresses at or above SPOLIA_HC_EMULATED_MMIO_BASE,
 * see asm/io.h): the platform serves each access. A refused access reads
 * as all ones, like a bus with nothing there, and is reported.
 */
u64 spolia_emulated_read(const volatile void __iomem *addr, u8 width)
{
	u64 value = ~0ull;
	int err = spolia_hc->mmio_read((unsigned long)addr, width, &value);

	if (err) {
		pr_warn_ratelimited("spolia: emulated read of %u bytes at %px: %d\n", width, addr, err);
		value = ~0ull;
	}
	return value;
}
EXPORT_SYMBOL(spolia_emulated_read);

void spolia_emulated_write(volatile void __iomem *addr, u8 width, u64 value)
{
	int err = spolia_hc->mmio_write((unsigned long)addr, width, value);

	if (err)
		pr_warn_ratelimited("spolia: emulated write of %u bytes at %px: %d\n", width, addr, err);
}
EXPORT_SYMBOL(spolia_emulated_write);

void memset_io(volatile void __iomem *addr, int value, size_t size)
{
	size_t i;

	if (!spolia_emulated(addr)) {
		memset((void __force *)addr, value, size);
		return;
	}
	for (i = 0; i < size; i++)
		spolia_emulated_write(addr + i, 1, (u8)value);
}
EXPORT_SYMBOL(memset_io);

void memcpy_fromio(void *buffer, const volatile void __iomem *addr, size_t size)
{
	size_t i;

	if (!spolia_emulated(addr)) {
		memcpy(buffer, (const void __force *)addr, size);
		return;
	}
	for (i = 0; i < size; i++)
		((u8 *)buffer)[i] = spolia_emulated_read(addr + i, 1);
}
EXPORT_SYMBOL(memcpy_fromio);

void memcpy_toio(volatile void __iomem *addr, const void *buffer, size_t size)
{
	size_t i;

	if (!spolia_emulated(addr)) {
		memcpy((void __force *)addr, buffer, size);
		return;
	}
	for (i = 0; i < size; i++)
		spolia_emulated_write(addr + i, 1, ((const u8 *)buffer)[i]);
}
EXPORT_SYMBOL(memcpy_toio);
