import type { PolicySchema } from '../types.js';

export interface RemoveHeadersConfig {
  headers: string[];
}

export const schema: PolicySchema = {
  name: 'remove-headers',
  version: '1.0.0',
  displayName: 'Remove headers',
  description: 'Removes headers from the request sent to the backend (request phase) or from the response sent to the consumer (response phase).',
  phases: ['request', 'response'],
  fields: [
    {
      name: 'headers',
      type: 'array',
      description: 'Header names to remove (case-insensitive).',
      required: true,
      minItems: 1,
      maxItems: 50,
      items: { type: 'header-name', description: 'Header name.' },
    },
  ],
};
