/**
 * VT-d nesting (drivers/iommu/intel/nested.c and pasid.c intel_pasid_setup_nested, v6.8 +
 * the v6.13 domain_alloc_nested op and the Feb-2024 dirty fixes): a NESTED domain is the
 * guest's first-stage table (IOMMU_HWPT_DATA_VTD_S1 {flags, pgtbl_addr, addr_width}) over a
 * nesting-parent second-stage domain; attach writes a PGTT=3 PASID entry (FLPTR =
 * pgtbl_addr, SLPTPTR = the parent's root, DID = the nested domain's, SSADE = the parent's
 * dirty tracking). VT-d has no vIOMMU object: nested HWPTs come from the parent HWPT.
 *  - alloc: data type other than VTD_S1 -> EOPNOTSUPP; flags other than ALLOC_PASID ->
 *    EOPNOTSUPP; the parent not a nesting-parent VT-d second-stage domain -> EINVAL;
 *    iommu_copy_struct_from_user (min __reserved: 24 bytes) -> EINVAL / EFAULT.
 *  - attach (intel_pasid_setup_nested): addr_width other than 48 (or 57 with CAP.FL5LP) ->
 *    EINVAL; SRE, EAFE (ECAP.SRS / EAFS not modelled) -> EINVAL.
 *  - cache_invalidate_user (intel_nested_cache_invalidate_user): type other than
 *    IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 -> EINVAL (none handled); per entry (min __reserved,
 *    24 bytes): copy errno; unknown flags or __reserved -> EOPNOTSUPP; addr not 4 KiB aligned
 *    or npages U64_MAX with addr != 0 -> EINVAL; else PASID-based IOTLB (+ device TLB)
 *    invalidation of [addr, addr + npages * 4 KiB) (everything for addr 0 / npages U64_MAX),
 *    leaf-only with IOMMU_VTD_INV_FLAGS_LEAF.
 *  - dirty tracking of a nesting parent propagates to its children (parent_domain_set_dirty_
 *    tracking, "iommu/vt-d: Track nested domains in parent", v6.8): SSADE in every child's
 *    PASID entries, rolled back on failure.
 * The guest's pgtbl_addr is resolved through the hardware model's table registry (the guest
 * table pages are not placed at guest-physical addresses; see core/hw/nested-walk.ts).
 */
import { ERRNO } from '../../base/errno';
import { bit, fget, fset } from '../../base/bitfield';
import type { VtdIommuHw } from '../../hw/intel/model';
import { CAP, ECAP, PE, PE_QW1, PE_QW2, PGTT, qiDevIotlb, qiIotlb, GRAN, qiPiotlb, qiPiotlbAll } from '../../hw/intel/regs';
import { IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_DATA_VTD_S1, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, IOMMU_VTD_INV_FLAGS_LEAF, IOMMU_VTD_S1_EAFE, IOMMU_VTD_S1_SRE, IOMMU_VTD_S1_WPE } from '../../uapi/iommufd';
import type { PagingDomain } from '../paging-domain';
import type { Device, IommuDevice, IommuDirtyOps, IommuDomain, IommuDomainOps } from '../types';
import { nestedDomainOps } from '../nested-domain-ops';
import type { UserData, UserDataArray } from '../user-data';
import { iommuCopyStructFromUser, iommuCopyStructFromUserArray, u32At, u64At } from '../user-data';
import { flushDevtlbAll, flushPasidCache, readPasidEntry, setupDirtyTracking, tearDownEntry } from './pasid';

const U64_MAX = (1n << 64n) - 1n;
/** AW for a 4-level second-stage table (AGAW 2). */
const AW_4LEVEL = 2;
/** MAX_AGAW_PFN_WIDTH: the "everything" mask of cache_tag_flush_all. */
const MAX_AGAW_PFN_WIDTH = 52;

