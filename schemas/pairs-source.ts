/**
 * Where the pairs of a campaign's earlier iterations are, without listing them: a few segments, in order, each either
 * explicit refs or "the pairs of iterations 1..through of a campaign", read from those iterations' records in the
 * store. A campaign hands this to each iteration instead of the growing list (workflows/versions.ts, pairsFromStore);
 * its length grows with the fork depth, never with the iteration count.
 */
import { z } from 'zod';
import { ArtifactRefSchema } from './artifacts';

export const PairsSegmentSchema = z.union([
  z.strictObject({ refs: z.array(ArtifactRefSchema) }),
  z.strictObject({ campaign: z.string().min(1), through: z.number().int().positive() }),
]);
export type PairsSegment = z.infer<typeof PairsSegmentSchema>;
