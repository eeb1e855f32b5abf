/** The CLI's contact with the terminal, injectable so commands can be driven from tests. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** Call `handler` on Ctrl-C; returns a function that stops listening. */
  onInterrupt(handler: () => void): () => void;
  /** Who is at the keyboard, recorded as the trigger's source. */
  user: string;
}

export function processIo(): Io {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    onInterrupt(handler) {
      let interrupts = 0;
      const listener = () => {
        interrupts++;
        // A second Ctrl-C means "now": the startup reaper resolves what is left RUNNING.
        if (interrupts > 1) process.exit(130);
        handler();
      };
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
    user: process.env.USER ?? process.env.USERNAME ?? 'unknown',
  };
}
