// A progress bar on stderr, only when a person is watching (stderr is a terminal).
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, payload?: Record<string, unknown>): void;
  /** a line above the bar (on stderr, with or without a bar) */
  log(line: string): void;
  stop(): void;
}

const NO_PROGRESS: Progress = {
  update: () => undefined,
  log: (line) => console.error(line),
  stop: () => undefined,
};

export function createProgress(
  total: number,
  format: string,
  payload: Record<string, unknown> = {},
): Progress {
  if (!process.stderr.isTTY) return NO_PROGRESS;
  const bar = new cliProgress.SingleBar(
    { format, stream: process.stderr, hideCursor: true, etaBuffer: 50, fps: 5 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, payload);
  return {
    update: (value, extra) => bar.update(value, extra),
    // cli-progress redraws the bar below lines written between two of its renders.
    log: (line) => process.stderr.write(`\r\x1b[2K${line}\n`),
    stop: () => bar.stop(),
  };
}
