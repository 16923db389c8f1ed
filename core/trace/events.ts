/**
 * The trace-point catalogue: every event the engine records, with its category, track, the
 * argument keys it may carry and where its name comes from; and every counter series. The
 * catalogue is typed (`as const` literals), so recording is checked at compile time:
 * `Recorder.slice(track, name, ts, dur, args)` accepts only a catalogue `name`, that event's
 * track and its argument keys (core/trace/types.ts), `Recorder.count` only a catalogue
 * counter. Names computed at run time (ioctl numbers, command opcodes, fault codes) go through
 * typed tables at the call site; test/unit/trace/catalogue.test.ts runs a compare, a replay
 * and an ioctl script and fails on any event, argument key or counter missing here.
 *
 * Names follow the real trace points where one exists:
 *  - kernel include/trace/events/iommu.h (TRACE_SYSTEM iommu): `iommu:map`, `iommu:unmap`,
 *    `iommu:io_page_fault`, `iommu:attach_device_to_domain`, ...;
 *  - kernel drivers/iommu/intel/trace.h: `qi_submit`, `prq_report`;
 *  - QEMU hw/i386/trace-events, hw/arm/trace-events: `vtd_inv_desc_iotlb_pages`,
 *    `vtd_inv_desc_wait_sw`, `smmuv3_cmdq_tlbi_nh_va`, `amdvi_pages_inval`, ...;
 *  - ioctl names from include/uapi/linux/iommufd.h and include/uapi/linux/vfio.h;
 *  - `iommu_domain_ops` / `iommu_dirty_ops` members (include/linux/iommu.h) for domain ops.
 * Events with origin 'sim' have no upstream trace point (e.g. dirty tracking, migration); the
 * UI must not present them as kernel events. docs/trace-store.md documents the catalogue.
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

/** Hardware family an event belongs to, as data for UI filters (never branched on). */
export type EventFamily = 'amd' | 'intel' | 'smmuv3';

/** One catalogue definition; `T` and `A` keep the track and argument keys as literal types. */
export interface EventDef<T extends string = string, A extends readonly string[] = readonly string[], C extends EventCategory = EventCategory> {
  readonly category: C;
  /** The track the event is recorded on (Recorder.slice's first argument). */
  readonly track: T;
  readonly origin: EventOrigin;
  readonly family?: EventFamily;
  /** Argument keys the event may carry (hot ones go to typed columns, see HOT_ARGS). */
  readonly args: A;
  readonly doc: string;
}

/** One catalogue entry with its name (the untyped view the store and the UI iterate). */
export interface EventSpec extends EventDef {
  readonly name: string;
}

/** Argument keys stored in typed slice columns instead of the args table. */
export const HOT_ARGS = ['iova', 'length', 'errno'] as const;

function ev<const C extends EventCategory, const T extends string, const A extends readonly string[]>(
  category: C,
  track: T,
  origin: EventOrigin,
  args: A,
  doc: string,
  family?: EventFamily,
): EventDef<T, A, C> {
  return family ? { category, track, origin, args, doc, family } : { category, track, origin, args, doc };
}

/** The same definition for several names. */
function each<const N extends string, const T extends string, const A extends readonly string[], const C extends EventCategory>(
  names: readonly N[],
  def: (name: N) => EventDef<T, A, C>,
): Record<N, EventDef<T, A, C>> {
  return Object.fromEntries(names.map((n) => [n, def(n)])) as Record<N, EventDef<T, A, C>>;
}

/** ioctls: struct fields (as recorded) plus the result `errno`, on `track`. */
function ioctls<const T extends string, const M extends Record<string, readonly string[]>>(
  track: T,
  fields: M,
): { [K in keyof M]: EventDef<T, readonly [...M[K], 'errno'], 'ioctl'> } {
  const out: Record<string, EventDef> = {};
  for (const [n, f] of Object.entries(fields)) out[n] = ev('ioctl', track, 'iommufd', [...f, 'errno'], `ioctl(${n}): struct fields and result errno`);
  return out as { [K in keyof M]: EventDef<T, readonly [...M[K], 'errno'], 'ioctl'> };
}

const K = 'kernel';
const Q = 'qemu';
const S = 'sim';
const I = 'intel';
const A = 'amd';
const M = 'smmuv3';

/** The ftrace line prefix recorded with imported kernel events (core/trace/ftrace-record.ts). */
const FTRACE_PREFIX = ['comm', 'pid', 'cpu', 'irq_flags'] as const;

/**
 * iommufd ioctls with the fields core/iommufd/ioctl.ts records: for size-checked ioctls the
 * struct's fields in order (core/uapi/iommufd.ts STRUCTS, checked by a unit test); for the
 * VFIO type1 compat ioctls (include/uapi/linux/vfio.h) and IOMMU_TEST_CMD
 * (drivers/iommu/iommufd/iommufd_test.h struct iommu_test_cmd) the fields the handlers read
 * or write (other keys a caller passes are not recorded).
 */
