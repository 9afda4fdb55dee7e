/**
 * Self-signed X.509 certificates for the emulators, made with node:crypto alone (Node can sign but
 * cannot build a certificate, and `openssl` is not on every machine). A small DER writer encodes
 * exactly the structures RFC 5280 needs for a TLS server certificate and a client certificate:
 * version 3, serial, sha256WithRSAEncryption or ecdsa-with-SHA256, issuer = subject (CN) or a test
 * CA's name when a CA signs it (`issuer`), validity,
 * subjectPublicKeyInfo (exported by node:crypto), and the extensions basicConstraints, keyUsage,
 * extKeyUsage, subjectAltName (DNS names, IPv4/IPv6 addresses) and subjectKeyIdentifier.
 * Tests check the result with node's own X509Certificate parser and a real TLS handshake.
 */
import * as crypto from 'node:crypto';
import * as net from 'node:net';

// ---- DER ----------------------------------------------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(value.length), value]);
}

export const der = {
  sequence: (...items: Buffer[]) => tlv(0x30, Buffer.concat(items)),
  set: (...items: Buffer[]) => tlv(0x31, Buffer.concat(items)),
  /** A non-negative integer from big-endian bytes (a 0x00 is prefixed when the high bit is set). */
  unsignedInteger(bytes: Buffer): Buffer {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    let body = bytes.subarray(i);
    if (body.length === 0) body = Buffer.from([0]);
    if (body[0] & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
    return tlv(0x02, body);
  },
  smallInteger(n: number): Buffer {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`integer out of range: ${n}`);
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    return der.unsignedInteger(Buffer.from(bytes.length ? bytes : [0]));
  },
  boolean: (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00])),
  null: () => Buffer.from([0x05, 0x00]),
  oid(dotted: string): Buffer {
    const parts = dotted.split('.').map((p) => {
      if (!/^\d+$/.test(p)) throw new Error(`bad OID ${dotted}`);
      return Number(p);
    });
    if (parts.length < 2 || parts[0] > 2 || (parts[0] < 2 && parts[1] > 39)) throw new Error(`bad OID ${dotted}`);
    const out: number[] = [parts[0] * 40 + parts[1]];
    for (const part of parts.slice(2)) {
      const chunk: number[] = [part & 0x7f];
      for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
      out.push(...chunk);
    }
    return tlv(0x06, Buffer.from(out));
  },
  utf8: (s: string) => tlv(0x0c, Buffer.from(s, 'utf8')),
  octetString: (b: Buffer) => tlv(0x04, b),
  bitString: (b: Buffer, unusedBits = 0) => tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), b])),
  /** UTCTime before 2050, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
  time(date: Date): Buffer {
    const iso = date.toISOString(); // 2024-01-02T03:04:05.678Z
    const y = date.getUTCFullYear();
    const body = iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
    if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(String(y).slice(2) + body, 'ascii'));
    return tlv(0x18, Buffer.from(String(y).padStart(4, '0') + body, 'ascii'));
  },
  explicit: (n: number, inner: Buffer) => tlv(0xa0 | n, inner),
  implicitPrimitive: (n: number, body: Buffer) => tlv(0x80 | n, body),
};

// ---- certificate --------------------------------------------------------------------------------

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

export interface CertificateOptions {
  commonName: string;
  organization?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** 'rsa' (2048 bits, default: what Microsoft Entra client certificates need) or 'ec' (P-256). */
  keyType?: 'rsa' | 'ec';
  validFrom?: Date;
  validDays?: number;
  /** A CA certificate may be put in a trust store as is (NODE_EXTRA_CA_CERTS); default true. */
  isCa?: boolean;
  /** Reuse a key pair instead of generating one. */
  privateKey?: crypto.KeyObject;
  /** Signed by this CA (its name as issuer, its key signs) instead of self-signed: a server certificate of a test CA. */
  issuer?: { commonName: string; organization?: string; privateKey: crypto.KeyObject };
}

export interface SelfSignedCertificate {
  certPem: string;
  keyPem: string;
  der: Buffer;
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
  /** Hex SHA-1 and SHA-256 of the DER, the thumbprints Microsoft Entra uses (x5t, x5t#S256). */
  thumbprintSha1: string;
  thumbprintSha256: string;
}

function name(commonName: string, organization?: string): Buffer {
  const rdns = [der.set(der.sequence(der.oid(OID.commonName), der.utf8(commonName)))];
  if (organization) rdns.unshift(der.set(der.sequence(der.oid(OID.organization), der.utf8(organization))));
  return der.sequence(...rdns);
}

