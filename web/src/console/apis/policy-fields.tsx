import { Button, Fieldset, Group, NumberInput, PasswordInput, Select, Stack, Switch, TagsInput, TextInput } from '@mantine/core';

/** One setting of a policy, as the catalogue describes it (`GET /policies`). */
export interface PolicyField {
  name: string;
  type: 'string' | 'integer' | 'boolean' | 'url' | 'header-name' | 'array' | 'object';
  description?: string;
  required?: boolean;
  default?: unknown;
  secret?: boolean;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  items?: Omit<PolicyField, 'name'>;
  fields?: PolicyField[];
}

type Config = Record<string, unknown>;
type Errors = Record<string, string>;

const ACRONYMS: Record<string, string> = { url: 'URL', id: 'ID', uri: 'URI' };

/** `tokenUrl` → "Token URL", `timeoutMs` → "Timeout (ms)". */
function fieldLabel(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_-]+/)
    .map((w) => w.toLowerCase());
  const ms = words.at(-1) === 'ms';
  const text = (ms ? words.slice(0, -1) : words).map((w, i) => ACRONYMS[w] ?? (i === 0 ? w[0]!.toUpperCase() + w.slice(1) : w)).join(' ');
  return ms ? `${text} (ms)` : text;
}

const describeDefault = (field: Omit<PolicyField, 'name'>) =>
  field.default === undefined ? undefined : `Default: ${typeof field.default === 'string' ? field.default : JSON.stringify(field.default)}`;

/** A `${parameter}` reference, the only thing a secret setting may hold. */
const PARAMETER_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_.-]*\}$/;

/** The error a secret setting shows when it holds anything but a `${parameter}` reference. */
const SECRET_REFERENCE_ERROR = 'Use a ${parameter} reference: secrets are given at deploy';

/**
 * Errors (keyed `config.<path>`, as the API keys them) for every secret
 * setting, nested ones included, whose value is not a `${parameter}`
 * reference: checked before sending, so a literal secret never leaves the browser.
 */
export function secretFieldErrors(fields: PolicyField[], value: unknown, path = ''): Record<string, string> {
  const config = (value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Config;
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const at = path ? `${path}.${field.name}` : field.name;
    const v = config[field.name];
    if (field.secret && typeof v === 'string' && v.trim() !== '' && !PARAMETER_REFERENCE.test(v.trim())) errors[`config.${at}`] = SECRET_REFERENCE_ERROR;
    if (field.type === 'object') Object.assign(errors, secretFieldErrors(field.fields ?? [], v, at));
    if (field.type === 'array' && field.items?.type === 'object' && Array.isArray(v)) {
      v.forEach((item, i) => Object.assign(errors, secretFieldErrors(field.items?.fields ?? [], item, `${at}[${i}]`)));
    }
  }
  return errors;
}

/** Drops empty strings and unset values, so the policy's defaults apply. */
export function cleanConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cleanConfig);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Config)
        .map(([k, v]) => [k, cleanConfig(v)])
        .filter(([, v]) => v !== undefined && v !== ''),
    );
  }
  return value;
}

interface Props {
  field: PolicyField;
  /** Path inside the config (`headers[0].name`); errors are keyed `config.<path>`. */
  path: string;
  /** Accessible name prefix for nested settings ("Headers 1 name"). */
  label: string;
  value: unknown;
  onChange: (value: unknown) => void;
  errors: Errors;
}

