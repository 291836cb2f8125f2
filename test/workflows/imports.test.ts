/**
 * What the workflow bundle evaluates when Temporal creates a workflow: every module reachable from workflows/index.ts
 * through value imports (type-only imports are erased). Temporal evaluates them again for every campaign and
 * iteration it starts, so zod (~20 ms to build the campaign schema there) must be loaded lazily, only when a
 * hyper-parameter patch needs it (workflows/spec-checks.ts), and the engine (native code) must not be reachable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');

/** Module specifiers a file imports for their values (not `import type`, not all-`type` specifiers). */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.isTypeOnly) continue;
      const named = clause?.namedBindings;
      const onlyTypes = clause && !clause.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      if (!onlyTypes) out.push((statement.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
      out.push((statement.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return out;
}

/** Every module reachable from `entry` by value imports: local files by path, packages by name. */
function reachable(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of valueImports(file)) {
      if (!spec.startsWith('.')) {
        packages.add(spec);
        continue;
      }
      const base = path.resolve(path.dirname(file), spec);
      const found = [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
      if (!found) throw new Error(`${path.relative(ROOT, file)} imports '${spec}', which resolves to no .ts file`);
      visit(found);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => path.relative(ROOT, f)).sort(), packages: [...packages].sort() };
}

/**
 * Schema modules the workflow may evaluate: plain functions and constants that import nothing at run time (checked
 * below), shared with the in-process runner and the activities so all decide alike (evaluation.select's choice of the
 * best iteration; the failure types; an iteration's wiring and record).
 */
const PURE_SCHEMA_MODULES = ['schemas/selection.ts', 'schemas/failures.ts', 'schemas/iteration-wiring.ts'];

test('creating a workflow evaluates no zod, no schema module and no native code', () => {
  const { files, packages } = reachable(path.join(ROOT, 'workflows', 'index.ts'));
  expect(files).toContain('workflows/campaign.ts');
  expect(files).toContain('workflows/iteration.ts');
  expect(files.filter((f) => (f.startsWith('schemas/') && !PURE_SCHEMA_MODULES.includes(f)) || f.startsWith('engine/') || f === 'workflows/spec-checks.ts')).toEqual([]);
  for (const f of PURE_SCHEMA_MODULES) expect(valueImports(path.join(ROOT, f))).toEqual([]);
  expect(packages.filter((p) => !p.startsWith('@temporalio/'))).toEqual([]);
});

test('the walk sees value imports and skips type-only ones', () => {
  // spec-checks.ts is the module the campaign loads lazily: it does reach zod through the schemas.
  const { files, packages } = reachable(path.join(ROOT, 'workflows', 'spec-checks.ts'));
  expect(files).toContain('schemas/campaign.ts');
  expect(packages).toContain('zod');
});
