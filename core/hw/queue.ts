/**
 * Fixed-capacity rings for the hardware queues the models expose for inspection: the
 * command/invalidation queue log, the event/fault queue and the page-request queue.
 *
 * Two policies, as the hardware does it:
 * - 'drop-new' (event logs, fault records, PRI/PPR queues): when full, new records are
 *   dropped and `overflow` is set (AMD EventOverflow, VT-d FSTS.PFO, SMMU EVTQ overflow).
 * - 'overwrite' (the command log kept for the inspector): the oldest record is replaced.
 */
export class Ring<T> {
  private readonly buf: (T | undefined)[];
  private head = 0;
  private len = 0;
  /** Records ever pushed (accepted + dropped). */
  total = 0;
  /** Records dropped because the ring was full ('drop-new' only). */
  dropped = 0;
  /** Sticky overflow flag (cleared by `consume`). */
  overflow = false;

  constructor(readonly capacity: number, readonly policy: 'drop-new' | 'overwrite') {
    if (!(capacity >= 1)) throw new RangeError('ring capacity must be >= 1');
    this.buf = new Array<T | undefined>(capacity);
  }

  /** Append; returns false when the record was dropped. */
  push(v: T): boolean {
    this.total++;
    if (this.len === this.capacity) {
      if (this.policy === 'drop-new') {
        this.dropped++;
        this.overflow = true;
        return false;
      }
      this.buf[this.head] = v;
      this.head = (this.head + 1) % this.capacity;
      return true;
    }
    this.buf[(this.head + this.len) % this.capacity] = v;
    this.len++;
    return true;
  }

  /** Records currently held, oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.len; i++) out.push(this.buf[(this.head + i) % this.capacity]!);
    return out;
  }

  /** Software consumes everything (moves the head to the tail) and clears overflow. */
  consume(): T[] {
    const out = this.toArray();
    this.buf.fill(undefined);
    this.head = 0;
    this.len = 0;
    this.overflow = false;
    return out;
  }

  get length(): number {
    return this.len;
  }
}

/** One command or invalidation descriptor as the hardware consumed it. */
export interface HwCommand {
  /** Simulated ns when the hardware consumed it. */
  ts: number;
  /** Architected command name, e.g. 'INVALIDATE_IOMMU_PAGES', 'QI_IOTLB_DSI', 'CMD_TLBI_NH_VA'. */
  name: string;
  /** Opcode / descriptor type as encoded. */
  opcode: number;
  /** Raw command words, 16 hex digits each (little-endian qword order). */
  raw: string[];
  /** Decoded fields as the manual names them. */
  fields: Record<string, number | boolean>;
}

/** Vendor-neutral reason of a DMA translation fault. */
export const FAULT_KIND = {
  /** No translation: leaf not present / IOVA beyond the table. */
  TRANSLATION: 1,
  /** Present but the access type is not permitted (write to read-only, read without R). */
  PERMISSION: 2,
  /** Device context invalid or absent (DTE V=0, context entry not present, STE.V=0 / abort). */
  CONTEXT: 3,
  /** PASID/substream outside the configured range or disabled. */
  PASID_INVALID: 4,
  /** PASID entry / CD invalid or malformed. */
  BAD_PASID_ENTRY: 5,
  /** PASID table / CD table pointer leads nowhere (fetch error). */
  PASID_FETCH: 6,
} as const;
export type FaultKind = (typeof FAULT_KIND)[keyof typeof FAULT_KIND];

/** A fault/event record as the vendor hardware writes it (decoded, plus raw words). */
export interface HwFaultRecord {
  ts: number;
  kind: FaultKind;
  /** Vendor code: AMD event type (0x2 IO_PAGE_FAULT), VT-d fault reason (0x79), SMMU event id (0x10). */
  code: number;
  /** Vendor name of the code, e.g. 'IO_PAGE_FAULT', 'SM: No write permission ...', 'F_TRANSLATION'. */
  name: string;
  sid: number;
  pasid: number;
  iova: number;
  write: boolean;
  /** Vendor flag word (AMD event flags; VT-d FRCD type/PP bits; SMMU RnW/InD/PnU/S2 bits). */
  flags: number;
  /** Recoverable (page request / stall) vs unrecoverable. */
  recoverable: boolean;
  raw: string[];
}
