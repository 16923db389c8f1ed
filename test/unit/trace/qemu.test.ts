import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseQemuTrace, parseQemuXlate } from '../../../core/trace/qemu';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8');

describe('QEMU trace parsers', () => {
  test('VT-d invalidation descriptors are counted by type', () => {
    const r = parseQemuTrace(fixture('intel-vtd-nvme.qemu-trace.txt'));
    expect(r.errors).toEqual([]);
    expect(r.commands).toEqual({
      vtd_inv_desc_iotlb_pages: 5323,
      vtd_inv_desc_iotlb_domain: 6,
      vtd_inv_desc_iotlb_global: 1,
      vtd_inv_desc_cc_device: 6,
      vtd_inv_desc_cc_global: 1,
      vtd_inv_desc_iec: 32,
      vtd_inv_desc_wait_sw: 5369,
    });
    // One command per `vtd_inv_desc` descriptor line.
    expect(r.totalCommands).toBe(r.events.vtd_inv_desc);
  });

  test('SMMUv3 commands are counted by opcode', () => {
    const r = parseQemuTrace(fixture('smmuv3-nvme.qemu-trace.txt'));
    expect(r.errors).toEqual([]);
    expect(r.commands.smmuv3_cmdq_tlbi_nh_va).toBe(2658);
    expect(r.commands.smmuv3_cmdq_sync).toBe(2633);
    expect(r.totalCommands).toBe(r.events.smmuv3_cmdq_opcode);
  });

  test('translation logs give DMA order and leaf PTEs', () => {
    const v = parseQemuXlate(fixture('intel-vtd-nvme.qemu-xlate.txt'));
    expect(v.errors).toEqual([]);
    expect(v.translations.length).toBe(16940);
    expect(v.translations[0]).toMatchObject({ device: '00:02.00', iova: 0xffffe000, out: 0x20f83000 });
    expect(v.leafPtes[0]).toMatchObject({ iova: 0xffffe000, pte: 0x20f83003 });
    const s = parseQemuXlate(fixture('smmuv3-nvme.qemu-xlate.txt'));
    expect(s.errors).toEqual([]);
    expect(s.translations.length).toBe(4084);
    expect(s.leafPtes[0]).toMatchObject({ iova: 0xffffd000, pte: 0x4808df47, level: 3 });
    expect(s.iotlbHits + s.iotlbMisses).toBe(310 + 3775);
  });

  test('AMD-Vi command trace points map to the catalogue names the model records', () => {
    const r = parseQemuTrace('1@2.3:amdvi_pages_inval domain 0x1 addr 0x1000\n1@2.4:amdvi_completion_wait addr 0x10 data 0x1\n1@2.5:amdvi_devtab_inval devid 0x10\n');
    expect(r.commands).toEqual({ amdvi_invalidate_iommu_pages: 1, amdvi_completion_wait: 1, amdvi_invalidate_devtab_entry: 1 });
    expect(r.totalCommands).toBe(3);
  });

  test('malformed lines are reported with line numbers', () => {
    const r = parseQemuTrace('1@2.3:smmuv3_cmdq_opcode <--- SMMU_CMD_SYNC\nnot a line\n1@2.4:smmuv3_cmdq_opcode junk\n');
    expect(r.errors.map((e) => e.line)).toEqual([2, 3]);
    expect(r.commands).toEqual({ smmuv3_cmdq_sync: 1 });
  });
});
