/**
 * The API server's validation of names, labels, ports and the like (k8s.io/apimachinery/pkg/util/validation
 * and pkg/apis/core/validation), as facts: the same regular expressions, limits and wording, so that a finding
 * reads like what `kubectl apply` would have printed. Each `is*` function returns the problems (empty: valid).
 */

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const DNS1035_LABEL = '[a-z]([-a-z0-9]*[a-z0-9])?';
const QUALIFIED_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE = `(${QUALIFIED_NAME})?`;
const ENV_VAR_NAME = '[-._a-zA-Z][-._a-zA-Z0-9]*';

const dns1123LabelRe = new RegExp(`^${DNS1123_LABEL}$`);
const dns1123SubdomainRe = new RegExp(`^${DNS1123_SUBDOMAIN}$`);
const dns1035LabelRe = new RegExp(`^${DNS1035_LABEL}$`);
const qualifiedNameRe = new RegExp(`^${QUALIFIED_NAME}$`);
const labelValueRe = new RegExp(`^${LABEL_VALUE}$`);
const envVarNameRe = new RegExp(`^${ENV_VAR_NAME}$`);

const NO_ERRORS: readonly string[] = Object.freeze([]);

/**
 * The same names and labels come back on every object (`app`, `app.kubernetes.io/name`, a namespace): each check
 * runs once per distinct text. Bounded, so a huge repository cannot grow it without end. `valid` answers first
 * for what it can say is valid at once (one length test and one regular expression): object names are mostly
 * distinct, and caching each of them cost more than the check (the cache filled and emptied every 10,000).
 */
function memoized(check: (value: string) => string[], valid: (value: string) => boolean): (value: string) => readonly string[] {
  const cache = new Map<string, readonly string[]>();
  return (value) => {
    if (valid(value)) return NO_ERRORS;
    let errs = cache.get(value);
    if (errs === undefined) {
      const found = check(value);
      errs = found.length === 0 ? NO_ERRORS : found;
      if (cache.size >= 10_000) cache.clear();
      cache.set(value, errs);
    }
    return errs;
  };
}

/** apimachinery's RegexError: the message, examples and the regular expression. */
function regexError(message: string, format: string, ...examples: string[]): string {
  return `${message} (e.g. ${examples.map((e) => `'${e}', `).join('or ')}regex used for validation is '${format}')`;
}

export function maxLengthError(length: number): string {
  return `must be no more than ${length} characters`;
}

const EMPTY = 'must be non-empty';

const DNS1123_LABEL_MESSAGE = regexError(
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
  DNS1123_LABEL,
  'my-name',
  '123-abc',
);
const DNS1123_SUBDOMAIN_MESSAGE = regexError(
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
  DNS1123_SUBDOMAIN,
  'example.com',
);
const DNS1035_LABEL_MESSAGE = regexError(
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
  DNS1035_LABEL,
  'my-name',
  'abc-123',
);
const QUALIFIED_NAME_TEXT = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MESSAGE = regexError(
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
  LABEL_VALUE,
  'MyValue',
  'my_value',
  '12345',
);
const ENV_VAR_NAME_MESSAGE = regexError(
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
  ENV_VAR_NAME,
  'my.env-name',
  'MY_ENV.NAME',
  'MyEnvName1',
);

export const isDns1123Label = memoized(
  function isDns1123Label(value: string): string[] {
    const errs: string[] = [];
    if (value.length > 63) errs.push(maxLengthError(63));
    if (!dns1123LabelRe.test(value)) errs.push(DNS1123_LABEL_MESSAGE);
    return errs;
  },
  (value) => value.length <= 63 && dns1123LabelRe.test(value),
);

export const isDns1123Subdomain = memoized(
  function isDns1123Subdomain(value: string): string[] {
    const errs: string[] = [];
    if (value.length > 253) errs.push(maxLengthError(253));
    if (!dns1123SubdomainRe.test(value)) errs.push(DNS1123_SUBDOMAIN_MESSAGE);
    return errs;
  },
  (value) => value.length <= 253 && dns1123SubdomainRe.test(value),
);

export const isDns1035Label = memoized(
  function isDns1035Label(value: string): string[] {
    const errs: string[] = [];
    if (value.length > 63) errs.push(maxLengthError(63));
    if (!dns1035LabelRe.test(value)) errs.push(DNS1035_LABEL_MESSAGE);
    return errs;
  },
  (value) => value.length <= 63 && dns1035LabelRe.test(value),
);

