/** Human-readable quantities for messages (binary units for bytes). */

/** 4096 → "4 KiB", 1.5 GiB → "1.5 GiB", 100 → "100 bytes". */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  if (!Number.isFinite(n)) return `${n} bytes`;
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${n} bytes`;
  return `${Number.isInteger(v) ? v : v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** 3.2e9 → "3.2 G", 45000 → "45 k", 12 → "12", 1e300 → "1.0e300". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n) || n >= 1e15) return n.toExponential(1).replace('e+', 'e');
  for (const [u, v] of [['T', 1e12], ['G', 1e9], ['M', 1e6], ['k', 1e3]] as const) if (n >= v) return `${(n / v).toFixed(n / v < 10 ? 1 : 0)} ${u}`;
  return String(Math.round(n));
}

/** Seconds → "42 s", "7 min", "3.5 h", "12 days", "3.0e290 years". */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s >= 365 * 86400) return `${(s / (365 * 86400)).toExponential(1).replace('e+', 'e')} years`;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 3 * 86400) return `${(s / 3600).toFixed(1)} h`;
  return `${Math.round(s / 86400)} days`;
}
