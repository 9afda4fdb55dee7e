/** Compact JWS (RS256, PS256, ES256) with node:crypto: what the token endpoints issue and verify. */
import * as crypto from 'node:crypto';

export type JwtAlgorithm = 'RS256' | 'PS256' | 'ES256';

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function signOptions(alg: JwtAlgorithm, key: crypto.KeyObject): crypto.SignKeyObjectInput | crypto.KeyObject {
  if (alg === 'PS256') return { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  if (alg === 'ES256') return { key, dsaEncoding: 'ieee-p1363' };
  return key;
}

export function signJwt(payload: Record<string, unknown>, key: crypto.KeyObject, alg: JwtAlgorithm = 'RS256', header: Record<string, unknown> = {}): string {
  const input = `${b64url(JSON.stringify({ alg, typ: 'JWT', ...header }))}.${b64url(JSON.stringify(payload))}`;
  const signature = crypto.sign('sha256', Buffer.from(input), signOptions(alg, key));
  return `${input}.${b64url(signature)}`;
}

/** Parses without verifying; undefined when the text is not a compact JWS. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (typeof header !== 'object' || header === null || typeof payload !== 'object' || payload === null) return undefined;
    return {
      header: header as Record<string, unknown>,
      payload: payload as Record<string, unknown>,
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2], 'base64url'),
    };
  } catch {
    return undefined;
  }
}

/** True when the signature verifies with `key` under the header's algorithm (RS256, PS256, ES256 only). */
export function verifyJwtSignature(jwt: DecodedJwt, key: crypto.KeyObject): boolean {
  const alg = jwt.header.alg;
  if (alg !== 'RS256' && alg !== 'PS256' && alg !== 'ES256') return false;
  if ((alg === 'ES256') !== (key.asymmetricKeyType === 'ec')) return false;
  try {
    return crypto.verify('sha256', Buffer.from(jwt.signingInput), signOptions(alg, key), jwt.signature);
  } catch {
    return false;
  }
}