/** Label and annotation keys: an optional DNS subdomain prefix and `/`, then a name of at most 63 characters. */
export const isQualifiedName = memoized(
  function isQualifiedName(value: string): string[] {
    const errs: string[] = [];
    const parts = value.split('/');
    let name: string;
    if (parts.length === 1) {
      name = parts[0];
    } else if (parts.length === 2) {
      const prefix = parts[0];
      name = parts[1];
      if (prefix.length === 0) errs.push(`prefix part ${EMPTY}`);
      else for (const e of isDns1123Subdomain(prefix)) errs.push(`prefix part ${e}`);
    } else {
      return [
        `a qualified name ${regexError(QUALIFIED_NAME_TEXT, QUALIFIED_NAME, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      ];
    }
    if (name.length === 0) errs.push(`name part ${EMPTY}`);
    else if (name.length > 63) errs.push(`name part ${maxLengthError(63)}`);
    if (!qualifiedNameRe.test(name)) errs.push(`name part ${regexError(QUALIFIED_NAME_TEXT, QUALIFIED_NAME, 'MyName', 'my.name', '123-abc')}`);
    return errs;
  },
  (value) => value.length <= 63 && !value.includes('/') && qualifiedNameRe.test(value),
);

export const isLabelValue = memoized(
  function isLabelValue(value: string): string[] {
    const errs: string[] = [];
    if (value.length > 63) errs.push(maxLengthError(63));
    if (!labelValueRe.test(value)) errs.push(LABEL_VALUE_MESSAGE);
    return errs;
  },
  (value) => value.length <= 63 && labelValueRe.test(value),
);

/** IANA_SVC_NAME (RFC 6335): the names of container ports and the named ports probes and Services refer to. */
export function isPortName(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 15) errs.push(maxLengthError(15));
  if (!/^[-a-z0-9]+$/.test(value)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(value)) errs.push('must contain at least one letter (a-z)');
  if (value.includes('--')) errs.push('must not contain consecutive hyphens');
  if (value.startsWith('-') || value.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

export const PORT_RANGE = 'must be between 1 and 65535, inclusive';

export function isPortNumber(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

/**
 * A port number to report as out of range: not a port, but one the API server's decoder takes (port fields are
 * int32). Beyond the int32 range the decoder fails first, and that is the schema check's finding (schema/format).
 */
export function isBadPortNumber(value: number): boolean {
  return !isPortNumber(value) && value >= -2147483648 && value <= 2147483647;
}

/**
 * Environment variable names. Kubernetes 1.32 turned on RelaxedEnvironmentVariableValidation by default (GA in
 * 1.34): any printable ASCII character but `=`. Before, the C-like rule with `.` and `-`.
 */
export function isEnvVarName(value: string, kubernetesMinor: number): string[] {
  const errs: string[] = [];
  if (kubernetesMinor >= 32) {
    if (value.length === 0 || !/^[\x20-\x3c\x3e-\x7e]+$/.test(value)) {
      errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
    }
    return errs;
  }
  if (!envVarNameRe.test(value)) errs.push(ENV_VAR_NAME_MESSAGE);
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** RBAC object names (ValidateRBACName): a path segment. */
export function isPathSegmentName(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  const errs: string[] = [];
  if (value.includes('/')) errs.push("may not contain '/'");
  if (value.includes('%')) errs.push("may not contain '%'");
  return errs;
}

/** A value as the API server's field errors print it: strings quoted (Go %q), numbers as they are. */
export function printValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v !== 'object')) {
    // field.Invalid prints a map[string]string (labels) as Go does; other objects as JSON.
    const entries = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(typeof v === 'string' ? v : String(v))}`,
    );
    return `map[string]string{${entries.join(', ')}}`;
  }
  return JSON.stringify(value) ?? String(value);
}

export function invalid(value: unknown, detail: string): string {
  return `Invalid value: ${printValue(value)}: ${detail}`;
}

export function unsupported(value: unknown, supported: readonly string[]): string {
  return `Unsupported value: ${printValue(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`;
}

export function duplicate(value: unknown): string {
  return `Duplicate value: ${printValue(value)}`;
}

export function notFound(value: unknown): string {
  return `Not found: ${printValue(value)}`;
}

export const REQUIRED = 'Required value';