/** What the nesting code needs of the VT-d driver. */
export interface VtdNestHost extends IommuDevice {
  readonly hw: VtdIommuHw;
  allocDidFor(): number;
  freeDid(did: number): void;
  /** The PASID directory of a probed device, or undefined. */
  pasidDirOf(dev: Device): number | undefined;
  /** Move `dev`'s RID bookkeeping to `domain` (detaching from its previous domain). */
  setCurrentDomain(dev: Device, domain: IommuDomain | null): void;
}

/** struct iommu_hwpt_vtd_s1. */
export interface VtdS1Config {
  flags: number;
  pgtblAddr: number;
  addrWidth: number;
}

/** A nested (first-stage over second-stage) VT-d domain. */
export class VtdNestedDomain implements IommuDomain {
  readonly type = 'NESTED' as const;
  readonly pt = null;
  readonly devices = new Set<Device>();
  readonly dirtyOps: IommuDirtyOps | null = null;
  dirtyTracking = false;
  readonly ops: IommuDomainOps;
  /** PASIDs each device is attached with (0 = RID). */
  readonly attachments = new Map<Device, Set<number>>();

  constructor(
    readonly driver: VtdNestHost,
    readonly tag: number,
    readonly parent: PagingDomain,
    readonly s1: VtdS1Config,
    private readonly nesting: VtdNesting,
  ) {
    this.ops = nestedOps(nesting);
  }

  get pgsizeBitmap(): number {
    return this.parent.pgsizeBitmap;
  }

  get geometry() {
    return this.parent.geometry;
  }
}

function nestedOps(n: VtdNesting): IommuDomainOps {
  return nestedDomainOps({
    attachDev: (d, dev) => n.attach(d as VtdNestedDomain, dev, 0),
    setDevPasid: (d, dev, pasid) => n.attach(d as VtdNestedDomain, dev, pasid),
    free: (d) => n.free(d as VtdNestedDomain),
    cacheInvalidateUser: (d, arr) => n.cacheInvalidateUser(d as VtdNestedDomain, arr),
  });
}

/** The driver's nesting state: nesting parents and their children (dmar_domain->s1_domains). */
export class VtdNesting {
  /** Second-stage domains allocated with IOMMU_HWPT_ALLOC_NEST_PARENT. */
  readonly parents = new WeakSet<PagingDomain>();
  private readonly children = new Map<PagingDomain, Set<VtdNestedDomain>>();

  constructor(private readonly host: VtdNestHost) {}

  /** The nested children of a parent (for flushes and dirty propagation). */
  childrenOf(parent: PagingDomain): ReadonlySet<VtdNestedDomain> {
    return this.children.get(parent) ?? new Set();
  }

  /** intel_iommu_domain_alloc_nested. */
  alloc(parent: IommuDomain, flags: number, data: UserData): IommuDomain | number {
    if (flags & ~IOMMU_HWPT_ALLOC_PASID) return -ERRNO.EOPNOTSUPP;
    if (data.type !== IOMMU_HWPT_DATA_VTD_S1) return -ERRNO.EOPNOTSUPP;
    const p = parent as PagingDomain;
    if (parent.driver !== this.host || !this.parents.has(p)) return -ERRNO.EINVAL;
    const b = iommuCopyStructFromUser(data, IOMMU_HWPT_DATA_VTD_S1, 24, 24);
    if (typeof b === 'number') return b;
    const did = this.host.allocDidFor();
    if (did > 0xffff) return -ERRNO.ENOMEM;
    const cfg: VtdS1Config = { flags: Number(u64At(b, 0) & 0xffff_ffffn), pgtblAddr: Number(u64At(b, 8)), addrWidth: u32At(b, 16) };
    const d = new VtdNestedDomain(this.host, did, p, cfg, this);
    let set = this.children.get(p);
    if (!set) this.children.set(p, (set = new Set()));
    set.add(d);
    return d;
  }

