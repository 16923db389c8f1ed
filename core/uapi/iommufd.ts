/**
 * The iommufd uAPI as mainline defines it (include/uapi/linux/iommufd.h, v6.7 - v6.17):
 * ioctl numbers (_IO(';', nr) = 0x3B00 | nr), argument struct layouts (for the size rules:
 * size first, min size = offset-end of the last required field, unknown trailing bytes must
 * be zero) and flag values; plus the VFIO type1 ioctls the compat layer answers on the same
 * fd (include/uapi/linux/vfio.h, VFIO_BASE 100) and the selftest IOMMU_TEST_CMD.
 * Source: include/uapi/linux/iommufd.h, drivers/iommu/iommufd/main.c (iommufd_ioctl_ops,
 * min sizes), tools/testing/selftests/iommu/iommufd.c (cmd_length), iommufd_test.h.
 */

/** IOMMUFD_TYPE ';'. */
export const IOMMUFD_TYPE = 0x3b;
/** _IO(';', nr). */
export const io = (nr: number): number => (IOMMUFD_TYPE << 8) | nr;

/** ioctl numbers by name. */
export const IOCTL = {
  IOMMU_DESTROY: io(0x80),
  IOMMU_IOAS_ALLOC: io(0x81),
  IOMMU_IOAS_ALLOW_IOVAS: io(0x82),
  IOMMU_IOAS_COPY: io(0x83),
  IOMMU_IOAS_IOVA_RANGES: io(0x84),
  IOMMU_IOAS_MAP: io(0x85),
  IOMMU_IOAS_UNMAP: io(0x86),
  IOMMU_OPTION: io(0x87),
  IOMMU_VFIO_IOAS: io(0x88),
  IOMMU_HWPT_ALLOC: io(0x89),
  IOMMU_GET_HW_INFO: io(0x8a),
  IOMMU_HWPT_SET_DIRTY_TRACKING: io(0x8b),
  IOMMU_HWPT_GET_DIRTY_BITMAP: io(0x8c),
  IOMMU_HWPT_INVALIDATE: io(0x8d),
  IOMMU_FAULT_QUEUE_ALLOC: io(0x8e),
  /** v6.13 (iommufd_ioas_map_file). */
  IOMMU_IOAS_MAP_FILE: io(0x8f),
  /** v6.13 (iommufd_viommu_alloc_ioctl). */
  IOMMU_VIOMMU_ALLOC: io(0x90),
  /** v6.13 (iommufd_vdevice_alloc_ioctl). */
  IOMMU_VDEVICE_ALLOC: io(0x91),
  /** v6.14 (iommufd_ioas_change_process). */
  IOMMU_IOAS_CHANGE_PROCESS: io(0x92),
  /** v6.15 (iommufd_veventq_alloc). */
  IOMMU_VEVENTQ_ALLOC: io(0x93),
  /** v6.17 (iommufd_hw_queue_alloc_ioctl). */
  IOMMU_HW_QUEUE_ALLOC: io(0x94),
  IOMMU_TEST_CMD: io(0xa0),
  VFIO_GET_API_VERSION: io(100),
  VFIO_CHECK_EXTENSION: io(101),
  VFIO_SET_IOMMU: io(102),
  VFIO_IOMMU_GET_INFO: io(112),
  VFIO_IOMMU_MAP_DMA: io(113),
  VFIO_IOMMU_UNMAP_DMA: io(114),
  VFIO_IOMMU_DIRTY_PAGES: io(117),
} as const;

export type IoctlName = keyof typeof IOCTL;

/** Reverse lookup of {@link IOCTL}. */
export const IOCTL_NAME = new Map<number, IoctlName>(Object.entries(IOCTL).map(([k, v]) => [v, k as IoctlName]));

/** A field: name and width in bytes (1, 2, 4, 8). */
export type Field = readonly [name: string, bytes: 1 | 2 | 4 | 8];

/** An iommufd argument struct: fields in order and the field that ends the minimum size. */
export interface StructDef {
  name: string;
  fields: readonly Field[];
  min: string;
}

const S = (name: string, min: string, fields: Field[]): StructDef => ({ name, fields, min });

