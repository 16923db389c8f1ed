/**
 * Dotted paths into plain JSON values ("guest.memory", "devices.0.workload.packetsPerSec"):
 * the generic way a sweep axis names any scenario field, so a field added to the scenario
 * schema later (e.g. `kernel`) is sweepable without code here knowing it.
 */

/** A path segment: an object key, or an array index written as digits. */
export type PathSegment = string | number;

/** Grammar of an axis path: identifiers and array indexes separated by dots. */
export const PATH_PATTERN = /^[A-Za-z_$][\w$]*(\.(0|[1-9]\d{0,3}|[A-Za-z_$][\w$]*))*$/;

/** Split "devices.0.workload.kind" into ["devices", 0, "workload", "kind"]. */
export function splitPath(path: string): PathSegment[] {
  return path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value at `path` in `root`, or undefined when any step is missing. */
export function getPath(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const seg of splitPath(path)) {
    if (typeof seg === 'number' ? !Array.isArray(cur) : !isRecord(cur)) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/**
 * A deep copy of `root` with `value` at `path`. Missing objects on the way are created (so
 * `hardware.intelRfcFaithful` works on a base without `hardware`); an array index must name an
 * existing element or the next one.
 * @returns the copy, or an error message naming the step that cannot be walked.
 */
export function setPath(root: unknown, path: string, value: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  const segs = splitPath(path);
  const copy: unknown = structuredClone(root);
  let cur: unknown = copy;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const last = i === segs.length - 1;
    const here = segs.slice(0, i).join('.') || '(scenario)';
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return { ok: false, message: `${path}: ${here} is not an array` };
      if (seg > cur.length) return { ok: false, message: `${path}: index ${seg} is past the end of ${here} (length ${cur.length})` };
      if (last) cur[seg] = structuredClone(value);
      else {
        if (cur[seg] === undefined) cur[seg] = typeof segs[i + 1] === 'number' ? [] : {};
        cur = cur[seg];
      }
    } else {
      if (!isRecord(cur)) return { ok: false, message: `${path}: ${here} is not an object` };
      if (last) cur[seg] = structuredClone(value);
      else {
        if (cur[seg] === undefined) cur[seg] = typeof segs[i + 1] === 'number' ? [] : {};
        cur = cur[seg];
      }
    }
  }
  return { ok: true, value: copy };
}
