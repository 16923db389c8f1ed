/**
 * The event catalogue: every event name the engine records, with its category, default
 * track, the arguments it carries, and where the name comes from.
 *
 * Names follow the real trace points where one exists:
 *  - kernel `include/trace/events/iommu.h` (TRACE_SYSTEM iommu): `iommu:map`, `iommu:unmap`,
 *    `iommu:io_page_fault`, `iommu:attach_device_to_domain`, ... (spec/upstream-uapi.md §6);
 *  - kernel `drivers/iommu/intel/trace.h`: `qi_submit`, `prq_report`;
 *  - QEMU `hw/i386/trace-events` / `hw/arm/trace-events` (spec §7, and the names actually
 *    present in fixtures/*.qemu-trace.txt): `vtd_inv_desc_iotlb_pages`, `vtd_inv_desc_wait_sw`,
 *    `smmuv3_cmdq_tlbi_nh_va`, `smmuv3_cmdq_cfgi_ste`, `amdvi_pages_inval`, ...;
 *  - iommufd ioctl names from include/uapi/linux/iommufd.h (spec §1.2);
 *  - `iommu_domain_ops` / `iommu_dirty_ops` member names for domain ops.
 * Events with origin 'sim' have no upstream trace point (e.g. dirty tracking, migration);
 * the UI must not present them as kernel events (spec §6.1 note).
 *
 * The recorder accepts any name; this list is what the UI offers as filters and what
 * docs/trace-store.md documents.
 */

/** Broad groups the UI filters on. */
export const EVENT_CATEGORIES = [
  'ioctl',
  'domain_op',
  'driver',
  'table_update',
  'invalidation',
  'iotlb',
  'page_walk',
  'ad_update',
  'fault',
  'page_request',
  'migration',
  'dma',
  'kernel_trace',
] as const;
export type EventCategory = (typeof EVENT_CATEGORIES)[number];

/** Where the event name comes from. */
export type EventOrigin = 'kernel' | 'qemu' | 'iommufd' | 'sim';

/** One catalogue entry. `args` lists argument keys (hot ones go to typed columns). */
export interface EventSpec {
  readonly name: string;
  readonly category: EventCategory;
  /** Default track (see Recorder.slice). */
  readonly track: string;
  readonly origin: EventOrigin;
  /** Hardware family the event belongs to, as data for UI filters (never branched on). */
  readonly family?: 'amd' | 'intel' | 'smmuv3';
  readonly args: readonly string[];
  readonly doc: string;
}

/** Argument keys stored in typed slice columns instead of the args table. */
export const HOT_ARGS = ['iova', 'length', 'errno'] as const;

function ev(
  name: string,
  category: EventCategory,
  track: string,
  origin: EventOrigin,
  args: readonly string[],
  doc: string,
  family?: EventSpec['family'],
): EventSpec {
  return family ? { name, category, track, origin, args, doc, family } : { name, category, track, origin, args, doc };
}

const K = 'kernel';
const Q = 'qemu';
const S = 'sim';