/** Struct layouts per size-checked ioctl. */
export const STRUCTS: Partial<Record<IoctlName, StructDef>> = {
  IOMMU_DESTROY: S('iommu_destroy', 'id', [['size', 4], ['id', 4]]),
  IOMMU_IOAS_ALLOC: S('iommu_ioas_alloc', 'out_ioas_id', [['size', 4], ['flags', 4], ['out_ioas_id', 4]]),
  IOMMU_IOAS_ALLOW_IOVAS: S('iommu_ioas_allow_iovas', 'allowed_iovas', [['size', 4], ['ioas_id', 4], ['num_iovas', 4], ['__reserved', 4], ['allowed_iovas', 8]]),
  IOMMU_IOAS_COPY: S('iommu_ioas_copy', 'src_iova', [['size', 4], ['flags', 4], ['dst_ioas_id', 4], ['src_ioas_id', 4], ['length', 8], ['dst_iova', 8], ['src_iova', 8]]),
  IOMMU_IOAS_IOVA_RANGES: S('iommu_ioas_iova_ranges', 'out_iova_alignment', [['size', 4], ['ioas_id', 4], ['num_iovas', 4], ['__reserved', 4], ['allowed_iovas', 8], ['out_iova_alignment', 8]]),
  IOMMU_IOAS_MAP: S('iommu_ioas_map', 'iova', [['size', 4], ['flags', 4], ['ioas_id', 4], ['__reserved', 4], ['user_va', 8], ['length', 8], ['iova', 8]]),
  IOMMU_IOAS_UNMAP: S('iommu_ioas_unmap', 'length', [['size', 4], ['ioas_id', 4], ['iova', 8], ['length', 8]]),
  IOMMU_OPTION: S('iommu_option', 'val64', [['size', 4], ['option_id', 4], ['op', 2], ['__reserved', 2], ['object_id', 4], ['val64', 8]]),
  IOMMU_VFIO_IOAS: S('iommu_vfio_ioas', '__reserved', [['size', 4], ['ioas_id', 4], ['op', 2], ['__reserved', 2]]),
  IOMMU_HWPT_ALLOC: S('iommu_hwpt_alloc', '__reserved', [['size', 4], ['flags', 4], ['dev_id', 4], ['pt_id', 4], ['out_hwpt_id', 4], ['__reserved', 4], ['data_type', 4], ['data_len', 4], ['data_uptr', 8], ['fault_id', 4], ['__reserved2', 4]]),
  IOMMU_GET_HW_INFO: S('iommu_hw_info', '__reserved_2', [['size', 4], ['flags', 4], ['dev_id', 4], ['data_len', 4], ['data_uptr', 8], ['out_data_type', 4], ['out_max_pasid_log2', 1], ['__reserved', 1], ['__reserved_1', 1], ['__reserved_2', 1], ['out_capabilities', 8]]),
  IOMMU_HWPT_SET_DIRTY_TRACKING: S('iommu_hwpt_set_dirty_tracking', '__reserved', [['size', 4], ['flags', 4], ['hwpt_id', 4], ['__reserved', 4]]),
  IOMMU_HWPT_GET_DIRTY_BITMAP: S('iommu_hwpt_get_dirty_bitmap', 'data', [['size', 4], ['hwpt_id', 4], ['flags', 4], ['__reserved', 4], ['iova', 8], ['length', 8], ['page_size', 8], ['data', 8]]),
  IOMMU_HWPT_INVALIDATE: S('iommu_hwpt_invalidate', '__reserved', [['size', 4], ['hwpt_id', 4], ['data_uptr', 8], ['data_type', 4], ['entry_len', 4], ['entry_num', 4], ['__reserved', 4]]),
  IOMMU_FAULT_QUEUE_ALLOC: S('iommu_fault_alloc', 'out_fault_fd', [['size', 4], ['flags', 4], ['out_fault_id', 4], ['out_fault_fd', 4]]),
  // `fd` is an s32 in the kernel struct; the simulator carries it as the u32 bit pattern.
  IOMMU_IOAS_MAP_FILE: S('iommu_ioas_map_file', 'iova', [['size', 4], ['flags', 4], ['ioas_id', 4], ['fd', 4], ['start', 8], ['length', 8], ['iova', 8]]),
  // v6.13 ended at out_viommu_id (24 bytes, still the minimum); data_len/__reserved/data_uptr since v6.16.
  IOMMU_VIOMMU_ALLOC: S('iommu_viommu_alloc', 'out_viommu_id', [['size', 4], ['flags', 4], ['type', 4], ['dev_id', 4], ['hwpt_id', 4], ['out_viommu_id', 4], ['data_len', 4], ['__reserved', 4], ['data_uptr', 8]]),
  IOMMU_VDEVICE_ALLOC: S('iommu_vdevice_alloc', 'virt_id', [['size', 4], ['viommu_id', 4], ['dev_id', 4], ['out_vdevice_id', 4], ['virt_id', 8]]),
  IOMMU_IOAS_CHANGE_PROCESS: S('iommu_ioas_change_process', '__reserved', [['size', 4], ['__reserved', 4]]),
  IOMMU_VEVENTQ_ALLOC: S('iommu_veventq_alloc', 'out_veventq_fd', [['size', 4], ['flags', 4], ['viommu_id', 4], ['type', 4], ['veventq_depth', 4], ['out_veventq_id', 4], ['out_veventq_fd', 4], ['__reserved', 4]]),
  IOMMU_HW_QUEUE_ALLOC: S('iommu_hw_queue_alloc', 'length', [['size', 4], ['flags', 4], ['viommu_id', 4], ['type', 4], ['index', 4], ['out_hw_queue_id', 4], ['nesting_parent_iova', 8], ['length', 8]]),
};

