import { describe, expect, it } from 'vitest';
import { Iotlb } from '../../../core/hw/iotlb';
import { CostModel } from '../../../core/hw/cost/model';
import { SimClock } from '../../../core/base/clock';
import { AMD_COSTS } from '../../../core/hw/amd/cost';
import { Ring } from '../../../core/hw/queue';

describe('Iotlb', () => {
  it('counts hits and misses and finds entries of every size class', () => {
    const t = new Iotlb(8);
    expect(t.lookup(1, 0x1000)).toBe(-1);
    t.fill(1, 0x1000, 12, 0x9000, 3, false);
    t.fill(1, 0x200000, 21, 0x4000_0000, 1, true);
    const s = t.lookup(1, 0x1fff);
    expect(s).toBeGreaterThanOrEqual(0);
    expect(t.oa[s]).toBe(0x9000);
    const h = t.lookup(1, 0x3fffff);
    expect(t.base(h)).toBe(0x200000);
    expect(t.sizeLg2(h)).toBe(21);
    expect(t.dirtyKnown[h]).toBe(1);
    expect(t.lookup(2, 0x1000)).toBe(-1); // other tag
    expect(t.lookup(1, 0x2000)).toBe(-1);
    expect([t.hits, t.misses]).toEqual([2, 3]);
  });

  it('evicts with CLOCK (second chance): referenced entries survive one sweep', () => {
    const t = new Iotlb(4);
    for (let i = 0; i < 4; i++) t.fill(1, i * 4096, 12, 0, 3, false);
    t.fill(1, 4 * 4096, 12, 0, 3, false); // sweep clears all ref bits, evicts slot 0 (iova 0)
    expect(t.evictions).toBe(1);
    expect(t.lookup(1, 0)).toBe(-1);
    expect(t.lookup(1, 4096)).toBeGreaterThanOrEqual(0); // re-referenced
    t.fill(1, 5 * 4096, 12, 0, 3, false); // hand at slot 1 (referenced) → evicts slot 2 (iova 8K)
    expect(t.lookup(1, 8192)).toBe(-1);
    expect(t.lookup(1, 4096)).toBeGreaterThanOrEqual(0);
    expect(t.size()).toBe(4);
  });

  it('invalidates only what the command covers', () => {
    const t = new Iotlb(64);
    for (let i = 0; i < 16; i++) t.fill(1, i * 4096, 12, 0, 3, true);
    t.fill(2, 0, 12, 0, 3, true);
    expect(t.invalidate(1, 0x2000, 0x3fff)).toBe(2);
    expect(t.lookup(1, 0x2000)).toBe(-1);
    expect(t.lookup(1, 0x4000)).toBeGreaterThanOrEqual(0);
    expect(t.invalidate(1, 0, Infinity)).toBe(14);
    expect(t.lookup(2, 0)).toBeGreaterThanOrEqual(0);
    expect(t.invalidateAll()).toBe(1);
    expect(t.size()).toBe(0);
  });

  it('keeps probe chains intact under churn (matches a reference map)', () => {
    const t = new Iotlb(32);
    const ref = new Map<number, number>();
    let x = 12345;
    for (let i = 0; i < 5000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const page = x % 200;
      if (x & 0x10000) {
        t.fill(1, page * 4096, 12, page * 7, 3, false);
        ref.set(page, page * 7);
      } else if (x & 0x20000) {
        t.invalidate(1, page * 4096, page * 4096);
        ref.delete(page);
      }
      // Every cached entry must be a correct translation (entries may be evicted).
      const s = t.lookup(1, page * 4096);
      if (s >= 0) expect(t.oa[s]).toBe(ref.get(page));
    }
    expect(t.size()).toBeLessThanOrEqual(32);
  });
});

describe('CostModel', () => {
  it('charges the vendor default, applies overrides by name, and counts exactly', () => {
    const clock = new SimClock();
    const c = new CostModel(AMD_COSTS, clock, { iotlb_miss: 0, inv_wait_page: 5 });
    c.charge('iotlb_miss', 10);
    c.charge('inv_wait_page');
    c.charge('cmd_post', 2);
    expect(clock.now).toBe(5 + 2 * AMD_COSTS.cmd_post);
    expect(c.countsByAction()).toEqual({ iotlb_miss: 10, inv_wait_page: 1, cmd_post: 2 });
  });

  it('rejects unknown names and negative costs', () => {
    expect(() => new CostModel(AMD_COSTS, new SimClock(), { bogus: 1 })).toThrow(/unknown cost action 'bogus'/);
    expect(() => new CostModel(AMD_COSTS, new SimClock(), { cmd_post: -1 })).toThrow(RangeError);
  });
});

describe('Ring', () => {
  it('drop-new sets overflow; overwrite keeps the newest', () => {
    const a = new Ring<number>(2, 'drop-new');
    [1, 2, 3].forEach((v) => a.push(v));
    expect([a.toArray(), a.overflow, a.dropped]).toEqual([[1, 2], true, 1]);
    expect(a.consume()).toEqual([1, 2]);
    expect(a.overflow).toBe(false);
    const b = new Ring<number>(2, 'overwrite');
    [1, 2, 3].forEach((v) => b.push(v));
    expect(b.toArray()).toEqual([2, 3]);
  });
});