  /** intel_nested_attach_dev / intel_nested_set_dev_pasid -> intel_pasid_setup_nested. */
  attach(d: VtdNestedDomain, dev: Device, pasid: number): number {
    const hw = this.host.hw;
    const dir = this.host.pasidDirOf(dev);
    if (dir === undefined) return -ERRNO.ENODEV;
    if (!hw.ecapHas(ECAP.NEST)) return -ERRNO.ENODEV;
    const aw = d.s1.addrWidth;
    if (aw !== 48 && !(aw === 57 && hw.capHas(CAP.FL5LP))) return -ERRNO.EINVAL;
    if (d.s1.flags & (IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_EAFE)) return -ERRNO.EINVAL;
    if (d.s1.flags & ~(IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_EAFE | IOMMU_VTD_S1_WPE)) return -ERRNO.EINVAL;
    if (pasid === 0) this.host.setCurrentDomain(dev, d);
    this.writeEntry(d, dev, dir, pasid);
    d.devices.add(dev);
    let ps = d.attachments.get(dev);
    if (!ps) d.attachments.set(dev, (ps = new Set()));
    ps.add(pasid);
    return 0;
  }

  /** pasid_pte_config_nested: PGTT 3, FLPTR / FLPM / WPE, SLPTPTR / AW / SSADE, DID, PWSNP. */
  private writeEntry(d: VtdNestedDomain, dev: Device, dir: number, pasid: number): void {
    const hw = this.host.hw;
    tearDownEntry(hw, dev, dir, pasid);
    const pa = hw.pasidEntryAddr(dir, pasid, true);
    let q2 = BigInt(d.s1.pgtblAddr) & ~0xfffn;
    if (d.s1.addrWidth === 57) q2 = fset(q2, PE_QW2.FLPM_HI, PE_QW2.FLPM_LO, 1);
    if (d.s1.flags & IOMMU_VTD_S1_WPE) q2 |= 1n << 4n;
    let q0 = BigInt(d.parent.pt.rootPhys) & ~0xfffn;
    q0 = fset(q0, PE.AW_HI, PE.AW_LO, AW_4LEVEL);
    q0 = fset(q0, PE.PGTT_HI, PE.PGTT_LO, PGTT.NESTED);
    if (d.parent.dirtyTracking) q0 |= 1n << BigInt(PE.SSADE);
    q0 |= 1n << BigInt(PE.P);
    const q1 = fset(0n, PE.DID_HI, PE.DID_LO, d.tag) | (1n << BigInt(PE_QW1.PWSNP));
    hw.writeQword(pa + 16, q2, 'pasid.qw2');
    hw.writeQword(pa + 8, q1, 'pasid.qw1');
    hw.writeQword(pa, q0, 'pasid.qw0');
    if (((hw.cap >> BigInt(CAP.CM)) & 1n) === 1n) flushPasidCache(hw, d.tag, pasid);
  }

  /** The device leaves the nested domain (RID detach or PASID removal). */
  detach(d: VtdNestedDomain, dev: Device, pasid: number): void {
    const ps = d.attachments.get(dev);
    ps?.delete(pasid);
    if (!ps?.size) {
      d.attachments.delete(dev);
      d.devices.delete(dev);
    }
  }

  free(d: VtdNestedDomain): void {
    this.children.get(d.parent)?.delete(d);
    this.host.freeDid(d.tag);
  }

  /** intel_nested_cache_invalidate_user. */
  cacheInvalidateUser(d: VtdNestedDomain, arr: UserDataArray): number {
    let done = 0;
    let rc = 0;
    if (arr.type !== IOMMU_HWPT_INVALIDATE_DATA_VTD_S1) rc = -ERRNO.EINVAL;
    else {
      for (let i = 0; i < arr.entryNum; i++) {
        const e = iommuCopyStructFromUserArray(arr, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, i, 24, 24);
        if (typeof e === 'number') {
          rc = e;
          break;
        }
        const addr = u64At(e, 0);
        const npages = u64At(e, 8);
        const flags = u32At(e, 16);
        if (flags & ~IOMMU_VTD_INV_FLAGS_LEAF || u32At(e, 20)) {
          rc = -ERRNO.EOPNOTSUPP;
          break;
        }
        if (addr & 0xfffn || (npages === U64_MAX && addr)) {
          rc = -ERRNO.EINVAL;
          break;
        }
        this.flushRange(d, addr, npages, (flags & IOMMU_VTD_INV_FLAGS_LEAF) !== 0);
        done++;
      }
    }
    arr.entryNum = done;
    return rc;
  }

