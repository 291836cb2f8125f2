/**
 * Where a step's policy compute runs (StepContext.compute). 'inline': on the caller's thread (the in-process runner,
 * unit tests, benchmarks: nothing else needs the event loop meanwhile). 'worker-thread': in a worker_threads Worker
 * (engine/runtime/policy-thread.ts; a reward model's, engine/runtime/hosted.ts), so a Temporal worker keeps heartbeating
 * and sees cancellation while ORT computes (DESIGN.md rule 3). Both give bit-identical results.
 */
export type ComputePlacement = 'inline' | 'worker-thread';
export const COMPUTE_PLACEMENTS: readonly ComputePlacement[] = ['inline', 'worker-thread'];
