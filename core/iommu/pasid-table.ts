/**
 * Guest PASID tables (bind_pasid_table, the 2018 thread in docs/threads.md): the config userspace
 * passes, the IOMMU model numbers of JPB's sysfs proposal, and the bind-time validation every
 * hardware-backed driver shares. Table contents are never validated at bind; a malformed
 * guest entry shows up later as an unrecoverable fault record on DMA.
 *
 * Source: the 2018 bind_pasid_table thread (docs/threads.md); behaviour in docs/vendors.md
 * "PASID tables".
 */
import { ERRNO } from '../base/errno';

/** IOMMU model numbers (sysfs `model`): intel-vtd = 1, arm-smmu-v3 = 2. */
export const IOMMU_MODEL = { INTEL_VTD: 1, ARM_SMMU_V3: 2 } as const;

/** PASID_TABLE_CFG_VERSION_1. */
export const PASID_TABLE_CFG_VERSION_1 = 1;
/** sizeof(struct pasid_table_config) the simulated kernel knows (version, bytes, base_ptr, pasid_bits, model, 2 × u8, padding). */
export const PASID_TABLE_CFG_BYTES = 24;

/** struct pasid_table_config (v4 series + the thread's proposed `model` and SMMUv3 fields). */
export interface PasidTableConfig {
  version: number;
  bytes: number;
  /** Guest-physical base of the PASID table (SMMUv3: CD table), bytes. */
  basePtr: number;
  /** PASID bits the guest table covers. */
  pasidBits: number;
  model: number;
  /** SMMUv3 only: S1FMT (0 linear, 1 2-level 4K, 2 2-level 64K) and S1DSS (0 terminate, 1 bypass, 2 substream 0). */
  smmuv3?: { s1fmt: number; s1dss: number };
}

/** What a host IOMMU allows for binding. */
export interface PasidBindLimits {
  model: number;
  /** Required base alignment, bytes (4096 on VT-d, 64 on SMMUv3). */
  align: number;
  /** Host PASID width (0 = PASID unsupported). */
  pasidBits: number;
}

/**
 * Validate a bind request against the host (§3.3, in order): version, bytes, model, base
 * alignment, pasid_bits, vendor fields. Returns 0 or -EINVAL, with the reason in `why`.
 */
export function validatePasidTableConfig(cfg: PasidTableConfig, host: PasidBindLimits, why?: { reason: string }): number {
  const fail = (reason: string): number => {
    if (why) why.reason = reason;
    return -ERRNO.EINVAL;
  };
  if (cfg.version !== PASID_TABLE_CFG_VERSION_1) return fail(`unsupported version ${cfg.version}`);
  if (cfg.bytes !== PASID_TABLE_CFG_BYTES) return fail(`unknown config size ${cfg.bytes}`);
  if (cfg.model !== host.model) return fail(`model mismatch: table is model ${cfg.model}, this IOMMU is model ${host.model}`);
  if (!Number.isInteger(cfg.basePtr) || cfg.basePtr < 0 || cfg.basePtr % host.align !== 0) return fail(`base_ptr 0x${cfg.basePtr.toString(16)} not ${host.align}-byte aligned`);
  if (!Number.isInteger(cfg.pasidBits) || cfg.pasidBits < 0 || cfg.pasidBits > host.pasidBits) return fail(`pasid_bits ${cfg.pasidBits} exceeds host width ${host.pasidBits}`);
  if (host.model === IOMMU_MODEL.ARM_SMMU_V3) {
    const v = cfg.smmuv3;
    if (!v || ![0, 1, 2].includes(v.s1fmt) || ![0, 1, 2].includes(v.s1dss)) return fail('SMMUv3 s1fmt/s1dss missing or out of range');
  }
  return 0;
}
