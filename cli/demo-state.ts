import * as fs from 'node:fs';
import * as path from 'node:path';
import { stateDir } from './local-server';

/**
 * Which demo campaign is current, per spec id: `--fresh` bumps the generation so that the next campaign gets a
 * new id (and therefore fresh artifacts), while a plain rerun finds the same one.
 */
interface DemoState { generations: Record<string, number> }

const file = () => path.join(stateDir(), 'demo.json');

function read(): DemoState {
  try {
    const parsed = JSON.parse(fs.readFileSync(file(), 'utf8')) as DemoState;
    return parsed && typeof parsed.generations === 'object' ? parsed : { generations: {} };
  } catch {
    return { generations: {} };
  }
}

export function demoGeneration(specKey: string): number {
  return read().generations[specKey] ?? 0;
}

export function bumpDemoGeneration(specKey: string): number {
  const state = read();
  const next = (state.generations[specKey] ?? 0) + 1;
  state.generations[specKey] = next;
  fs.mkdirSync(path.dirname(file()), { recursive: true });
  fs.writeFileSync(file(), `${JSON.stringify(state, null, 2)}\n`);
  return next;
}
