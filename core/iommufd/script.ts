/**
 * Ioctl scripts: run a list of iommufd / VFIO / IOMMU_TEST_CMD calls without writing
 * TypeScript. A script is JSON - `{ "vendor"?, "options"?, "calls": [...] }` or a bare array
 * of calls - or JSON lines (one call per line). Each call names an ioctl, gives its struct
 * fields in `args`, may reference values saved by earlier calls ("$ioas", "$md.out_hwpt_id",
 * "$buf+0x1000") and may state expectations (errno, output fields, dirty-bitmap bits).
 * Validated with zod; errors are values. See docs/iommufd.md for the format.
 */
import { z } from 'zod';
import type { Errno } from '../base/errno';
import { SimClock } from '../base/clock';
import { VENDOR_NAMES, type VendorName } from '../iommu/registry';
import { TablePool } from '../pt/pool';
import type { Recorder } from '../trace/types';
import type { IommufdOptions } from './ctx';
import type { IommufdCtx } from './ctx';
import { FailNth } from '../base/fail-nth';
import { faultRead, faultRespond } from './fault';
import type { IoctlResult } from './ioctl';
import { iommufdIoctl, toU } from './ioctl';
import { PAGE_SIZE } from './mm';
import type { Fault, Veventq } from './objects';
import { veventqRead } from './eventq';
import { errnoName } from '../base/errno';
import { openIommufd } from './platform';
import { IOCTL, STRUCTS } from '../uapi/iommufd';
import { TEST_OP } from '../uapi/iommufd-test';
import type { IoctlName } from '../uapi/iommufd';
import type { TestOpName } from '../uapi/iommufd-test';

const Value = z.union([z.number(), z.string(), z.boolean()]);

/** One scripted call. */
export const ScriptCall = z.object({
  ioctl: z.string(),
  op: z.union([z.string(), z.number()]).optional(),
  args: z.record(z.string(), z.union([Value, z.array(z.number())])).default({}),
  as: z.string().regex(/^[A-Za-z_][\w]*$/).optional(),
  save: z.record(z.string(), z.string()).optional(),
  expect: z.string().optional(),
  expect_out: z.record(z.string(), Value).optional(),
  expect_bits: z.array(z.number().int().nonnegative()).optional(),
  expect_popcount: z.number().int().nonnegative().optional(),
  comment: z.string().optional(),
});
export type ScriptCall = z.infer<typeof ScriptCall>;

/** A whole script. */
export const Script = z.object({
  vendor: z.enum(VENDOR_NAMES).optional(),
  options: z.object({ propagateDirtyErrors: z.boolean(), splitWithCut: z.boolean(), bitmapWindowPages: z.number().int().positive(), rfcIovaBitmap: z.boolean() }).partial().optional(),
  calls: z.array(ScriptCall),
});
export type Script = z.infer<typeof Script>;

/** Result of one call. */
export interface CallResult {
  index: number;
  ioctl: string;
  op?: string | number;
  ok: boolean;
  errno: Errno | null;
  message?: string;
  out: Record<string, number | string>;
  extra?: Record<string, unknown>;
  /** Present when the call failed because the simulated RLIMIT_MEMLOCK ({@link RunScriptOptions.memlockBytes}) was reached. */
  memlock?: true;
  /** Set bits of the bitmap this call produced (dirty-bitmap calls), capped at 65536 listed. */
  bits?: number[];
  popcount?: number;
  /** 'none' when the call states no expectation. */
  expectation: 'pass' | 'fail' | 'none';
  failures: string[];
}

/** Result of a script run. */
export interface ScriptResult {
  vendor: VendorName;
  results: CallResult[];
  /** True when no expectation failed. */
  passed: boolean;
  failedExpectations: number;
}

