/**
 * The Faults view's data (API method `faults`): fault records of a run (catalogue category
 * 'fault': iommu:io_page_fault, vtd_dmar_fault, amdvi_page_fault, smmuv3_record_event), a
 * histogram by fault type, and page requests (category 'page_request') paired with their
 * responses on (device, PASID, group id) in time order, as iopf_group responses are.
 */
import type { Database } from 'better-sqlite3';
import type { FaultRow, FaultsReport } from './types';
import { EVENTS } from '../../trace/events';
import { argsOf, DEVICE_KEYS } from './run-data';

/** Faults listed in full; the histogram and total always cover the whole run. */
export const FAULT_LIST_LIMIT = 5000;

/** Args naming the fault type, in the order they are looked at (VT-d `fault`, SMMUv3 `type`, AMD/kernel `flags`). */
const TYPE_KEYS = ['type', 'fault', 'reason', 'flags'];

const names = (cat: string): string[] => EVENTS.filter((e) => e.category === cat).map((e) => e.name);

function rowsOf(db: Database, runId: number, eventNames: string[], limit: number): FaultRow[] {
  if (eventNames.length === 0) return [];
  const rows = db
    .prepare(
      `SELECT s.id, s.ts, n.name, s.iova FROM slice_data s JOIN event_name n ON n.id = s.name_id
       WHERE s.run_id = ? AND n.name IN (${eventNames.map(() => '?').join(',')}) ORDER BY s.ts, s.id LIMIT ?`,
    )
    .all(runId, ...eventNames, limit) as { id: number; ts: number; name: string; iova: number | null }[];
  const args = argsOf(db, rows.map((r) => r.id));
  return rows.map((r) => {
    const a = args.get(r.id) ?? {};
    const t = TYPE_KEYS.find((k) => a[k] !== undefined && a[k] !== null);
    const dev = DEVICE_KEYS.find((k) => a[k] !== undefined && a[k] !== null);
    return { id: r.id, ts: r.ts, name: r.name, type: t ? `${r.name}: ${t}=${String(a[t])}` : r.name, device: dev ? String(a[dev]) : null, iova: r.iova, args: a };
  });
}

/** Fault history, histogram by type and page request/response pairs of one run. */
export function faultsReport(db: Database, runId: number): FaultsReport {
  const faultNames = names('fault');
  const ph = faultNames.map(() => '?').join(',');
  const total = (db.prepare(`SELECT count(*) AS n FROM slice_data s JOIN event_name n ON n.id = s.name_id WHERE s.run_id = ? AND n.name IN (${ph})`).get(runId, ...faultNames) as { n: number }).n;
  const keys = TYPE_KEYS.map(() => '?').join(',');
  const byType = db
    .prepare(
      `SELECT n.name || coalesce(': ' || (SELECT a.key || '=' || coalesce(a.string_value, a.int_value, a.real_value) FROM args a
                WHERE a.arg_set_id = s.id AND a.key IN (${keys}) ORDER BY instr('type fault reason flags', a.key) LIMIT 1), '') AS type,
              count(*) AS count
       FROM slice_data s JOIN event_name n ON n.id = s.name_id WHERE s.run_id = ? AND n.name IN (${ph}) GROUP BY type ORDER BY count DESC, type`,
    )
    .all(...TYPE_KEYS, runId, ...faultNames) as { type: string; count: number }[];
  const faults = rowsOf(db, runId, faultNames, FAULT_LIST_LIMIT);

  const pr = rowsOf(db, runId, names('page_request'), FAULT_LIST_LIMIT * 2);
  const key = (r: FaultRow): string => `${r.device}/${String(r.args.pasid ?? '')}/${String(r.args.grpid ?? '')}`;
  const open = new Map<string, { request: FaultRow; response: FaultRow | null }[]>();
  const pageRequests: { request: FaultRow; response: FaultRow | null }[] = [];
  for (const r of pr) {
    if (r.name === 'page_response') {
      const q = open.get(key(r));
      const pair = q?.shift();
      if (pair) pair.response = r;
    } else {
      const pair = { request: r, response: null };
      pageRequests.push(pair);
      const q = open.get(key(r));
      if (q) q.push(pair);
      else open.set(key(r), [pair]);
    }
  }
  return { total, faults, byType, pageRequests };
}