/** Byte layout of a struct: offset and size per field, sizeof (padded to the largest field), min size. */
export interface Layout {
  offsets: Map<string, { off: number; bytes: number }>;
  sizeof: number;
  minSize: number;
}

const layouts = new Map<StructDef, Layout>();

/** Compute (and cache) a struct's layout with natural alignment. */
export function layoutOf(def: StructDef): Layout {
  let l = layouts.get(def);
  if (l) return l;
  const offsets = new Map<string, { off: number; bytes: number }>();
  let off = 0;
  let maxAlign = 1;
  for (const [name, bytes] of def.fields) {
    maxAlign = Math.max(maxAlign, bytes);
    off = Math.ceil(off / bytes) * bytes;
    offsets.set(name, { off, bytes });
    off += bytes;
  }
  const sizeof = Math.ceil(off / maxAlign) * maxAlign;
  const m = offsets.get(def.min)!;
  l = { offsets, sizeof, minSize: m.off + m.bytes };
  layouts.set(def, l);
  return l;
}

// Flags and enums (include/uapi/linux/iommufd.h).
export const IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0;
export const IOMMU_IOAS_MAP_WRITEABLE = 1 << 1;
export const IOMMU_IOAS_MAP_READABLE = 1 << 2;
export const IOMMU_OPTION_RLIMIT_MODE = 0;
export const IOMMU_OPTION_HUGE_PAGES = 1;
export const IOMMU_OPTION_OP_SET = 0;
export const IOMMU_OPTION_OP_GET = 1;
export const IOMMU_VFIO_IOAS_GET = 0;
export const IOMMU_VFIO_IOAS_SET = 1;
export const IOMMU_VFIO_IOAS_CLEAR = 2;
/** enum iommufd_hwpt_alloc_flags. */
export const IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0;
export const IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1;
export const IOMMU_HWPT_FAULT_ID_VALID = 1 << 2;
export const IOMMU_HWPT_ALLOC_PASID = 1 << 3;
export const IOMMU_HWPT_DATA_NONE = 0;
/** enum iommu_hwpt_data_type: struct iommu_hwpt_vtd_s1 (24 bytes, v6.8). */
export const IOMMU_HWPT_DATA_VTD_S1 = 1;
/** struct iommu_hwpt_arm_smmuv3 (16 bytes: ste[2], v6.14). */
export const IOMMU_HWPT_DATA_ARM_SMMUV3 = 2;
/** struct iommu_hwpt_amd_guest (32 bytes: dte[4], AMD nesting series, v6.19 era). */
export const IOMMU_HWPT_DATA_AMD_GUEST = 3;
/** enum iommu_hwpt_invalidate_data_type. */
export const IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0;
export const IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1;
/** enum iommu_hwpt_vtd_s1_invalidate_flags. */
export const IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0;
/** enum iommu_hwpt_vtd_s1_flags. */
export const IOMMU_VTD_S1_SRE = 1 << 0;
export const IOMMU_VTD_S1_EAFE = 1 << 1;
export const IOMMU_VTD_S1_WPE = 1 << 2;
/** enum iommu_viommu_type. */
export const IOMMU_VIOMMU_TYPE_DEFAULT = 0;
export const IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1;
export const IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2;
/** enum iommu_veventq_type. */
export const IOMMU_VEVENTQ_TYPE_DEFAULT = 0;
export const IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1;
export const IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2;
/** enum iommu_veventq_flag. */
export const IOMMU_VEVENTQ_FLAG_LOST_EVENTS = 1 << 0;
/** enum iommu_hw_queue_type. */
export const IOMMU_HW_QUEUE_TYPE_DEFAULT = 0;
export const IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1;
/** INT_MAX: vEVENTQ sequence numbers wrap from here to 0. */
export const VEVENTQ_SEQUENCE_MASK = 0x7fff_ffff;
export const IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0;
export const IOMMU_HW_INFO_TYPE_DEFAULT = 0;
export const IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0;
export const IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1;
export const IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1;

