import YAML from 'yaml';
import { parseCampaignSpec, parseCampaignSpecText } from '../../schemas/parse';
import { specError } from '../support/spec-error';

const FULL_YAML = `
name: my-run
algorithm: hybrid
iterations: 4
seed: 7
policy:
  source: builtin
  model: { dModel: 48, layers: 3, heads: 6, context: 24, tiedHead: false }
reference: previous
task:
  name: bandit
  vocab: 5
  sft: { steps: 10 }
reward:
  source: { kind: bt-model, oracleTemperature: 0.5, steps: 50, lr: 0.05 }
  lengthPenalty: 0.01
sampling: { promptsPerIteration: 16, n: 6, temperatures: [1.0, 1.0, 0.7], topK: 5, topP: 0.9, maxNewTokens: 4, shards: 3 }
pairs: { strategy: all_pairs, dropTies: false, minMargin: 0.1 }
rejectionSampling: { candidates: 4, accepted: 4, etaSchedule: [0.5] }
update: { loss: robust, beta: 0.2, labelSmoothing: 0.1, schedule: linear, init: initial, data: accumulate }
evaluation: { prompts: 8, samplesPerPrompt: 2, exact: false }
execution: { provider: cuda, fallback: cpu, threads: 2, taskQueues: { inference: gpu-q } }
budget: { labelsPerIteration: 100 }
offline: { prompts: 16 }
`;

