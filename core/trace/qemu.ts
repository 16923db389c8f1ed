/**
 * Parsers for QEMU's own trace output (the `log` trace backend), used as a peer reference
 * for replay (QEMU hw/i386/trace-events, hw/arm/trace-events; test/fixtures/README.md):
 *   line: `<thread id>@<host epoch sec.usec>:<event> <text>` (host clock).
 *
 * parseQemuTrace (*.qemu-trace.txt): counts every event and the invalidation commands by
 * type, named after our catalogue (core/trace/events.ts):
 *   - VT-d: each `vtd_inv_desc invalidate desc type <t>` line is one descriptor; the
 *     descriptor-specific events name its granularity (vtd_inv_desc_iotlb_pages/_domain/
 *     _global, vtd_inv_desc_cc_devices → vtd_inv_desc_cc_device, vtd_inv_desc_cc_domain,
 *     vtd_inv_desc_cc_global, vtd_inv_desc_iec, wait descriptors → vtd_inv_desc_wait_sw).
 *   - SMMUv3: each `smmuv3_cmdq_opcode <--- SMMU_CMD_<X>` line is one command →
 *     `smmuv3_cmdq_<x>`.
 *   - AMD-Vi: the amdvi_* command events (pages_inval, devtab_inval, completion_wait,
 *     iotlb_inval, all_inval) → amdvi_<command> (amdvi_invalidate_iommu_pages, ...).
 * parseQemuXlate (*.qemu-xlate.txt): the DMA translations in order (which IOVAs the device
 * touched) and the leaf PTE values QEMU read (ground truth for the vtdss / armv8 encoders).
 * Both never throw; malformed lines are returned as {line, message} errors.
 */
import type { FtraceError } from './ftrace';

const LINE = /^(\d+)@(\d+\.\d+):([a-z0-9_]+)(?: (.*))?$/;

/** Counts from a QEMU trace file. */
export interface QemuTraceSummary {
  /** Lines per trace event name. */
  events: Record<string, number>;
  /** Invalidation commands per catalogue event name. */
  commands: Record<string, number>;
  /** Sum of `commands`. */
  totalCommands: number;
  /**
   * Commands from the first page-selective invalidation on (vtd_inv_desc_iotlb_pages,
   * smmuv3_cmdq_tlbi_nh_va, amdvi_invalidate_iommu_pages): the trace window of a guest's DMA,
   * with the boot-time set-up before it (root/context/STE installation, per-device context
   * flushes) set aside. Empty when the trace has no page-selective invalidation.
   */
  windowCommands: Record<string, number>;
  windowTotal: number;
  errors: FtraceError[];
  lines: number;
}

/** VT-d descriptor-specific event → catalogue name (one per descriptor). */
const VTD_DESC: Record<string, string> = {
  vtd_inv_desc_iotlb_pages: 'vtd_inv_desc_iotlb_pages',
  vtd_inv_desc_iotlb_domain: 'vtd_inv_desc_iotlb_domain',
  vtd_inv_desc_iotlb_global: 'vtd_inv_desc_iotlb_global',
  vtd_inv_desc_cc_devices: 'vtd_inv_desc_cc_device',
  vtd_inv_desc_cc_domain: 'vtd_inv_desc_cc_domain',
  vtd_inv_desc_cc_global: 'vtd_inv_desc_cc_global',
  vtd_inv_desc_iec: 'vtd_inv_desc_iec',
  vtd_inv_desc_pasid_cache_dsi: 'vtd_inv_desc_pasid_cache',
  vtd_inv_desc_pasid_cache_psi: 'vtd_inv_desc_pasid_cache',
  vtd_inv_desc_pasid_cache_gsi: 'vtd_inv_desc_pasid_cache',
};
/** QEMU's AMD-Vi command trace points → catalogue names (amdvi_<AMD command name>). */
const AMD_CMDS: Record<string, string> = {
  amdvi_pages_inval: 'amdvi_invalidate_iommu_pages',
  amdvi_devtab_inval: 'amdvi_invalidate_devtab_entry',
  amdvi_iotlb_inval: 'amdvi_invalidate_iotlb_pages',
  amdvi_all_inval: 'amdvi_invalidate_iommu_all',
  amdvi_completion_wait: 'amdvi_completion_wait',
};
const SMMU_OPCODE = /^<--- SMMU_CMD_([A-Z0-9_]+)$/;
/** Page-selective IOTLB invalidations: the first one opens the DMA trace window. */
const PAGE_SELECTIVE = new Set(['vtd_inv_desc_iotlb_pages', 'smmuv3_cmdq_tlbi_nh_va', 'amdvi_invalidate_iommu_pages']);
const VTD_TYPE = /^invalidate desc type (\w+)/;

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Call `each(line, event, rest)` for every `<tid>@<sec.usec>:<event> <text>` line (line
 * 1-based); blank lines are skipped and other lines are reported in `errors`.
 */
function forEachQemuLine(lines: string[], errors: FtraceError[], each: (line: number, ev: string, rest: string) => void): void {
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const m = LINE.exec(lines[i]);
    if (!m) {
      errors.push({ line: i + 1, message: 'not a QEMU trace line ("<tid>@<sec.usec>:<event> <text>")' });
      continue;
    }
    each(i + 1, m[3], (m[4] ?? '').trim());
  }
}

