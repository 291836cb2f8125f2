/**
 * prefloop's data converter: the default JSON payloads plus a guard that refuses any payload over a limit, and
 * (json-non-finite.ts) a reader for the bare NaN that Python workers write.
 * Datasets and weights must travel as ArtifactRefs; a payload that grows past the limit is a bug (a dataset
 * slipped into an activity result, or a campaign summary that should have continued-as-new), and failing loudly
 * at the source beats Temporal's 2 MiB hard limit failing a workflow task far from the cause.
 */
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { NonFiniteJsonCodec } from './json-non-finite';

/** Well under Temporal's 2 MiB payload limit; the integration tests assert recorded payloads stay under 64 KiB. */
export const MAX_PAYLOAD_BYTES = 512 * 1024;

export class PayloadSizeGuard implements PayloadCodec {
  constructor(private readonly limit = MAX_PAYLOAD_BYTES) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    for (const payload of payloads) {
      const bytes = payload.data?.length ?? 0;
      if (bytes > this.limit) {
        const preview = Buffer.from(payload.data!.subarray(0, 120)).toString('utf8');
        throw new Error(
          `payload of ${bytes} bytes exceeds prefloop's limit of ${this.limit} bytes; pass data as an ArtifactRef ` +
          `(store.put / putJsonl) instead of inline. Starts with: ${preview}`,
        );
      }
    }
    return payloads;
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads;
  }
}

export function prefloopDataConverter(limit = MAX_PAYLOAD_BYTES): DataConverter {
  // Codecs decode in reverse order: a Python worker's NaN is quoted before anything reads the payload.
  return { payloadCodecs: [new PayloadSizeGuard(limit), new NonFiniteJsonCodec()] };
}
