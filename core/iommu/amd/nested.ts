/**
 * AMD-Vi nesting as the v6.19-era mainline has it (drivers/iommu/amd/iommufd.c, nested.c;
 * Suravee Suthikulpanit's "iommu/amd: Introduce Nested Translation support" as merged):
 * a nesting parent is a v1 host table (NEST_PARENT | DIRTY_TRACKING allowed); a vIOMMU
 * (amd_iommufd_get_viommu_size does not check the type) holds the parent and maps guest
 * DomIDs to host DomIDs; nested domains come from the vIOMMU with IOMMU_HWPT_DATA_AMD_GUEST
 * (the guest DTE, 32 bytes); attach programs one DTE with both stages (set_dte_nested: v1
 * root / Mode / HAD from the parent, DomID = the hDomID, GV = 1, GLX / GCR3 / guest paging
 * level from the guest DTE). There is no guest cache-invalidation path (no cache_invalidate
 * / cache_invalidate_user): IOMMU_HWPT_INVALIDATE is -EOPNOTSUPP.
 *  - alloc_domain_nested: flags -> EOPNOTSUPP; type other than AMD_GUEST -> EOPNOTSUPP;
 *    copy (min dte: 32 bytes) -> EINVAL / EFAULT; validate_gdte_nested: Mode or Host TRP
 *    set -> EINVAL; V and GV with GCR3 0 -> EINVAL; guest paging level other than 4/5 ->
 *    EINVAL; GLX 3 -> EINVAL; 5-level guest on a 4-level host -> EOPNOTSUPP.
 *  - dirty tracking: HAD comes from the parent's dirty_tracking when the nested domain is
 *    attached. amd_iommu_set_dirty_tracking walks the parent's own devices
 *    (pdom->dev_data_list); devices on nested domains are not in it, so tracking turned on
 *    after the nested attach does not reach them (mainline as read, unverified upstream:
 *    modelled literally and reported in the comparison).
 * Model simplification: the guest DTE's GCR3 root pointer is taken as the guest v2 table
 * root (no GCR3 table indirection; one PASID, 0), resolved through the model's table registry.
 */
import { ERRNO } from '../../base/errno';
import { fget, fset } from '../../base/bitfield';
import type { AmdIommuHw } from '../../hw/amd/model';
import { DTE, GDTE, cmdCompletionWait, cmdInvDevtabEntry, cmdInvIommuPages, gdteGcr3 } from '../../hw/amd/regs';
import { IOMMU_HWPT_DATA_AMD_GUEST } from '../../uapi/iommufd';
import type { PagingDomain } from '../paging-domain';
import type { Device, IommuDevice, IommuDirtyOps, IommuDomain, IommuDomainOps, ViommuCore, ViommuOps } from '../types';
import { nestedDomainOps } from '../nested-domain-ops';
import type { UserData } from '../user-data';
import { iommuCopyStructFromUser, u64At } from '../user-data';


/** The guest DTE a VMM passes for a 4-level guest table at `root` (GV, V, GCR3 = root). */
export function amdGuestDte(root: number): Uint8Array {
  const r = BigInt(root);
  let q0 = (1n << BigInt(DTE.V)) | (1n << BigInt(GDTE.GV));
  q0 = fset(q0, GDTE.GCR3_14_12_HI, GDTE.GCR3_14_12_LO, Number((r >> 12n) & 7n));
  let q1 = fset(0n, GDTE.GCR3_30_15_HI, GDTE.GCR3_30_15_LO, Number((r >> 15n) & 0xffffn));
  q1 = fset(q1, GDTE.GCR3_51_31_HI, GDTE.GCR3_51_31_LO, Number((r >> 31n) & 0x1f_ffffn));
  const b = new Uint8Array(32);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, q0, true);
  dv.setBigUint64(8, q1, true);
  return b;
}


/** What the nesting code needs of the AMD driver. */
export interface AmdNestHost extends IommuDevice {
  readonly hw: AmdIommuHw;
  allocDomid(): number;
  freeDomid(id: number): void;
  /** Leave the current domain and record `domain` as the device's. */
  setCurrentDomain(dev: Device, domain: IommuDomain | null): boolean;
}

/** struct nested_domain. */
export class AmdNestedDomain implements IommuDomain {
  readonly type = 'NESTED' as const;
  readonly pt = null;
  readonly devices = new Set<Device>();
  readonly dirtyOps: IommuDirtyOps | null = null;
  dirtyTracking = false;
  readonly ops: IommuDomainOps;

  constructor(
    readonly driver: AmdNestHost,
    /** The host DomID (gdom_info->hdom_id) shared by nested domains of one guest DomID. */
    readonly tag: number,
    readonly parent: PagingDomain,
    readonly gdte: [bigint, bigint, bigint, bigint],
    readonly viommu: AmdViommu,
  ) {
    this.ops = nestedDomainOps({
      attachDev: (_d, dev) => viommu.attach(this, dev),
      free: () => viommu.freeNested(this),
    });
  }

  get pgsizeBitmap(): number {
    return this.parent.pgsizeBitmap;
  }

  get geometry() {
    return this.parent.geometry;
  }
}