/** One setting's input, drawn from its schema: text, masked secret, number, switch, choice, list, or a group of settings. */
function PolicyFieldInput({ field, path, label, value, onChange, errors }: Props) {
  const error = errors[`config.${path}`];
  const description = [field.description, describeDefault(field)].filter(Boolean).join(' ');
  const common = { label, description, withAsterisk: field.required, error };
  switch (field.type) {
    case 'boolean':
      return <Switch label={label} description={description} checked={typeof value === 'boolean' ? value : field.default === true} onChange={(e) => onChange(e.currentTarget.checked)} error={error} />;
    case 'integer':
      return (
        <NumberInput
          {...common}
          placeholder={field.default !== undefined ? String(field.default) : undefined}
          min={field.minimum}
          max={field.maximum}
          allowDecimal={false}
          value={typeof value === 'number' || typeof value === 'string' ? value : ''}
          onChange={(v) => onChange(v === '' ? undefined : v)}
        />
      );
    case 'array':
      if (field.items?.type === 'object') return <ObjectList {...{ field, path, label, value, onChange, errors }} />;
      return (
        <TagsInput
          {...common}
          placeholder="Type a value and press Enter"
          value={Array.isArray(value) ? (value as string[]) : []}
          onChange={onChange}
          error={error ?? Object.entries(errors).find(([k]) => k.startsWith(`config.${path}[`))?.[1]}
        />
      );
    case 'object':
      return (
        <Fieldset legend={label}>
          <FieldList fields={field.fields ?? []} path={path} labelPrefix="" value={(value ?? {}) as Config} onChange={onChange} errors={errors} />
        </Fieldset>
      );
    default:
      if (field.enum) {
        return (
          <Select
            {...common}
            data={[...field.enum]}
            placeholder={typeof field.default === 'string' ? field.default : 'Choose'}
            clearable={!field.required}
            value={typeof value === 'string' ? value : null}
            onChange={(v) => onChange(v ?? undefined)}
          />
        );
      }
      if (field.secret) {
        return (
          <PasswordInput
            {...common}
            description={`${description} Secret: a \${parameter} reference such as \${${field.name}}, whose value is asked for at deploy.`}
            placeholder={`\${${field.name}}`}
            value={typeof value === 'string' ? value : ''}
            onChange={(e) => onChange(e.currentTarget.value)}
            autoComplete="off"
          />
        );
      }
      return (
        <TextInput
          {...common}
          placeholder={typeof field.default === 'string' ? field.default : field.type === 'url' ? 'https://… or ${parameter}' : undefined}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      );
  }
}

/** The settings of a policy (or of one object inside it). */
export function FieldList({
  fields,
  path,
  labelPrefix,
  value,
  onChange,
  errors,
}: {
  fields: PolicyField[];
  path: string;
  labelPrefix: string;
  value: Config;
  onChange: (value: Config) => void;
  errors: Errors;
}) {
  return (
    <Stack gap="sm">
      {fields.map((f) => (
        <PolicyFieldInput
          key={f.name}
          field={f}
          path={path ? `${path}.${f.name}` : f.name}
          label={labelPrefix ? `${labelPrefix} ${fieldLabel(f.name).toLowerCase()}` : fieldLabel(f.name)}
          value={value[f.name]}
          onChange={(v) => onChange({ ...value, [f.name]: v })}
          errors={errors}
        />
      ))}
    </Stack>
  );
}

/** A list of objects (e.g. set-headers' headers: name and value), one group of inputs each. */
function ObjectList({ field, path, label, value, onChange, errors }: Props) {
  const items = Array.isArray(value) ? (value as Config[]) : [];
  const singular = label.replace(/s$/, '').toLowerCase();
  const listError = errors[`config.${path}`];
  return (
    <Fieldset legend={label}>
      <Stack gap="sm">
        {field.description && <div style={{ fontSize: 'var(--mantine-font-size-xs)', color: 'var(--mantine-color-dimmed)' }}>{field.description}</div>}
        {items.map((item, i) => (
          <Group key={i} align="flex-end" wrap="nowrap">
            <div style={{ flex: 1 }}>
              <FieldList
                fields={field.items?.fields ?? []}
                path={`${path}[${i}]`}
                labelPrefix={`${label} ${i + 1}`}
                value={item}
                onChange={(v) => onChange(items.map((x, j) => (j === i ? v : x)))}
                errors={errors}
              />
            </div>
            <Button variant="subtle" color="red" aria-label={`Remove ${singular} ${i + 1}`} onClick={() => onChange(items.filter((_, j) => j !== i))}>
              Remove
            </Button>
          </Group>
        ))}
        {listError && (
          <div role="alert" style={{ color: 'var(--mantine-color-error)', fontSize: 'var(--mantine-font-size-sm)' }}>
            {listError}
          </div>
        )}
        <Group>
          <Button variant="light" onClick={() => onChange([...items, {}])}>{`Add ${singular}`}</Button>
        </Group>
      </Stack>
    </Fieldset>
  );
}