const IOMMUFD_IOCTLS = ioctls('iommufd', {
  IOMMU_DESTROY: ['size', 'id'],
  IOMMU_IOAS_ALLOC: ['size', 'flags', 'out_ioas_id'],
  IOMMU_IOAS_ALLOW_IOVAS: ['size', 'ioas_id', 'num_iovas', '__reserved', 'allowed_iovas'],
  IOMMU_IOAS_COPY: ['size', 'flags', 'dst_ioas_id', 'src_ioas_id', 'length', 'dst_iova', 'src_iova'],
  IOMMU_IOAS_IOVA_RANGES: ['size', 'ioas_id', 'num_iovas', '__reserved', 'allowed_iovas', 'out_iova_alignment'],
  IOMMU_IOAS_MAP: ['size', 'flags', 'ioas_id', '__reserved', 'user_va', 'length', 'iova'],
  IOMMU_IOAS_UNMAP: ['size', 'ioas_id', 'iova', 'length'],
  IOMMU_OPTION: ['size', 'option_id', 'op', '__reserved', 'object_id', 'val64'],
  IOMMU_VFIO_IOAS: ['size', 'ioas_id', 'op', '__reserved'],
  IOMMU_HWPT_ALLOC: ['size', 'flags', 'dev_id', 'pt_id', 'out_hwpt_id', '__reserved', 'data_type', 'data_len', 'data_uptr', 'fault_id', '__reserved2'],
  IOMMU_GET_HW_INFO: ['size', 'flags', 'dev_id', 'data_len', 'data_uptr', 'out_data_type', 'out_max_pasid_log2', '__reserved', '__reserved_1', '__reserved_2', 'out_capabilities'],
  IOMMU_HWPT_SET_DIRTY_TRACKING: ['size', 'flags', 'hwpt_id', '__reserved'],
  IOMMU_HWPT_GET_DIRTY_BITMAP: ['size', 'hwpt_id', 'flags', '__reserved', 'iova', 'length', 'page_size', 'data'],
  IOMMU_HWPT_INVALIDATE: ['size', 'hwpt_id', 'data_uptr', 'data_type', 'entry_len', 'entry_num', '__reserved'],
  IOMMU_FAULT_QUEUE_ALLOC: ['size', 'flags', 'out_fault_id', 'out_fault_fd'],
  IOMMU_IOAS_MAP_FILE: ['size', 'flags', 'ioas_id', 'fd', 'start', 'length', 'iova'],
  IOMMU_VIOMMU_ALLOC: ['size', 'flags', 'type', 'dev_id', 'hwpt_id', 'out_viommu_id', 'data_len', '__reserved', 'data_uptr'],
  IOMMU_VDEVICE_ALLOC: ['size', 'viommu_id', 'dev_id', 'out_vdevice_id', 'virt_id'],
  IOMMU_IOAS_CHANGE_PROCESS: ['size', '__reserved'],
  IOMMU_VEVENTQ_ALLOC: ['size', 'flags', 'viommu_id', 'type', 'veventq_depth', 'out_veventq_id', 'out_veventq_fd', '__reserved'],
  IOMMU_HW_QUEUE_ALLOC: ['size', 'flags', 'viommu_id', 'type', 'index', 'out_hw_queue_id', 'nesting_parent_iova', 'length'],
  IOMMU_TEST_CMD: [
    'size', 'op', 'id', '__reserved', 'access_pages_id', 'addr', 'dev_flags', 'dev_id', 'flags', 'group_id', 'grpid', 'iova', 'length',
    'out_access_fd', 'out_access_pages_id', 'out_hwpt_id', 'out_idev_id', 'out_nr_dirty', 'out_stdev_id', 'page_size', 'pasid', 'perm', 'pt_id', 'refs', 'start', 'uptr',
    'iotlb_id', 'iotlb', 'cache_id', 'cache', 'hwpt_id',
  ],
  VFIO_GET_API_VERSION: [],
  VFIO_CHECK_EXTENSION: ['arg'],
  VFIO_SET_IOMMU: ['arg'],
  VFIO_IOMMU_GET_INFO: ['argsz', 'flags', 'iova_pgsizes'],
  VFIO_IOMMU_MAP_DMA: ['argsz', 'flags', 'vaddr', 'iova', 'size'],
  VFIO_IOMMU_UNMAP_DMA: ['argsz', 'flags', 'iova', 'size', 'bitmap_pgsize', 'bitmap_size', 'bitmap_data'],
  VFIO_IOMMU_DIRTY_PAGES: ['argsz', 'flags', 'iova', 'size', 'bitmap_pgsize', 'bitmap_size', 'bitmap_data'],
  /** A number no handler knows (iommufd_fops_ioctl: -ENOTTY); `cmd` is the number in hex. */
  unknown_ioctl: ['cmd'],
});

/**
 * VFIO device cdev ioctls (include/uapi/linux/vfio.h, drivers/vfio/device_cdev.c) as
 * core/iommufd/vfio-cdev.ts records them on track 'vfio', with the device name.
 */
const VFIO_DEVICE_IOCTLS = ioctls('vfio', {
  VFIO_DEVICE_BIND_IOMMUFD: ['device', 'argsz', 'flags', 'iommufd', 'out_devid'],
  VFIO_DEVICE_ATTACH_IOMMUFD_PT: ['device', 'argsz', 'flags', 'pt_id', 'pasid'],
  VFIO_DEVICE_DETACH_IOMMUFD_PT: ['device', 'argsz', 'flags', 'pasid'],
  /** A number the VFIO device fd does not know (-ENOTTY); `cmd` is the number in hex. */
  vfio_unknown_ioctl: ['device', 'cmd'],
});

/** Fault record args as the hardware models record them (core/hw/engine.ts fault()). */
const HW_FAULT_ARGS = ['code', 'sid', 'pasid', 'iova', 'write', 'flags'] as const;

