/**
 * What the agent hands a task in its environment, taken as azure-pipelines-task-lib takes it when it
 * loads (its `_loadData`), so a task reads its inputs, variables and service connections without
 * loading task-lib:
 * - INPUT_*, ENDPOINT_AUTH_* (with _SCHEME_ and _PARAMETER_), SECUREFILE_TICKET_*, SECRET_* and
 *   VSTS_TASKVARIABLE_* with a value are kept in a store and removed from process.env, so no child
 *   process inherits them; empty ones stay, as with task-lib;
 * - VSTS_PUBLIC_VARIABLES and VSTS_SECRET_VARIABLES (the variables' names, and which are secret) and
 *   COMMAND_CORRELATION_ID (which proves a task.issue comes from the task, not from a script it ran)
 *   are read and removed;
 * - names are matched as task-lib matches them: inputs and variables by their environment key
 *   (dots and spaces as `_`, upper case), the store case-insensitively.
 * The store holds the values encrypted (AES-256-CTR) with a key of its own, as task-lib's vault
 * does, so a dump of the process does not show them as text. Public variables, endpoint URLs and
 * endpoint data are read from process.env when asked for, as task-lib reads them.
 */
import * as crypto from 'node:crypto';

/** A variable the agent named in VSTS_PUBLIC_VARIABLES / VSTS_SECRET_VARIABLES, or a SECRET_* one. */
export interface KnownVariable {
  name: string;
  secret: boolean;
}

type Environment = Record<string, string | undefined>;

const STORED = ['INPUT_', 'ENDPOINT_AUTH_', 'SECUREFILE_TICKET_', 'SECRET_', 'VSTS_TASKVARIABLE_'];

/** A variable's environment key, as task-lib's `_getVariableKey` makes it. */
export function variableKey(name: string): string {
  if (!name) throw new Error('Parameter name is required');
  return name.replace(/\./g, '_').replace(/ /g, '_').toUpperCase();
}

/**
 * Values encrypted in memory, by case-insensitive name. One AES-256-CTR key stream for the store:
 * each value takes the next whole blocks of it, never used again, and is read back by a decipher
 * started at its first block. As safe as a cipher (and IV) per value, which cost a task's start
 * about a millisecond for its ~40 inputs.
 */
export class SecretStore {
  private readonly key = crypto.randomBytes(32);
  private readonly iv = crypto.randomBytes(16);
  private readonly cipher = crypto.createCipheriv('aes-256-ctr', this.key, this.iv);
  /** Blocks of the key stream used so far. */
  private used = 0n;
  private readonly values = new Map<string, { block: bigint; data: Buffer }>();

  store(name: string, value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    const blocks = Math.ceil(length / 16);
    // Whole blocks, so that the next value starts on a block of its own.
    const plain = Buffer.alloc(blocks * 16);
    plain.write(value, 'utf8');
    const encrypted = this.cipher.update(plain);
    plain.fill(0);
    this.values.set(name.toLowerCase(), { block: this.used, data: encrypted.subarray(0, length) });
    this.used += BigInt(blocks);
  }

  delete(name: string): void {
    this.values.delete(name.toLowerCase());
  }

  retrieve(name: string): string | undefined {
    const stored = this.values.get(name.toLowerCase());
    if (stored === undefined) return undefined;
    const decipher = crypto.createDecipheriv('aes-256-ctr', this.key, counterBlock(this.iv, stored.block));
    return Buffer.concat([decipher.update(stored.data), decipher.final()]).toString('utf8');
  }
}

/** The CTR counter `blocks` blocks after `iv` (a 128-bit big-endian number, as OpenSSL counts it). */
function counterBlock(iv: Buffer, blocks: bigint): Buffer {
  const value = (BigInt(`0x${iv.toString('hex')}`) + blocks) % (1n << 128n);
  return Buffer.from(value.toString(16).padStart(32, '0'), 'hex');
}

export class JobEnvironment {
  private readonly store = new SecretStore();
  /** By environment key, in the order task-lib's map holds them. */
  private readonly known = new Map<string, KnownVariable>();
  /** COMMAND_CORRELATION_ID, '' when the agent gave none. */
  readonly correlationId: string;