/** Options of {@link runIoctlScript}. */
export interface RunScriptOptions {
  vendor?: VendorName;
  recorder?: Recorder;
  options?: Partial<IommufdOptions>;
  /** Stop at the first failed expectation. */
  stopOnFailure?: boolean;
  /**
   * RLIMIT_MEMLOCK of the simulated process, bytes (default unlimited): pins beyond it fail
   * with ENOMEM (core/iommufd/mm.ts memlockPages). The CLI sets it from this machine's memory.
   */
  memlockBytes?: number;
}

/** Parse JSON, a JSON array or JSON lines into a validated script, or an error value. */
export function parseScript(input: string | unknown): Script | { errno: 'EINVAL'; message: string } {
  let raw: unknown = input;
  if (typeof input === 'string') {
    const t = input.trim();
    try {
      raw = JSON.parse(t);
    } catch {
      try {
        raw = t.split('\n').filter((l) => l.trim() && !l.trim().startsWith('//')).map((l) => JSON.parse(l));
      } catch (e) {
        return { errno: 'EINVAL', message: `script is neither JSON nor JSON lines: ${(e as Error).message}` };
      }
    }
  }
  if (Array.isArray(raw)) raw = { calls: raw };
  const r = Script.safeParse(raw);
  if (!r.success) return { errno: 'EINVAL', message: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  return r.data;
}

/** Largest MMAP length, bytes: the x86-64 user address space with 4-level paging (TASK_SIZE, 2^47). */
const MMAP_MAX_BYTES = 2 ** 47;

/** Primary output saved under `as`. */
const PRIMARY: Record<string, string> = {
  IOMMU_IOAS_ALLOC: 'out_ioas_id', IOMMU_HWPT_ALLOC: 'out_hwpt_id', IOMMU_FAULT_QUEUE_ALLOC: 'out_fault_id',
  IOMMU_IOAS_MAP: 'iova', IOMMU_IOAS_COPY: 'dst_iova', MMAP: 'user_va', IOMMU_VFIO_IOAS: 'ioas_id',
};
const TEST_PRIMARY: Record<number, string> = {
  [TEST_OP.IOMMU_TEST_OP_MOCK_DOMAIN]: 'out_stdev_id', [TEST_OP.IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS]: 'out_stdev_id',
  [TEST_OP.IOMMU_TEST_OP_CREATE_ACCESS]: 'out_access_fd', [TEST_OP.IOMMU_TEST_OP_ACCESS_PAGES]: 'out_access_pages_id',
  [TEST_OP.IOMMU_TEST_OP_DIRTY]: 'out_nr_dirty', [TEST_OP.IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE]: 'pt_id',
};

function resolve(v: string | number | boolean | number[], vars: Map<string, bigint>): string | number | boolean | number[] | bigint {
  if (typeof v !== 'string' || !v.startsWith('$')) return v;
  const m = /^\$([A-Za-z_][\w.]*)\s*(?:([+-])\s*(\S+))?$/.exec(v);
  if (!m || !vars.has(m[1]!)) throw new Error(`unknown reference ${v}`);
  let b = vars.get(m[1]!)!;
  if (m[2]) b = m[2] === '+' ? b + toU(m[3]!) : b - toU(m[3]!);
  return b;
}

/** Allocate a zeroed user buffer for a bitmap of `nbits` plus `offset` bytes of slack. */
function bitmapBuffer(ctx: IommufdCtx, nbits: number, offset: number): number {
  const bytes = Math.ceil(nbits / 64) * 8 + offset + PAGE_SIZE;
  return ctx.mm.mmap(bytes) + offset;
}

function readBits(ctx: IommufdCtx, data: number, nbits: number): number[] | null {
  const bytes = ctx.mm.read(data, Math.ceil(nbits / 8));
  if (typeof bytes === 'number') return null;
  const out: number[] = [];
  for (let i = 0; i < nbits; i++) if ((bytes[i >> 3]! >> (i & 7)) & 1) out.push(i);
  return out;
}

function opNumber(op: string | number | undefined): number {
  if (op === undefined) return 0;
  if (typeof op === 'number') return op;
  const n = TEST_OP[op as TestOpName] ?? TEST_OP[`IOMMU_TEST_OP_${op}` as TestOpName];
  if (n === undefined) throw new Error(`unknown test op ${op}`);
  return n;
}

/** Execute one call on ctx; returns the raw ioctl result plus bitmap bits when relevant. */
function execCall(ctx: IommufdCtx, call: ScriptCall, vars: Map<string, bigint>): { r: IoctlResult; bits?: number[] } {
  const args: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(call.args)) args[k] = resolve(v, vars);
  const n = (k: string): number => Number(toU(args[k] as never));
  const ok = (out: Record<string, number | string>, extra: Record<string, unknown> = {}): IoctlResult => ({ ok: true, name: call.ioctl, ret: 0, out, extra });
  const bad = (errno: Errno, message: string): IoctlResult => ({ ok: false, name: call.ioctl, errno, message, out: {}, extra: {} });
  switch (call.ioctl) {
    case 'MMAP': {
      // mmap(2): EINVAL for length 0, ENOMEM beyond the user address space (x86-64 TASK_SIZE,
      // 128 TiB with 4-level paging; mm/mmap.c get_unmapped_area).
      const length = n('length');
      if (!(length > 0)) return { r: bad('EINVAL', 'mmap: length must be greater than 0') };
      if (!(length <= MMAP_MAX_BYTES)) return { r: bad('ENOMEM', 'mmap: length exceeds the 128 TiB user address space (TASK_SIZE)') };
      return { r: ok({ user_va: ctx.mm.mmap(length, { hugepages: !!args.hugepages }), length }) };
    }
    case 'MUNMAP':
      ctx.mm.munmap(n('user_va'), n('length'));
      return { r: ok({}) };
    case 'MEMFD_CREATE': {
      // memfd_create + ftruncate + mmap(MAP_SHARED): the selftests' memfd_mmap.
      const m = ctx.mm.memfdCreate(n('length'), { hugepages: !!args.hugepages });
      return { r: ok({ fd: m.fd, user_va: m.va, length: n('length') }) };
    }
    case 'FTRUNCATE': {
      const rc = ctx.mm.ftruncate(n('fd'), n('length'));
      return { r: rc ? bad(errnoName(rc), 'ftruncate failed') : ok({}) };
    }
    case 'WRITE_U32': {
      // Little-endian u32 words into user memory (driver data structs, invalidation arrays).
      const words = (call.args.words as number[] | undefined) ?? [];
      const b = new Uint8Array(words.length * 4);
      words.forEach((w, i) => new DataView(b.buffer).setUint32(i * 4, w >>> 0, true));
      const rc = ctx.mm.write(n('user_va'), b);
      return { r: rc ? bad('EFAULT', 'unmapped user memory') : ok({ length: b.length }) };
    }
    case 'VEVENTQ_READ': {
      const q = ctx.getObj<Veventq>(n('veventq_id'), 'VEVENTQ');
      if (typeof q === 'number') return { r: bad('EBADF', 'no such vEVENTQ') };
      const { records, bytes } = veventqRead(q, args.count === undefined ? 4096 : n('count'));
      const last = records[records.length - 1];
      return { r: ok({ count: records.length, bytes, sequence: last?.sequence ?? 0, flags: last?.flags ?? 0 }, { records }) };
    }
    case 'FAULT_READ':
    case 'FAULT_RESPOND': {
      const f = ctx.getObj<Fault>(n('fault_id'), 'FAULT');
      if (typeof f === 'number') return { r: bad('EBADF', 'no such fault queue') };
      if (call.ioctl === 'FAULT_READ') {
        const recs = faultRead(f, args.count === undefined ? 1 : n('count'));
        return { r: ok({ count: recs.length, cookie: recs[0]?.cookie ?? 0 }, { records: recs }) };
      }
      const rc = faultRespond(f, n('cookie'), n('code'));
      return { r: rc ? bad('EINVAL', 'bad page response') : ok({}) };
    }
  }
  const nr = IOCTL[call.ioctl as IoctlName] ?? (/^(0x[0-9a-f]+|\d+)$/i.test(call.ioctl) ? Number(call.ioctl) : undefined);
  if (nr === undefined) return { r: bad('ENOTTY', `unknown ioctl ${call.ioctl}`) };
  const def = STRUCTS[call.ioctl as IoctlName];
  if (def) {
    // A misspelt field would silently read as zero: refuse it.
    const known = new Set([...def.fields.map((f) => f[0]), '__tail', 'data_offset']);
    const bad = Object.keys(args).filter((k) => !known.has(k));
    if (bad.length) throw new Error(`unknown field(s) ${bad.join(', ')} of struct ${def.name}`);
  }
  let bitmap: { data: number; nbits: number } | null = null;
  if (call.ioctl === 'IOMMU_TEST_CMD') {
    args.op = opNumber(call.op);
    if (args.op === TEST_OP.IOMMU_TEST_OP_DIRTY && args.uptr === undefined) {
      const nbits = Math.floor(n('length') / Math.max(1, n('page_size')));
      const data = bitmapBuffer(ctx, nbits, n('uptr_offset'));
      const set = (args.bits as number[] | undefined) ?? [];
      const every = args.bits_every === undefined ? 0 : n('bits_every');
      const bytes = new Uint8Array(Math.ceil(nbits / 64) * 8);
      const mark = (i: number): void => { if (i < nbits) bytes[i >> 3] = bytes[i >> 3]! | (1 << (i & 7)); };
      set.forEach(mark);
      if (every) for (let i = 0; i < nbits; i += every) mark(i);
      ctx.mm.write(data, bytes);
      args.uptr = data;
    }
    delete args.bits;
    delete args.bits_every;
    delete args.uptr_offset;
  }
  if (call.ioctl === 'IOMMU_HWPT_GET_DIRTY_BITMAP' && n('page_size')) {
    const nbits = Math.ceil(n('length') / n('page_size'));
    if (args.data === undefined && nbits <= 2 ** 26) args.data = bitmapBuffer(ctx, nbits, n('data_offset'));
    bitmap = { data: n('data'), nbits };
  }
  if ((call.ioctl === 'VFIO_IOMMU_DIRTY_PAGES' || call.ioctl === 'VFIO_IOMMU_UNMAP_DMA') && args.bitmap_pgsize !== undefined) {
    const nbits = Math.ceil(n('size') / Math.max(1, n('bitmap_pgsize')));
    if (args.bitmap_data === undefined && nbits <= 2 ** 26) args.bitmap_data = bitmapBuffer(ctx, nbits, 0);
    if (args.bitmap_size === undefined) args.bitmap_size = Math.ceil(nbits / 64) * 8;
    bitmap = { data: n('bitmap_data'), nbits };
  }
  delete args.data_offset;
  const r = iommufdIoctl(ctx, nr, args);
  const bits = bitmap && r.ok ? readBits(ctx, bitmap.data, bitmap.nbits) ?? undefined : undefined;
  return { r, bits };
}