/**
 * Vendor hw_info payloads by out_data_type: struct iommu_hw_info_vtd (1), _arm_smmuv3 (2),
 * _tegra241_cmdqv (3), _amd (4) and the selftest's iommu_test_hw_info (0xfeedbeef).
 * u64 fields are taken from `<name>_lo` / `<name>_hi` when the driver supplies them.
 */
export const HW_INFO_LAYOUT: Record<number, readonly Field[]> = {
  0: [],
  1: [['flags', 4], ['__reserved', 4], ['cap_reg', 8], ['ecap_reg', 8]],
  2: [['flags', 4], ['__reserved', 4], ['idr0', 4], ['idr1', 4], ['idr2', 4], ['idr3', 4], ['idr4', 4], ['idr5', 4], ['iidr', 4], ['aidr', 4]],
  3: [['flags', 4], ['version', 1], ['log2vcmdqs', 1], ['log2vsids', 1], ['__reserved', 1]],
  4: [['efr', 8], ['efr2', 8]],
  0xfeedbeef: [['flags', 4], ['test_reg', 4]],
};

/** Size of the vendor hw_info payload by out_data_type (bytes). */
export const HW_INFO_DATA_LEN: Record<number, number> = Object.fromEntries(Object.entries(HW_INFO_LAYOUT).map(([k, f]) => [k, f.reduce((a, x) => a + x[1], 0)]));

/** Serialize a driver's hw_info data into its little-endian struct bytes. */
export function hwInfoBytes(type: number, data: Record<string, number>): Uint8Array {
  const fields = HW_INFO_LAYOUT[type] ?? [];
  const out = new Uint8Array(HW_INFO_DATA_LEN[type] ?? 0);
  const dv = new DataView(out.buffer);
  let off = 0;
  for (const [name, bytes] of fields) {
    const lo = data[`${name}_lo`];
    const hi = data[`${name}_hi`];
    const v = lo !== undefined && hi !== undefined ? (BigInt(hi) << 32n) | BigInt(lo) : BigInt(Math.trunc(data[name] ?? 0));
    if (bytes === 8) dv.setBigUint64(off, BigInt.asUintN(64, v), true);
    else if (bytes === 4) dv.setUint32(off, Number(BigInt.asUintN(32, v)), true);
    else if (bytes === 2) dv.setUint16(off, Number(BigInt.asUintN(16, v)), true);
    else dv.setUint8(off, Number(BigInt.asUintN(8, v)));
    off += bytes;
  }
  return out;
}

/** U64_MAX. */
export const U64_MAX = (1n << 64n) - 1n;
