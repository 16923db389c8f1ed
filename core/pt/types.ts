/**
 * Contract of the generic IO page table (core/pt), modelled on the kernel's generic page
 * table (drivers/iommu/generic_pt/, "iommupt"). Shared by the hardware models (DMA walks,
 * A/D updates), the vendor drivers (domain ops) and iommufd.
 *
 * Units: IOVAs, physical addresses (OA) and sizes are byte values held in JS numbers, so
 * they must be below 2^53 (a documented limit of the simulator; 57-bit VT-d IOVAs above
 * 2^53 are rejected with -ERANGE). Return codes are kernel style: 0 or a negative errno
 * (see core/errno.ts), byte counts as non-negative numbers.
 *
 * Sources: drivers/iommu/generic_pt/ (geometry, pt_compute_best_pgsize, map, unmap,
 * iova_to_phys); cut_mapping: docs/threads.md; include/linux/iommu.h (iommu_dirty_bitmap,
 * iommu_iotlb_gather).
 */

/** include/linux/iommu.h: IOMMU_READ (1 << 0). */
export const IOMMU_READ = 1;
/** include/linux/iommu.h: IOMMU_WRITE (1 << 1). */
export const IOMMU_WRITE = 2;

/** include/linux/iommu.h: IOMMU_DIRTY_NO_CLEAR (1 << 0), flag of read_and_clear_dirty. */
export const IOMMU_DIRTY_NO_CLEAR = 1;

/** Page-table formats the engine implements (core/pt/formats/<name>.ts). */
export type PtFormatName = 'amdv1' | 'vtdss' | 'armv8' | 'x86_64';

/**
 * struct iommu_iotlb_gather (include/linux/iommu.h): one pending invalidation hull plus the
 * table pages freed by unmap, flushed by one iotlb_sync. Empty when start > end
 * (the kernel initialises start = ULONG_MAX, end = 0).
 */
export interface IotlbGather {
  /** First IOVA of the hull, bytes. */
  start: number;
  /** Last IOVA of the hull (inclusive), bytes. */
  end: number;
  /** Page size of the gathered range (largest leaf seen), bytes; 0 when empty. */
  pgsize: number;
  /** Table pages (pool page indexes) freed by unmap; released after the flush. */
  freelist: number[];
  /** True when a flush queue (lazy mode) will do the flush instead of iotlb_sync. */
  queued: boolean;
}

/**
 * Destination of dirty bits: the kernel's struct iova_bitmap behind iommu_dirty_bitmap.
 * `set(iova, length)` marks every page of the bitmap's granule that intersects the range.
 */
export interface IovaBitmapSink {
  set(iova: number, length: number): void;
}

/** struct iommu_dirty_bitmap: where read_and_clear_dirty records, and the gather it fills. */
export interface IommuDirtyBitmap {
  /** Null when the caller only wants the bits cleared (the kernel's "clear only" pass). */
  bitmap: IovaBitmapSink | null;
  gather: IotlbGather;
}

/**
 * A located leaf: what a hardware walk needs to read and atomically update an IOPTE.
 * Filled in place by {@link PtIommu.lookupLeaf} to avoid allocation on the DMA hot path.
 */
export interface LeafRef {
  /** Pool page index of the table holding the leaf item that covers the IOVA. */
  page: number;
  /** Item index inside that table (0..511). */
  index: number;
  /** Level of the leaf (0 = 4 KiB level). */
  level: number;
  /** log2 of the whole leaf size (including contiguous/replicated items), bytes. */
  sizeLg2: number;
  /** Output address of the start of the whole leaf. */
  oa: number;
  /** Number of table levels read to reach the leaf (for walk cost). */
  levelsWalked: number;
}

/** Result of a hardware access to a leaf, see {@link PtFormat.hwAccess}. */
export const HW_ACCESS = {
  /** Access allowed, entry unchanged. */
  OK: 0,
  /** Access allowed, hardware atomically updated A and/or D in the entry. */
  UPDATED: 1,
  /** Write to a read-only entry (or read with no read permission): permission fault. */
  PERM_FAULT: 2,
} as const;

/** One level of a walk, for the page-table inspector (UI) and tests. */
export interface PtWalkStep {
  level: number;
  /** Pool page index of the table read at this level, and its physical address. */
  page: number;
  tablePhys: number;
  index: number;
  /** Raw 64-bit entry as 16 hex digits (no 0x). */
  raw: string;
  kind: 'EMPTY' | 'TABLE' | 'OA';
  /** Decoded fields named as the vendor manual names them (e.g. PR, IR, IW, NextLevel, A, D). */
  fields: Record<string, number | boolean | string>;
}

