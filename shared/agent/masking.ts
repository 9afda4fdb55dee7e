/**
 * Masking of secrets in text the task writes (log lines, summary tab, results files, release
 * bundle), as the agent masks its log: each secret becomes `***`, also in the escaped forms a
 * JSON, XML or URL writer gives it, and a quoted value cut short (`"S3cretValu..."`) too.
 */

export const MASK = '***';

/** A value cut short and ended with an ellipsis is masked when at least this much of a secret shows. */
const MIN_TRUNCATED_PREFIX = 8;

/** The forms a secret takes in written text: as is, JSON-escaped, XML-escaped and URL-encoded. */
export function secretForms(secret: string): string[] {
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), xmlEscape(secret), encodeURIComponent(secret)]);
  return [...forms].filter((f) => f !== '');
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Masks secrets in text; built once per set of secrets. */
export class Masker {
  /** Every form of every secret, longest first so a secret holding another is masked whole. */
  private readonly forms: string[];

  constructor(secrets: Iterable<string>) {
    const forms = new Set<string>();
    for (const secret of secrets) if (secret.trim() !== '') for (const f of secretForms(secret)) forms.add(f);
    this.forms = [...forms].sort((a, b) => b.length - a.length);
  }

  get empty(): boolean {
    return this.forms.length === 0;
  }

  mask(text: string): string {
    if (this.forms.length === 0 || text === '') return text;
    let out = text;
    for (const form of this.forms) if (out.includes(form)) out = out.split(form).join(MASK);
    return this.maskTruncated(out);
  }

  /** `abcdefgh...` or `abcdefgh…` where abcdefgh is the start of a secret (a message quoting a long value cuts it short). */
  private maskTruncated(text: string): string {
    const ellipsis = /\.\.\.|…/g;
    let out = '';
    let from = 0;
    for (let m = ellipsis.exec(text); m !== null; m = ellipsis.exec(text)) {
      const end = m.index;
      const length = this.longestSecretPrefixEndingAt(text, end, from);
      if (length > 0) {
        out += text.slice(from, end - length) + MASK;
        from = end;
      }
    }
    return from === 0 ? text : out + text.slice(from);
  }

  /** The length of the longest start of a secret form that text ends with at `end` (not reaching before `floor`), or 0. */
  private longestSecretPrefixEndingAt(text: string, end: number, floor: number): number {
    let best = 0;
    for (const form of this.forms) {
      for (let length = Math.min(form.length - 1, end - floor); length >= MIN_TRUNCATED_PREFIX && length > best; length--) {
        if (text.charCodeAt(end - length) === form.charCodeAt(0) && text.startsWith(form.slice(0, length), end - length)) {
          best = length;
          break;
        }
      }
    }
    return best;
  }
}

/** Text with the secrets masked. */
export function maskSecrets(text: string, secrets: Iterable<string>): string {
  return new Masker(secrets).mask(text);
}