/** struct amd_iommu_viommu: the parent and the guest DomID -> host DomID map. */
export class AmdViommu {
  /** gdomid_array: guest DomID -> { hdom_id, users }. */
  readonly gdom = new Map<number, { hdom: number; users: number }>();
  readonly nested = new Set<AmdNestedDomain>();

  constructor(readonly host: AmdNestHost, readonly parent: PagingDomain, readonly core: ViommuCore) {}

  ops(): ViommuOps {
    return {
      allocDomainNested: (flags, data) => this.allocNested(flags, data),
      destroy: () => this.host.viommus.delete(this),
    };
  }

  /** amd_iommu_alloc_domain_nested + validate_gdte_nested. */
  allocNested(flags: number, data: UserData): IommuDomain | number {
    if (flags) return -ERRNO.EOPNOTSUPP;
    if (data.type !== IOMMU_HWPT_DATA_AMD_GUEST) return -ERRNO.EOPNOTSUPP;
    const b = iommuCopyStructFromUser(data, IOMMU_HWPT_DATA_AMD_GUEST, 32, 32);
    if (typeof b === 'number') return b;
    const q = [u64At(b, 0), u64At(b, 8), u64At(b, 16), u64At(b, 24)] as [bigint, bigint, bigint, bigint];
    if (fget(q[0], DTE.MODE_HI, DTE.MODE_LO) || fget(q[0], DTE.PTR_HI, DTE.PTR_LO)) return -ERRNO.EINVAL;
    const v = (q[0] & 1n) === 1n;
    const gv = ((q[0] >> BigInt(GDTE.GV)) & 1n) === 1n;
    if (v && gv && gdteGcr3(q[0], q[1]) === 0) return -ERRNO.EINVAL;
    const gpt = fget(q[2], GDTE.GPT_HI, GDTE.GPT_LO);
    if (gpt > 1) return -ERRNO.EINVAL;
    if (fget(q[0], GDTE.GLX_HI, GDTE.GLX_LO) === 3) return -ERRNO.EINVAL;
    if (gpt === 1) return -ERRNO.EOPNOTSUPP; // amd_iommu_gpt_level is 4 in the model
    const gdomId = fget(q[1], DTE.DOMID_HI, DTE.DOMID_LO);
    let g = this.gdom.get(gdomId);
    if (!g) {
      const hdom = this.host.allocDomid();
      if (hdom > 0xffff) return -ERRNO.ENOSPC;
      this.gdom.set(gdomId, (g = { hdom, users: 0 }));
    }
    g.users++;
    const d = new AmdNestedDomain(this.host, g.hdom, this.parent, q, this);
    this.nested.add(d);
    return d;
  }

  freeNested(d: AmdNestedDomain): void {
    this.nested.delete(d);
    const gdomId = fget(d.gdte[1], DTE.DOMID_HI, DTE.DOMID_LO);
    const g = this.gdom.get(gdomId);
    if (g && --g.users === 0) {
      this.gdom.delete(gdomId);
      this.host.freeDomid(g.hdom);
    }
  }

  /** nested_attach_device -> set_dte_nested, then device_flush_dte and a completion wait. */
  attach(d: AmdNestedDomain, dev: Device): number {
    if (!this.host.setCurrentDomain(dev, d)) return -ERRNO.ENODEV;
    const p = this.parent;
    let q0 = BigInt(p.pt.rootPhys) & 0x000f_ffff_ffff_f000n;
    q0 = fset(q0, DTE.MODE_HI, DTE.MODE_LO, p.pt.topLevel + 1);
    for (const b of [DTE.V, DTE.TV, DTE.IR, DTE.IW, GDTE.GV]) q0 |= 1n << BigInt(b);
    if (p.dirtyTracking) q0 = fset(q0, DTE.HAD_HI, DTE.HAD_LO, 3);
    const g0 = d.gdte[0];
    q0 |= g0 & ((1n << BigInt(DTE.PPR)) | (3n << BigInt(GDTE.GLX_LO)) | (1n << BigInt(GDTE.GIOV)) | (7n << BigInt(GDTE.GCR3_14_12_LO)));
    let q1 = fset(0n, DTE.DOMID_HI, DTE.DOMID_LO, d.tag);
    q1 |= d.gdte[1] & ((0xffffn << 16n) | (0x1f_ffffn << 43n));
    if (dev.ats) q1 |= 1n << BigInt(DTE.I);
    const hw = this.host.hw;
    hw.writeDteQword(dev.sid, 2, d.gdte[2] & (3n << BigInt(GDTE.GPT_LO)));
    hw.writeDteQword(dev.sid, 1, q1);
    hw.writeDteQword(dev.sid, 0, q0);
    hw.submit([cmdInvDevtabEntry(dev.sid), cmdInvIommuPages(d.tag, 0, 2 ** 63, true), cmdCompletionWait(0, 1n)]);
    d.devices.add(dev);
    return 0;
  }

  /** A change of the parent (v1 / stage 2) flushes every hDomID of the vIOMMU (pdom->viommu_list). */
  parentFlushCmds(start: number, size: number): bigint[][] {
    return [...this.gdom.values()].map((g) => cmdInvIommuPages(g.hdom, start, size, true));
  }
}

/** The driver-side registry of vIOMMUs (for the parent flushes). */
export interface AmdNestHost {
  readonly viommus: Set<AmdViommu>;
}