/** The catalogue: event name → definition. */
export const CATALOGUE = {
  ...IOMMUFD_IOCTLS,
  ...VFIO_DEVICE_IOCTLS,
  warn: ev('ioctl', 'iommufd', S, ['kind', 'site', 'message', 'dev'], 'a kernel WARN_ON / dev_warn the simulated iommufd hit (IommufdCtx.warn)'),

  // Kernel iommu trace points (include/trace/events/iommu.h), as emitted by iommu_map()/iommu_unmap(),
  // and as imported from a kernel ftrace (with the line prefix).
  'iommu:map': ev('kernel_trace', 'domain', K, ['iova', 'paddr', 'length', ...FTRACE_PREFIX], 'iommu_map(): once per call (whole range); length = size in bytes'),
  'iommu:unmap': ev('kernel_trace', 'domain', K, ['iova', 'length', 'unmapped_size', ...FTRACE_PREFIX], 'iommu_unmap(): length = requested size, unmapped_size = bytes unmapped'),
  'iommu:io_page_fault': ev('fault', 'domain', K, ['device', 'driver', 'iova', 'flags', ...FTRACE_PREFIX], 'report_iommu_fault(); flags: IOMMU_FAULT_READ=0 / WRITE=1'),
  'iommu:attach_device_to_domain': ev('kernel_trace', 'domain', K, ['device', ...FTRACE_PREFIX], 'device attached to a domain'),
  'iommu:detach_device_from_domain': ev('kernel_trace', 'domain', K, ['device', ...FTRACE_PREFIX], 'older kernels only (present in ~6.7)'),
  'iommu:add_device_to_group': ev('kernel_trace', 'domain', K, ['gid', 'device', ...FTRACE_PREFIX], 'device added to an iommu_group'),
  'iommu:remove_device_from_group': ev('kernel_trace', 'domain', K, ['gid', 'device', ...FTRACE_PREFIX], 'device removed from an iommu_group'),
  tracing_mark_write: ev('kernel_trace', 'trace_marker', K, ['text', 'comm', 'pid', 'cpu'], 'a trace_marker line of an imported ftrace (kernel/trace/trace.c tracing_mark_write)'),

  // iommu_domain_ops / iommu_dirty_ops (include/linux/iommu.h).
  map_pages: ev('domain_op', 'domain', K, ['iova', 'paddr', 'pgsize', 'pgcount', 'prot', 'mapped', 'errno'], 'iommu_domain_ops.map_pages'),
  unmap_pages: ev('domain_op', 'domain', K, ['iova', 'pgsize', 'pgcount', 'unmapped'], 'iommu_domain_ops.unmap_pages; gathers into iotlb_gather'),
  iova_to_phys: ev('domain_op', 'domain', K, ['iova', 'paddr'], 'iommu_domain_ops.iova_to_phys'),
  iotlb_sync_map: ev('domain_op', 'domain', K, ['iova', 'length', 'errno'], 'iommu_domain_ops.iotlb_sync_map (caching mode / NpCache flush on map)'),
  iotlb_sync: ev('domain_op', 'domain', K, ['iova', 'length', 'pgsize'], 'iommu_domain_ops.iotlb_sync: flush the iotlb_gather range'),
  flush_iotlb_all: ev('domain_op', 'domain', K, [], 'iommu_domain_ops.flush_iotlb_all (lazy-mode flush queue drain)'),
  attach_dev: ev('domain_op', 'domain', K, ['device', 'domain_id', 'errno'], 'iommu_domain_ops.attach_dev'),
  set_dirty_tracking: ev('domain_op', 'domain', K, ['enable', 'errno'], 'iommu_dirty_ops.set_dirty_tracking'),
  read_and_clear_dirty: ev('domain_op', 'domain', K, ['iova', 'length', 'flags', 'dirty_pages', 'errno'], 'iommu_dirty_ops.read_and_clear_dirty (flags: IOMMU_DIRTY_NO_CLEAR)'),
  cut_mapping: ev('domain_op', 'domain', K, ['iova', 'errno'], 'split a large IOPTE so a sub-range can be unmapped'),
  domain_alloc: ev('domain_op', 'domain', K, ['type', 'flags', 'domain_id', 'errno'], 'iommu_ops.domain_alloc_paging_flags'),
  domain_free: ev('domain_op', 'domain', K, ['domain_id'], 'iommu_domain_ops.free'),

  // Driver steps (vendor driver internals, named after the kernel functions; core/iommu/<vendor>).
  // `tag` is the domain's hardware tag (DomainID / DID / ASID), added by PagingDomain.trace.
  iotlb_gather_add: ev('driver', 'driver', K, ['iova', 'length', 'pgsize'], 'iommu_iotlb_gather_add_page'),
  flush_queue_add: ev('driver', 'driver', K, ['iova', 'length'], 'lazy mode: IOVA queued for deferred flush (iova_queue_insert)'),
  flush_queue_flush: ev('driver', 'driver', K, ['entries'], 'lazy mode: fq_flush_timeout / queue full → domain-wide flush'),
  amd_iommu_attach_device: ev('driver', 'driver', K, ['tag', 'sid'], 'amd_iommu_attach_device(): DTE written for the device', A),
  amd_iommu_domain_flush_pages: ev('driver', 'driver', K, ['tag', 'start', 'size', 'commands'], 'amd_iommu_domain_flush_pages(): INVALIDATE_IOMMU_PAGES for a range (commands > 1: the NpCache split into naturally aligned chunks)', A),
  amd_iommu_change_top: ev('driver', 'driver', K, ['tag', 'levels', 'devices'], 'amd_iommu_change_top() / increase_address_space(): the v1 table grew a level; every attached DTE gets the new root and Mode, flushed, one COMPLETION_WAIT', A),
  amd_iommu_set_dirty_tracking: ev('driver', 'driver', K, ['tag', 'enable', 'devices'], 'amd_iommu_set_dirty_tracking(): DTE HAD bits of every attached device', A),
  intel_iommu_attach_device: ev('driver', 'driver', K, ['tag', 'sid'], 'intel_iommu_attach_device(): context / PASID entry written', I),
  intel_flush_range: ev('driver', 'driver', K, ['tag', 'start', 'size', 'mask'], 'cache_tag_flush_range(): page-selective IOTLB flush (mask = log2 pages)', I),
  intel_iommu_set_dirty_tracking: ev('driver', 'driver', K, ['tag', 'enable', 'devices'], 'intel_iommu_set_dirty_tracking(): PASID entry SSADE of every attached device', I),
  arm_smmu_attach_dev: ev('driver', 'driver', K, ['tag', 'sid'], 'arm_smmu_attach_dev(): STE / CD written', M),
  arm_smmu_tlb_inv_range: ev('driver', 'driver', K, ['tag', 'start', 'size', 'commands'], 'arm_smmu_tlb_inv_range_domain(): CMD_TLBI_NH_VA batch', M),
  arm_smmu_set_dirty_tracking: ev('driver', 'driver', K, ['tag', 'enable'], 'arm_smmu_set_dirty_tracking()', M),
  iopt_set_dirty_tracking_range: ev('driver', 'driver', S, ['tag', 'enable', 'ranges', 'rc'], 'SMMUv3 RFC v1: iopt_set_dirty_tracking walks every IOPT area (per-range DBM toggle)', M),
  arm_smmu_set_dirty_tracking_range: ev('driver', 'driver', S, ['tag', 'iova', 'size', 'enable', 'leaves', 'written', 'rc'], 'SMMUv3 RFC v1: set/clear DBM on the leaves of one range', M),
  pt_read_and_clear_dirty: ev('driver', 'driver', K, ['tag', 'iova', 'size', 'flags', 'dirty_leaves', 'walker', 'walk_reads', 'locked_rmw', 'rc', 'erratum'], 'read_and_clear_dirty walk; walker = the kernel walker profile (iommupt, per-leaf-rewalk, io-pgtable-arm; docs/vendors.md), walk_reads / locked_rmw its from-root entry reads and locked clears; erratum names an RFC erratum hit (docs/rfc-errata.md)'),
  unmap_read_dirty: ev('driver', 'driver', S, ['tag', 'iova', 'size', 'bytes', 'dirty_leaves', 'dirty_dropped'], 'unmap with IOMMU_HWPT_UNMAP_READ_DIRTY-style dirty collection'),
  write_protect_and_clear: ev('driver', 'driver', S, ['tag', 'iova', 'size', 'dirty_leaves'], 'switch-over what-if: write-protect and clear dirty'),

  // Table entry updates (CPU writes of context-structure qwords, as the hardware models record them).
  amdvi_dte_write: ev('table_update', 'hw.table', S, ['devid', 'qword', 'value'], 'AMD device table entry qword write (DTE HAD = bits 8:7)', A),
  vtd_table_write: ev('table_update', 'hw.table', S, ['what', 'pa', 'value'], 'VT-d root/context/PASID entry write (what names the structure; PASID SSADE = bit 9)', I),
  smmuv3_table_write: ev('table_update', 'hw.table', S, ['what', 'pa', 'value'], 'SMMUv3 STE / CD qword write (CD.HA bit 43, CD.HD bit 42)', M),

  // Invalidation commands, VT-d (kernel qi_submit; QEMU vtd_inv_desc_*), with the descriptor
  // fields core/hw/intel/model.ts decodes (type and granularity first).
  qi_submit: ev('invalidation', 'hw.cmdq', K, ['count', 'qw0', 'qw1', 'qw2', 'qw3'], 'intel/trace.h qi_submit: one qi_submit_sync batch (count descriptors incl. the wait)', I),
  vtd_inv_desc_iotlb_pages: ev('invalidation', 'hw.cmdq', Q, ['type', 'gran', 'did', 'addr', 'am', 'ih'], 'IOTLB page-selective invalidation (am = log2 pages)', I),
  vtd_inv_desc_iotlb_domain: ev('invalidation', 'hw.cmdq', Q, ['type', 'gran', 'did'], 'IOTLB domain-selective invalidation', I),
  vtd_inv_desc_iotlb_global: ev('invalidation', 'hw.cmdq', Q, ['type', 'gran', 'did'], 'IOTLB global invalidation', I),
  vtd_inv_desc_cc_device: ev('invalidation', 'hw.cmdq', Q, ['type', 'gran', 'did', 'sid', 'fm'], 'context-cache device-selective invalidation', I),
  vtd_inv_desc_cc_domain: ev('invalidation', 'hw.cmdq', Q, ['type', 'gran', 'did', 'sid', 'fm'], 'context-cache domain-selective invalidation', I),
  vtd_inv_desc_cc_global: ev('invalidation', 'hw.cmdq', Q, ['type', 'gran', 'did', 'sid', 'fm'], 'context-cache global invalidation', I),
  vtd_inv_desc_pasid_cache: ev('invalidation', 'hw.cmdq', Q, ['type', 'gran', 'did', 'pasid'], 'PASID-cache invalidation', I),
  vtd_inv_desc_piotlb_pages: ev('invalidation', 'hw.cmdq', Q, ['type', 'gran', 'did', 'pasid', 'addr', 'am', 'ih'], 'PASID-based IOTLB page-selective invalidation (QI_EIOTLB PSI)', I),
  vtd_inv_desc_piotlb_pasid: ev('invalidation', 'hw.cmdq', Q, ['type', 'gran', 'did', 'pasid'], 'PASID-based IOTLB invalidation of one PASID (QI_EIOTLB non-global)', I),
  vtd_inv_desc_piotlb_rsvd: ev('invalidation', 'hw.cmdq', S, ['type', 'gran', 'did', 'pasid'], 'PASID-based IOTLB descriptor with a reserved granularity', I),
  vtd_inv_desc_dev_iotlb: ev('invalidation', 'hw.cmdq', Q, ['type', 'gran', 'sid', 'addr', 's'], 'device-TLB (ATS) invalidation', I),
  vtd_inv_desc_dev_piotlb: ev('invalidation', 'hw.cmdq', S, ['type', 'gran', 'sid', 'pasid', 'addr', 's'], 'PASID-based device-TLB invalidation', I),
  vtd_inv_desc_page_response: ev('invalidation', 'hw.cmdq', S, ['type', 'gran', 'rid', 'pasid', 'code', 'prgi', 'rc'], 'page group response descriptor (QI_PGRP_RESP)', I),
  vtd_inv_desc: ev('invalidation', 'hw.cmdq', Q, ['type', 'gran'], 'a descriptor of another type (QEMU vtd_inv_desc), e.g. the interrupt entry cache', I),
  vtd_inv_desc_iec: ev('invalidation', 'hw.cmdq', Q, ['granularity', 'index', 'mask'], 'interrupt entry cache invalidation (QEMU name; imported traces)', I),
  vtd_inv_desc_wait_sw: ev('invalidation', 'hw.cmdq', Q, ['type', 'gran', 'sw', 'fn', 'data'], 'invalidation wait descriptor (status write)', I),

  // Invalidation commands, SMMUv3 (QEMU smmuv3_cmdq_*; opcode names SMMU_CMD_*), with the
  // fields core/hw/smmuv3/model.ts decodes.
  smmuv3_cmdq_tlbi_nh_va: ev('invalidation', 'hw.cmdq', Q, ['asid', 'addr', 'num', 'scale', 'tg', 'ttl', 'leaf', 'size'], 'CMD_TLBI_NH_VA (range form when tg != 0; size in bytes)', M),
  smmuv3_cmdq_tlbi_nh_vaa: ev('invalidation', 'hw.cmdq', S, ['asid', 'addr', 'num', 'scale', 'tg', 'ttl', 'leaf', 'size'], 'CMD_TLBI_NH_VAA (a guest command forwarded by a vIOMMU with the VMID forced; size in bytes)', M),
  smmuv3_cmdq_tlbi_nh_asid: ev('invalidation', 'hw.cmdq', Q, ['asid'], 'CMD_TLBI_NH_ASID', M),
  smmuv3_cmdq_tlbi_nh_all: ev('invalidation', 'hw.cmdq', Q, ['vmid'], 'CMD_TLBI_NH_ALL', M),
  smmuv3_cmdq_tlbi_nsnh_all: ev('invalidation', 'hw.cmdq', Q, ['vmid'], 'CMD_TLBI_NSNH_ALL', M),
  smmuv3_cmdq_tlbi_s12_vmall: ev('invalidation', 'hw.cmdq', Q, ['vmid'], 'CMD_TLBI_S12_VMALL', M),
  smmuv3_cmdq_cfgi_ste: ev('invalidation', 'hw.cmdq', Q, ['sid', 'leaf'], 'CMD_CFGI_STE', M),
  smmuv3_cmdq_cfgi_ste_range: ev('invalidation', 'hw.cmdq', Q, ['start', 'end'], 'CMD_CFGI_STE_RANGE (QEMU name; imported traces)', M),
  smmuv3_cmdq_cfgi_cd: ev('invalidation', 'hw.cmdq', Q, ['sid', 'ssid', 'leaf'], 'CMD_CFGI_CD', M),
  smmuv3_cmdq_cfgi_cd_all: ev('invalidation', 'hw.cmdq', Q, ['sid'], 'CMD_CFGI_CD_ALL', M),
  smmuv3_cmdq_cfgi_all: ev('invalidation', 'hw.cmdq', Q, [], 'CMD_CFGI_ALL', M),
  smmuv3_cmdq_prefetch_config: ev('invalidation', 'hw.cmdq', Q, ['sid'], 'CMD_PREFETCH_CONFIG (QEMU name; imported traces)', M),
  smmuv3_cmdq_atc_inv: ev('invalidation', 'hw.cmdq', Q, ['sid', 'ssid', 'addr', 'size'], 'CMD_ATC_INV', M),
  smmuv3_cmdq_pri_resp: ev('invalidation', 'hw.cmdq', Q, ['sid', 'ssid', 'grpid', 'resp', 'rc'], 'CMD_PRI_RESP (page request response)', M),
  smmuv3_cmdq_resume: ev('invalidation', 'hw.cmdq', Q, [], 'CMD_RESUME (stall model response)', M),
  smmuv3_cmdq_sync: ev('invalidation', 'hw.cmdq', Q, ['cs'], 'CMD_SYNC (completion)', M),
  smmuv3_cmdq_unknown: ev('invalidation', 'hw.cmdq', S, [], 'a command with an opcode the model does not know', M),

  // Invalidation commands, AMD-Vi: amdvi_<command> as core/hw/amd/model.ts records them, with
  // the fields it decodes; QEMU's trace names are amdvi_devtab_inval, amdvi_pages_inval,
  // amdvi_iotlb_inval, amdvi_all_inval, amdvi_completion_wait (core/trace/qemu.ts maps them).
  amdvi_invalidate_iommu_pages: ev('invalidation', 'hw.cmdq', Q, ['DomainID', 'S', 'PDE', 'Address', 'start', 'size'], 'INVALIDATE_IOMMU_PAGES (size -1 = all pages)', A),
  amdvi_invalidate_devtab_entry: ev('invalidation', 'hw.cmdq', Q, ['DeviceID'], 'INVALIDATE_DEVTAB_ENTRY', A),
  amdvi_invalidate_iotlb_pages: ev('invalidation', 'hw.cmdq', Q, ['DeviceID', 'Maxpend', 'S', 'start', 'size'], 'INVALIDATE_IOTLB_PAGES (device ATS TLB)', A),
  amdvi_invalidate_interrupt_table: ev('invalidation', 'hw.cmdq', Q, [], 'INVALIDATE_INTERRUPT_TABLE', A),
  amdvi_invalidate_iommu_all: ev('invalidation', 'hw.cmdq', Q, [], 'INVALIDATE_IOMMU_ALL', A),
  amdvi_complete_ppr_request: ev('invalidation', 'hw.cmdq', Q, ['DeviceID', 'PASID', 'Tag', 'Status', 'rc'], 'COMPLETE_PPR_REQUEST (page request response)', A),
  amdvi_completion_wait: ev('invalidation', 'hw.cmdq', Q, ['S', 'StoreAddress'], 'COMPLETION_WAIT', A),
  amdvi_unknown_command: ev('invalidation', 'hw.cmdq', S, [], 'a command with an opcode the model does not know', A),
  // QEMU's own names for the same commands (imports and hand-written traces use them).
  amdvi_pages_inval: ev('invalidation', 'hw.cmdq', Q, ['domid', 'iova', 'length'], 'QEMU name of INVALIDATE_IOMMU_PAGES', A),
  amdvi_devtab_inval: ev('invalidation', 'hw.cmdq', Q, ['devid'], 'QEMU name of INVALIDATE_DEVTAB_ENTRY', A),
  amdvi_iotlb_inval: ev('invalidation', 'hw.cmdq', Q, ['devid', 'iova'], 'QEMU name of INVALIDATE_IOTLB_PAGES', A),
  amdvi_all_inval: ev('invalidation', 'hw.cmdq', Q, [], 'QEMU name of INVALIDATE_IOMMU_ALL', A),

  // IOTLB, page walks, A/D updates (per event only when full DMA tracing is on; otherwise counters).
  iotlb_hit: ev('iotlb', 'hw.iotlb', S, ['iova', 'sid'], 'IOTLB lookup hit (cf. vtd_iotlb_page_hit, smmu_iotlb_lookup_hit)'),
  iotlb_miss: ev('iotlb', 'hw.iotlb', S, ['iova', 'sid'], 'IOTLB lookup miss (cf. smmu_iotlb_lookup_miss)'),
  iotlb_insert: ev('iotlb', 'hw.iotlb', S, ['iova', 'pte', 'level'], 'IOTLB fill (cf. vtd_iotlb_page_update, smmu_iotlb_insert)'),
  page_walk: ev('page_walk', 'hw.walk', S, ['iova', 'levels', 'pte', 'errno'], 'a full table walk (cf. smmu_ptw_page_pte)'),
  page_walk_level: ev('page_walk', 'hw.walk', S, ['iova', 'level', 'pte_addr', 'pte'], 'one level of a walk (cf. smmu_ptw_level, vtd_page_walk_level)'),
  ad_update: ev('ad_update', 'hw.walk', S, ['iova', 'pte_addr', 'old', 'new', 'dirty'], 'hardware atomic A/D bit set in an IOPTE'),
  dma_read: ev('dma', 'hw.dma', S, ['sid', 'pasid', 'iova', 'length'], 'one device DMA read (only with full DMA tracing)'),
  dma_write: ev('dma', 'hw.dma', S, ['sid', 'pasid', 'iova', 'length'], 'one device DMA write (only with full DMA tracing)'),

  // Faults and page requests.
  vtd_dmar_fault: ev('fault', 'hw.fault', Q, ['sid', 'fault', 'iova', 'write'], 'VT-d DMA remapping fault record (QEMU name; imported traces)', I),
  amdvi_page_fault: ev('fault', 'hw.fault', Q, ['devid', 'iova', 'flags'], 'AMD IO_PAGE_FAULT event log entry (QEMU name; imported traces)', A),
  smmuv3_record_event: ev('fault', 'hw.fault', Q, ['type', 'sid', 'iova'], 'SMMUv3 event queue record (QEMU name; imported traces)', M),
  io_page_fault: ev('fault', 'hw.fault', S, ['sid', 'iova', 'write'], 'mock driver fault report'),
  // Hardware fault records, named by the architected codes the models use (core/hw/<vendor>).
  ...each(['IO_PAGE_FAULT', 'ILLEGAL_DEV_TABLE_ENTRY', 'INVALID_DEVICE_REQUEST'], (n) => ev('fault', 'hw.fault', S, HW_FAULT_ARGS, `AMD-Vi event log: ${n}`, A)),
  ...each(['C_BAD_STREAMID', 'C_BAD_STE', 'F_STREAM_DISABLED', 'C_BAD_SUBSTREAMID', 'F_CD_FETCH', 'C_BAD_CD', 'F_TRANSLATION', 'F_ADDR_SIZE', 'F_ACCESS', 'F_PERMISSION'], (n) =>
    ev('fault', 'hw.fault', S, HW_FAULT_ARGS, `SMMUv3 event queue: ${n}`, M),
  ),
  // VT-d scalable-mode fault reasons (core/hw/intel/regs.ts SM_FAULT_NAMES; drivers/iommu/intel/dmar.c).
  ...each(
    [
      'SM: Present bit in Context Entry is clear',
      'SM: PASID is larger than the max in Context Entry',
      'SM: Error attempting to access the PASID Directory Entry',
      'SM: Present bit in Directory Entry is clear',
      'SM: Error attempting to access PASID Table Entry',
      'SM: Present bit in PASID Table Entry is clear',
      'SM: Invalid Scalable-Mode PASID Table Entry',
      'SM: Error attempting to access first-level paging entry',
      'SM: Present bit in first-level paging entry is clear',
      'SM: Error attempting to access second-level paging entry',
      'SM: Read/Write permission error in second-level paging entry',
      'SM: No write permission for Write/AtomicOp request',
      'SM: No read permission for Read/AtomicOp request',
      // Legacy (non-scalable) mode reasons (LEGACY_FAULT_NAMES).
      'Present bit in root entry is clear',
      'Present bit in context entry is clear',
      'Invalid context entry',
      'PTE Write access is not set',
      'PTE Read access is not set',
    ],
    (n) => ev('fault', 'hw.fault', S, HW_FAULT_ARGS, `VT-d fault record: ${n}`, I),
  ),
  prq_report: ev('page_request', 'hw.fault', K, ['sid', 'pasid', 'iova', 'grpid'], 'intel/trace.h prq_report: page request received', I),
  page_request: ev('page_request', 'hw.fault', S, ['device', 'sid', 'pasid', 'iova', 'grpid', 'perm', 'write'], 'a page request (PRI): the hardware model records sid and write; the iopf queue device, grpid and perm'),
  page_response: ev('page_request', 'hw.fault', S, ['device', 'sid', 'pasid', 'grpid', 'code'], 'iopf page response: the hardware model records sid and code 0 success / 1 invalid (IOMMUFD_PAGE_RESP_*) when it consumes the response command'),

  // Live migration (no upstream trace point; core/scenario/simulate.ts).
  migration_round: ev(
    'migration',
    'migration',
    S,
    ['round', 'bytes_sent', 'dirty_pages', 'missed_pages', 'bitmap_read_ns', 'dma_accesses', 'iotlb_miss_rate'],
    'one pre-copy round (copy + dirty bitmap read): bytes sent, pages reported dirty / written but missed, read time (ns), DMA accesses, IOTLB miss rate',
  ),
  switchover: ev('migration', 'migration', S, ['method', 'final_dirty_pages', 'switchover_ns', 'converged'], 'stop-and-copy phase (downtime): method, pages collected at switch-over, collection time (ns)'),
};

