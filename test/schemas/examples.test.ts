import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALGORITHMS } from '../../schemas/campaign';
import { loadCampaignSpecFile } from '../../store/spec-file';

const dir = path.join(__dirname, '..', '..', 'examples');
const files = fs.readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();

test('there is one example per algorithm, plus the text-task example', () => {
  for (const algorithm of ALGORITHMS) expect(files).toContain(`${algorithm}.yaml`);
  expect(files).toContain('text-online-dpo.yaml');
});

test.each(files)('examples/%s parses and is small enough for a CPU run', (file) => {
  const spec = loadCampaignSpecFile(path.join(dir, file));
  const stem = file.replace(/\.ya?ml$/, '');
  expect(spec.name).toBe(stem);
  if ((ALGORITHMS as readonly string[]).includes(stem)) expect(spec.algorithm).toBe(stem);
  if (stem === 'text-online-dpo') expect(spec.task.name).toBe('text');
  expect(spec.execution.provider).toBe('cpu');
  // hf-online-dpo runs on the committed tiny llama (test/fixtures/hf/llama) and your own data (files task).
  expect(spec.policy.source).toBe(stem === 'hf-online-dpo' ? 'hf' : 'builtin');
  if (stem === 'hf-online-dpo') expect(spec.task.name).toBe('files');
  if (spec.policy.source === 'builtin') expect(spec.policy.model.dModel * spec.policy.model.layers).toBeLessThanOrEqual(128);
  expect(spec.iterations * spec.sampling.promptsPerIteration * spec.sampling.n).toBeLessThanOrEqual(1024);
});
