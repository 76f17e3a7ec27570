import type { PolicySchema } from '../types.js';

export interface SetHeadersConfig {
  headers: { name: string; value: string }[];
}

export const schema: PolicySchema = {
  name: 'set-headers',
  version: '1.0.0',
  displayName: 'Set headers',
  description: 'Sets headers on the request sent to the backend (request phase) or on the response sent to the consumer (response phase), replacing any value already there.',
  phases: ['request', 'response'],
  fields: [
    {
      name: 'headers',
      type: 'array',
      description: 'Headers to set, in order.',
      required: true,
      minItems: 1,
      maxItems: 50,
      items: {
        type: 'object',
        description: 'One header.',
        fields: [
          { name: 'name', type: 'header-name', description: 'Header name (case-insensitive).', required: true },
          { name: 'value', type: 'string', description: 'Header value (visible ASCII).', required: true, maxLength: 8192, pattern: '^[\\t\\x20-\\x7e]*$' },
        ],
      },
    },
  ],
};
