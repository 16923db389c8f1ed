/** Number, time, size and address formatting shared by the views (simulated ns, bytes). */

const nf = new Intl.NumberFormat('en-US');
const nf3 = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });

/** Integer with thousands separators. */
export function int(v: number): string {
  return nf.format(Math.round(v));
}

/** Three significant digits with k/M/G suffixes (axis ticks, totals). */
export function short(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${nf3.format(v / 1e9)}G`;
  if (a >= 1e6) return `${nf3.format(v / 1e6)}M`;
  if (a >= 1e4) return `${nf3.format(v / 1e3)}k`;
  return nf3.format(v);
}

/** Simulated time in ns as a readable duration (ns, µs, ms, s). */
export function ns(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${nf3.format(v / 1e9)} s`;
  if (a >= 1e6) return `${nf3.format(v / 1e6)} ms`;
  if (a >= 1e3) return `${nf3.format(v / 1e3)} µs`;
  return `${nf.format(v)} ns`;
}

/** Bytes with binary units. */
export function bytes(v: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = v;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${nf3.format(x)} ${units[i]}`;
}

/** Hex address (IOVA), 0x-prefixed, with an underscore every 4 digits for readability. */
export function hex(v: number | null): string {
  if (v === null) return '';
  return `0x${v.toString(16).replace(/\B(?=([0-9a-f]{4})+$)/g, '_')}`;
}

/** Parse "0x4000_0000", "1073741824" or "1GiB"-free plain numbers; null when empty, NaN when bad. */
export function parseAddr(s: string): number | null {
  const t = s.trim().replace(/_/g, '');
  if (t === '') return null;
  const v = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  return Number.isSafeInteger(v) ? v : NaN;
}

/** Ratio to the cheapest value, e.g. "2.35×". */
export function ratio(v: number, best: number): string {
  if (best === 0) return v === 0 ? '1.00×' : '—';
  return `${(v / best).toFixed(2)}×`;
}

/** One CSV line (RFC 4180 quoting). */
export function csvLine(cells: (string | number | null)[]): string {
  return cells
    .map((c) => {
      const s = c === null ? '' : String(c);
      return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(',');
}

/** Offer text as a file download (CSV of the visible chart or table). */
export function download(name: string, text: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
