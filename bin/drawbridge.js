#!/usr/bin/env node
// Loads the TypeScript sources through tsx so that one tree serves `npm start`, the CLI and the tests.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/index.ts');