/** iommufd ioctls (spec/upstream-uapi.md §1.2); args are the struct fields plus errno. */
const IOCTLS: readonly [string, readonly string[]][] = [
  ['IOMMU_DESTROY', ['id']],
  ['IOMMU_IOAS_ALLOC', ['flags', 'out_ioas_id']],
  ['IOMMU_IOAS_ALLOW_IOVAS', ['ioas_id', 'num_iovas']],
  ['IOMMU_IOAS_COPY', ['flags', 'dst_ioas_id', 'src_ioas_id', 'length', 'dst_iova', 'src_iova']],
  ['IOMMU_IOAS_IOVA_RANGES', ['ioas_id', 'num_iovas', 'out_iova_alignment']],
  ['IOMMU_IOAS_MAP', ['flags', 'ioas_id', 'user_va', 'length', 'iova']],
  ['IOMMU_IOAS_UNMAP', ['ioas_id', 'iova', 'length']],
  ['IOMMU_OPTION', ['option_id', 'op', 'object_id', 'val64']],
  ['IOMMU_VFIO_IOAS', ['ioas_id', 'op']],
  ['IOMMU_HWPT_ALLOC', ['flags', 'dev_id', 'pt_id', 'out_hwpt_id', 'data_type', 'fault_id']],
  ['IOMMU_GET_HW_INFO', ['flags', 'dev_id', 'data_len', 'out_data_type', 'out_capabilities']],
  ['IOMMU_HWPT_SET_DIRTY_TRACKING', ['flags', 'hwpt_id']],
  ['IOMMU_HWPT_GET_DIRTY_BITMAP', ['hwpt_id', 'flags', 'iova', 'length', 'page_size']],
  ['IOMMU_HWPT_INVALIDATE', ['hwpt_id', 'data_type', 'entry_len', 'entry_num']],
  ['IOMMU_FAULT_QUEUE_ALLOC', ['flags', 'out_fault_id', 'out_fault_fd']],
  ['IOMMU_IOAS_MAP_FILE', ['flags', 'ioas_id', 'fd', 'start', 'length', 'iova']],
  ['IOMMU_VIOMMU_ALLOC', ['flags', 'type', 'dev_id', 'hwpt_id', 'out_viommu_id']],
  ['IOMMU_VDEVICE_ALLOC', ['viommu_id', 'dev_id', 'out_vdevice_id', 'virt_id']],
  ['IOMMU_IOAS_CHANGE_PROCESS', []],
  ['IOMMU_VEVENTQ_ALLOC', ['flags', 'viommu_id', 'type', 'veventq_depth', 'out_veventq_id']],
  ['IOMMU_HW_QUEUE_ALLOC', ['flags', 'viommu_id', 'type', 'index', 'out_hw_queue_id', 'nr_pages', 'base_addr']],
];

const I = 'intel';
const A = 'amd';
const M = 'smmuv3';

