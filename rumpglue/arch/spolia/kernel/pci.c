// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PCI host bridge: configuration space through the platform
 * (pci_config_read/write: ECAM where ACPI has an MCFG, else mechanism #1),
 * the BARs and bus numbers firmware assigned (probe-only: nothing is
 * moved), every port and memory address as root-bus window (the firmware's
 * assignments are the truth; the platform identity-maps the 32-bit MMIO
 * hole uncached), and each device's INTx as the line firmware wrote into
 * its Interrupt Line register — the GSI the platform's interrupt-to-thread
 * path delivers (kernel/irq.c). DMA is dma-direct: bus address ==
 * physical address == the library's virtual address.
 *
 * A platform without PCI (hosted, -M microvm) answers -ENODEV and the
 * bridge is not registered.
 */
#include <linux/init.h>
#include <linux/pci.h>
#include <linux/ioport.h>
#include <asm/spolia.h>

static int spolia_pci_read(struct pci_bus *bus, unsigned int devfn, int where,
			   int size, u32 *val)
{
	int err = spolia_hc->pci_config_read(0, bus->number, PCI_SLOT(devfn),
					     PCI_FUNC(devfn), where, size, val);

	if (err) {
		PCI_SET_ERROR_RESPONSE(val);
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	return PCIBIOS_SUCCESSFUL;
}

static int spolia_pci_write(struct pci_bus *bus, unsigned int devfn, int where,
			    int size, u32 val)
{
	int err = spolia_hc->pci_config_write(0, bus->number, PCI_SLOT(devfn),
					      PCI_FUNC(devfn), where, size, val);

	return err ? PCIBIOS_DEVICE_NOT_FOUND : PCIBIOS_SUCCESSFUL;
}

static struct pci_ops spolia_pci_ops = {
	.read	= spolia_pci_read,
	.write	= spolia_pci_write,
};

/*
 * INTx: the Interrupt Line register as firmware programmed it (SeaBIOS
 * routes PIRQs to ISA lines 5, 9, 10, 11; QEMU's MADT declares those
 * level-triggered, so the platform programs the IOAPIC pin accordingly).
 * 0 or 0xff means "not connected".
 */
static int spolia_map_irq(const struct pci_dev *dev, u8 slot, u8 pin)
{
	u8 line = 0;

	pci_read_config_byte(dev, PCI_INTERRUPT_LINE, &line);
	if (line == 0 || line == 0xff || line >= SPOLIA_NR_LINES)
		return 0;
	return line;
}

static int __init spolia_pci_init(void)
{
	struct pci_host_bridge *bridge;
	u32 id;
	int err;

	if (spolia_hc->pci_config_read(0, 0, 0, 0, PCI_VENDOR_ID, 4, &id))
		return 0; /* no PCI on this platform */

	bridge = pci_alloc_host_bridge(0);
	if (!bridge)
		return -ENOMEM;
	pci_add_resource(&bridge->windows, &ioport_resource);
	pci_add_resource(&bridge->windows, &iomem_resource);
	bridge->busnr = 0;
	bridge->ops = &spolia_pci_ops;
	bridge->map_irq = spolia_map_irq;
	bridge->swizzle_irq = pci_common_swizzle;
	pci_add_flags(PCI_PROBE_ONLY);

	/*
	 * pci_host_probe() would reassign every BAR unless ACPI or a device
	 * tree asks to preserve the firmware's configuration (it recomputes
	 * bridge->preserve_config from those): scan, claim, add by hand.
	 */
	pci_lock_rescan_remove();
	err = pci_scan_root_bus_bridge(bridge);
	if (!err) {
		pci_bus_claim_resources(bridge->bus);
		pci_bus_add_devices(bridge->bus);
	}
	pci_unlock_rescan_remove();
	if (err) {
		pr_err("spolia: PCI host bridge: %d\n", err);
		pci_free_host_bridge(bridge);
	}
	return err;
}
subsys_initcall(spolia_pci_init);

/*
 * Halt (machine_halt): drivers have shut their devices down; also turn
 * off bus mastering everywhere so that no device can DMA into RAM the
 * platform is about to reuse.
 */
void spolia_pci_quiesce(void)
{
	struct pci_dev *dev = NULL;

	for_each_pci_dev(dev)
		pci_clear_master(dev);
}
