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
    ats: z.boolean().default(false).describe('PCIe ATS: device-TLB invalidations are issued'),
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
    guest: z
      .object({
        memory: boundedSize(4096, 2 ** 52, 'a 52-bit physical address space, x86-64 and Arm LPA2').describe('guest RAM mapped into the IOAS: 4 KiB to 4 PiB, a multiple of 4 KiB (2 MiB with the huge page policies)'),
        pagePolicy: z
          .enum(['4k', 'huge', 'huge-demote'])
          .default('4k')
          .describe("'4k': 4 KiB IOPTEs only; 'huge': largest pages the format allows; 'huge-demote': huge pages cut (cut_mapping) to 4 KiB when first found dirty"),
        mappedAfterEnable: boundedSize(0, 2 ** 52, 'a 52-bit physical address space')
          .default(0)
          .describe('bytes at the top of guest RAM mapped into the IOAS (a second IOMMU_IOAS_MAP) only after IOMMU_HWPT_SET_DIRTY_TRACKING, e.g. memory hot-plugged during migration; multiple of 4 KiB (2 MiB with the huge page policies), less than memory'),
      })
      .strict()
      .superRefine((g, ctx) => {
        if (!(g.memory >= 4096)) return; // memory itself is reported
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
      })
      .strict()
      .prefault({})
      .describe('what-if hardware/driver switches per vendor'),
    costOverrides: z
      .record(z.string().max(128), z.number().nonnegative().max(1e9, 'must be at most 1e9 ns (1 s for one operation)'))
      .default({})
      .describe('cost-model entries to override, simulated ns, 0 to 1e9 each'),
    iotlbEntries: z.number().int().min(1).max(1 << 20).optional(),
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
    });
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
