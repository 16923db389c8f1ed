// Attach / detach conformance cases (the has_group review, docs/threads.md) not covered by
// device.test.ts: T-FD-06..10, 12..15, 20, 21 in the agreed (mainline) model. Where mainline
// moved on from the seed thread the test asserts mainline and says so in its title:
// cache coherency is fixed at HWPT allocation since v6.7 (T-FD-09), MSI isolation is checked
// at bind since v6.3 (T-FD-12/13), a second attach of an attached device is -EBUSY since
// v6.15 (T-FD-20). Simulator-only mock knobs: MockDriver.attachHook (a driver that rejects a
// domain) and MOCK_SIM_FLAGS_DEVICE_ENFORCE_CC / _CC_BROKEN (coherency variants).
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../../core/base/errno';
import type { MockDriver } from '../../../core/iommu/mock';
import { MOCK_SIM_FLAGS_DEVICE_CC_BROKEN, MOCK_SIM_FLAGS_DEVICE_ENFORCE_CC } from '../../../core/iommu/mock';
import { deviceAttach, deviceBind, deviceDetach, deviceReplace } from '../../../core/iommufd/device';
import { NO_FAIL } from '../../../core/base/fail-nth';
import { iommuGetMsiCookie, iommuMsiCookie } from '../../../core/iommu/iommu';
import type { Idev, SelftestDev } from '../../../core/iommufd/objects';
import { H, MOCK_APERTURE_START, PAGE_SIZE } from './harness';

const drv = (h: H) => h.ctx.platform.driver as MockDriver;
const idevOf = (h: H, stdev: number): Idev => (h.ctx.table.get(stdev, 'SELFTEST') as SelftestDev).idev;

/** Create a mock device (optionally with simulator-only flags) and bind it: iommufd_device_bind. */
function bindDev(h: H, flags = 0, groupId?: number): Idev {
  const idev = deviceBind(h.ctx, drv(h).createDevice(flags, groupId));
  if (typeof idev === 'number') throw new Error(`bind: ${idev}`);
  return idev;
}

/** MSI_IOVA_BASE / MSI_IOVA_LENGTH of the SMMU drivers' IOMMU_RESV_SW_MSI region. */
const SW_MSI = { start: 0x8000000, length: 0x100000, type: 'SW_MSI' as const };

describe('attach by HWPT id and the auto-domain search (T-FD-06..08)', () => {
  it('T-FD-06: a device of another group attached by HWPT id joins H; H stays on hwpt_list exactly once', () => {
    const h = new H();
    const A = h.ioasAlloc();
    const d1 = h.mockDomain(A);
    const H1 = h.hwpt(d1.hwpt);
    const d3 = h.mockDomain(d1.hwpt);
    expect(d3.hwpt).toBe(d1.hwpt);
    expect(H1.users).toBe(3);
    expect(h.ioas(A).hwptList).toEqual([H1]);
    expect(h.ioas(A).iopt.domains).toEqual([H1.domain]);
    expect(drv(h).domainOf(idevOf(h, d3.stdev).dev)).toBe(H1.domain);
    // Detaching the first device leaves the link alone; the last one unlinks and frees H.
    h.ok('IOMMU_DESTROY', { id: d1.stdev });
    expect(h.ioas(A).hwptList).toEqual([H1]);
    h.ok('IOMMU_DESTROY', { id: d3.stdev });
    expect(h.ioas(A).hwptList).toEqual([]);
    expect(h.ioas(A).iopt.domains).toEqual([]);
  });

  it('T-FD-07: the driver refuses H for d3 (-EINVAL): auto_get_domain skips H and makes H2; hwpt_list = [H, H2]', () => {
    const h = new H();
    const A = h.ioasAlloc();
    const d1 = h.mockDomain(A);
    const H1 = h.hwpt(d1.hwpt);
    const dev1 = idevOf(h, d1.stdev).dev;
    drv(h).attachHook = (dom, dev) => (dom === H1.domain && dev !== dev1 ? -ERRNO.EINVAL : 0);
    const d3 = h.mockDomain(A);
    expect(d3.hwpt).not.toBe(d1.hwpt);
    const H2 = h.hwpt(d3.hwpt);
    expect(H2.autoDomain).toBe(true);
    expect(h.ioas(A).hwptList).toEqual([H1, H2]);
    expect(h.ioas(A).iopt.domains).toEqual([H1.domain, H2.domain]);
    expect([H1.users, H2.users]).toEqual([2, 2]);
    expect(drv(h).domainOf(idevOf(h, d3.stdev).dev)).toBe(H2.domain);
    expect(h.ioas(A).users).toBe(3);
  });

  it('T-FD-08: -ENODEV from every attach is propagated; the new HWPT is aborted; an existing H is not skipped over', () => {
    const h = new H();
    const A = h.ioasAlloc();
    const buf = h.mmap(2 * PAGE_SIZE);
    h.map(A, buf, 2 * PAGE_SIZE, MOCK_APERTURE_START);
    drv(h).attachHook = () => -ERRNO.ENODEV;
    const before = h.snapshot();
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN', { id: A })).toBe('ENODEV');
    expect(h.snapshot()).toBe(before);
    expect(h.ioas(A).hwptList).toEqual([]);
    expect(h.ioas(A).users).toBe(1);
    expect(h.ctx.mm.pinnedPages).toBe(0);
    // With an auto HWPT present, a non-EINVAL error ends the search: no second HWPT is made.
    drv(h).attachHook = null;
    const d1 = h.mockDomain(A);
    drv(h).attachHook = () => -ERRNO.ENODEV;
    const mid = h.snapshot();
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN', { id: A })).toBe('ENODEV');
    expect(h.snapshot()).toBe(mid);
    expect(h.ioas(A).hwptList).toEqual([h.hwpt(d1.hwpt)]);
  });
});

