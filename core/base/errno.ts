/**
 * Linux errno values (asm-generic/errno-base.h, asm-generic/errno.h) used by the engine.
 *
 * Layers below the uAPI return kernel-style integers (0 or a negative errno, e.g. `-ENOENT`)
 * on hot paths; the uAPI layer turns them into values `{ errno: 'ENOENT', message }` (never
 * thrown strings) (docs/architecture.md "Engine rules"). Values: include/uapi/asm-generic/errno-base.h,
 * errno.h.
 */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  ENOTTY: 25,
  EDEADLK: 35,
  EOVERFLOW: 75,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
  ETIMEDOUT: 110,
} as const;

/** An errno name, e.g. `'EINVAL'`. */
export type Errno = keyof typeof ERRNO;

/** An error as a value, as returned across the uAPI boundary. */
export interface ErrnoError {
  errno: Errno;
  message?: string;
}

const BY_NUMBER = new Map<number, Errno>(Object.entries(ERRNO).map(([k, v]) => [v, k as Errno]));

/** Name of a (positive or negative) errno number; `'EIO'` for unknown numbers. */
export function errnoName(rc: number): Errno {
  return BY_NUMBER.get(Math.abs(rc)) ?? 'EIO';
}

/** Build an error value from a name or a negative kernel return code. */
export function err(e: Errno | number, message?: string): ErrnoError {
  return { errno: typeof e === 'number' ? errnoName(e) : e, message };
}

/** Type guard: is this value an {@link ErrnoError}? */
export function isErr(v: unknown): v is ErrnoError {
  return typeof v === 'object' && v !== null && 'errno' in v && typeof (v as ErrnoError).errno === 'string';
}