  /** cache_tag_flush_range over the nested domain's tags: P_IOTLB per attachment, then device TLBs, one wait. */
  private flushRange(d: VtdNestedDomain, addr: bigint, npages: bigint, leaf: boolean): void {
    const descs: bigint[][] = [];
    const all = npages === U64_MAX || npages >= 1n << 40n;
    let mask = 0;
    if (!all) while (2n ** BigInt(mask) < npages) mask++;
    const a = Number(addr);
    for (const [dev, pasids] of d.attachments) {
      for (const pasid of pasids) {
        descs.push(all || mask >= MAX_AGAW_PFN_WIDTH ? qiPiotlbAll(d.tag, pasid) : qiPiotlb(d.tag, pasid, Math.floor(a / 2 ** (mask + 12)) * 2 ** (mask + 12), mask, leaf));
        if (dev.ats) descs.push(qiDevIotlb(dev.sid, 32, all ? 0 : a, all ? MAX_AGAW_PFN_WIDTH : mask));
      }
    }
    if (descs.length) this.host.hw.qiSubmitSync(descs);
  }

  /**
   * The nesting-parent cache tags of a second-stage flush (CACHE_TAG_NESTING_IOTLB /
   * _DEVTLB, v6.10): an IOTLB invalidation per child DID (the combined entries of a DID are
   * dropped by it) and the children's device TLBs.
   */
  parentFlushDescs(parent: PagingDomain, addr: number, mask: number, mamv: number): bigint[][] {
    const out: bigint[][] = [];
    for (const c of this.childrenOf(parent)) {
      if (!c.attachments.size) continue;
      out.push(mask > mamv ? qiIotlb(GRAN.DOMAIN, c.tag, 0, 0) : qiIotlb(GRAN.DEVICE_OR_PAGE, c.tag, addr, mask));
      for (const dev of c.attachments.keys()) if (dev.ats) out.push(qiDevIotlb(dev.sid, 32, addr, mask));
    }
    return out;
  }

  /**
   * parent_domain_set_dirty_tracking: SSADE of every child's PASID entries; on failure the
   * children done so far go back to the parent's current state. 0 or the errno.
   */
  parentSetDirtyTracking(parent: PagingDomain, enable: boolean): number {
    const done: [Device, number][] = [];
    for (const c of this.childrenOf(parent)) {
      for (const [dev, pasids] of c.attachments) {
        const dir = this.host.pasidDirOf(dev)!;
        for (const pasid of pasids) {
          const rc = setupDirtyTracking(this.host.hw, dev, dir, pasid, enable);
          if (rc) {
            for (const [dd, pp] of done) setupDirtyTracking(this.host.hw, dd, this.host.pasidDirOf(dd)!, pp, parent.dirtyTracking);
            return rc;
          }
          done.push([dev, pasid]);
        }
      }
    }
    return 0;
  }

  /** SSADE of a child's entry (for tests and the inspector). */
  entrySsade(dev: Device, pasid: number): boolean | null {
    const dir = this.host.pasidDirOf(dev);
    if (dir === undefined) return null;
    const e = readPasidEntry(this.host.hw, dir, pasid);
    return e && bit(e.q0, PE.P) && fget(e.q0, PE.PGTT_HI, PE.PGTT_LO) === PGTT.NESTED ? bit(e.q0, PE.SSADE) : null;
  }

  /** remove_dev_pasid of a nested attachment. */
  removePasid(d: VtdNestedDomain, dev: Device, pasid: number): void {
    const dir = this.host.pasidDirOf(dev);
    if (dir !== undefined) {
      tearDownEntry(this.host.hw, dev, dir, pasid);
      flushDevtlbAll(this.host.hw, dev, pasid);
    }
    this.detach(d, dev, pasid);
  }
}
