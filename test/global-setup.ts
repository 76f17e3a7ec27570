import { buildWeb } from '../scripts/build-web.js';

/** Builds the web app once, before any test file runs, so parallel browser suites never build it at the same time. */
export default async function setup(): Promise<void> {
  await buildWeb({ ifStale: true, quiet: true });
}
