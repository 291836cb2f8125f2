import { z } from 'zod';

/** The only thing about data that crosses Temporal: a small, verifiable pointer. */
export const ArtifactRefSchema = z.strictObject({
  uri: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative().optional(),
  mediaType: z.string().min(1),
});
export type ArtifactRef = z.infer<typeof ArtifactRefSchema>;

/**
 * The steps of an iteration that write artifacts: their names in artifact keys (`<campaign>/iter-<t>/<step>/...`) and
 * in random stream ids. (The store also keeps folders that are no step, such as the attempt journal's 'attempts'.)
 */
export type StepFolder = 'setup' | 'sample' | 'rank' | 'filter' | 'update' | 'evaluate';

/** Where an artifact lives: (campaign, iteration, step, name). */
export const ArtifactKeySchema = z.strictObject({
  campaign: z.string().min(1),
  iteration: z.number().int().nonnegative(),
  step: z.string().min(1),
  name: z.string().min(1),
});
export type ArtifactKey = z.infer<typeof ArtifactKeySchema>;

export const MEDIA_TYPES = {
  jsonl: 'application/x-ndjson',
  json: 'application/json',
  safetensors: 'application/vnd.safetensors',
  onnx: 'application/onnx',
  html: 'text/html',
} as const;
