import { useState } from 'react';
import { Stack, Textarea, TextInput } from '@mantine/core';
import { fieldError } from '../../ui/api-error';
import { nameProblem, slugify } from '../../ui/name-check';

export interface NameFieldsState {
  displayName: string;
  name: string;
  description: string;
  /** The form can be submitted: a display name and a valid name. */
  valid: boolean;
  setDisplayName(value: string): void;
  setName(value: string): void;
  setDescription(value: string): void;
  reset(): void;
}

/** Display name, unique name (derived from the display name until edited) and description. */
export function useNameFields(): NameFieldsState {
  const [displayName, setDisplayName] = useState('');
  const [editedName, setName] = useState<string | null>(null);
  const [description, setDescription] = useState('');
  const name = editedName ?? slugify(displayName);
  return {
    displayName,
    name,
    description,
    valid: displayName.trim().length > 0 && name.length > 0 && !nameProblem(name),
    setDisplayName,
    setName,
    setDescription,
    reset() {
      setDisplayName('');
      setName(null);
      setDescription('');
    },
  };
}

export function NameFields({ state, error, nameDescription, autoFocus = true }: { state: NameFieldsState; error: unknown; nameDescription: string; autoFocus?: boolean }) {
  return (
    <Stack gap="sm">
      <TextInput
        label="Display name"
        required
        maxLength={200}
        value={state.displayName}
        onChange={(e) => state.setDisplayName(e.currentTarget.value)}
        error={fieldError(error, 'displayName')}
        data-autofocus={autoFocus || undefined}
        autoFocus={autoFocus}
      />
      <TextInput
        label="Name"
        description={nameDescription}
        required
        value={state.name}
        onChange={(e) => state.setName(e.currentTarget.value)}
        error={nameProblem(state.name) ?? fieldError(error, 'name')}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
      />
      <Textarea
        label="Description"
        autosize
        minRows={2}
        maxLength={2000}
        value={state.description}
        onChange={(e) => state.setDescription(e.currentTarget.value)}
        error={fieldError(error, 'description')}
      />
    </Stack>
  );
}
