import { createCipheriv, createDecipheriv, hash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from './errors.js';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

export const newId = (): string => randomUUID();

/** URL-safe random token with `bytes` of entropy, optionally behind a recognizable prefix. */
export const randomToken = (bytes = 32, prefix = ''): string => prefix + randomBytes(bytes).toString('base64url');

export const sha256 = (value: string): string => hash('sha256', value, 'hex');

/** Compares two equal-length hex digests in constant time. */
export function digestEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

const SCRYPT = { N: 1 << 15, r: 8, p: 1, keylen: 32 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password.normalize('NFKC'), salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = encoded.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scryptAsync(password.normalize('NFKC'), Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 64 * 1024 * 1024,
  });
  return timingSafeEqual(actual, expected);
}

/** A password hash to compare against when the user does not exist, so both paths cost the same. */
let dummyHash: Promise<string> | undefined;
export const dummyPasswordHash = (): Promise<string> => (dummyHash ??= hashPassword(randomToken(16)));

/** How long a node waits for a key file that another process created but has not written yet (ms). */
const KEY_FILE_WAIT_MS = 2000;

/**
 * Encrypts secrets the platform must replay (signing keys, outbound client
 * secrets) with AES-256-GCM. Ciphertext format: `v1.<iv>.<ciphertext>.<tag>`
 * (base64url). The optional context is bound as associated data, so a value
 * copied to another row does not decrypt there.
 */
export class MasterKey {
  /**
   * @param source where the key came from, for error messages: `DRAWBRIDGE_MASTER_KEY`
   * or the key file's path (never the key itself).
   */
  private constructor(
    private readonly key: Buffer,
    readonly source: string = 'DRAWBRIDGE_MASTER_KEY',
  ) {}

  static fromBytes(key: Buffer, source?: string): MasterKey {
    if (key.length !== 32) throw new ConfigError(source ?? 'DRAWBRIDGE_MASTER_KEY', 'must be 32 bytes (64 hex characters or 43/44 base64 characters)');
    return new MasterKey(key, source);
  }

  static parse(text: string, source?: string): MasterKey {
    const trimmed = text.trim();
    const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
    return MasterKey.fromBytes(bytes, source);
  }

  /**
   * Takes the key from the environment, or from `file`, creating that file
   * (mode 0600) on first use. Two nodes starting together on one data folder
   * may both find no file: the one that loses the exclusive create (EEXIST)
   * reads the winner's key instead of crashing or writing its own.
   */
  static load(fromEnv: string | undefined, file: string): MasterKey {
    if (fromEnv) return MasterKey.parse(fromEnv);
    if (existsSync(file)) return MasterKey.readFile(file);
    mkdirSync(dirname(file), { recursive: true });
    const key = randomBytes(32);
    try {
      writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return MasterKey.readFile(file);
      throw error;
    }
    chmodSync(file, 0o600);
    return new MasterKey(key, file);
  }

  /**
   * Reads a key file. A file another process has just created may still be
   * empty (created, not yet written): wait briefly for its content.
   */
  private static readFile(file: string): MasterKey {
    const deadline = Date.now() + KEY_FILE_WAIT_MS;
    for (;;) {
      const text = readFileSync(file, 'utf8');
      if (text.trim() !== '' || Date.now() >= deadline) return MasterKey.parse(text, file);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }

  encrypt(plaintext: string, context = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  decrypt(sealed: string, context = ''): string {
    const [version, iv, ct, tag] = sealed.split('.');
    if (version !== 'v1' || iv === undefined || ct === undefined || tag === undefined) throw new Error('unrecognized ciphertext format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}