/** Format capability table. */
export interface PtFormatCaps {
  /** Hardware can record dirty state in leaves. */
  supportsDirty: boolean;
  /** cut_mapping is possible (OA_TABLE_XCHG and, for contiguous leaves, OA_SIZE_CHANGE). */
  cut: boolean;
  /** Leaf sizes built from several items via a contiguous hint (armv8 bit 52). */
  contiguous: boolean;
  /** Leaf sizes built from replicated PTEs (amdv1 next level 7). */
  replicated: boolean;
  /** OR of all possible leaf sizes (pgsize_bitmap), bytes. */
  pgsizeBitmap: number;
}

/** Values of {@link HW_ACCESS}. */
export type HwAccess = (typeof HW_ACCESS)[keyof typeof HW_ACCESS];

/**
 * An IO page table instance (the kernel's struct pt_iommu plus its iommu_pt ops).
 * Implemented once, format-agnostic, in core/pt; formats only encode/decode entries.
 */
export interface PtIommu {
  readonly formatName: PtFormatName;
  readonly caps: PtFormatCaps;
  /** Top level index (e.g. 3 for a 4-level table) and physical address of the top table. */
  readonly topLevel: number;
  readonly rootPhys: number;
  /** Largest IOVA + 1 the table can translate (2^max_vasz_lg2), bytes. */
  readonly vaLimit: number;

  /**
   * map_pages: map [iova, iova+size) to [paddr, ...) choosing pt_compute_best_pgsize at each
   * step. Returns 0 or -EADDRINUSE (overlap), -EINVAL (no prot, zero or misaligned size),
   * -ERANGE (outside VA/OA space), -EOVERFLOW (wrap), -ENOMEM (allocation failed; nothing
   * left mapped by this call). `mapped.bytes` reports bytes mapped, as the kernel does.
   */
  mapPages(iova: number, paddr: number, size: number, prot: number, mapped?: { bytes: number }): number;
  /**
   * unmap_pages: remove leaves starting in [iova, iova+size); a leaf that starts at the walk
   * position is removed whole even if the range ends inside it. Adds the range and freed
   * tables to `gather`. Returns bytes unmapped (0 if nothing mapped at iova).
   */
  unmapPages(iova: number, size: number, gather: IotlbGather): number;
  /** iova_to_phys: OA of the leaf plus offset; 0 when nothing is mapped. */
  iovaToPhys(iova: number): number;
  /**
   * cut_mapping (the 2024 posting, docs/threads.md): make `iova` a leaf boundary without
   * changing any translation; dirty state is carried into the new smaller leaves.
   * 0, -ENOENT (nothing mapped), -EOPNOTSUPP (format lacks the features), -ENOMEM.
   */
  cutMapping(iova: number): number;
  /**
   * read_and_clear_dirty: record each dirty leaf in [iova, iova+size) as its whole size and
   * clear D (unless flags has IOMMU_DIRTY_NO_CLEAR), adding every recorded range to
   * dirty.gather (as iommu_dirty_bitmap_record does, NO_CLEAR included). Never flushes.
   * Returns 0 or a negative errno (-EOPNOTSUPP without dirty support, range errors).
   */
  readAndClearDirty(iova: number, size: number, flags: number, dirty: IommuDirtyBitmap): number;
  /**
   * Set or clear the per-leaf dirty modifier (armv8 DBM); -EOPNOTSUPP on formats without one.
   * Adds changed ranges to gather.
   */
  setDirtyModifier(iova: number, size: number, on: boolean, gather: IotlbGather): number;
  /**
   * write-protect-and-clear: make writable leaves in range read-only and collect their dirty
   * state into `dirty` (the review thread's atomic alternative to unmap-with-dirty).
   */
  writeProtectAndClear(iova: number, size: number, dirty: IommuDirtyBitmap): number;

  /** Walk for the inspector: one step per level read, raw entries decoded. */
  walk(iova: number): PtWalkStep[];
  /** Hot path for DMA: locate the leaf covering iova into `out`; false when not mapped. */
  lookupLeaf(iova: number, out: LeafRef): boolean;
  /** Leaf permissions from its entry (IOMMU_READ | IOMMU_WRITE, as the format encodes them). */
  leafProt(ref: LeafRef): number;
  /** Whether the leaf currently records dirty (for a replicated leaf: any replica). */
  leafDirty(ref: LeafRef): boolean;
  /**
   * Hardware access/dirty update of a leaf, as the vendor manual describes it, applied
   * atomically to the entry the walk read. `setA`/`setD`: whether the hardware is enabled to
   * update A and D (AMD DTE HAD, VT-d SSADE, SMMUv3 CD.HA/HD). Returns a {@link HW_ACCESS}.
   */
  hwAccess(ref: LeafRef, write: boolean, setA: boolean, setD: boolean): HwAccess;

  /** Table pages this table holds, for accounting. */
  tablePages(): number;
  /** Free every table (after unmapping all); pool occupancy returns to its start value. */
  deinit(): void;
}
