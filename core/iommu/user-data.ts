/**
 * Driver-specific user data passed through iommufd (include/linux/iommu.h struct
 * iommu_user_data / iommu_user_data_array) and the kernel's copy helpers with their errnos:
 * __iommu_copy_struct_from_user, __iommu_copy_struct_from_user_array (one entry) and
 * iommu_copy_struct_from_full_user_array (whole array), on top of copy_struct_from_user
 * (include/linux/uaccess.h: a shorter user struct is zero-extended, a longer one must have
 * an all-zero tail or the copy is -E2BIG; an unreadable pointer is -EFAULT).
 * Sizes are bytes; user addresses are simulated process VAs.
 */
import { ERRNO } from '../base/errno';

/** The user memory a copy reads: Mm.read (core/iommufd/mm.ts) - bytes or a negative errno. */
export interface UserMemory {
  read(va: number, n: number): Uint8Array | number;
  write(va: number, bytes: Uint8Array): number;
}

/** struct iommu_user_data: one driver struct (HWPT_ALLOC / VIOMMU_ALLOC data). */
export interface UserData {
  type: number;
  /** User pointer. */
  uptr: number;
  /** Bytes. */
  len: number;
  mem: UserMemory;
}

/** struct iommu_user_data_array: IOMMU_HWPT_INVALIDATE entries; `entryNum` is written back. */
export interface UserDataArray {
  type: number;
  uptr: number;
  /** Bytes per entry as user space declared it. */
  entryLen: number;
  /** In: entries given. Out: entries the driver handled (array->entry_num). */
  entryNum: number;
  mem: UserMemory;
}

/**
 * copy_struct_from_user(dst, ksize, src, usize): the kernel struct of `ksize` bytes from a
 * user struct of `usize` bytes. -EFAULT (unreadable), -E2BIG (non-zero bytes past ksize).
 */
export function copyStructFromUser(mem: UserMemory, uptr: number, ksize: number, usize: number): Uint8Array | number {
  const out = new Uint8Array(ksize);
  if (usize === 0) return out;
  if (!uptr) return -ERRNO.EFAULT;
  const bytes = mem.read(uptr, usize);
  if (typeof bytes === 'number') return -ERRNO.EFAULT;
  if (usize > ksize && bytes.subarray(ksize).some((b) => b !== 0)) return -ERRNO.E2BIG;
  out.set(bytes.subarray(0, Math.min(ksize, usize)));
  return out;
}

/**
 * __iommu_copy_struct_from_user(dst, src, data_type, data_len, min_len): type mismatch ->
 * -EINVAL; src.len < min_len or > data_len -> -EINVAL; then copy_struct_from_user.
 */
export function iommuCopyStructFromUser(src: UserData, type: number, dataLen: number, minLen: number): Uint8Array | number {
  if (src.type !== type) return -ERRNO.EINVAL;
  if (src.len < minLen || dataLen < src.len) return -ERRNO.EINVAL;
  return copyStructFromUser(src.mem, src.uptr, dataLen, src.len);
}

/**
 * __iommu_copy_struct_from_user_array: entry `index` of the array with the single-struct
 * rules (entry_len > data_len is -EINVAL here, unlike the full-array copy).
 */
export function iommuCopyStructFromUserArray(arr: UserDataArray, type: number, index: number, dataLen: number, minLen: number): Uint8Array | number {
  if (index >= arr.entryNum || !arr.entryNum) return -ERRNO.EINVAL;
  return iommuCopyStructFromUser({ type: arr.type, uptr: arr.uptr + arr.entryLen * index, len: arr.entryLen, mem: arr.mem }, type, dataLen, minLen);
}

/**
 * iommu_copy_struct_from_full_user_array (v6.14): every entry up front, `entrySize` kernel
 * bytes each. Type mismatch or no entries -> -EINVAL; each entry through
 * copy_struct_from_user (shorter: zero-filled; longer: tail must be zero, else -E2BIG;
 * unreadable: -EFAULT). Returns the entries or the errno (nothing processed).
 */
export function iommuCopyFullUserArray(arr: UserDataArray, type: number, entrySize: number): Uint8Array[] | number {
  if (arr.type !== type) return -ERRNO.EINVAL;
  if (!arr.entryNum) return -ERRNO.EINVAL;
  const out: Uint8Array[] = [];
  for (let i = 0; i < arr.entryNum; i++) {
    const e = copyStructFromUser(arr.mem, arr.uptr + arr.entryLen * i, entrySize, arr.entryLen);
    if (typeof e === 'number') return e;
    out.push(e);
  }
  return out;
}

/** Little-endian u32 at byte `off`. */
export function u32At(b: Uint8Array, off: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
}

/** Little-endian u64 at byte `off` as a bigint. */
export function u64At(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);
}
