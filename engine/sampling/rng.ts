/**
 * Every random draw of prefloop comes from here. A stream is named by (campaign seed, ...stream ids), e.g.
 * (seed, iteration, streamId('sample'), shard, row): the same name always gives the same numbers, and
 * different names give statistically independent streams, whatever order streams are created or used in.
 */
import prand from 'pure-rand';

export interface Rng {
  /** Uniform in [0, 1) with 53 random bits. */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform integer in [0, maxExclusive), unbiased. */
  nextInt(maxExclusive: number): number;
}

function checkId(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new RangeError(`rngFor: ${what} must be an integer in [0, 2^32), got ${v}`);
  }
}

// murmur3's 32-bit finalizer: a bijective avalanche mix.
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Four independent 32-bit hashes of the id sequence (its length included, so (1) and (1, 0) differ). */
function stateFor(ids: number[]): number[] {
  const out: number[] = [];
  for (let lane = 0; lane < 4; lane++) {
    let h = fmix32(0x9e3779b9 ^ Math.imul(lane + 1, 0x632be5ab) ^ ids.length);
    for (const id of ids) {
      h = fmix32((Math.imul(h ^ id, 0x27d4eb2f) + 0x165667b1) >>> 0);
    }
    out.push(h | 0);
  }
  // xoroshiro's all-zero state is a fixed point; vanishingly unlikely, but never allow it.
  if (!out.some((x) => x !== 0)) out[0] = 1;
  return out;
}

class XoroshiroRng implements Rng {
  constructor(private readonly gen: ReturnType<typeof prand.xoroshiro128plus>) {
    // Discard a few outputs so that nearby states decorrelate fully before use.
    for (let i = 0; i < 4; i++) gen.unsafeNext();
  }
  nextUint32(): number {
    return this.gen.unsafeNext() >>> 0;
  }
  next(): number {
    const hi = this.gen.unsafeNext() >>> 5; // 27 bits
    const lo = this.gen.unsafeNext() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }
  nextInt(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > 0x100000000) {
      throw new RangeError(`Rng.nextInt: maxExclusive must be an integer in [1, 2^32], got ${maxExclusive}`);
    }
    return prand.unsafeUniformIntDistribution(0, maxExclusive - 1, this.gen);
  }
}

export function rngFor(seed: number, ...streams: number[]): Rng {
  checkId('seed', seed);
  streams.forEach((s, i) => checkId(`stream id #${i + 1}`, s));
  return new XoroshiroRng(prand.xoroshiro128plus.fromState(stateFor([seed, ...streams])));
}

/** A stable 32-bit id for a named stream (FNV-1a of its UTF-8 bytes), e.g. streamId('sample'). */
export function streamId(name: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(name, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