/** The full catalogue, in a stable order. */
export const EVENTS: readonly EventSpec[] = [
  ...IOCTLS.map(([n, f]) => ev(n, 'ioctl', 'iommufd', 'iommufd', [...f, 'errno'], `ioctl(${n}); struct fields and result errno`)),

  // Kernel iommu trace points (include/trace/events/iommu.h), as emitted by iommu_map()/iommu_unmap().
  ev('iommu:map', 'kernel_trace', 'domain', K, ['iova', 'paddr', 'length'], 'iommu_map(): once per call (whole range); length = size in bytes'),
  ev('iommu:unmap', 'kernel_trace', 'domain', K, ['iova', 'length', 'unmapped_size'], 'iommu_unmap(): length = requested size, unmapped_size = bytes unmapped'),
  ev('iommu:io_page_fault', 'fault', 'hw.fault', K, ['device', 'driver', 'iova', 'flags'], 'report_iommu_fault(); flags: IOMMU_FAULT_READ=0 / WRITE=1'),
  ev('iommu:attach_device_to_domain', 'kernel_trace', 'domain', K, ['device'], 'device attached to a domain'),
  ev('iommu:detach_device_from_domain', 'kernel_trace', 'domain', K, ['device'], 'older kernels only (present in ~6.7)'),
  ev('iommu:add_device_to_group', 'kernel_trace', 'domain', K, ['gid', 'device'], 'device added to an iommu_group'),
  ev('iommu:remove_device_from_group', 'kernel_trace', 'domain', K, ['gid', 'device'], 'device removed from an iommu_group'),

  // iommu_domain_ops / iommu_dirty_ops (include/linux/iommu.h).
  ev('map_pages', 'domain_op', 'domain', K, ['iova', 'paddr', 'pgsize', 'pgcount', 'prot', 'mapped', 'errno'], 'iommu_domain_ops.map_pages'),
  ev('unmap_pages', 'domain_op', 'domain', K, ['iova', 'pgsize', 'pgcount', 'unmapped'], 'iommu_domain_ops.unmap_pages; gathers into iotlb_gather'),
  ev('iova_to_phys', 'domain_op', 'domain', K, ['iova', 'paddr'], 'iommu_domain_ops.iova_to_phys'),
  ev('iotlb_sync_map', 'domain_op', 'domain', K, ['iova', 'length', 'errno'], 'iommu_domain_ops.iotlb_sync_map (caching mode / NpCache flush on map)'),
  ev('iotlb_sync', 'domain_op', 'domain', K, ['iova', 'length', 'pgsize'], 'iommu_domain_ops.iotlb_sync: flush the iotlb_gather range'),
  ev('flush_iotlb_all', 'domain_op', 'domain', K, [], 'iommu_domain_ops.flush_iotlb_all (lazy-mode flush queue drain)'),
  ev('attach_dev', 'domain_op', 'domain', K, ['device', 'domain_id', 'errno'], 'iommu_domain_ops.attach_dev'),
  ev('set_dirty_tracking', 'domain_op', 'domain', K, ['enable', 'errno'], 'iommu_dirty_ops.set_dirty_tracking'),
  ev('read_and_clear_dirty', 'domain_op', 'domain', K, ['iova', 'length', 'flags', 'dirty_pages', 'errno'], 'iommu_dirty_ops.read_and_clear_dirty (flags: IOMMU_DIRTY_NO_CLEAR)'),
  ev('cut_mapping', 'domain_op', 'domain', K, ['iova', 'errno'], 'split a large IOPTE so a sub-range can be unmapped'),
  ev('domain_alloc', 'domain_op', 'domain', K, ['type', 'flags', 'domain_id', 'errno'], 'iommu_ops.domain_alloc_paging_flags'),
  ev('domain_free', 'domain_op', 'domain', K, ['domain_id'], 'iommu_domain_ops.free'),

  // Driver steps (vendor driver internals, named after the kernel functions where possible).
  ev('driver_step', 'driver', 'driver', S, ['step', 'iova', 'length', 'errno'], 'a named vendor-driver step (arg step = kernel function name)'),
  ev('iotlb_gather_add', 'driver', 'driver', K, ['iova', 'length', 'pgsize'], 'iommu_iotlb_gather_add_page'),
  ev('flush_queue_add', 'driver', 'driver', K, ['iova', 'length'], 'lazy mode: IOVA queued for deferred flush (iova_queue_insert)'),
  ev('flush_queue_flush', 'driver', 'driver', K, ['entries'], 'lazy mode: fq_flush_timeout / queue full → domain-wide flush'),
  // Vendor driver steps as the engine's drivers record them (kernel function names, core/hw/driver).
  ...(
    [
      ['amd_iommu_attach_device', A],
      ['amd_iommu_domain_flush_pages', A],
      ['amd_iommu_set_dirty_tracking', A],
      ['intel_iommu_attach_device', I],
      ['intel_flush_range', I],
      ['intel_iommu_set_dirty_tracking', I],
      ['arm_smmu_attach_dev', M],
      ['arm_smmu_tlb_inv_range', M],
      ['arm_smmu_set_dirty_tracking', M],
    ] as const
  ).map(([n, fam]) => ev(n, 'driver', 'driver', K, ['tag', 'iova', 'size'], `vendor driver step ${n}()`, fam)),
  ev('unmap_read_dirty', 'driver', 'driver', S, ['tag', 'iova', 'size', 'bytes', 'dirty_leaves'], 'unmap with IOMMU_HWPT_UNMAP_READ_DIRTY-style dirty collection'),
  ev('write_protect_and_clear', 'driver', 'driver', S, ['tag', 'iova', 'size', 'dirty_leaves'], 'switch-over what-if: write-protect and clear dirty'),

  // Table entry updates (CPU writes of context-structure qwords, as the hardware models record them).
  ev('amdvi_dte_write', 'table_update', 'hw.table', S, ['devid', 'qword', 'value'], 'AMD device table entry qword write (DTE HAD = bits 8:7)', A),
  ev('vtd_table_write', 'table_update', 'hw.table', S, ['what', 'pa', 'value'], 'VT-d root/context/PASID entry write (what names the structure; PASID SSADE = bit 9)', I),
  ev('smmuv3_table_write', 'table_update', 'hw.table', S, ['what', 'pa', 'value'], 'SMMUv3 STE / CD qword write (CD.HA bit 43, CD.HD bit 42)', M),

  // Invalidation commands, VT-d (kernel qi_submit; QEMU vtd_inv_desc_*).
  ev('qi_submit', 'invalidation', 'hw.cmdq', K, ['qw0', 'qw1', 'qw2', 'qw3'], 'intel/trace.h qi_submit: one queued-invalidation descriptor', I),
  ev('vtd_inv_desc_iotlb_pages', 'invalidation', 'hw.cmdq', Q, ['domain', 'iova', 'mask'], 'IOTLB page-selective invalidation (addr, mask = log2 pages)', I),
  ev('vtd_inv_desc_iotlb_domain', 'invalidation', 'hw.cmdq', Q, ['domain'], 'IOTLB domain-selective invalidation', I),
  ev('vtd_inv_desc_iotlb_global', 'invalidation', 'hw.cmdq', Q, [], 'IOTLB global invalidation', I),
  ev('vtd_inv_desc_cc_device', 'invalidation', 'hw.cmdq', Q, ['sid', 'fmask'], 'context-cache device-selective invalidation', I),
  ev('vtd_inv_desc_cc_domain', 'invalidation', 'hw.cmdq', Q, ['domain'], 'context-cache domain-selective invalidation', I),
  ev('vtd_inv_desc_cc_global', 'invalidation', 'hw.cmdq', Q, [], 'context-cache global invalidation', I),
  ev('vtd_inv_desc_pasid_cache', 'invalidation', 'hw.cmdq', Q, ['domain', 'pasid'], 'PASID-cache invalidation', I),
  ev('vtd_inv_desc_piotlb', 'invalidation', 'hw.cmdq', Q, ['domain', 'pasid', 'iova', 'mask'], 'PASID-based IOTLB invalidation', I),
  ev('vtd_inv_desc_dev_iotlb', 'invalidation', 'hw.cmdq', Q, ['sid', 'iova', 'size'], 'device-TLB (ATS) invalidation', I),
  ev('vtd_inv_desc', 'invalidation', 'hw.cmdq', Q, ['type'], 'a descriptor of another type (QEMU vtd_inv_desc)', I),
  ev('vtd_inv_desc_iec', 'invalidation', 'hw.cmdq', Q, ['granularity', 'index', 'mask'], 'interrupt entry cache invalidation', I),
  ev('vtd_inv_desc_wait_sw', 'invalidation', 'hw.cmdq', Q, ['addr', 'data'], 'invalidation wait descriptor (status write)', I),

  // Invalidation commands, SMMUv3 (QEMU smmuv3_cmdq_*; opcode names SMMU_CMD_*).
  ev('smmuv3_cmdq_tlbi_nh_va', 'invalidation', 'hw.cmdq', Q, ['vmid', 'asid', 'iova', 'num_pages', 'tg', 'ttl', 'leaf'], 'CMD_TLBI_NH_VA (range form when num_pages > 1)', M),
  ev('smmuv3_cmdq_tlbi_nh_asid', 'invalidation', 'hw.cmdq', Q, ['asid'], 'CMD_TLBI_NH_ASID', M),
  ev('smmuv3_cmdq_tlbi_nh_all', 'invalidation', 'hw.cmdq', Q, [], 'CMD_TLBI_NH_ALL', M),
  ev('smmuv3_cmdq_tlbi_nsnh_all', 'invalidation', 'hw.cmdq', Q, [], 'CMD_TLBI_NSNH_ALL', M),
  ev('smmuv3_cmdq_tlbi_s12_vmall', 'invalidation', 'hw.cmdq', Q, ['vmid'], 'CMD_TLBI_S12_VMALL', M),
  ev('smmuv3_cmdq_cfgi_ste', 'invalidation', 'hw.cmdq', Q, ['sid'], 'CMD_CFGI_STE', M),
  ev('smmuv3_cmdq_cfgi_ste_range', 'invalidation', 'hw.cmdq', Q, ['start', 'end'], 'CMD_CFGI_STE_RANGE', M),
  ev('smmuv3_cmdq_cfgi_cd', 'invalidation', 'hw.cmdq', Q, ['sid', 'ssid'], 'CMD_CFGI_CD', M),
  ev('smmuv3_cmdq_cfgi_cd_all', 'invalidation', 'hw.cmdq', Q, ['sid'], 'CMD_CFGI_CD_ALL', M),
  ev('smmuv3_cmdq_prefetch_config', 'invalidation', 'hw.cmdq', Q, ['sid'], 'CMD_PREFETCH_CONFIG', M),
  ev('smmuv3_cmdq_atc_inv', 'invalidation', 'hw.cmdq', Q, ['sid', 'ssid', 'iova', 'size'], 'CMD_ATC_INV', M),
  ev('smmuv3_cmdq_sync', 'invalidation', 'hw.cmdq', Q, [], 'CMD_SYNC (completion)', M),

  // Invalidation commands, AMD-Vi: amdvi_<command> as the model records them; QEMU's trace
  // names are amdvi_devtab_inval, amdvi_pages_inval, amdvi_iotlb_inval, amdvi_all_inval,
  // amdvi_completion_wait (core/trace/qemu.ts maps them to these names).
  ev('amdvi_invalidate_iommu_pages', 'invalidation', 'hw.cmdq', Q, ['DomainID', 'start', 'size', 'S', 'PDE'], 'INVALIDATE_IOMMU_PAGES', A),
  ev('amdvi_invalidate_devtab_entry', 'invalidation', 'hw.cmdq', Q, ['DeviceID'], 'INVALIDATE_DEVTAB_ENTRY', A),
  ev('amdvi_invalidate_iotlb_pages', 'invalidation', 'hw.cmdq', Q, ['DeviceID', 'start', 'size'], 'INVALIDATE_IOTLB_PAGES (device ATS TLB)', A),
  ev('amdvi_invalidate_iommu_all', 'invalidation', 'hw.cmdq', Q, [], 'INVALIDATE_IOMMU_ALL', A),
  ev('amdvi_completion_wait', 'invalidation', 'hw.cmdq', Q, ['S', 'StoreAddress'], 'COMPLETION_WAIT', A),
  // QEMU's own names for the same commands (imports and hand-written traces use them).
  ev('amdvi_pages_inval', 'invalidation', 'hw.cmdq', Q, ['domid', 'iova', 'length'], 'QEMU name of INVALIDATE_IOMMU_PAGES', A),
  ev('amdvi_devtab_inval', 'invalidation', 'hw.cmdq', Q, ['devid'], 'QEMU name of INVALIDATE_DEVTAB_ENTRY', A),
  ev('amdvi_iotlb_inval', 'invalidation', 'hw.cmdq', Q, ['devid', 'iova'], 'QEMU name of INVALIDATE_IOTLB_PAGES', A),
  ev('amdvi_all_inval', 'invalidation', 'hw.cmdq', Q, [], 'QEMU name of INVALIDATE_IOMMU_ALL', A),

  // IOTLB, page walks, A/D updates (per event only when full DMA tracing is on; otherwise counters).
  ev('iotlb_hit', 'iotlb', 'hw.iotlb', S, ['iova', 'sid'], 'IOTLB lookup hit (cf. vtd_iotlb_page_hit, smmu_iotlb_lookup_hit)'),
  ev('iotlb_miss', 'iotlb', 'hw.iotlb', S, ['iova', 'sid'], 'IOTLB lookup miss (cf. smmu_iotlb_lookup_miss)'),
  ev('iotlb_insert', 'iotlb', 'hw.iotlb', S, ['iova', 'pte', 'level'], 'IOTLB fill (cf. vtd_iotlb_page_update, smmu_iotlb_insert)'),
  ev('page_walk', 'page_walk', 'hw.walk', S, ['iova', 'levels', 'pte', 'errno'], 'a full table walk (cf. smmu_ptw_page_pte)'),
  ev('page_walk_level', 'page_walk', 'hw.walk', S, ['iova', 'level', 'pte_addr', 'pte'], 'one level of a walk (cf. smmu_ptw_level, vtd_page_walk_level)'),
  ev('ad_update', 'ad_update', 'hw.walk', S, ['iova', 'pte_addr', 'old', 'new', 'dirty'], 'hardware atomic A/D bit set in an IOPTE'),
  ev('dma_read', 'dma', 'hw.dma', S, ['sid', 'pasid', 'iova', 'length'], 'one device DMA read (only with full DMA tracing)'),
  ev('dma_write', 'dma', 'hw.dma', S, ['sid', 'pasid', 'iova', 'length'], 'one device DMA write (only with full DMA tracing)'),

  // Faults and page requests.
  ev('vtd_dmar_fault', 'fault', 'hw.fault', Q, ['sid', 'fault', 'iova', 'write'], 'VT-d DMA remapping fault record', I),
  ev('amdvi_page_fault', 'fault', 'hw.fault', Q, ['devid', 'iova', 'flags'], 'AMD IO_PAGE_FAULT event log entry', A),
  ev('smmuv3_record_event', 'fault', 'hw.fault', Q, ['type', 'sid', 'iova'], 'SMMUv3 event queue record (F_TRANSLATION, F_ACCESS, F_PERMISSION, ...)', M),
  ev('io_page_fault', 'fault', 'hw.fault', S, ['sid', 'iova', 'write'], 'mock driver fault report'),
  // Hardware fault records, named by the architected codes the models use (core/hw/<vendor>).
  ...['IO_PAGE_FAULT', 'ILLEGAL_DEV_TABLE_ENTRY', 'INVALID_DEVICE_REQUEST'].map((n) =>
    ev(n, 'fault', 'hw.fault', S, ['code', 'sid', 'pasid', 'iova', 'write', 'flags'], `AMD-Vi event log: ${n}`, A),
  ),
  ...['C_BAD_STREAMID', 'C_BAD_STE', 'F_STREAM_DISABLED', 'C_BAD_SUBSTREAMID', 'F_CD_FETCH', 'C_BAD_CD', 'F_TRANSLATION', 'F_ADDR_SIZE', 'F_ACCESS', 'F_PERMISSION'].map((n) =>
    ev(n, 'fault', 'hw.fault', S, ['code', 'sid', 'pasid', 'iova', 'write', 'flags'], `SMMUv3 event queue: ${n}`, M),
  ),
  // VT-d scalable-mode fault reasons (copy of core/hw/intel/regs.ts SM_FAULT_NAMES).
  ...[
    'SM: Present bit in Context Entry is clear',
    'SM: PASID is larger than the max in Context Entry',
    'SM: Error attempting to access the PASID Directory Entry',
    'SM: Present bit in Directory Entry is clear',
    'SM: Error attempting to access PASID Table Entry',
    'SM: Present bit in PASID Table Entry is clear',
    'SM: Invalid Scalable-Mode PASID Table Entry',
    'SM: Error attempting to access second-level paging entry',
    'SM: Read/Write permission error in second-level paging entry',
    'SM: No write permission for Write/AtomicOp request',
    'SM: No read permission for Read/AtomicOp request',
  ].map((n) => ev(n, 'fault', 'hw.fault', S, ['code', 'sid', 'pasid', 'iova', 'write', 'flags'], `VT-d fault record: ${n}`, I)),
  ev('prq_report', 'page_request', 'hw.fault', K, ['sid', 'pasid', 'iova', 'grpid'], 'intel/trace.h prq_report: page request received', I),
  ev('page_request', 'page_request', 'hw.fault', S, ['device', 'pasid', 'iova', 'grpid', 'perm'], 'iopf page request delivered to the fault queue'),
  ev('page_response', 'page_request', 'hw.fault', S, ['device', 'pasid', 'grpid', 'code'], 'iopf page response'),

  // Live migration (no upstream trace point).
  ev('migration_round', 'migration', 'migration', S, ['round', 'dirty_pages', 'bytes', 'converged'], 'one pre-copy round (bitmap read + copy)'),
  ev('switchover', 'migration', 'migration', S, ['dirty_pages', 'bytes'], 'stop-and-copy phase (downtime)'),
];

