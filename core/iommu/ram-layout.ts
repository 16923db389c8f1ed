/**
 * QEMU's guest RAM layouts, for VendorEntry.qemuRamSections (IOVA = GPA for a passthrough
 * device): where a machine type puts RAM in guest-physical space. RAM offsets [ram, ram+len)
 * sit at GPA [gpa, gpa+len), bytes.
 */

const GIB = 2 ** 30;

/**
 * x86 q35 (QEMU hw/i386/pc_q35.c pc_q35_init): lowmem = 2 GiB when RAM ≥ 0xb0000000
 * (2.75 GiB), else 2.75 GiB; RAM up to lowmem sits below 4 GiB, the rest from 4 GiB
 * (below_4g_mem_size / above_4g_mem_size).
 */
export function q35RamSections(ramBytes: number): { gpa: number; ram: number; len: number }[] {
  const lowmem = ramBytes >= 0xb000_0000 ? 2 * GIB : 0xb000_0000;
  if (ramBytes <= lowmem) return [{ gpa: 0, ram: 0, len: ramBytes }];
  return [
    { gpa: 0, ram: 0, len: lowmem },
    { gpa: 4 * GIB, ram: lowmem, len: ramBytes - lowmem },
  ];
}

/** arm64 virt (QEMU hw/arm/virt.c memmap VIRT_MEM): one RAM block at GPA 0x4000_0000 (1 GiB). */
export function armVirtRamSections(ramBytes: number): { gpa: number; ram: number; len: number }[] {
  return [{ gpa: GIB, ram: 0, len: ramBytes }];
}
