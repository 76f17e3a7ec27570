import { Anchor, Badge, Box, Code, Group, Stack, Table, Text } from '@mantine/core';
import { deref, isObject, refName, str, typeLabel, type Json, type JsonObject } from './openapi-model';

/** Where a named schema is shown on the page (components.schemas). */
export const schemaAnchor = (name: string) => `schema-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;

function Constraints({ schema }: { schema: JsonObject }) {
  const items: string[] = [];
  if (Array.isArray(schema.enum)) items.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (schema.default !== undefined) items.push(`default ${JSON.stringify(schema.default)}`);
  for (const [k, label] of [
    ['minimum', '≥'],
    ['maximum', '≤'],
    ['minLength', 'min length'],
    ['maxLength', 'max length'],
    ['minItems', 'min items'],
    ['maxItems', 'max items'],
    ['pattern', 'pattern'],
  ] as const) {
    if (schema[k] !== undefined) items.push(`${label} ${typeof schema[k] === 'string' ? schema[k] : JSON.stringify(schema[k])}`);
  }
  if (schema.readOnly === true) items.push('read-only');
  if (schema.writeOnly === true) items.push('write-only');
  if (schema.example !== undefined) items.push(`example ${JSON.stringify(schema.example)}`);
  if (!items.length) return null;
  return (
    <Text size="xs" c="dimmed">
      {items.join(' · ')}
    </Text>
  );
}

/** A type name: a link to the named schema for a `$ref`. */
export function TypeName({ doc, schema }: { doc: JsonObject; schema: Json | undefined }) {
  if (isObject(schema) && typeof schema.$ref === 'string' && schema.$ref.startsWith('#/components/schemas/')) {
    const name = refName(schema.$ref);
    return (
      <Anchor href={`#${schemaAnchor(name)}`} ff="monospace" size="sm">
        {name}
      </Anchor>
    );
  }
  if (isObject(schema) && schema.type === 'array' && isObject(schema.items) && typeof schema.items.$ref === 'string') {
    return (
      <Text span ff="monospace" size="sm">
        array of <TypeName doc={doc} schema={schema.items} />
      </Text>
    );
  }
  return (
    <Text span ff="monospace" size="sm">
      {typeLabel(doc, schema)}
    </Text>
  );
}

/**
 * A schema: its type and constraints, and for objects the table of
 * properties, nested objects expanded a few levels (named schemas link to
 * their own entry instead, so cycles end).
 */
export function SchemaView({ doc, schema, depth = 0 }: { doc: JsonObject; schema: Json | undefined; depth?: number }) {
  if (!isObject(schema))
    return (
      <Text size="sm" c="dimmed">
        any
      </Text>
    );
  if (typeof schema.$ref === 'string' && depth > 0) return <TypeName doc={doc} schema={schema} />;
  const { node } = deref(doc, schema);
  if (!node) return <TypeName doc={doc} schema={schema} />;
  const description = str(node.description);
  const composed = (['allOf', 'oneOf', 'anyOf'] as const).find((k) => Array.isArray(node[k]));
  const items = node.items;
  const properties = isObject(node.properties) ? node.properties : undefined;
  const required = new Set(Array.isArray(node.required) ? node.required.filter((r): r is string => typeof r === 'string') : []);
  return (
    <Stack gap={4}>
      {depth === 0 && <TypeName doc={doc} schema={schema.$ref ? schema : node} />}
      {description && depth === 0 && (
        <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
          {description}
        </Text>
      )}
      <Constraints schema={node} />
      {composed && (
        <Stack gap={4} pl="sm" style={{ borderLeft: '2px solid var(--mantine-color-gray-3)' }}>
          <Text size="xs" c="dimmed">
            {composed === 'allOf' ? 'All of' : composed === 'oneOf' ? 'One of' : 'Any of'}
          </Text>
          {(node[composed] as Json[]).map((s, i) => (
            <Box key={i}>
              <SchemaView doc={doc} schema={s} depth={depth + 1} />
            </Box>
          ))}
        </Stack>
      )}
      {!properties && isObject(items) && depth < 4 && !items.$ref && isObject(items.properties) && (
        <Box pl="sm">
          <Text size="xs" c="dimmed">
            Items
          </Text>
          <SchemaView doc={doc} schema={items} depth={depth + 1} />
        </Box>
      )}
      {properties && depth < 4 && (
        <Table withRowBorders verticalSpacing={4} fz="sm" aria-label="Properties">
          <Table.Tbody>
            {Object.entries(properties).map(([name, prop]) => {
              const p = isObject(prop) ? prop : {};
              const nested = !p.$ref && (isObject(p.properties) || (isObject(p.items) && !p.items.$ref && isObject(p.items.properties)));
              return (
                <Table.Tr key={name}>
                  <Table.Td w="30%" style={{ verticalAlign: 'top' }}>
                    <Group gap={4}>
                      <Code>{name}</Code>
                      {required.has(name) && (
                        <Badge size="xs" color="red" variant="light">
                          required
                        </Badge>
                      )}
                      {p.deprecated === true && (
                        <Badge size="xs" color="gray" variant="light">
                          deprecated
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <Stack gap={2}>
                      <TypeName doc={doc} schema={prop} />
                      {str(p.description) && (
                        <Text size="xs" style={{ whiteSpace: 'pre-wrap' }}>
                          {str(p.description)}
                        </Text>
                      )}
                      <Constraints schema={p} />
                      {nested && <SchemaView doc={doc} schema={isObject(p.properties) ? prop : p.items} depth={depth + 1} />}
                    </Stack>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
