/**
 * Arm SMMUv3 nesting (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.c, v6.14 vIOMMU +
 * v6.15 vEVENTs; arm-smmu-v3.c arm_smmu_domain_alloc_paging_flags / _domain_finalise):
 *  - a nesting parent is a stage-2 domain (NEST_PARENT needs FEAT_NESTING = IDR0.S1P and
 *    S2P); NEST_PARENT | DIRTY_TRACKING falls to the default case: -EOPNOTSUPP (Linux has no
 *    stage-2 dirty tracking: no STE.S2HD programming, no dirty_ops on S2 domains), so
 *    SET_DIRTY_TRACKING / GET_DIRTY_BITMAP on the parent are -EOPNOTSUPP;
 *  - the vIOMMU (IOMMU_VIOMMU_TYPE_ARM_SMMUV3): other types -> EOPNOTSUPP (size 0); parent
 *    not a stage-2 nesting parent of this SMMU -> EINVAL; the vIOMMU takes the parent's VMID;
 *  - a nested domain is a vSTE (IOMMU_HWPT_DATA_ARM_SMMUV3, ste[2]): flags -> EOPNOTSUPP;
 *    copy -> EINVAL / EFAULT; arm_smmu_validate_vste: V = 0 -> an abort STE; bits outside
 *    STRTAB_STE_0/1_NESTING_ALLOWED, Config other than abort / bypass / S1, or EATS other
 *    than ABT / TRANS -> EIO;
 *  - attach needs the device's vDEVICE on that vIOMMU (-ENOENT); the host STE is Config
 *    nested (S1 of the vSTE over the parent's S2, VMID), S2-only for a bypass vSTE, abort;
 *  - cache_invalidate (arm_vsmmu_cache_invalidate): the whole array is copied first
 *    (iommu_copy_struct_from_full_user_array, 16-byte commands); each command is converted
 *    (TLBI_NH_VA / VAA / ASID / ALL: the VMID forced to the vIOMMU's; TLBI_NSNH_ALL becomes
 *    TLBI_NH_ALL; ATC_INV / CFGI_CD / CFGI_CD_ALL: the vSID replaced by the physical SID,
 *    an unknown vSID -> EIO); any other opcode -> EIO; converted commands are issued in
 *    batches with CMD_SYNC; entry_num = commands handled;
 *  - vEVENTs: a stage-1 fault of a device on a nested domain is reported to the vIOMMU's
 *    IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 queue (32-byte event, StreamID replaced by the vSID);
 *    stage-2 faults (EVTQ_1_S2) stay with the host.
 */
import { ERRNO } from '../../base/errno';
import { fget, fset } from '../../base/bitfield';
import type { SmmuV3Hw } from '../../hw/smmuv3/model';
import type { HwFaultRecord } from '../../hw/queue';
import { CMDQ_OP, CMDQ_OP_GUEST, IDR0, STE, STE0_NESTING_ALLOWED, STE1_NESTING_ALLOWED, STE2, STE3, STE_CFG, cmdCfgiSte, cmdSync } from '../../hw/smmuv3/regs';
import { IOMMU_HWPT_DATA_ARM_SMMUV3, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, IOMMU_VIOMMU_TYPE_ARM_SMMUV3 } from '../../uapi/iommufd';
import type { PagingDomain } from '../paging-domain';
import type { Device, IommuDevice, IommuDirtyOps, IommuDomain, IommuDomainOps, ViommuCore, ViommuOps } from '../types';
import { nestedDomainOps } from '../nested-domain-ops';
import type { UserData, UserDataArray } from '../user-data';
import { iommuCopyFullUserArray, iommuCopyStructFromUser, u64At } from '../user-data';

/** CMDQ_BATCH_ENTRIES - 1: commands per batch before a CMD_SYNC. */
const BATCH = 63;

/** What the nesting code needs of the SMMUv3 driver. */
export interface SmmuNestHost extends IommuDevice {
  readonly hw: SmmuV3Hw;
  /** Stage-2 (nesting parent) domains and their VMIDs. */
  readonly s2Vmid: WeakMap<PagingDomain, number>;
  /** Leave the current domain and record `domain` as the device's; false for a foreign device. */
  setCurrentDomain(dev: Device, domain: IommuDomain | null): boolean;
}