describe('cache coherency is fixed at HWPT allocation (T-FD-09, T-FD-10)', () => {
  it('T-FD-09 (mainline >= v6.7): a device needing coherency attaches to a non-enforcing H without upgrading it and without a warning', () => {
    // Spec (seed era): -EINVAL from the attach-time upgrade. Mainline dropped that upgrade
    // ("iommufd: Only enforce cache coherency in iommufd_hw_pagetable_alloc"): a non-CC HWPT
    // may be reused by CC devices; attach_dev decides, the mock accepts.
    const h = new H();
    const A = h.ioasAlloc();
    const d1 = h.mockDomain(A);
    const H1 = h.hwpt(d1.hwpt);
    expect(H1.enforceCacheCoherency).toBe(false);
    const d3 = bindDev(h, MOCK_SIM_FLAGS_DEVICE_ENFORCE_CC);
    expect(d3.enforceCacheCoherency).toBe(true);
    expect(deviceAttach(h.ctx, d3, H1.id)).toEqual({ rc: 0, ptId: H1.id });
    expect(H1.enforceCacheCoherency).toBe(false);
    expect(H1.users).toBe(3);
    expect(h.ctx.warnings).toEqual([]);
  });

  it('T-FD-10: a new domain that cannot enforce coherency for its first (CC) device: -EINVAL and a WARN_ON; nothing left', () => {
    const h = new H();
    const A = h.ioasAlloc();
    const ok = bindDev(h, MOCK_SIM_FLAGS_DEVICE_ENFORCE_CC);
    const r = deviceAttach(h.ctx, ok, A);
    expect(r.rc).toBe(0);
    const Hcc = h.hwpt(r.ptId);
    expect(Hcc.enforceCacheCoherency).toBe(true);
    expect((Hcc.domain as unknown as { enforcingCoherency: boolean }).enforcingCoherency).toBe(true);
    expect(h.ctx.warnings).toEqual([]);

    const bad = bindDev(h, MOCK_SIM_FLAGS_DEVICE_ENFORCE_CC | MOCK_SIM_FLAGS_DEVICE_CC_BROKEN, 0x99);
    const B = h.ioasAlloc();
    const before = h.snapshot();
    expect(deviceAttach(h.ctx, bad, B).rc).toBe(-ERRNO.EINVAL);
    expect(h.snapshot()).toBe(before);
    expect(bad.hwpt).toBeNull();
    expect(h.ctx.warnings).toEqual([{ kind: 'WARN_ON', site: 'iommufd_hwpt_paging_alloc', message: 'iommufd_hwpt_paging_enforce_cc() failed on a new domain', dev: bad.dev.name }]);
    // The same through IOMMU_HWPT_ALLOC.
    expect(h.rc('IOMMU_HWPT_ALLOC', { dev_id: bad.id, pt_id: B })).toBe('EINVAL');
    expect(h.ctx.warnings).toHaveLength(2);
    expect(h.snapshot()).toBe(before);
  });
});

