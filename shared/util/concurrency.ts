/**
 * A limit on how many async tasks run at once: `const limit = createLimiter(8); await limit(() => work())`.
 * Tasks start in the order they were queued.
 */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(concurrency: number): Limiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  let active = 0;
  const queue: (() => void)[] = [];
  const next = () => {
    if (active >= concurrency) return;
    const start = queue.shift();
    if (start) {
      active++;
      start();
    }
  };
  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => {
        // A task that throws before returning its promise rejects with what it threw.
        const result = new Promise<T>((run) => run(task()));
        result.then(resolve, reject).finally(() => {
          active--;
          next();
        });
      });
      next();
    });
}