/** ARM_SMMU_FEAT_NESTING: IDR0.S1P and S2P. */
export function smmuNestingSupported(hw: SmmuV3Hw): boolean {
  return ((hw.idr[0]! >> BigInt(IDR0.S1P)) & 1n) === 1n && ((hw.idr[0]! >> BigInt(IDR0.S2P)) & 1n) === 1n;
}

/** Write a host STE: Config with the stage-2 fields of `vmid` / `s2Root` and an S1 context pointer. */
export function writeS2Ste(hw: SmmuV3Hw, sid: number, cfg: number, vmid: number, s2Root: number, s1Ptr = 0, ats = false): void {
  const pa = hw.steAddr(sid);
  let q0 = fset(1n, STE.CFG_HI, STE.CFG_LO, cfg);
  if (cfg === STE_CFG.NESTED) q0 = fset(q0, STE.S1CTXPTR_HI, STE.S1CTXPTR_LO, s1Ptr / 64);
  hw.writeQword(pa + 24, fset(0n, STE3.S2TTB_HI, STE3.S2TTB_LO, s2Root / 16), 'ste.qw3');
  hw.writeQword(pa + 16, fset(0n, STE2.S2VMID_HI, STE2.S2VMID_LO, vmid), 'ste.qw2');
  hw.writeQword(pa + 8, ats && cfg === STE_CFG.NESTED ? fset(0n, STE.EATS_HI, STE.EATS_LO, 1) : 0n, 'ste.qw1');
  hw.writeQword(pa, q0, 'ste.qw0');
  hw.submit([cmdCfgiSte(sid), cmdSync()]);
}

/** A vSTE nested domain. */
export class SmmuNestedDomain implements IommuDomain {
  readonly type = 'NESTED' as const;
  readonly pt = null;
  readonly devices = new Set<Device>();
  readonly dirtyOps: IommuDirtyOps | null = null;
  dirtyTracking = false;
  readonly ops: IommuDomainOps;

  constructor(
    readonly driver: SmmuNestHost,
    readonly tag: number,
    readonly parent: PagingDomain,
    /** The validated vSTE (zero for an abort vSTE). */
    readonly ste: [bigint, bigint],
    readonly enableAts: boolean,
    readonly vsmmu: SmmuVsmmu,
  ) {
    this.ops = nestedDomainOps({
      attachDev: (_d, dev) => vsmmu.attach(this, dev),
      free: () => vsmmu.nested.delete(this),
    });
  }

  get pgsizeBitmap(): number {
    return this.parent.pgsizeBitmap;
  }

  get geometry() {
    return this.parent.geometry;
  }
}

/** struct arm_vsmmu. */
export class SmmuVsmmu {
  readonly nested = new Set<SmmuNestedDomain>();
  readonly vmid: number;

  constructor(readonly host: SmmuNestHost, readonly parent: PagingDomain, readonly core: ViommuCore) {
    this.vmid = host.s2Vmid.get(parent)!;
  }

  ops(): ViommuOps {
    return {
      allocDomainNested: (flags, data) => this.allocNested(flags, data),
      cacheInvalidate: (arr) => this.cacheInvalidate(arr),
    };
  }

  /** arm_vsmmu_alloc_domain_nested + arm_smmu_validate_vste. */
  allocNested(flags: number, data: UserData): IommuDomain | number {
    if (flags) return -ERRNO.EOPNOTSUPP;
    const b = iommuCopyStructFromUser(data, IOMMU_HWPT_DATA_ARM_SMMUV3, 16, 16);
    if (typeof b === 'number') return b;
    let s0 = u64At(b, 0);
    let s1 = u64At(b, 8);
    let ats = false;
    if (!(s0 & 1n)) {
      s0 = 0n;
      s1 = 0n;
    } else {
      if (s0 & ~STE0_NESTING_ALLOWED || s1 & ~(STE1_NESTING_ALLOWED | (3n << BigInt(STE.EATS_LO)))) return -ERRNO.EIO;
      const cfg = fget(s0, STE.CFG_HI, STE.CFG_LO);
      if (cfg !== STE_CFG.ABORT && cfg !== STE_CFG.BYPASS && cfg !== STE_CFG.S1_TRANS) return -ERRNO.EIO;
      const eats = fget(s1, STE.EATS_HI, STE.EATS_LO);
      s1 &= ~(3n << BigInt(STE.EATS_LO));
      if (eats !== 0 && eats !== 1) return -ERRNO.EIO;
      if (cfg === STE_CFG.S1_TRANS) ats = eats === 1;
    }
    const d = new SmmuNestedDomain(this.host, 0x10000 + this.vmid, this.parent, [s0, s1], ats, this);
    this.nested.add(d);
    return d;
  }