function ipBytes(ip: string): Buffer {
  if (net.isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!net.isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical ? der.sequence(der.oid(oid), der.boolean(true), der.octetString(value)) : der.sequence(der.oid(oid), der.octetString(value));
}

export function createSelfSignedCertificate(options: CertificateOptions): SelfSignedCertificate {
  const keyType = options.keyType ?? 'rsa';
  const privateKey =
    options.privateKey ??
    (keyType === 'rsa'
      ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
      : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const publicKey = crypto.createPublicKey(privateKey);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const isRsa = privateKey.asymmetricKeyType === 'rsa';
  if (!isRsa && privateKey.asymmetricKeyType !== 'ec') throw new Error(`unsupported key type ${privateKey.asymmetricKeyType}`);
  const signingKey = options.issuer?.privateKey ?? privateKey;
  if (!['rsa', 'ec'].includes(signingKey.asymmetricKeyType ?? '')) throw new Error(`unsupported issuer key type ${signingKey.asymmetricKeyType}`);
  const signatureAlgorithm =
    signingKey.asymmetricKeyType === 'rsa' ? der.sequence(der.oid(OID.sha256WithRSA), der.null()) : der.sequence(der.oid(OID.ecdsaWithSha256));

  const notBefore = options.validFrom ?? new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(notBefore.getTime() + (options.validDays ?? 30) * 24 * 60 * 60 * 1000);
  const serial = crypto.randomBytes(16);
  serial[0] &= 0x7f; // positive, and never more than 20 octets
  if (serial[0] === 0) serial[0] = 1;
  const isCa = options.isCa ?? true;

  // subjectKeyIdentifier: SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 4.2.1.2, method 1).
  const subjectPublicKey = publicKeyBits(spki);
  const ski = crypto.createHash('sha1').update(subjectPublicKey).digest();

  const altNames = [
    ...(options.dnsNames ?? []).map((d) => der.implicitPrimitive(2, Buffer.from(d, 'ascii'))),
    ...(options.ipAddresses ?? []).map((ip) => der.implicitPrimitive(7, ipBytes(ip))),
  ];
  // keyUsage bits: digitalSignature(0) keyEncipherment(2) keyCertSign(5) -> 1010 0100 (+ keyCertSign only for a CA)
  const keyUsageByte = 0x80 | (isRsa ? 0x20 : 0) | (isCa ? 0x04 : 0);
  const extensions = [
    extension(OID.basicConstraints, true, isCa ? der.sequence(der.boolean(true)) : der.sequence()),
    extension(OID.keyUsage, true, der.bitString(Buffer.from([keyUsageByte]), trailingZeroBits(keyUsageByte))),
    extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.serverAuth), der.oid(OID.clientAuth))),
    extension(OID.subjectKeyIdentifier, false, der.octetString(ski)),
    ...(altNames.length ? [extension(OID.subjectAltName, false, der.sequence(...altNames))] : []),
  ];
  const subject = name(options.commonName, options.organization);
  const issuer = options.issuer ? name(options.issuer.commonName, options.issuer.organization) : subject;
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)),
    der.unsignedInteger(serial),
    signatureAlgorithm,
    issuer,
    der.sequence(der.time(notBefore), der.time(notAfter)),
    subject,
    spki,
    der.explicit(3, der.sequence(...extensions)),
  );
  const signature = crypto.sign('sha256', tbs, signingKey); // RSA PKCS#1 v1.5, or DER ECDSA-Sig-Value
  const certDer = der.sequence(tbs, signatureAlgorithm, der.bitString(signature));
  const certPem = `-----BEGIN CERTIFICATE-----\n${certDer
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`;
  return {
    certPem,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    der: certDer,
    privateKey,
    publicKey,
    thumbprintSha1: crypto.createHash('sha1').update(certDer).digest('hex'),
    thumbprintSha256: crypto.createHash('sha256').update(certDer).digest('hex'),
  };
}

function trailingZeroBits(byte: number): number {
  let n = 0;
  while (n < 8 && !(byte & (1 << n))) n++;
  return n;
}

/** The contents of the subjectPublicKey BIT STRING inside a DER SubjectPublicKeyInfo. */
function publicKeyBits(spki: Buffer): Buffer {
  const readHeader = (buf: Buffer, at: number) => {
    let len = buf[at + 1];
    let head = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[at + 2 + i];
      head += n;
    }
    return { tag: buf[at], start: at + head, end: at + head + len };
  };
  const outer = readHeader(spki, 0);
  const algorithm = readHeader(spki, outer.start);
  const bits = readHeader(spki, algorithm.end);
  if (bits.tag !== 0x03) throw new Error('SubjectPublicKeyInfo without a BIT STRING');
  return spki.subarray(bits.start + 1, bits.end);
}