/** Catalogue event names. */
export type EventName = keyof typeof CATALOGUE;
/** The track an event is recorded on. */
export type TrackOf<E extends EventName> = (typeof CATALOGUE)[E]['track'];
/** Every track of the catalogue. */
export type TrackName = TrackOf<EventName>;
/** The argument keys an event may carry (for a union of events, any of theirs). */
export type ArgKey<E extends EventName> = (typeof CATALOGUE)[E]['args'][number];
/** Events recorded on track `T`. */
export type EventOnTrack<T extends TrackName> = { [E in EventName]: TrackOf<E> extends T ? E : never }[EventName];
/** Events of a category. */
export type EventOfCategory<C extends EventCategory> = { [E in EventName]: (typeof CATALOGUE)[E]['category'] extends C ? E : never }[EventName];

/** The full catalogue as a list, in a stable order (UI filters, docs, store queries). */
export const EVENTS: readonly EventSpec[] = Object.entries(CATALOGUE).map(([name, d]: [string, EventDef]) => ({ name, ...d }));

/** All event names, in catalogue order (for UI filters). */
export const EVENT_NAMES: readonly string[] = EVENTS.map((e) => e.name);

const BY_NAME = new Map(EVENTS.map((e) => [e.name, e]));

/** Catalogue entry for a name, or undefined for names outside the catalogue. */
export function eventSpec(name: string): EventSpec | undefined {
  return BY_NAME.get(name);
}

