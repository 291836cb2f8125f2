import * as fs from 'node:fs';
import * as path from 'node:path';
import { readmeBlock, renderSpecReference } from '../../scripts/spec-reference';
import { specFields } from '../../schemas/spec-fields';

const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

test('README spec reference matches the schema (regenerate with `npm run spec:reference`)', () => {
  expect(readmeBlock(readme)).toBe(renderSpecReference());
});

test('the reference lists every field with its type and default', () => {
  const table = renderSpecReference();
  for (const f of specFields()) expect(table).toContain(`| \`${f.path.join('.')}\` |`);
  expect(table).toContain('| `update.loss` | `sigmoid` \\| `robust` \\| `ipo` \\| `hinge` \\| `sigmoid_norm` | `sigmoid` |');
  expect(table).toContain('| `sampling.topP` | number in (0, 1] | `1` |');
  expect(table).toContain('| `policy.path` | non-empty string | **required** | *(policy.source = hf)*');
});
