// A progress bar on stderr, only when a person is watching (stderr is a terminal).
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, payload?: Record<string, unknown>): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { update: () => undefined, stop: () => undefined };

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
  return { update: (value, extra) => bar.update(value, extra), stop: () => bar.stop() };
}