  /** arm_smmu_attach_dev_nested: vDEVICE required; host STE nested / S2-only / abort. */
  attach(d: SmmuNestedDomain, dev: Device): number {
    const vsid = this.core.vdevIdOf(dev);
    if (typeof vsid === 'number') return vsid;
    if (!this.host.setCurrentDomain(dev, d)) return -ERRNO.ENODEV;
    const hw = this.host.hw;
    const cfg = d.ste[0] & 1n ? fget(d.ste[0], STE.CFG_HI, STE.CFG_LO) : STE_CFG.ABORT;
    const root = this.parent.pt.rootPhys;
    if (cfg === STE_CFG.S1_TRANS) writeS2Ste(hw, dev.sid, STE_CFG.NESTED, this.vmid, root, fget(d.ste[0], STE.S1CTXPTR_HI, STE.S1CTXPTR_LO) * 64, d.enableAts && dev.ats);
    else if (cfg === STE_CFG.BYPASS) writeS2Ste(hw, dev.sid, STE_CFG.S2_TRANS, this.vmid, root);
    else writeS2Ste(hw, dev.sid, STE_CFG.ABORT, 0, root);
    d.devices.add(dev);
    // arm_smmu_handle_event: stage-1 events of a device with a vmaster go to its vEVENTQ.
    hw.setFaultHandler(dev.sid, (f) => this.reportEvent(f, vsid));
    return 0;
  }

  /** arm_vmaster_report_event: the 32-byte record with the vSID; stage-2 faults are not forwarded. */
  private reportEvent(f: HwFaultRecord, vsid: bigint): void {
    const q1 = BigInt('0x' + f.raw[1]!);
    if ((q1 >> 39n) & 1n) return;
    const b = new Uint8Array(32);
    const dv = new DataView(b.buffer);
    const q0 = (BigInt('0x' + f.raw[0]!) & 0xffff_ffffn) | ((vsid & 0xffff_ffffn) << 32n);
    dv.setBigUint64(0, q0, true);
    dv.setBigUint64(8, q1, true);
    dv.setBigUint64(16, BigInt('0x' + (f.raw[2] ?? '0')), true);
    this.core.reportEvent(IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, b);
  }

  /** arm_vsmmu_cache_invalidate. */
  cacheInvalidate(arr: UserDataArray): number {
    const cmds = iommuCopyFullUserArray(arr, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16);
    if (typeof cmds === 'number') {
      arr.entryNum = 0;
      return cmds;
    }
    const out: bigint[][] = [];
    let done = 0;
    let rc = 0;
    for (const c of cmds) {
      let q0 = u64At(c, 0);
      const q1 = u64At(c, 8);
      const op = Number(q0 & 0xffn);
      if (op === CMDQ_OP.TLBI_NSNH_ALL) q0 = BigInt(CMDQ_OP.TLBI_NH_ALL);
      if (op === CMDQ_OP.TLBI_NH_VA || op === CMDQ_OP_GUEST.TLBI_NH_VAA || op === CMDQ_OP.TLBI_NH_ALL || op === CMDQ_OP.TLBI_NH_ASID || op === CMDQ_OP.TLBI_NSNH_ALL) {
        q0 = fset(q0, 47, 32, this.vmid);
      } else if (op === CMDQ_OP.ATC_INV || op === CMDQ_OP.CFGI_CD || op === CMDQ_OP.CFGI_CD_ALL) {
        const dev = this.core.findDev(q0 >> 32n);
        if (!dev) {
          rc = -ERRNO.EIO;
          break;
        }
        q0 = fset(q0, 63, 32, dev.sid);
      } else {
        rc = -ERRNO.EIO;
        break;
      }
      out.push([q0, q1]);
      done++;
      if (out.length === BATCH) this.host.hw.submit([...out.splice(0), cmdSync()]);
    }
    if (out.length) this.host.hw.submit([...out, cmdSync()]);
    arr.entryNum = done;
    return rc;
  }
}

/** get_viommu_size of SMMUv3: only IOMMU_VIOMMU_TYPE_ARM_SMMUV3, with FEAT_NESTING. */
export function smmuViommuSize(hw: SmmuV3Hw, type: number): number {
  return type === IOMMU_VIOMMU_TYPE_ARM_SMMUV3 && smmuNestingSupported(hw) ? 1 : 0;
}
