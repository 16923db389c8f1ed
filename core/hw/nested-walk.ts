/**
 * Two-stage (nested) translation on the DMA path: the device's context names a stage-1
 * table owned by the guest (VT-d first stage under a PGTT=3 PASID entry, SMMUv3 S1 CD
 * tables under an STE with Config S1+S2, AMD guest v2 table under a DTE with GV=1) whose
 * output addresses are guest-physical, translated again by the host's stage-2 / second-
 * stage / v1 table (the iommufd nesting parent).
 *
 * Walk cost (the 2-D walk): each of the g stage-1 table reads is itself at a guest-physical
 * address that the hardware translates through stage 2 (h reads), then the final GPA is
 * walked (h reads): g + g*h + h IOPTE reads, the (g+1)(h+1) - 1 of the VT-d spec §3.8 /
 * Arm SMMUv3 §3.4.2 nested-walk description. The stage-2 walks of stage-1 table pages are
 * charged with the final walk's depth h (the model does not place guest table pages at
 * GPAs; derived, without paging-structure caches). Costs: one `iotlb_miss` per walk, so a
 * nested miss charges g + 1 walks (derived from the vendor's measured/estimated single walk).
 * A/D: stage 1 by the context's setA/setD (VT-d first stage: always; SMMUv3: CD.HA/HD;
 * AMD v2: always), stage 2 by s2.setA/setD (SSADE, DTE.HAD; never on SMMUv3 in Linux).
 * The IOTLB caches the combined translation under the context's tag with S1 ∩ S2
 * permissions at the smaller leaf size. Not modelled: A/D write-backs into guest table
 * pages dirtying stage 2, nested paging-structure caches.
 */
import type { LeafRef, PtIommu } from '../pt/types';
import { HW_ACCESS, IOMMU_READ, IOMMU_WRITE } from '../pt/types';
import { POW2 } from '../base/bits';
import type { HwCounters } from './counters';
import { CI } from './cost/model';
import type { CostModel } from './cost/model';
import type { Iotlb } from './iotlb';
import type { FaultKind } from './queue';
import { FAULT_KIND } from './queue';

/** The stage-2 half of a nested context. */
export interface NestedStage2 {
  pt: PtIommu;
  setA: boolean;
  setD: boolean;
}

/** What the engine lends the nested walk. */
export interface NestedWalkEnv {
  counters: HwCounters;
  cost: CostModel;
  iotlb: Iotlb;
  cacheSizeLg2(leafLg2: number): number;
  /** Record a fault at `iova` (stage-1 or stage-2 miss / permission); returns the errno. */
  fault(kind: FaultKind, iova: number, stage2: boolean): number;
}

const ref1: LeafRef = { page: 0, index: 0, level: 0, sizeLg2: 12, oa: 0, levelsWalked: 0 };
const ref2: LeafRef = { page: 0, index: 0, level: 0, sizeLg2: 12, oa: 0, levelsWalked: 0 };

/**
 * Translate [iova, iova+length) through stage 1 (`s1`, tag `tag`) then stage 2. Returns 0
 * or the fault's errno (earlier pages completed).
 */
export function nestedDma(env: NestedWalkEnv, tag: number, s1: PtIommu, s1SetA: boolean, s1SetD: boolean, s2: NestedStage2, iova: number, length: number, write: boolean): number {
  const c = env.counters;
  const tlb = env.iotlb;
  const need = write ? IOMMU_WRITE : IOMMU_READ;
  const end = iova + length;
  let a = iova;
  while (a < end) {
    c.translations++;
    const slot = tlb.lookup(tag, a);
    if (slot >= 0) {
      c.iotlb_hit++;
      if ((tlb.perm[slot]! & need) !== 0 && (!write || tlb.dirtyKnown[slot] === 1)) {
        env.cost.chargeIdx(CI.iotlb_hit);
        a = tlb.hitEnd;
        continue;
      }
      c.iotlb_dirty_upgrade++;
    } else c.iotlb_miss++;
    env.cost.chargeIdx(CI.iotlb_miss);
    c.nested_walks++;
    ref1.levelsWalked = 0;
    const ok1 = s1.lookupLeaf(a, ref1);
    const g = ref1.levelsWalked;
    if (!ok1) {
      c.pte_read += g;
      return env.fault(FAULT_KIND.TRANSLATION, a, false);
    }
    const leafBase1 = Math.floor(a / POW2[ref1.sizeLg2]!) * POW2[ref1.sizeLg2]!;
    const gpa = ref1.oa + (a - leafBase1);
    ref2.levelsWalked = 0;
    const ok2 = s2.pt.lookupLeaf(gpa, ref2);
    const h = ref2.levelsWalked;
    // The 2-D walk: g stage-1 reads, a stage-2 walk per stage-1 table pointer, the final walk.
    const refs = g + g * h + h;
    c.pte_read += refs;
    c.nested_walk_refs += refs;
    for (let k = 0; k < g; k++) env.cost.chargeIdx(CI.iotlb_miss);
    if (!ok2) return env.fault(FAULT_KIND.TRANSLATION, a, true);
    const r1 = s1.hwAccess(ref1, write, s1SetA, s1SetD);
    if (r1 === HW_ACCESS.PERM_FAULT) return env.fault(FAULT_KIND.PERMISSION, a, false);
    const r2 = s2.pt.hwAccess(ref2, write, s2.setA, s2.setD);
    if (r2 === HW_ACCESS.PERM_FAULT) return env.fault(FAULT_KIND.PERMISSION, a, true);
    for (const r of [r1, r2]) {
      if (r === HW_ACCESS.UPDATED) {
        c.pte_write_atomic++;
        env.cost.chargeIdx(CI.hw_ad_update);
      }
    }
    const prot = (s1.leafProt(ref1) & s2.pt.leafProt(ref2)) | (write ? IOMMU_WRITE : 0);
    // A write is "known dirty" only when stage 2 (what the host tracks) has D.
    const dirtyKnown = write || ((prot & IOMMU_WRITE) !== 0 && (!s2.setD || s2.pt.leafDirty(ref2)) && (!s1SetD || s1.leafDirty(ref1)));
    const cs = env.cacheSizeLg2(Math.min(ref1.sizeLg2, ref2.sizeLg2));
    const base = Math.floor(a / POW2[cs]!) * POW2[cs]!;
    const leafBase2 = Math.floor(gpa / POW2[ref2.sizeLg2]!) * POW2[ref2.sizeLg2]!;
    const hpa = ref2.oa + (gpa - leafBase2) - (a - base);
    tlb.fill(tag, base, cs, hpa, prot, dirtyKnown);
    a = base + POW2[cs]!;
  }
  return 0;
}
