// The ioctl script runner: parsing (JSON, bare arrays, JSON lines), references, expectations,
// error values for malformed scripts.
import { describe, expect, it } from 'vitest';
import { parseScript, runIoctlScript } from '../../../core/iommufd/script';
import type { ScriptResult } from '../../../core/iommufd/script';

const ok = (r: ReturnType<typeof runIoctlScript>): ScriptResult => {
  if ('errno' in r) throw new Error(r.message);
  return r;
};

describe('runIoctlScript', () => {
  it('runs JSON lines with references and reports per-call results', () => {
    const script = [
      '{"ioctl":"IOMMU_IOAS_ALLOC","as":"ioas"}',
      '// comments are skipped',
      '{"ioctl":"MMAP","args":{"length":8192},"as":"buf"}',
      '{"ioctl":"IOMMU_IOAS_MAP","args":{"ioas_id":"$ioas","flags":6,"user_va":"$buf+0x1000","length":4096},"as":"m"}',
      '{"ioctl":"IOMMU_IOAS_UNMAP","args":{"ioas_id":"$ioas","iova":"$m","length":4096},"expect_out":{"length":4096}}',
    ].join('\n');
    const r = ok(runIoctlScript(script));
    expect(r.vendor).toBe('mock');
    expect(r.passed).toBe(true);
    expect(r.results.map((c) => c.ioctl)).toEqual(['IOMMU_IOAS_ALLOC', 'MMAP', 'IOMMU_IOAS_MAP', 'IOMMU_IOAS_UNMAP']);
    expect(r.results[0]!.out.out_ioas_id).toBe(1);
    expect(r.results[3]!.expectation).toBe('pass');
    expect(r.results[0]!.expectation).toBe('none');
  });

  it('a failed expectation is reported, with the actual errno', () => {
    const r = ok(runIoctlScript([{ ioctl: 'IOMMU_DESTROY', args: { id: 0 }, expect: 'OK' }, { ioctl: 'IOMMU_DESTROY', args: { id: 0 }, expect: 'ENOENT' }]));
    expect(r.passed).toBe(false);
    expect(r.failedExpectations).toBe(1);
    expect(r.results[0]!.errno).toBe('ENOENT');
    expect(r.results[0]!.failures[0]).toMatch(/expected OK, got ENOENT/);
    expect(r.results[1]!.expectation).toBe('pass');
  });

  it('bitmap expectations: expect_bits and expect_popcount', () => {
    const calls = [
      { ioctl: 'IOMMU_IOAS_ALLOC', as: 'ioas' },
      { ioctl: 'IOMMU_TEST_CMD', op: 'MOCK_DOMAIN', args: { id: '$ioas' }, as: 'md' },
      { ioctl: 'MMAP', args: { length: 32768 }, as: 'b' },
      { ioctl: 'IOMMU_IOAS_MAP', args: { ioas_id: '$ioas', flags: 7, user_va: '$b', length: 32768, iova: 16777216 } },
      { ioctl: 'IOMMU_HWPT_ALLOC', args: { dev_id: '$md.out_idev_id', pt_id: '$ioas', flags: 2 }, as: 'hw' },
      { ioctl: 'IOMMU_HWPT_SET_DIRTY_TRACKING', args: { hwpt_id: '$hw', flags: 1 } },
      { ioctl: 'IOMMU_TEST_CMD', op: 13, args: { id: '$hw', iova: 16777216, length: 32768, page_size: 2048, bits: [1, 9] }, expect_out: { out_nr_dirty: 2 } },
      { ioctl: 'IOMMU_HWPT_GET_DIRTY_BITMAP', args: { hwpt_id: '$hw', iova: 16777216, length: 32768, page_size: 2048 }, expect_bits: [1, 9], expect_popcount: 2 },
      { ioctl: 'IOMMU_HWPT_GET_DIRTY_BITMAP', args: { hwpt_id: '$hw', iova: 16777216, length: 32768, page_size: 2048 }, expect_bits: [1] },
    ];
    const r = ok(runIoctlScript({ calls }));
    expect(r.results.slice(0, 8).every((c) => c.failures.length === 0)).toBe(true);
    expect(r.results[8]!.expectation).toBe('fail');
    expect(r.results[8]!.failures[0]).toMatch(/bits: expected \[1\]/);
  });

  it('malformed scripts and unknown references are error values, not exceptions', () => {
    expect(parseScript('{nope')).toMatchObject({ errno: 'EINVAL' });
    expect(runIoctlScript({ calls: [{ args: {} }] })).toMatchObject({ errno: 'EINVAL' });
    expect(runIoctlScript([{ ioctl: 'IOMMU_DESTROY', args: { id: '$missing' } }])).toMatchObject({ errno: 'EINVAL', message: expect.stringMatching(/unknown reference/) });
    expect(runIoctlScript([{ ioctl: 'IOMMU_DESTROY', args: { idd: 1 } }])).toMatchObject({ errno: 'EINVAL', message: expect.stringMatching(/unknown field\(s\) idd of struct iommu_destroy/) });
    const r = ok(runIoctlScript([{ ioctl: 'NOT_AN_IOCTL' }]));
    expect(r.results[0]!.errno).toBe('ENOTTY');
  });

  it('same script, same results (deterministic)', () => {
    const s = [{ ioctl: 'IOMMU_IOAS_ALLOC', as: 'a' }, { ioctl: 'MMAP', args: { length: 4096 }, as: 'b' }, { ioctl: 'IOMMU_IOAS_MAP', args: { ioas_id: '$a', flags: 6, user_va: '$b', length: 4096 } }];
    expect(JSON.stringify(runIoctlScript(s, { vendor: 'intel' }))).toBe(JSON.stringify(runIoctlScript(s, { vendor: 'intel' })));
  });

  it('nesting on the mock through a script: WRITE_U32 data, vIOMMU, vDEVICE, vEVENTQ and VEVENTQ_READ', () => {
    const calls = [
      { ioctl: 'IOMMU_IOAS_ALLOC', as: 'ioas' },
      { ioctl: 'IOMMU_TEST_CMD', op: 'IOMMU_TEST_OP_MOCK_DOMAIN', args: { id: '$ioas' }, as: 'dev' },
      { ioctl: 'IOMMU_HWPT_ALLOC', args: { dev_id: '$dev.out_idev_id', pt_id: '$ioas', flags: 1 }, as: 'parent' },
      { ioctl: 'IOMMU_VIOMMU_ALLOC', args: { dev_id: '$dev.out_idev_id', hwpt_id: '$parent.out_hwpt_id', type: 0xdeadbeef }, as: 'viommu' },
      { ioctl: 'MMAP', args: { length: 4096 }, as: 'data' },
      { ioctl: 'WRITE_U32', args: { user_va: '$data', words: [0xbadbeef] } },
      { ioctl: 'IOMMU_HWPT_ALLOC', args: { dev_id: '$dev.out_idev_id', pt_id: '$viommu.out_viommu_id', data_type: 0xdead, data_len: 4, data_uptr: '$data' }, as: 'nested' },
      { ioctl: 'IOMMU_VEVENTQ_ALLOC', args: { viommu_id: '$viommu.out_viommu_id', type: 0xbeefbeef, veventq_depth: 2 }, as: 'q' },
      { ioctl: 'IOMMU_TEST_CMD', op: 'IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', args: { id: '$dev.out_stdev_id', pt_id: '$nested.out_hwpt_id' }, expect: 'ENOENT' },
      { ioctl: 'IOMMU_VDEVICE_ALLOC', args: { viommu_id: '$viommu.out_viommu_id', dev_id: '$dev.out_idev_id', virt_id: 0x99 } },
      { ioctl: 'IOMMU_TEST_CMD', op: 'IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE', args: { id: '$dev.out_stdev_id', pt_id: '$nested.out_hwpt_id' } },
      { ioctl: 'IOMMU_TEST_CMD', op: 'IOMMU_TEST_OP_TRIGGER_VEVENT', args: { dev_id: '$dev.out_idev_id' } },
      { ioctl: 'IOMMU_TEST_CMD', op: 'IOMMU_TEST_OP_TRIGGER_VEVENT', args: { dev_id: '$dev.out_idev_id' } },
      { ioctl: 'IOMMU_TEST_CMD', op: 'IOMMU_TEST_OP_TRIGGER_VEVENT', args: { dev_id: '$dev.out_idev_id' } },
      { ioctl: 'VEVENTQ_READ', args: { veventq_id: '$q.out_veventq_id' }, expect_out: { count: 3, bytes: 32, sequence: 2, flags: 1 } },
    ];
    const r = ok(runIoctlScript(calls));
    expect(r.results.filter((c) => c.failures.length).map((c) => `${c.index}: ${c.failures.join('; ')}`)).toEqual([]);
    expect(r.passed).toBe(true);
  });
});
