/**
 * Workflow code changes that would break the replay of a campaign started by an earlier prefloop, each behind a
 * `patched()` marker (Temporal's patching API), so workers of a new version can take over running campaigns.
 *
 * Why patching and not Worker Deployment versioning: campaigns run for weeks and their workers are replaced in
 * between (the old workers may be gone before the new ones start). A pinned campaign would wait for its version's
 * workers forever; auto-upgrade still replays old history on new code, which needs patches anyway; and moving a
 * pinned campaign at continue-as-new (`targetWorkerDeploymentVersionChanged`) is experimental in SDK 1.24 and needs
 * the deployment managed on the server. Patches work on any cluster, need no server set-up, and are checked by replay.
 *
 * A patch's life (README, "Upgrading workers"): 1. new code runs under `if (patched(ID))`, the old code in the else
 * branch; 2. once no campaign started before it can still run, `deprecatePatch(ID)` replaces the branch; 3. once no
 * campaign with the marker can still run, the call goes. test/integration/upgrade.test.ts replays histories of both
 * sides of each patch.
 */
export const PATCHES = {
  /** Each finished iteration's record is also written to the store (`<campaign>/iter-<t>/campaign/record.json`). */
  recordsInStore: 'prefloop-records-in-store',
  /**
   * A new campaign keeps a count of finished iterations instead of their records (which are in the store, above), and
   * its summary names that count instead of listing them (client/summary.ts reads them back): its carried state no
   * longer grows with every iteration. Decided once, when the campaign starts; campaigns started before keep theirs.
   */
  boundedRecords: 'prefloop-bounded-records',
  /**
   * A new campaign (one with boundedRecords) hands each iteration where its earlier pairs are (schemas/pairs-source.ts:
   * its records in the store, a fork's source before them) instead of the list of them, and carries no such list:
   * the iteration reads them (earlierPairs local activity) when its update accumulates. Decided once, at the start.
   */
  pairsFromStore: 'prefloop-pairs-from-store',
  /**
   * A campaign also continues-as-new after execution.iterationsPerRun iterations in one run, not only when Temporal
   * suggests it (at ~4 MB or ~4k-10k events of history, ~300 iterations): the cost of an iteration grew with the
   * run's history (bench:scale, 0.15-0.2 s over 300 iterations). Checked once a run reaches that many iterations.
   */
  periodicContinueAsNew: 'prefloop-periodic-continue-as-new',
} as const;