/** All event names, in catalogue order (for UI filters). */
export const EVENT_NAMES: readonly string[] = EVENTS.map((e) => e.name);

const BY_NAME = new Map(EVENTS.map((e) => [e.name, e]));

/** Catalogue entry for a name, or undefined for names outside the catalogue. */
export function eventSpec(name: string): EventSpec | undefined {
  return BY_NAME.get(name);
}

/** Counter series the engine maintains (bucketed by simulated time). */
export interface CounterSpec {
  readonly name: string;
  readonly unit: 'count' | 'pages' | 'bytes' | 'ns';
  readonly doc: string;
}

/**
 * Counter catalogue: the engine's exact hardware/driver counters (core/hw/counters.ts
 * HwCounters, sampled per interval by the scenario runner; architected commands also as
 * `cmd:<NAME>`), migration counters, and the recorder's derived `inv.<event>` series.
 */
export const COUNTERS: readonly CounterSpec[] = [
  { name: 'dirty_pages', unit: 'pages', doc: 'pages reported dirty by the dirty bitmap reads' },
  { name: 'missed_pages', unit: 'pages', doc: 'pages written but not reported dirty (lost dirtying)' },
  { name: 'migration_bytes', unit: 'bytes', doc: 'bytes sent by live migration' },
  { name: 'bitmap_read_ns', unit: 'ns', doc: 'simulated time spent reading dirty bitmaps' },
  { name: 'dma_read', unit: 'count', doc: 'device DMA reads' },
  { name: 'dma_write', unit: 'count', doc: 'device DMA writes' },
  { name: 'dma_bytes', unit: 'bytes', doc: 'bytes moved by device DMA' },
  { name: 'dma_read_bytes', unit: 'bytes', doc: 'bytes read by device DMA' },
  { name: 'dma_write_bytes', unit: 'bytes', doc: 'bytes written by device DMA' },
  { name: 'translations', unit: 'count', doc: 'page translations' },
  { name: 'iotlb_hit', unit: 'count', doc: 'IOTLB lookups that hit' },
  { name: 'iotlb_miss', unit: 'count', doc: 'IOTLB lookups that missed' },
  { name: 'iotlb_dirty_upgrade', unit: 'count', doc: 'writes hitting an IOTLB entry not known dirty (walk to set D)' },
  { name: 'pte_read', unit: 'count', doc: 'IOPTE reads by hardware walks' },
  { name: 'pte_write_atomic', unit: 'count', doc: 'hardware atomic A/D (or AP[2]) IOPTE updates' },
  { name: 'ctx_fetch', unit: 'count', doc: 'context-structure fetches (DTE, context/PASID entry, STE, CD)' },
  { name: 'table_entry_write', unit: 'count', doc: 'CPU writes of context-structure qwords' },
  { name: 'pt_cache_flush_lines', unit: 'count', doc: 'cache lines of IOPTE writes written back for a DMA-incoherent walker (clflush / DC CVAC)' },
  { name: 'inv_iotlb', unit: 'count', doc: 'IOTLB invalidations' },
  { name: 'inv_context', unit: 'count', doc: 'context-cache invalidations' },
  { name: 'inv_pasid', unit: 'count', doc: 'PASID-cache invalidations' },
  { name: 'inv_devtlb', unit: 'count', doc: 'device-TLB (ATS) invalidations' },
  { name: 'inv_wait', unit: 'count', doc: 'invalidation waits (wait descriptor, COMPLETION_WAIT, CMD_SYNC)' },
  { name: 'faults', unit: 'count', doc: 'translation faults' },
  { name: 'page_requests', unit: 'count', doc: 'page requests (PRI)' },
  { name: 'invalidations', unit: 'count', doc: 'invalidation commands of any type (derived by the recorder)' },
  ...EVENTS.filter((e) => e.category === 'invalidation').map(
    (e): CounterSpec => ({ name: `inv.${e.name}`, unit: 'count', doc: `${e.name} commands issued (derived by the recorder)` }),
  ),
];

/** All counter names (for UI filters). */
export const COUNTER_NAMES: readonly string[] = COUNTERS.map((c) => c.name);