describe('parsing spec text', () => {
  test('YAML and JSON of the same spec give the same, fully defaulted spec', () => {
    const fromYaml = parseCampaignSpecText(FULL_YAML, 'yaml', 'full.yaml');
    const fromJson = parseCampaignSpecText(JSON.stringify(YAML.parse(FULL_YAML)), 'json', 'full.json');
    expect(fromJson).toEqual(fromYaml);
    expect(fromYaml.policy).toEqual({ source: 'builtin', model: { vocab: 0, dModel: 48, layers: 3, heads: 6, context: 24, tiedHead: false } });
    expect(fromYaml.task).toMatchObject({ name: 'bandit', vocab: 5, promptLength: 3, sft: { steps: 10, lr: 3e-3, batchSize: 32 } });
    expect(fromYaml.execution.taskQueues).toEqual({ inference: 'gpu-q', training: 'prefloop-training', cpu: 'prefloop-cpu' });
    expect(fromYaml.update).toMatchObject({ loss: 'robust', lr: 1e-3, warmup: 0.03, checkpointEvery: 20 });
  });

  test('an empty object is the all-defaults spec', () => {
    const spec = parseCampaignSpec({});
    expect(spec).toMatchObject({ name: 'campaign', algorithm: 'online-iterative-dpo', iterations: 3, reference: 'initial' });
    expect(spec.sampling.temperatures).toEqual([1, 0.7]);
    expect(spec.reward).toEqual({ source: { kind: 'gold' }, lengthPenalty: 0 });
  });

  test('unknown fields at every depth are errors, each on its own line with allowed names and a suggestion', () => {
    const err = specError(() => parseCampaignSpecText(`
algoritm: rso
update: { bta: 0.2 }
policy: { source: builtin, model: { dmodel: 64 } }
reward: { source: { kind: bt-oracle, temprature: 2 } }
execution: { taskQueues: { gpu: q } }
`, 'yaml', 'typos.yaml'));
    expect(err.issues).toEqual([
      { path: 'policy.model.dmodel', message: expect.stringContaining('unknown field; did you mean "dModel"? (allowed: vocab | dModel | layers | heads | context | tiedHead)') },
      { path: 'reward.source.temprature', message: 'unknown field; did you mean "temperature"? (allowed: kind | temperature)' },
      { path: 'update.bta', message: expect.stringMatching(/^unknown field; did you mean "beta"\? \(allowed: loss \| beta \| /) },
      { path: 'execution.taskQueues.gpu', message: expect.stringMatching(/^unknown field; did you mean "cpu"\? \(allowed: inference \| training \| cpu\)$/) },
      { path: 'algoritm', message: expect.stringContaining('did you mean "algorithm"?') },
    ]);
    expect(err.message.split('\n')[0]).toBe('invalid campaign spec typos.yaml (5 problems):');
  });

  test('a wrong or missing union tag names the allowed variants', () => {
    const err = specError(() => parseCampaignSpec({ policy: { source: 'onnx' }, task: { vocab: 3 }, reward: { source: { kind: 'human' } } }));
    expect(err.issues).toEqual([
      { path: 'policy.source', message: 'got "onnx" (allowed: builtin | hf)' },
      { path: 'task.name', message: 'is required (allowed: bandit | text | files)' },
      { path: 'reward.source.kind', message: 'got "human" (allowed: gold | bt-oracle | onnx | bt-model | activity)' },
    ]);
  });

  test('a section of the wrong type says what was expected', () => {
    const err = specError(() => parseCampaignSpec({ sampling: [1, 2], update: 'fast', policy: 'onnx' }));
    expect(err.issues).toEqual(expect.arrayContaining([
      { path: 'sampling', message: 'expected a mapping of fields, got a list (2 items)' },
      { path: 'update', message: 'expected a mapping of fields, got "fast"' },
      { path: 'policy', message: 'expected a mapping of fields, got "onnx"' },
    ]));
    expect(specError(() => parseCampaignSpec(['a'])).issues).toEqual([{ path: '(root)', message: 'expected a mapping of fields, got a list (1 item)' }]);
  });

  test('cross-field rules are reported at the field to change', () => {
    const err = specError(() => parseCampaignSpec({ policy: { source: 'builtin', model: { dModel: 30, heads: 4 } }, rejectionSampling: { candidates: 2, accepted: 3 } }));
    expect(err.issues).toEqual([
      { path: 'policy.model.dModel', message: 'dModel must be divisible by heads (got 30)' },
      { path: 'rejectionSampling.accepted', message: 'accepted must be <= candidates (got 3)' },
    ]);
  });

  test('YAML syntax errors carry line and column', () => {
    const err = specError(() => parseCampaignSpecText('name: a\nupdate:\n  beta: [0.1\n  lr: 2\n', 'yaml', 'broken.yaml'));
    expect(err.issues.length).toBeGreaterThan(0);
    for (const issue of err.issues) expect(issue.path).toMatch(/^line \d+, column \d+$/);
    expect(err.message).toContain('broken.yaml');
    expect(err.issues[0].message).toMatch(/^YAML syntax: /);
    expect(err.message.split('\n').length).toBe(err.issues.length + 1);
  });

  test('duplicate YAML keys are an error, not last-one-wins', () => {
    const err = specError(() => parseCampaignSpecText('seed: 1\nseed: 2\n', 'yaml', 'dup.yaml'));
    expect(err.issues).toEqual([{ path: 'line 2, column 1', message: 'YAML syntax: Map keys must be unique' }]);
  });

  test('YAML 1.2: "yes" is a string, so a boolean field refuses it', () => {
    const err = specError(() => parseCampaignSpecText('pairs:\n  dropTies: yes\n', 'yaml'));
    expect(err.issues).toEqual([{ path: 'pairs.dropTies', message: 'expected true or false, got "yes"' }]);
  });

  test('several YAML documents and an empty file are refused', () => {
    expect(specError(() => parseCampaignSpecText('seed: 1\n---\nseed: 2\n', 'yaml')).issues[0].message).toContain('expected one YAML document, found 2');
    expect(specError(() => parseCampaignSpecText('# nothing\n', 'yaml')).issues[0].message).toContain('the spec is empty');
    expect(specError(() => parseCampaignSpecText('', 'json')).issues[0].path).toMatch(/^line|\(json\)/);
  });

  test('JSON syntax errors carry line and column', () => {
    const err = specError(() => parseCampaignSpecText('{\n  "seed": 1,\n  "name" "x"\n}', 'json', 'broken.json'));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0].path).toBe('line 3, column 10');
    expect(err.issues[0].message).toMatch(/^JSON syntax: /);
    expect(err.message).toContain('broken.json');
  });

  test('SpecError is recognisable by name (for non-retryable policies)', () => {
    const err = specError(() => parseCampaignSpec({ iterations: 0 }));
    expect(err.name).toBe('SpecError');
    expect(err.issues).toEqual([{ path: 'iterations', message: 'must be >= 1 (got 0)' }]);
  });
});
