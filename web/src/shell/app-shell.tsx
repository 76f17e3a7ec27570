import { Anchor, AppShell, Box, Burger, Group, NavLink, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { NavLink as RouterNavLink, Outlet, useLocation, useParams } from 'react-router';
import { OrgSwitcher } from './org-switcher';
import { UserMenu } from './user-menu';

export interface NavItem {
  label: string;
  /** Relative to the organization (`/<area>/o/<org>/`). */
  to: string;
  end?: boolean;
  /** Also active on these paths (relative to the organization), e.g. the other pages of a section. */
  section?: string;
}

/** The frame of both areas: header (area, organization, account) and the navigation. */
export function Shell({ area, title, nav, other }: { area: 'console' | 'portal'; title: string; nav: NavItem[]; other: { label: string; to: string } }) {
  const [opened, { toggle }] = useDisclosure();
  const { org } = useParams();
  const { pathname } = useLocation();
  const inSection = (item: NavItem) => item.section !== undefined && pathname.startsWith(`/${area}/o/${org}/${item.section}`);
  const otherArea = (
    <Anchor component={RouterNavLink} to={org ? `${other.to}o/${org}/` : other.to}>
      {other.label}
    </Anchor>
  );
  return (
    <AppShell header={{ height: 56 }} navbar={org ? { width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } } : undefined} padding="lg">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            {org && <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />}
            <Text fw={700} size="lg">
              Drawbridge
            </Text>
            <Text c="dimmed" visibleFrom="xs">
              {title}
            </Text>
            {/* In a narrow window the organization and the other area move into the navigation (where there is one), so the header stays one row. */}
            <Box visibleFrom="sm">
              <OrgSwitcher area={area} />
            </Box>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Box visibleFrom="sm">{otherArea}</Box>
            <UserMenu area={area} />
          </Group>
        </Group>
      </AppShell.Header>
      {org && (
        <AppShell.Navbar p="xs" aria-label={`${title} navigation`}>
          <Stack gap="xs" mb="sm" hiddenFrom="sm">
            <OrgSwitcher area={area} />
            {otherArea}
          </Stack>
          {nav.map((item) => (
            <NavLink key={item.to} component={RouterNavLink} to={`/${area}/o/${org}/${item.to}`} end={item.end} label={item.label} {...(inSection(item) && { active: true })} />
          ))}
        </AppShell.Navbar>
      )}
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
