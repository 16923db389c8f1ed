/**
 * Host-side validation of every API request (zod). The renderer is untrusted: a request
 * that does not match its method's schema is answered with EINVAL and never reaches core/.
 */
import { z } from 'zod';
import type { ApiMethod } from '../api';

const empty = z.object({}).strict();

export const REQUEST_SCHEMAS: { [M in ApiMethod]: z.ZodType } = {
  engineInfo: empty,
  openDatabase: z
    .object({
      path: z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains NUL'),
      create: z.boolean().optional(),
      readOnly: z.boolean().optional(),
    })
    .strict(),
  closeDatabase: empty,
  databaseInfo: empty,
};

/** A message from a transport to the host: one call. */
export const CALL_MESSAGE = z
  .object({
    id: z.string().min(1).max(64),
    method: z.string().max(64),
    req: z.unknown(),
  })
  .strict();

export type CallMessage = z.infer<typeof CALL_MESSAGE>;
