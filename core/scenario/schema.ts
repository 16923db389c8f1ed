/**
 * Scenario files: the zod definition is the single source of truth; the JSON Schema users
 * see (`iommu-workbench schema`, docs/scenario.schema.json) is generated from it.
 *
 * Sizes accept bytes (number) or strings with binary units ("16GiB", "2MiB", "4KiB").
 * Rates are per simulated second. Migration defaults follow QEMU (downtime-limit 300 ms)
 * (migration/options.c) and docs/cost-model-sources.md row 38 (25 Gb/s link).
 *
 * Bounds come from physics (a 1.6 Tb/s link at most, guest RAM within a 52-bit physical
 * address space, device rates of core/workload/schema.ts LIMITS); whether a valid scenario
 * fits this machine is estimated before it runs (./estimate.ts, checked by ./limits.ts).
 */
import { z } from 'zod';
import { DEFAULT_KERNEL, KERNEL_VERSIONS } from '../iommu/kernel';
import { SCENARIO_VENDORS } from '../iommu/registry';
import { boundedSize, workloadSchema } from '../workload/schema';

export { parseSize, workloadSchema } from '../workload/schema';

/** Vendors a scenario may list: the registry's hardware-backed models (core/iommu/registry.ts). */
export const VENDORS = SCENARIO_VENDORS;

/**
 * SMMUv3 dirty-tracking designs (the same list, in the same order, as SMMU_DIRTY_DESIGNS in
 * core/iommu/smmuv3/driver.ts; a test keeps them equal): 'v2' mainline always-DBM,
 * 'rfc-v1' the 2022 RFC v1 range-op design, 'rfc-v1-faithful' the RFC v1 code with errata
 * E3/E4/E6 (docs/rfc-errata.md; docs/vendors.md).
 */
export const SMMUV3_DIRTY_DESIGNS = ['v2', 'rfc-v1', 'rfc-v1-faithful'] as const;

const device = z
  .object({
    name: z.string().min(1).max(64),
    ats: z.boolean().default(false).describe('PCIe ATS: the device caches translations in its ATC (translated requests bypass the IOMMU; D is set when write permission is granted) and every flush also invalidates the device TLB'),
    pri: z.boolean().default(false).describe('PCIe PRI (needs ats): translation faults become page requests where the IOMMU driver enables PRI for the device (with guest.mappedOnFault the VMM resolves them through an iommufd fault queue; docs/iommufd.md "I/O page faults")'),
    atcEntries: z.number().int().min(1).max(1 << 16).optional().describe('entries of the device\'s ATC with ats (default 64, an estimate: device-specific)'),
    outstanding: z.number().int().min(1).max(4096).default(64).describe('DMA requests the device keeps in flight: with the DMA latency (round trip + translation) it bounds the device\'s access rate (Little\'s law), so translation costs slow the device'),
    workload: workloadSchema,
  })
  .strict();