/** Compare a result with the call's expectations; returns failure messages. */
function check(call: ScriptCall, res: CallResult, vars: Map<string, bigint>): string[] {
  const f: string[] = [];
  const want = call.expect ?? (call.expect_out || call.expect_bits || call.expect_popcount !== undefined ? 'OK' : undefined);
  if (want !== undefined) {
    const got = res.ok ? 'OK' : res.errno;
    if ((want === '0' ? 'OK' : want) !== got) f.push(`expected ${want}, got ${got}${res.message ? ` (${res.message})` : ''}`);
  }
  for (const [k, v] of Object.entries(call.expect_out ?? {})) {
    const want = resolve(v, vars) as string | number | boolean | bigint;
    if (res.out[k] === undefined || toU(res.out[k] as never) !== toU(want)) f.push(`${k}: expected ${v}, got ${res.out[k]}`);
  }
  if (call.expect_bits) {
    const got = res.bits ?? [];
    if (got.length !== call.expect_bits.length || got.some((b, i) => b !== call.expect_bits![i])) f.push(`bits: expected [${call.expect_bits.slice(0, 16).join(',')}${call.expect_bits.length > 16 ? ',...' : ''}] (${call.expect_bits.length}), got [${got.slice(0, 16).join(',')}${got.length > 16 ? ',...' : ''}] (${got.length})`);
  }
  if (call.expect_popcount !== undefined && (res.popcount ?? 0) !== call.expect_popcount) f.push(`popcount: expected ${call.expect_popcount}, got ${res.popcount ?? 0}`);
  return f;
}

