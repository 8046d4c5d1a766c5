/** A cli-progress bar on stderr, started on the first report. */
import cliProgress from 'cli-progress';

export function progressBar(label: string): { onProgress: (done: number, total: number, stage: string) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} {bar} {percentage}% {stage}`, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress: (done, total, stage) => {
      if (!started) (bar.start(total, done, { stage }), (started = true));
      else bar.update(done, { stage });
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