describe('MSI isolation and the MSI cookie (T-FD-12..14)', () => {
  it('T-FD-12 (checked at bind since v6.3): no isolated MSI and allow_unsafe_interrupts=0 -> -EPERM, nothing bound or reserved', () => {
    const h = new H('intel');
    h.ctx.platform.hasIsolatedMsi = () => false;
    h.ctx.platform.resvRegions = () => [{ start: 0xfee00000, length: 0x100000, type: 'MSI' }];
    const A = h.ioasAlloc();
    const before = h.snapshot();
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN', { id: A })).toBe('EPERM');
    expect(h.snapshot()).toBe(before);
    expect(h.ioas(A).iopt.reserved).toEqual([]);
    expect(h.ctx.warnings).toEqual([]);
    // iommufd_selftest_is_mock_dev: the mock's devices are never checked.
    const m = new H();
    m.ctx.platform.hasIsolatedMsi = () => false;
    expect(m.testRc('IOMMU_TEST_OP_MOCK_DOMAIN', { id: m.ioasAlloc() })).toBe('OK');
  });

  it('T-FD-13: the same with allow_unsafe_interrupts=1 binds and attaches, with the kernel dev_warn', () => {
    const h = new H('intel', { allowUnsafeInterrupts: true });
    h.ctx.platform.hasIsolatedMsi = () => false;
    const A = h.ioasAlloc();
    const d = h.mockDomain(A);
    expect(h.hwpt(d.hwpt).users).toBe(2);
    expect(h.ctx.warnings).toHaveLength(1);
    expect(h.ctx.warnings[0]).toMatchObject({ kind: 'dev_warn', site: 'iommufd_device_bind', dev: idevOf(h, d.stdev).dev.name });
    expect(h.ctx.warnings[0]!.message).toMatch(/^MSI interrupts are not secure.*"allow_unsafe_interrupts" module parameter to override$/);
  });

  it('T-FD-14: a SW_MSI region installs the MSI cookie once per domain; later devices and group members reuse it; replace installs it on the new domain', () => {
    const h = new H();
    h.ctx.platform.resvRegions = () => [SW_MSI];
    const A = h.ioasAlloc();
    const d1 = h.mockDomain(A, 0, 7);
    const H1 = h.hwpt(d1.hwpt);
    expect(H1.msiCookie).toBe(true);
    expect(iommuMsiCookie(H1.domain)).toBe(SW_MSI.start);
    const d2 = h.mockDomain(A, 0, 7); // same group: setup_msi not called
    const d3 = h.mockDomain(A); // another group: msi_cookie already set, not reinstalled
    expect([d2.hwpt, d3.hwpt]).toEqual([d1.hwpt, d1.hwpt]);
    expect(H1.users).toBe(4);
    // A second iommu_get_msi_cookie on the domain would have failed the attach.
    expect(iommuGetMsiCookie(H1.domain, SW_MSI.start, NO_FAIL)).toBe(-ERRNO.EEXIST);
    // Each device reserved its own copy of the window.
    expect(h.ioas(A).iopt.reserved.filter((r) => r.start === SW_MSI.start)).toHaveLength(3);
    expect(h.map(A, h.mmap(PAGE_SIZE), PAGE_SIZE, SW_MSI.start)).toBe('EINVAL');
    // Replace to a user HWPT: iommufd_group_setup_msi on the new domain.
    const S2 = h.ok('IOMMU_HWPT_ALLOC', { dev_id: d3.idev, pt_id: A }).out_hwpt_id!;
    expect(h.hwpt(S2).msiCookie).toBe(false);
    expect(h.testRc('IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', { id: d3.stdev, pt_id: S2 })).toBe('OK');
    expect(h.hwpt(S2).msiCookie).toBe(true);
    expect(iommuMsiCookie(h.hwpt(S2).domain)).toBe(SW_MSI.start);
  });

  it('T-FD-14: a cookie failure (-ENOMEM) drops the device reservations and the auto HWPT', () => {
    const h = new H();
    h.ctx.platform.resvRegions = () => [SW_MSI];
    const A = h.ioasAlloc();
    const idev = bindDev(h);
    const before = h.snapshot();
    let n = 1;
    for (; n < 50; n++) {
      h.fail.arm(n);
      const r = deviceAttach(h.ctx, idev, A);
      h.fail.disarm();
      if (h.fail.firedAt === 'iommu_dma_cookie') {
        expect(r.rc).toBe(-ERRNO.ENOMEM);
        break;
      }
      expect(r.rc).not.toBe(0);
      expect(h.snapshot()).toBe(before);
    }
    expect(h.fail.firedAt).toBe('iommu_dma_cookie');
    expect(h.snapshot()).toBe(before);
    expect(h.ioas(A).iopt.reserved).toEqual([]);
  });
});

