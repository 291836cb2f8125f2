/**
 * --vs-torch: the same shape and workload in PyTorch eager (scripts/bench_torch.py), in a process of its own so its
 * memory is its own. Python comes from PREFLOOP_PYTHON, else python3; without torch and transformers it is skipped.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { Preset, Workload } from './engine-presets';

export interface TorchResult {
  torch: string;
  transformers: string;
  loadSeconds: number;
  stepSeconds: number | null;
  stepSecondsAll: number[];
  decodeTokensPerSec: number;
  decodeCpuSecondsPerToken: number;
  peakTrainRssMiB: number | null;
  peakRssMiB: number;
}

/** The result, or why it was skipped. */
export async function runTorch(preset: Preset, work: Workload, threads: number, steps: number, train: boolean): Promise<TorchResult | string> {
  const python = process.env.PREFLOOP_PYTHON ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import torch, transformers'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return `${python} cannot import torch and transformers (set PREFLOOP_PYTHON to a Python that can)`;
  const script = path.join(__dirname, '..', 'scripts', 'bench_torch.py');
  const job = JSON.stringify({ hf: preset.hf, work, threads, steps, train });
  return new Promise((resolve) => {
    const child = spawn(python, [script, job], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return resolve(`scripts/bench_torch.py exited with ${code}`);
      try {
        resolve(JSON.parse(last) as TorchResult);
      } catch {
        resolve(`scripts/bench_torch.py printed no JSON line (${last.slice(0, 80)})`);
      }
    });
  });
}
