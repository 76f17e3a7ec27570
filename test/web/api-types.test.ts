import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateSchemaTypes, SCHEMA_FILE } from '../../scripts/openapi-types.js';

describe("the web app's API types", () => {
  it('match the OpenAPI document the control plane serves (run "npm run web:types" after changing the API)', async () => {
    const generated = await generateSchemaTypes();
    expect(readFileSync(SCHEMA_FILE, 'utf8') === generated, 'web/src/api/schema.d.ts is out of date: run "npm run web:types"').toBe(true);
  });
});