export const scenarioSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1).max(80),
    description: z.string().default(''),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
    vendors: z.array(z.enum(VENDORS)).min(1).max(4).default([...VENDORS]),
    kernel: z
      .enum(KERNEL_VERSIONS)
      .default(DEFAULT_KERNEL)
      .describe("kernel whose IOMMU driver code is modelled: '6.19' = generic page table (iommupt) for AMD-Vi and VT-d, one descent with plain stores on dirty leaves; '6.7-6.18' = the drivers' own tables, a walk from the root and a locked test_and_clear_bit per present leaf. SMMUv3 uses io-pgtable-arm in both (docs/vendors.md)"),
    guest: z
      .object({
        memory: boundedSize(4096, 2 ** 52, 'a 52-bit physical address space, x86-64 and Arm LPA2').describe('guest RAM mapped into the IOAS: 4 KiB to 4 PiB, a multiple of 4 KiB (2 MiB with the huge page policies)'),
        pagePolicy: z
          .enum(['4k', 'huge', 'huge-demote'])
          .default('4k')
          .describe("'4k': 4 KiB IOPTEs only; 'huge': largest pages the format allows; 'huge-demote': huge pages cut (cut_mapping) to 4 KiB when first found dirty"),
        hugeBacking: z
          .enum(['hugetlb-1g', 'hugetlb-2m', 'thp', 'contiguous'])
          .default('hugetlb-1g')
          .describe("host backing of guest RAM with the huge page policies: 'hugetlb-1g' / 'hugetlb-2m' = one naturally aligned contiguous frame per huge page, the pages not contiguous with each other (so no leaf is larger than the huge page); 'thp' = 2 MiB pages with thpFragmentation of the extents left as scattered 4 KiB frames; 'contiguous' = one physically contiguous run (a what-if: AMD-Vi then maps replicated leaves far larger than 1 GiB)"),
        thpFragmentation: z.number().min(0).max(1).default(0).describe("hugeBacking 'thp': fraction of 2 MiB extents not backed by a huge page (4 KiB IOPTEs there)"),
        layout: z
          .enum(['flat', 'qemu'])
          .default('flat')
          .describe("where guest RAM sits in guest-physical (= IOVA) space: 'flat' = [0, memory); 'qemu' = the vendor's QEMU machine: x86 q35 puts RAM above 2 GiB at 4 GiB (below/above-4G split, two IOAS areas and two GET_DIRTY_BITMAP calls per round), arm64 virt at 1 GiB"),
        mappedAfterEnable: boundedSize(0, 2 ** 52, 'a 52-bit physical address space')
          .default(0)
          .describe('bytes at the top of guest RAM mapped into the IOAS (a second IOMMU_IOAS_MAP) only after IOMMU_HWPT_SET_DIRTY_TRACKING, e.g. memory hot-plugged during migration; multiple of 4 KiB (2 MiB with the huge page policies), less than memory'),
        mappedOnFault: boundedSize(0, 2 ** 52, 'a 52-bit physical address space')
          .default(0)
          .describe('bytes of guest RAM just below the mappedAfterEnable part left out of the IOAS and mapped by the VMM only when a device faults on them: IOMMU_FAULT_QUEUE_ALLOC, the HWPT allocated with IOMMU_HWPT_FAULT_ID_VALID, page requests read from the fault fd, one IOMMU_IOAS_MAP per 2 MiB block and an iommu_hwpt_page_response; a multiple of 2 MiB; needs a device with pri (a vendor whose driver does not enable PRI faults instead, docs/iommufd.md)'),
      })
      .strict()
      .superRefine((g, ctx) => {
        if (!(g.memory >= 4096)) return; // memory itself is reported
        if (g.mappedOnFault % 2 ** 21 !== 0 || g.mappedOnFault + g.mappedAfterEnable >= g.memory) {
          ctx.addIssue({ code: 'custom', path: ['mappedOnFault'], message: 'mappedOnFault must be a multiple of 2 MiB, and mappedOnFault + mappedAfterEnable less than memory' });
        }
        const align = g.pagePolicy === '4k' ? 4096 : 2 ** 21;
        if (g.memory % align !== 0) ctx.addIssue({ code: 'custom', path: ['memory'], message: `memory must be a multiple of ${align === 4096 ? '4 KiB' : "2 MiB with pagePolicy '" + g.pagePolicy + "'"}` });
        if (g.mappedAfterEnable >= g.memory || g.mappedAfterEnable % align !== 0) {
          ctx.addIssue({ code: 'custom', path: ['mappedAfterEnable'], message: `mappedAfterEnable must be a multiple of ${align} bytes and less than memory` });
        }
      }),
    viommu: z
      .boolean()
      .default(false)
      .describe("true = the guest has a vIOMMU and DMAs through its own stage-1 tables (VT-d first stage, SMMUv3 S1, AMD v2) nested over the host's NEST_PARENT table: the VMM allocates the parent with DIRTY_TRACKING where the vendor allows it (not SMMUv3: then QEMU marks all guest RAM dirty every round), a vIOMMU and vDEVICEs where the vendor uses them, and attaches each device to the nested HWPT; every IOTLB miss is a 2-D walk"),
    devices: z.array(device).min(1).max(16),
    migration: z
      .object({
        maxRounds: z.number().int().min(1).max(1000).default(20).describe('pre-copy rounds after round 0 before forcing switch-over'),
        linkGbps: z
          .number()
          .min(0.01, 'must be at least 0.01 Gb/s')
          .max(1600, 'must be at most 1600 Gb/s (1.6 Tb/s Ethernet, IEEE 802.3dj, the fastest link)')
          .default(25)
          .describe('migration link, Gb/s: 0.01 to 1600 (1.6 Tb/s)'),
        downtimeMs: z
          .number()
          .positive('must be greater than 0')
          .max(2_000_000, "must be at most 2,000,000 ms (QEMU's downtime-limit maximum, 2000 s)")
          .default(300)
          .describe('switch-over when remaining dirty data fits this budget (QEMU downtime-limit), ms, at most 2,000,000'),
        switchover: z
          .enum(['get-dirty-bitmap', 'unmap-read-dirty', 'write-protect-clear'])
          .default('get-dirty-bitmap')
          .describe('final dirty collection at switch-over (devices stopped): upstream IOMMU_HWPT_GET_DIRTY_BITMAP, the RFC unmap-with-dirty, or the review thread write-protect-and-clear'),
        flushAfterClear: z.boolean().default(true).describe('false = what-if: skip the IOTLB flush after clearing dirty bits (loses dirtying)'),
        devtlbFlushAfterClear: z.boolean().default(true).describe('false = what-if: flush the IOTLB after clearing dirty bits but skip the device-TLB (ATS) invalidations, so ATS devices keep writable ATC entries and their writes set no D (loses dirtying)'),
      })
      .strict()
      .prefault({}),
    hardware: z
      .object({
        smmuv3DirtyDesign: z
          .enum(SMMUV3_DIRTY_DESIGNS)
          .default('v2')
          .describe("SMMUv3 dirty tracking: 'v2' mainline (DBM on every writable leaf from domain creation; enabling is a clearing read), 'rfc-v1' the 2022 RFC v1 range op (DBM set by a walk + flush at enable; maps made after enabling are never tracked, errata E20), 'rfc-v1-faithful' the RFC v1 code as posted (E6: enabling fails with -EINVAL)"),
        intelRfcFaithful: z
          .boolean()
          .default(false)
          .describe("VT-d: the RFC v1 unmap-with-dirty code as posted (patch 19 dma_clear_pte_dirty tests (val & VTD_PAGE_MASK) & DMA_SL_PTE_DIRTY, errata E2): with migration.switchover 'unmap-read-dirty' no dirty page is reported; other switch-over methods are unaffected"),
        intelMgaw: z
          .union([z.literal(39), z.literal(48), z.literal(57)])
          .optional()
          .describe('VT-d CAP.MGAW + 1, the guest address width in bits (default 48; QEMU 7.2 vIOMMU: 39). With the default SAGAW: 39 → 3-level, 48 → 4-level, 57 → 5-level second-stage tables'),
        intelSagaw: z
          .array(z.union([z.literal(3), z.literal(4), z.literal(5)]))
          .min(1)
          .max(3)
          .optional()
          .describe('VT-d CAP.SAGAW: second-stage depths the unit walks (levels). Kernel 6.7-6.18 uses the deepest one (e.g. [4, 5] → 5-level tables even at MGAW 48); 6.19 picks the depth from MGAW (compute_vasz_lg2_ss)'),
      })
      .strict()
      .prefault({})
      .describe('what-if hardware/driver switches per vendor'),
    costOverrides: z
      .record(z.string().max(128), z.number().nonnegative().max(1e9, 'must be at most 1e9 ns (1 s for one operation)'))
      .default({})
      .describe('cost-model entries to override, simulated ns, 0 to 1e9 each'),
    iotlbEntries: z.number().int().min(1).max(1 << 20).optional().describe('IOTLB capacity in entries (vendor default: the costs command, hardware table)'),
    walkCacheEntries: z.number().int().min(0).max(1 << 16).optional().describe('walk (paging-structure) cache entries per table level; 0 = no walk caches (vendor default: the costs command)'),
    walkers: z.number().int().min(1).max(1024).optional().describe('concurrent page walks of the IOMMU: bounds a device\'s IOTLB-miss throughput (vendor default: the costs command)'),
    recording: z.enum(['ops', 'dma']).default('ops').describe("'ops': every operation, DMA counted per bucket; 'dma': also every DMA access"),
  })
  .strict()
  .superRefine((s, ctx) => {
    // Device regions must fit the guest (the generators place them inside guest RAM).
    s.devices.forEach((d, i) => {
      const w = d.workload;
      const fits = (field: string, bytes: number): void => {
        if (bytes > s.guest.memory) ctx.addIssue({ code: 'custom', path: ['devices', i, 'workload', field], message: `${field} (${bytes} bytes) must be at most guest.memory (${s.guest.memory} bytes)` });
      };
      if (w.kind === 'gpu-bulk') fits('regionBytes', w.regionBytes);
      if (w.kind === 'hot-set') fits('hotSetBytes', w.hotSetBytes);
      if (w.kind === 'nvme-read') fits('blockBytes', w.blockBytes);
      // PCIe: a PRI capability is only usable with ATS (PCIe Base spec 10.4; intel_iommu_enable_iopf needs both).
      if (d.pri && !d.ats) ctx.addIssue({ code: 'custom', path: ['devices', i, 'pri'], message: 'pri needs ats (PCIe Page Request Interface works on ATS translation requests)' });
    });
    if (s.guest.mappedOnFault > 0 && s.viommu) ctx.addIssue({ code: 'custom', path: ['guest', 'mappedOnFault'], message: 'mappedOnFault is modelled without a vIOMMU only' });
  });

/** A validated scenario (sizes in bytes, defaults applied). */
export type Scenario = z.output<typeof scenarioSchema>;
/** A scenario as written in a file. */
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type { Workload } from '../workload/schema';
export type ScenarioVendor = (typeof VENDORS)[number];

/** JSON Schema (draft 2020-12) of scenario files, generated from the zod definition. */
export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
