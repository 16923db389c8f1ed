/**
 * Building blocks of the API request schemas (zod) and the size limits they enforce. Each
 * method's schema is declared with its handler in ./api-table.ts; the renderer is untrusted,
 * so a request that does not match is answered with EINVAL and never reaches core/.
 */
import { z } from 'zod';
import { VENDORS } from '../../core/scenario/schema';

/** Largest ftrace text `replayTrace` accepts (characters; ≤ the file's UTF-8 bytes): 64 MiB. */
export const REPLAY_MAX_TRACE_BYTES = 64 * 1024 * 1024;
/** Largest QEMU xlate text `replayTrace` accepts: 64 MiB. */
export const REPLAY_MAX_XLATE_BYTES = 64 * 1024 * 1024;
/** Vendors a replay runs on (the CLI's `replay --vendors`). */
export const REPLAY_VENDORS: readonly string[] = VENDORS;

/** A method without parameters: `{}` and nothing else. */
export const empty = z.object({}).strict();
/** A host file path (at most 4096 characters, no NUL). */
export const path = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains NUL');
/** A `run` row id. */
export const runId = z.number().int().min(1);
/** Simulated ns, IOVAs: non-negative safe integers. */
export const ns = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A client-chosen job id (progress events carry it as `callId`). */
export const jobId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
/** A file's name as shown to the user: no directories, no control characters. */
export const fileName = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !/[/\\\x00-\x1f\x7f]/.test(n), 'a file name without directories or control characters');
/** `n` bytes as "N MiB" for error messages. */
export const MiB = (n: number): string => `${n / (1024 * 1024)} MiB`;
