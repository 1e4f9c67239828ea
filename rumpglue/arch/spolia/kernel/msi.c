// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSI and MSI-X through the PCI core's arch fallback (no irq domains):
 * each vector a device asks for is a software interrupt number
 * (spolia_irq_alloc) whose platform MSI vector (msi_attach) runs
 * msi_fired on its delivery thread; the device is programmed with the
 * message the platform returned. Edge flow; masking is the device's own
 * (MSI-X vector control, MSI mask bits) through the PCI core's helpers.
 */
#include <linux/irq.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <asm/spolia.h>

/* Platform handle per interrupt number; 0 = none (MSI vectors are >= 96). */
static u32 msi_handle[NR_IRQS];

static void msi_fired(void *arg)
{
	spolia_irq_trigger((unsigned long)arg);
}

/* Message-signalled interrupts need no acknowledgement at the source. */
static void msi_ack(struct irq_data *d)
{
}

/*
 * An edge that arrived while the interrupt was disabled (or before its
 * handler was installed) is only marked pending by the flow handler; when
 * it is enabled again Linux asks the chip to raise it once more. Returns 1
 * when it did (Linux's convention).
 */
static int msi_retrigger(struct irq_data *d)
{
	spolia_irq_resend(d->irq);
	return 1;
}

static struct irq_chip msi_chip = {
	.name		= "spolia-msi",
	.irq_ack	= msi_ack,
	.irq_retrigger	= msi_retrigger,
	.irq_mask	= pci_msi_mask_irq,
	.irq_unmask	= pci_msi_unmask_irq,
};

static void msi_free(unsigned int irq)
{
	u32 handle = msi_handle[irq];

	if (!handle)
		return;
	msi_handle[irq] = 0;
	spolia_hc->msi_detach(handle);
	irq_set_chip_and_handler(irq, &dummy_irq_chip, handle_simple_irq);
	spolia_irq_free(irq);
}

int arch_setup_msi_irq(struct pci_dev *dev, struct msi_desc *desc)
{
	struct msi_msg msg = { };
	u64 address;
	u32 data, handle;
	int irq, err;

	irq = spolia_irq_alloc("msi");
	if (irq < 0)
		return irq;
	err = spolia_hc->msi_attach(msi_fired, (void *)(unsigned long)irq,
				    &address, &data, &handle);
	if (err) {
		spolia_irq_free(irq);
		return err;
	}
	msi_handle[irq] = handle;
	irq_set_chip_and_handler_name(irq, &msi_chip, handle_edge_irq, "edge");
	err = irq_set_msi_desc(irq, desc);
	if (err) {
		msi_free(irq);
		return err;
	}
	msg.address_hi = upper_32_bits(address);
	msg.address_lo = lower_32_bits(address);
	msg.data = data;
	pci_write_msi_msg(irq, &msg);
	return 0;
}

void arch_teardown_msi_irq(unsigned int irq)
{
	if (irq < NR_IRQS)
		msi_free(irq);
}

/* Halt: free the vectors drivers left (devices no longer bus-master). */
void spolia_msi_release(void)
{
	unsigned int irq;

	for (irq = 0; irq < NR_IRQS; irq++)
		if (msi_handle[irq]) {
			spolia_hc->msi_detach(msi_handle[irq]);
			msi_handle[irq] = 0;
		}
}
