/**
 * The smallest real campaign: every step of online iterative DPO runs (SFT of pi0, sampling, ranking,
 * pairing, DPO, exact evaluation) on a 4-token bandit with a one-layer model, in about a second per iteration.
 */
export const TINY_SETS = [
  'policy.model={dModel: 16, layers: 1, heads: 2, context: 8}',
  'task.vocab=4', 'task.promptLength=2', 'task.responseLength=2', 'task.trainPrompts=16', 'task.evalPrompts=4',
  'task.featureDim=4', 'task.sft={steps: 20, batchSize: 8}',
  'sampling.promptsPerIteration=8', 'sampling.n=4',
  'update.epochs=1', 'update.batchSize=4', 'evaluation.prompts=4',
];

export const tinySetArgs = (extra: string[] = []) => [...TINY_SETS, ...extra].flatMap((s) => ['--set', s]);

export function tinySpecYaml(name: string, iterations: number): string {
  return `# tiny campaign for CLI tests
name: ${name}
iterations: ${iterations}
policy: { source: builtin, model: { dModel: 16, layers: 1, heads: 2, context: 8 } }
task: { name: bandit, vocab: 4, promptLength: 2, responseLength: 2, trainPrompts: 16, evalPrompts: 4, featureDim: 4, sft: { steps: 20, batchSize: 8 } }
sampling: { promptsPerIteration: 8, n: 4 }
update: { epochs: 1, batchSize: 4 }
evaluation: { prompts: 4 }
`;
}
