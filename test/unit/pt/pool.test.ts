import { describe, expect, it } from 'vitest';
import { FailNth, TablePool, TABLE_PHYS_BASE } from '../../../core/pt/index';

describe('TablePool', () => {
  it('counts pages, maps indexes to physical addresses and back', () => {
    const pool = new TablePool();
    const a = pool.alloc();
    const b = pool.alloc();
    expect([pool.inUse, pool.peak, pool.allocs]).toEqual([2, 2, 2]);
    expect(pool.phys(b)).toBe(TABLE_PHYS_BASE + b * 4096);
    expect(pool.indexOfPhys(pool.phys(a))).toBe(a);
    expect(pool.indexOfPhys(pool.phys(a) + 8)).toBe(-1);
    expect(pool.indexOfPhys(0x1000)).toBe(-1);
    expect(pool.bytesInUse()).toBe(8192);
  });

  it('hands out zeroed pages, reuses freed ones, and throws on double free', () => {
    const pool = new TablePool();
    const keep = pool.alloc();
    const p = pool.alloc();
    pool.pages[p]!.fill(0xffffffff);
    pool.free(p);
    expect(pool.isAllocated(p)).toBe(false);
    expect(() => pool.free(p)).toThrow(/double free/);
    const q = pool.alloc();
    expect(q).toBe(p);
    expect(pool.pages[q]!.every((w) => w === 0)).toBe(true);
    expect(pool.pages[q]!.length).toBe(1024);
    pool.free(q);
    pool.free(keep);
    expect([pool.inUse, pool.peak, pool.frees]).toEqual([0, 2, 3]);
    expect(pool.chunks.length).toBe(0); // empty pool drops its memory
  });

  it('page views alias the chunk memory used by the hot paths', () => {
    const pool = new TablePool();
    const idx: number[] = [];
    for (let k = 0; k < 300; k++) idx.push(pool.alloc());
    const p = idx[270]!;
    pool.pages[p]![7] = 0x1234;
    expect(pool.chunks[p >>> 8]![((p & 255) << 10) + 7]).toBe(0x1234);
  });

  it('fails on fail_nth and at maxPages', () => {
    const fail = new FailNth();
    const pool = new TablePool({ failNth: fail, maxPages: 3 });
    fail.arm(2);
    expect(pool.alloc('x')).toBeGreaterThanOrEqual(0);
    expect(pool.alloc('y')).toBe(-1);
    expect(fail.firedAt).toBe('y');
    expect(pool.alloc()).toBeGreaterThanOrEqual(0);
    expect(pool.alloc()).toBeGreaterThanOrEqual(0);
    expect(pool.alloc()).toBe(-1);
    expect(pool.failures).toBe(2);
  });
});
