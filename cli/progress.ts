import cliProgress from 'cli-progress';

/**
 * Progress for long work. On a terminal: a bar redrawn in place. Otherwise (CI, pipes, tests): one plain line
 * per change of phase, so logs stay readable.
 */
export interface Progress {
  update(phase: string, value: number, total: number): void;
  stop(): void;
}

export function makeProgress(opts: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { update() {}, stop() {} };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream,
      format: ' {bar} {value}/{total} {phase}',
      hideCursor: true,
      clearOnComplete: true,
    }, cliProgress.Presets.shades_classic);
    let started = false;
    return {
      update(phase, value, total) {
        if (!started) {
          bar.start(total, value, { phase });
          started = true;
        } else {
          bar.setTotal(total);
          bar.update(value, { phase });
        }
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = '';
  return {
    update(phase, value, total) {
      const line = `[${value}/${total}] ${phase}`;
      if (line !== last) stream.write(`${line}\n`);
      last = line;
    },
    stop() {},
  };
}
