/** Bad task input: the message names the input, so the user knows what to fix in the pipeline. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    detail: string,
  ) {
    super(`Input "${input}": ${detail}`);
    this.name = 'InputError';
  }
}
