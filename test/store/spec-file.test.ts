import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCampaignSpecFile, readCampaignSpecInput } from '../../store/spec-file';
import { tempDir } from './helpers';
import { specError } from '../support/spec-error';

let dir: string;
beforeAll(() => { dir = tempDir('specfile'); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}
test('the format follows the extension: .yaml, .yml and .json load the same spec', () => {
  const yaml = loadCampaignSpecFile(write('a.yaml', 'algorithm: rso\nupdate: { beta: 0.2 }\n'));
  expect(loadCampaignSpecFile(write('a.yml', 'algorithm: rso\nupdate: { beta: 0.2 }\n'))).toEqual(yaml);
  expect(loadCampaignSpecFile(write('a.JSON', '{"algorithm": "rso", "update": {"beta": 0.2}}'))).toEqual(yaml);
  expect(yaml).toMatchObject({ algorithm: 'rso', update: { beta: 0.2, loss: 'sigmoid' } });
  // YAML text in a .json file is a JSON error, not silently accepted.
  expect(specError(() => loadCampaignSpecFile(write('b.json', 'algorithm: rso\n'))).issues[0].message).toMatch(/^JSON syntax/);
});

test('--set overrides apply before validation', () => {
  const file = write('c.yaml', 'update: { beta: 0.2 }\n');
  expect(loadCampaignSpecFile(file, ['update.beta=0.3', 'algorithm=hybrid'])).toMatchObject({ algorithm: 'hybrid', update: { beta: 0.3 } });
  expect(readCampaignSpecInput(file)).toEqual({ update: { beta: 0.2 } });
});

test('every error names the file', () => {
  const bad = write('bad.yaml', 'update: { beta: -1 }\nsampling: { n: 1 }\n');
  const err = specError(() => loadCampaignSpecFile(bad));
  expect(err.message.split('\n')[0]).toBe(`invalid campaign spec ${bad} (2 problems):`);
  expect(err.issues).toEqual([{ path: 'sampling.n', message: 'must be >= 2 (got 1)' }, { path: 'update.beta', message: 'must be > 0 (got -1)' }]);

  const missing = path.join(dir, 'nope.yaml');
  expect(specError(() => loadCampaignSpecFile(missing)).message).toContain(`cannot read ${missing}: no such file`);
  const sub = path.join(dir, 'sub.yaml');
  fs.mkdirSync(sub);
  expect(specError(() => loadCampaignSpecFile(sub)).message).toContain('it is a directory');
  const toml = write('spec.toml', 'a = 1');
  const ext = specError(() => loadCampaignSpecFile(toml));
  expect(ext.message).toContain(toml);
  expect(ext.issues[0].message).toBe('unsupported extension ".toml" (allowed: .yaml | .yml | .json)');
  const syntax = write('syntax.yaml', 'update:\n  beta: [1\n');
  const e = specError(() => loadCampaignSpecFile(syntax));
  expect(e.message).toContain(syntax);
  expect(e.issues[0].path).toMatch(/^line \d+, column \d+$/);
});