describe('unwinding and refcounts (T-FD-15, T-FD-20, T-FD-21)', () => {
  it('T-FD-15: iopt_table_add_domain fails (-ENOMEM) after the immediate attach: group detached again, reservations dropped, HWPT aborted', () => {
    const h = new H();
    const MSI = MOCK_APERTURE_START + 0x100000;
    h.ctx.platform.resvRegions = () => [{ start: MSI, length: 0x100000, type: 'MSI' }];
    const A = h.ioasAlloc();
    const buf = h.mmap(4 * PAGE_SIZE);
    h.map(A, buf, 4 * PAGE_SIZE, MOCK_APERTURE_START);
    const idev = bindDev(h, 0, 0x55);
    const peer = bindDev(h, 0, 0x55); // same group: moved and restored with it
    const before = h.snapshot();
    let hit = false;
    for (let n = 1; n < 50 && !hit; n++) {
      h.fail.arm(n);
      const r = deviceAttach(h.ctx, idev, A);
      h.fail.disarm();
      expect(h.fail.fired).toBe(true);
      expect(r.rc).toBe(-ERRNO.ENOMEM);
      hit = h.fail.firedAt === 'iopt_domains_xa';
      expect(h.snapshot()).toBe(before);
    }
    expect(hit).toBe(true);
    expect(drv(h).domainOf(idev.dev)).toBeNull();
    expect(drv(h).domainOf(peer.dev)).toBeNull();
    expect(idev.igroup.hwpt).toBeNull();
    expect(idev.igroup.devices.size).toBe(0);
    expect(h.ioas(A).iopt.reserved).toEqual([]);
    expect(h.ctx.table.all().filter((o) => o.type === 'HWPT_PAGING')).toEqual([]);
    expect(h.ctx.mm.pinnedPages).toBe(0);
    // And the attach works once nothing fails.
    expect(deviceAttach(h.ctx, idev, A).rc).toBe(0);
    expect(drv(h).domainOf(peer.dev)).toBe(idev.hwpt!.domain);
  });

  it('T-FD-20 (iommufd level, v6.15+ device_array): attaching an attached device again is -EBUSY; replace is the way to move it', () => {
    const h = new H();
    const A = h.ioasAlloc();
    const B = h.ioasAlloc();
    const d1 = bindDev(h);
    const r = deviceAttach(h.ctx, d1, A);
    expect(r.rc).toBe(0);
    const H1 = h.hwpt(r.ptId);
    const before = h.snapshot();
    expect(deviceAttach(h.ctx, d1, A).rc).toBe(-ERRNO.EBUSY);
    expect(deviceAttach(h.ctx, d1, H1.id).rc).toBe(-ERRNO.EBUSY);
    expect(deviceAttach(h.ctx, d1, B).rc).toBe(-ERRNO.EBUSY);
    expect(deviceAttach(h.ctx, d1, 999).rc).toBe(-ERRNO.ENOENT);
    expect(deviceAttach(h.ctx, d1, d1.id).rc).toBe(-ERRNO.EINVAL);
    expect(h.snapshot()).toBe(before);
    expect(d1.users).toBe(3);
    expect(deviceReplace(h.ctx, d1, B).rc).toBe(0);
    expect(h.ioas(A).hwptList).toEqual([]);
  });

  it('T-FD-21 (agreed-model analogue): 100 seeded attach/detach steps of d1, d2 (G1) and d3 (G2): users = 1 + #attached, linked iff #attached > 0, group domains follow', () => {
    const h = new H();
    const A = h.ioasAlloc();
    const buf = h.mmap(2 * PAGE_SIZE);
    h.map(A, buf, 2 * PAGE_SIZE, MOCK_APERTURE_START);
    const devs = [bindDev(h, 0, 0x61), bindDev(h, 0, 0x61), bindDev(h, 0, 0x62)];
    let seed = 0x2545f491;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    let attaches = 0;
    for (let step = 0; step < 100; step++) {
      const d = devs[rnd(3)]!;
      if (d.hwpt) expect(deviceDetach(h.ctx, d)).toBe(0);
      else {
        expect(deviceAttach(h.ctx, d, A).rc).toBe(0);
        attaches++;
      }
      const attached = devs.filter((x) => x.hwpt);
      const ioas = h.ioas(A);
      if (attached.length === 0) {
        expect(ioas.hwptList).toEqual([]);
        expect(ioas.iopt.domains).toEqual([]);
        expect(ioas.users).toBe(1);
        for (const x of devs) expect(drv(h).domainOf(x.dev)).toBeNull();
        continue;
      }
      expect(ioas.hwptList).toHaveLength(1);
      const hw = ioas.hwptList[0]!;
      for (const x of attached) expect(x.hwpt).toBe(hw);
      expect(hw.users).toBe(1 + attached.length);
      expect(ioas.iopt.domains).toEqual([hw.domain]);
      expect(ioas.users).toBe(2);
      const g1On = devs[0]!.hwpt !== null || devs[1]!.hwpt !== null;
      for (const x of devs.slice(0, 2)) expect(drv(h).domainOf(x.dev)).toBe(g1On ? hw.domain : null);
      expect(drv(h).domainOf(devs[2]!.dev)).toBe(devs[2]!.hwpt ? hw.domain : null);
      for (const x of devs) expect(x.users).toBe(x.hwpt ? 3 : 2);
    }
    expect(attaches).toBeGreaterThan(20);
  });
});
