/**
 * What this machine can hold: physical memory (or the container's limit), the JS heap of this process, the largest
 * typed array, and the free space of a directory. Read at the moment of a check, on the machine that will compute.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { constants as bufferConstants } from 'node:buffer';
import { getHeapStatistics } from 'node:v8';

export interface MachineLimits {
  /** Physical memory, or the cgroup's limit when a container sets a lower one. */
  memoryBytes: number;
  /** This process's V8 heap limit: rows held as JS objects must fit in it. */
  heapBytes: number;
  /** Elements in the largest typed array V8 can make (one tensor). */
  maxTensorElements: number;
}

function cgroupLimit(): number | undefined {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const n = Number(fs.readFileSync(file, 'utf8').trim());
      // 'max' (no limit) parses as NaN; cgroup v1 writes a huge number for "no limit".
      if (Number.isFinite(n) && n > 0 && n < os.totalmem()) return n;
    } catch {
      // No such file: not in a cgroup that limits memory.
    }
  }
  return undefined;
}

export function machineLimits(): MachineLimits {
  return {
    memoryBytes: cgroupLimit() ?? os.totalmem(),
    heapBytes: getHeapStatistics().heap_size_limit,
    maxTensorElements: bufferConstants.MAX_LENGTH,
  };
}

/** Bytes free for an unprivileged writer at `dir` (or its nearest existing parent); undefined when unknown. */
export function freeDiskBytes(dir: string): number | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      const s = fs.statfsSync(d);
      return s.bavail * s.bsize;
    } catch {
      if (path.dirname(d) === d) return undefined;
    }
  }
}

/** "1.5 GiB", "812.0 MiB": sizes in messages. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