/** True when `name` is a catalogue event name. */
export function isEventName(name: string): name is EventName {
  return BY_NAME.has(name);
}

/** Counter series the engine maintains (bucketed by simulated time). */
export interface CounterSpec {
  readonly name: string;
  readonly unit: 'count' | 'pages' | 'bytes' | 'ns';
  readonly doc: string;
}

function counter<const N extends string>(name: N, unit: CounterSpec['unit'], doc: string): { readonly name: N; readonly unit: CounterSpec['unit']; readonly doc: string } {
  return { name, unit, doc };
}

/**
 * Architected commands / descriptors the hardware models count by name (HwCounters.cmd,
 * sampled as `cmd:<NAME>`): AMD-Vi command opcodes (core/hw/amd/regs.ts CMD), SMMUv3 CMDQ
 * opcodes with their CMD_ prefix (core/hw/smmuv3/regs.ts CMDQ_OP), VT-d descriptor types by
 * granularity (core/hw/intel/model.ts). A unit test checks these against the models' tables.
 */
export const HW_COMMANDS = [
  'COMPLETION_WAIT', 'INVALIDATE_DEVTAB_ENTRY', 'INVALIDATE_IOMMU_PAGES', 'INVALIDATE_IOTLB_PAGES', 'INVALIDATE_INTERRUPT_TABLE', 'COMPLETE_PPR_REQUEST', 'INVALIDATE_IOMMU_ALL',
  'CMD_CFGI_STE', 'CMD_CFGI_ALL', 'CMD_CFGI_CD', 'CMD_CFGI_CD_ALL', 'CMD_TLBI_NH_ALL', 'CMD_TLBI_NH_ASID', 'CMD_TLBI_NH_VA', 'CMD_TLBI_S12_VMALL', 'CMD_TLBI_NSNH_ALL', 'CMD_ATC_INV', 'CMD_PRI_RESP', 'CMD_RESUME', 'CMD_SYNC',
  'QI_CC_GLOBAL', 'QI_CC_DOMAIN', 'QI_CC_DEVICE', 'QI_PC_PASID_SEL', 'QI_PC_ALL_PASIDS', 'QI_PC_GLOBAL', 'QI_IOTLB_GLOBAL', 'QI_IOTLB_DSI', 'QI_IOTLB_PSI',
  'QI_EIOTLB_PSI', 'QI_EIOTLB_PASID', 'QI_EIOTLB_RSVD', 'QI_DIOTLB', 'QI_DEIOTLB', 'QI_PGRP_RESP', 'QI_IWD', 'CC', 'IOTLB', 'DIOTLB', 'IEC', 'IWD', 'EIOTLB', 'PC', 'DEIOTLB', 'PGRP_RESP',
] as const;
export type HwCommandName = (typeof HW_COMMANDS)[number];