  /**
   * Takes what task-lib takes from `env` (normally process.env) and removes it there, unless
   * `leaveInEnvironment` (task-lib is about to load and take it itself).
   */
  constructor(
    private readonly env: Environment,
    { leaveInEnvironment = false } = {},
  ) {
    for (const name of Object.keys(env)) {
      if (!STORED.some((prefix) => name.startsWith(prefix))) continue;
      if (name.startsWith('SECRET_')) {
        const variable = name.substring('SECRET_'.length);
        // Before the agent listed VSTS_SECRET_VARIABLES the env name was all a task knew; overwritten below when it does.
        if (variable) this.known.set(variableKey(variable), { name: variable, secret: true });
      }
      const value = env[name];
      if (value) {
        this.store.store(name, value);
        if (!leaveInEnvironment) delete env[name];
      }
    }
    this.correlationId = env.COMMAND_CORRELATION_ID ? String(env.COMMAND_CORRELATION_ID) : '';
    if (!leaveInEnvironment) delete env.COMMAND_CORRELATION_ID;
    for (const [list, secret] of [
      ['VSTS_PUBLIC_VARIABLES', false],
      ['VSTS_SECRET_VARIABLES', true],
    ] as const) {
      let names: unknown;
      try {
        names = JSON.parse(env[list] || '[]');
      } catch (err) {
        throw new Error(`Failed to parse ${list} as JSON. ${String(err)}`, { cause: err });
      }
      if (Array.isArray(names)) for (const name of names as string[]) this.known.set(variableKey(name), { name, secret });
      if (!leaveInEnvironment) delete env[list];
    }
  }

  /** An input's raw value (undefined when not set or empty). */
  input(name: string): string | undefined {
    return this.store.retrieve(`INPUT_${variableKey(name)}`);
  }

  /** A variable and whether it is secret: a secret one from the store, a public one from the environment. */
  variable(name: string): { value: string | undefined; secret: boolean } {
    const key = variableKey(name);
    if (this.known.get(key)?.secret) return { value: this.store.retrieve(`SECRET_${key}`), secret: true };
    let value = this.env[key];
    // Agents before 2.104.1 gave the job status in lower case.
    if (!value && name.toUpperCase() === 'AGENT.JOBSTATUS') value = this.env['agent.jobstatus'];
    return { value, secret: false };
  }

  /**
   * Sets a variable for the rest of the job as task-lib's setVariable does (once a secret always a
   * secret); whether it is secret.
   */
  setVariable(name: string, value: string, secret: boolean): boolean {
    const key = variableKey(name);
    const isSecret = secret || (this.known.get(key)?.secret ?? false);
    if (isSecret) {
      if (/\r|\n/.test(value) && `${this.env.SYSTEM_UNSAFEALLOWMULTILINESECRET}`.toUpperCase() !== 'TRUE')
        throw new Error('Secrets cannot contain multiple lines');
      if (value) this.store.store(`SECRET_${key}`, value);
      else this.store.delete(`SECRET_${key}`);
      delete this.env[key];
    } else {
      this.env[key] = value;
    }
    this.known.set(key, { name, secret: isSecret });
    return isSecret;
  }

  /** Every variable the agent named, in its order. */
  knownVariables(): KnownVariable[] {
    return [...this.known.values()];
  }

  endpointUrl(id: string): string | undefined {
    return this.env[`ENDPOINT_URL_${id}`];
  }

  /** ENDPOINT_AUTH_<id>: the JSON of the scheme and parameters, as the agent gives it. */
  endpointAuthorizationJson(id: string): string | undefined {
    return this.store.retrieve(`ENDPOINT_AUTH_${id}`);
  }

  endpointAuthorizationScheme(id: string): string | undefined {
    return this.store.retrieve(`ENDPOINT_AUTH_SCHEME_${id}`);
  }

  endpointData(id: string, key: string): string | undefined {
    return this.env[`ENDPOINT_DATA_${id}_${key.toUpperCase()}`];
  }
}
