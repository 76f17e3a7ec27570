import { useState } from 'react';
import { Button, Card, Modal, Stack, Text } from '@mantine/core';
import { QueryState } from '../../ui/page-state';
import { PolicyForm } from './policy-form';
import { policyLabel, usePolicyCatalogue, type ApiResource, type ApiRef, type PolicySchema } from './queries';

/** "Attach Mediation Policy": pick a policy of the catalogue (by name and version), then fill its form. */
export function PolicyPicker({
  apiRef,
  resources,
  initialResources,
  opened,
  onClose,
}: {
  apiRef: ApiRef;
  resources: ApiResource[];
  initialResources: 'all' | string[];
  opened: boolean;
  onClose: () => void;
}) {
  const catalogue = usePolicyCatalogue();
  const [chosen, setChosen] = useState<PolicySchema>();
  const close = () => {
    setChosen(undefined);
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} size="lg" title={chosen ? `Attach ${policyLabel(chosen)}` : 'Attach Mediation Policy'}>
      {chosen ? (
        <PolicyForm apiRef={apiRef} schema={chosen} resources={resources} initialResources={initialResources} onDone={close} onCancel={() => setChosen(undefined)} />
      ) : (
        <QueryState query={catalogue} label="policies">
          {(policies) => (
            <Stack gap="sm" role="list" aria-label="Mediation policies">
              {policies.map((p) => (
                <Card key={p.ref} withBorder padding="sm" role="listitem">
                  <Stack gap={6} align="flex-start">
                    <Button variant="light" onClick={() => setChosen(p)}>
                      {policyLabel(p)}
                    </Button>
                    <Text size="sm" c="dimmed">
                      {p.description}
                    </Text>
                  </Stack>
                </Card>
              ))}
            </Stack>
          )}
        </QueryState>
      )}
    </Modal>
  );
}
