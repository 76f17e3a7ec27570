/**
 * Connection parameters as `.env` lines, the same as `drawbridge connection
 * env` prints: `KEY=value`, quoted for a shell when the value is not plain.
 */
const shellValue = (v: string): string => (/^[A-Za-z0-9_./:@%+=,-]*$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

export const envFile = (params: Record<string, string>): string =>
  Object.entries(params)
    .map(([k, v]) => `${k}=${shellValue(v)}\n`)
    .join('');
