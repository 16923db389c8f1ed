/** Linux errno numbers the engine returns (asm-generic/errno-base.h, errno.h), for display. */
const NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  5: 'EIO',
  7: 'E2BIG',
  11: 'EAGAIN',
  12: 'ENOMEM',
  14: 'EFAULT',
  16: 'EBUSY',
  17: 'EEXIST',
  19: 'ENODEV',
  22: 'EINVAL',
  25: 'ENOTTY',
  28: 'ENOSPC',
  33: 'EDOM',
  34: 'ERANGE',
  75: 'EOVERFLOW',
  95: 'EOPNOTSUPP',
};

/** "EINVAL (22)" for a failed event, '' for success or no errno. */
export function errnoName(n: number | null): string {
  if (n === null || n === 0) return '';
  return NAMES[n] ? `${NAMES[n]} (${n})` : String(n);
}