/** Summarise a QEMU trace (see module comment). */
export function parseQemuTrace(text: string): QemuTraceSummary {
  const lines = splitLines(text);
  const out: QemuTraceSummary = { events: {}, commands: {}, totalCommands: 0, windowCommands: {}, windowTotal: 0, errors: [], lines: lines.length };
  let inWindow = false;
  const add = (rec: Record<string, number>, k: string): void => {
    rec[k] = (rec[k] ?? 0) + 1;
  };
  forEachQemuLine(lines, out.errors, (line, ev, rest) => {
    add(out.events, ev);
    let cmd: string | undefined;
    if (ev === 'vtd_inv_desc') {
      const t = VTD_TYPE.exec(rest);
      if (!t) out.errors.push({ line: line, message: 'vtd_inv_desc without "invalidate desc type <t>"' });
      else if (t[1] === 'wait') cmd = 'vtd_inv_desc_wait_sw';
    } else if (ev in VTD_DESC) cmd = VTD_DESC[ev];
    else if (ev === 'smmuv3_cmdq_opcode') {
      const o = SMMU_OPCODE.exec(rest);
      if (o) cmd = `smmuv3_cmdq_${o[1].toLowerCase()}`;
      else out.errors.push({ line: line, message: 'smmuv3_cmdq_opcode without "<--- SMMU_CMD_<X>"' });
    } else if (ev in AMD_CMDS) cmd = AMD_CMDS[ev];
    if (cmd !== undefined) {
      add(out.commands, cmd);
      out.totalCommands++;
      if (PAGE_SELECTIVE.has(cmd)) inWindow = true;
      if (inWindow) {
        add(out.windowCommands, cmd);
        out.windowTotal++;
      }
    }
  });
  return out;
}

/** One DMA translation QEMU performed, in order. Addresses in bytes. */
export interface QemuTranslation {
  line: number;
  /** Requester: VT-d `bb:dd.f`, SMMUv3 `sid=0x…`. */
  device: string;
  iova: number;
  /** Output address (VT-d gpa, SMMUv3 translated). */
  out: number;
  /** SMMUv3 perm (bit 0 read, bit 1 write) of the mapping; VT-d: null (not traced). */
  perm: number | null;
}

/** A leaf PTE value QEMU read for an IOVA (VT-d slpte, SMMUv3 page descriptor). */
export interface QemuLeafPte {
  line: number;
  iova: number;
  pte: number;
  level: number | null;
}

export interface QemuXlate {
  translations: QemuTranslation[];
  leafPtes: QemuLeafPte[];
  iotlbHits: number;
  iotlbMisses: number;
  errors: FtraceError[];
  lines: number;
}

const N = '0x([0-9a-f]+)';
const VTD_XLATE = new RegExp(`^dev (\\S+) iova ${N} -> gpa ${N} mask ${N}$`);
const VTD_PTE = new RegExp(`^IOTLB page (?:update|hit) sid ${N} iova ${N} slpte ${N} domain ${N}$`);
const SMMU_XLATE = new RegExp(`^\\S+ sid=${N} iova=${N} translated=${N} perm=${N}$`);
const SMMU_PTE = new RegExp(`^stage=\\d+ level=(\\d+) iova=${N} base@=${N} pte@=${N} pte=${N} page address = ${N}$`);

/** Parse a QEMU translation log (see module comment). Lines of other events are ignored. */
export function parseQemuXlate(text: string): QemuXlate {
  const lines = splitLines(text);
  const out: QemuXlate = { translations: [], leafPtes: [], iotlbHits: 0, iotlbMisses: 0, errors: [], lines: lines.length };
  const h = (s: string): number => parseInt(s, 16);
  forEachQemuLine(lines, out.errors, (line, ev, rest) => {
    let r: RegExpExecArray | null = null;
    const bad = (): void => void out.errors.push({ line: line, message: `${ev}: unexpected fields "${rest.slice(0, 80)}"` });
    if (ev === 'vtd_dmar_translate') {
      if ((r = VTD_XLATE.exec(rest))) out.translations.push({ line: line, device: r[1], iova: h(r[2]), out: h(r[3]), perm: null });
      else bad();
    } else if (ev === 'vtd_iotlb_page_update' || ev === 'vtd_iotlb_page_hit') {
      if (ev === 'vtd_iotlb_page_hit') out.iotlbHits++;
      else out.iotlbMisses++;
      if ((r = VTD_PTE.exec(rest))) {
        if (ev === 'vtd_iotlb_page_update') out.leafPtes.push({ line: line, iova: h(r[2]), pte: h(r[3]), level: null });
      } else bad();
    } else if (ev === 'smmuv3_translate_success') {
      if ((r = SMMU_XLATE.exec(rest))) out.translations.push({ line: line, device: `sid=0x${r[1]}`, iova: h(r[2]), out: h(r[3]), perm: h(r[4]) });
      else bad();
    } else if (ev === 'smmu_ptw_page_pte') {
      if ((r = SMMU_PTE.exec(rest))) out.leafPtes.push({ line: line, iova: h(r[2]), pte: h(r[5]), level: Number(r[1]) });
      else bad();
    } else if (ev === 'smmu_iotlb_lookup_hit') out.iotlbHits++;
    else if (ev === 'smmu_iotlb_lookup_miss') out.iotlbMisses++;
  });
  return out;
}