type InvalidationEvent = EventOfCategory<'invalidation'>;

/**
 * Counter catalogue: the engine's exact hardware/driver counters (core/hw/counters.ts
 * HwCounters plus HwModel.stats() extras, sampled per interval by core/scenario/simulate.ts),
 * migration counters, `cmd:<NAME>` per architected command, and the recorder's derived
 * `inv.<event>` series.
 */
const COUNTER_LIST = [
  counter('dirty_pages', 'pages', 'pages reported dirty by the dirty bitmap reads'),
  counter('missed_pages', 'pages', 'pages written but not reported dirty (lost dirtying)'),
  counter('missed_nested', 'pages', 'of those, pages written by devices on nested (vIOMMU) domains (core/workload/vmm.ts)'),
  counter('dirty_untracked_reads', 'count', 'dirty reads answered with all guest RAM: no IOMMU dirty tracking under nesting (QEMU fallback)'),
  counter('migration_bytes', 'bytes', 'bytes sent by live migration'),
  counter('bitmap_read_ns', 'ns', 'simulated time spent reading dirty bitmaps'),
  counter('dma_read', 'count', 'device DMA reads'),
  counter('dma_write', 'count', 'device DMA writes'),
  counter('dma_bytes', 'bytes', 'bytes moved by device DMA'),
  counter('dma_read_bytes', 'bytes', 'bytes read by device DMA'),
  counter('dma_write_bytes', 'bytes', 'bytes written by device DMA'),
  counter('translations', 'count', 'page translations'),
  counter('iotlb_hit', 'count', 'IOTLB lookups that hit'),
  counter('iotlb_miss', 'count', 'IOTLB lookups that missed'),
  counter('iotlb_dirty_upgrade', 'count', 'writes hitting an IOTLB entry not known dirty (walk to set D)'),
  counter('iotlb_entries', 'count', 'change of IOTLB occupancy (entries) over the sample window'),
  counter('iotlb_evictions', 'count', 'IOTLB entries evicted to make room'),
  counter('pte_read', 'count', 'IOPTE reads from memory by hardware walks (levels not in the walk caches)'),
  counter('atc_hit', 'count', 'ATS devices: accesses translated by the device ATC (translated requests, the IOMMU bypassed)'),
  counter('atc_miss', 'count', 'ATS devices: ATS translation requests (ATC misses)'),
  counter('atc_invalidated', 'count', 'ATC entries dropped by device-TLB invalidations'),
  counter('walk_cache_invalidated', 'count', 'walk-cache (paging-structure cache) entries dropped by invalidation commands'),
  counter('walk_cache_evictions', 'count', 'walk-cache entries evicted to make room'),
  counter('nested_walks', 'count', 'two-stage (nested) walks: IOTLB misses of a nested context (core/hw/nested-walk.ts)'),
  counter('nested_walk_refs', 'count', 'IOPTE reads of nested walks (the 2-D walk, g + g*h + h each; part of pte_read)'),
  counter('pte_write_atomic', 'count', 'hardware atomic A/D (or AP[2]) IOPTE updates'),
  counter('ctx_fetch', 'count', 'context-structure fetches (DTE, context/PASID entry, STE, CD)'),
  counter('table_entry_write', 'count', 'CPU writes of context-structure qwords'),
  counter('iotlb_invalidated', 'count', 'IOTLB entries removed by invalidation commands'),
  counter('dirty_entries_read', 'count', 'entries in range of the tables a software dirty walk visited (core/pt scan)'),
  counter('dirty_entries_cleared', 'count', 'IOPTE items whose dirty bit a software dirty walk cleared'),
  counter('dirty_walk_reads', 'count', 'entries read by per-leaf walks from the root (pre-6.19 AMD fetch_pte / VT-d pfn_to_dma_pte)'),
  counter('dirty_clear_locked', 'count', 'IOPTEs changed by a dirty walk with a locked read-modify-write (test_and_clear_bit, set_bit)'),
  counter('dirty_clear_plain', 'count', 'IOPTEs changed by a dirty walk with a plain store (iommupt WRITE_ONCE)'),
  counter('dirty_indirect_calls', 'count', 'indirect calls of a callback dirty walker (io-pgtable-arm visit)'),
  counter('dirty_records', 'count', 'dirty leaves recorded into the bitmap (iova_bitmap_set + gather add)'),
  counter('pt_cache_flush', 'count', 'CPU write-backs of IOPTE writes for a DMA-incoherent walker (iommu_pages_flush_incoherent calls)'),
  counter('pt_cache_flush_lines', 'count', 'cache lines of IOPTE writes written back for a DMA-incoherent walker (clflush / DC CVAC)'),
  counter('inv_iotlb', 'count', 'IOTLB invalidations'),
  counter('inv_context', 'count', 'context-cache invalidations'),
  counter('inv_pasid', 'count', 'PASID-cache invalidations'),
  counter('inv_devtlb', 'count', 'device-TLB (ATS) invalidations'),
  counter('inv_wait', 'count', 'invalidation waits (wait descriptor, COMPLETION_WAIT, CMD_SYNC)'),
  counter('faults', 'count', 'translation faults'),
  counter('page_requests', 'count', 'page requests (PRI)'),
  counter('page_responses', 'count', 'page responses the hardware consumed (COMPLETE_PPR_REQUEST, page group response, CMD_PRI_RESP)'),
  counter('dma_latency_ns', 'ns', 'device DMA latency summed over accesses: round trip plus translation (device side, not CPU time)'),
  counter('sim_ns', 'ns', 'simulated time elapsed over the sample window'),
  counter('invalidations', 'count', 'invalidation commands of any type (derived by the recorder)'),
] as const;

/** Catalogue counter names. */
export type CounterName = (typeof COUNTER_LIST)[number]['name'] | `cmd:${HwCommandName}` | `inv.${InvalidationEvent}`;

/** The counter catalogue, in a stable order. */
export const COUNTERS: readonly CounterSpec[] = [
  ...COUNTER_LIST,
  ...HW_COMMANDS.map((c): CounterSpec => ({ name: `cmd:${c}`, unit: 'count', doc: `${c} commands consumed by the hardware model` })),
  ...EVENTS.filter((e) => e.category === 'invalidation').map(
    (e): CounterSpec => ({ name: `inv.${e.name}`, unit: 'count', doc: `${e.name} commands issued (derived by the recorder)` }),
  ),
];

/** All counter names (for UI filters). */
export const COUNTER_NAMES: readonly string[] = COUNTERS.map((c) => c.name);

const COUNTER_SET = new Set(COUNTER_NAMES);

/** True when `name` is a catalogue counter name. */
export function isCounterName(name: string): name is CounterName {
  return COUNTER_SET.has(name);
}