/**
 * Run a script on a fresh ctx for `opts.vendor` (script.vendor, else 'mock'). Every call's
 * result and errno is returned; `passed` is false when any expectation failed. A malformed
 * script or an unknown reference is an error value, not an exception.
 */
export function runIoctlScript(script: string | unknown, opts: RunScriptOptions = {}): ScriptResult | { errno: 'EINVAL'; message: string } {
  const parsed = parseScript(script);
  if ('errno' in parsed) return parsed;
  const vendor: VendorName = opts.vendor ?? parsed.vendor ?? 'mock';
  const clock = new SimClock();
  const fail = new FailNth();
  const pool = new TablePool({ failNth: fail });
  const { ctx } = openIommufd(vendor, { clock, recorder: opts.recorder, fail, pool, options: { ...parsed.options, ...opts.options } });
  if (opts.memlockBytes !== undefined) ctx.mm.memlockPages = Math.floor(opts.memlockBytes / PAGE_SIZE);
  const vars = new Map<string, bigint>();
  const results: CallResult[] = [];
  let failed = 0;
  for (let i = 0; i < parsed.calls.length; i++) {
    const call = parsed.calls[i]!;
    let exec: { r: IoctlResult; bits?: number[] };
    const refusals = ctx.mm.memlockRefusals;
    try {
      exec = execCall(ctx, call, vars);
    } catch (e) {
      return { errno: 'EINVAL', message: `call ${i} (${call.ioctl}): ${(e as Error).message}` };
    }
    const { r, bits } = exec;
    const res: CallResult = {
      index: i, ioctl: call.ioctl, op: call.op, ok: r.ok, errno: r.ok ? null : r.errno, message: r.ok ? undefined : r.message,
      out: r.out, extra: Object.keys(r.extra).length ? r.extra : undefined, expectation: 'none', failures: [],
    };
    if (!r.ok && ctx.mm.memlockRefusals > refusals) res.memlock = true;
    if (bits) {
      res.popcount = bits.length;
      res.bits = bits.slice(0, 65536);
    }
    if (call.as) {
      // Fields are saved even on failure: some ioctls write back (IOVA_RANGES on EMSGSIZE).
      const key = call.ioctl === 'IOMMU_TEST_CMD' ? TEST_PRIMARY[opNumber(call.op)] : PRIMARY[call.ioctl];
      if (r.ok && key && r.out[key] !== undefined) vars.set(call.as, toU(r.out[key] as never));
      for (const [k, v] of Object.entries(r.out)) vars.set(`${call.as}.${k}`, toU(v as never));
    }
    if (r.ok) for (const [name, field] of Object.entries(call.save ?? {})) if (r.out[field] !== undefined) vars.set(name, toU(r.out[field] as never));
    try {
      res.failures = check(call, res, vars);
    } catch (e) {
      return { errno: 'EINVAL', message: `call ${i} (${call.ioctl}) expectation: ${(e as Error).message}` };
    }
    const stated = call.expect !== undefined || call.expect_out !== undefined || call.expect_bits !== undefined || call.expect_popcount !== undefined;
    res.expectation = stated ? (res.failures.length ? 'fail' : 'pass') : 'none';
    if (res.failures.length) failed++;
    results.push(res);
    if (res.failures.length && opts.stopOnFailure) break;
  }
  return { vendor, results, passed: failed === 0, failedExpectations: failed };
}
