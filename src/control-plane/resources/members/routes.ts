import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { hashPassword, randomToken } from '../../../shared/crypto.js';
import { conflict, invalid, notFound } from '../../../shared/errors.js';
import { isUniqueViolation, type Store } from '../../../store/index.js';
import type { Organization, Role } from '../../../store/repos/organizations.js';
import type { User } from '../../../store/repos/users.js';
import { actorOf, orgAccess, type ControlPlaneDeps } from '../../context.js';
import { Body, OrgParams } from '../../schemas.js';

const RoleSchema = Type.Enum(['admin', 'developer'], { description: '`admin` manages members, environments and identity providers' });

const MemberView = Type.Object({ userId: Type.String(), email: Type.String(), name: Type.String(), role: Type.String(), since: Type.String() });

const AddedMemberView = Type.Object({
  userId: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Type.String(),
  temporaryPassword: Type.Optional(Type.String({ description: 'Only when the user was created by this invite; shown once' })),
});

const MemberParams = Type.Object({ org: Type.String(), userId: Type.String() });

const EMAIL = /^[^\s@]+@[^\s@]+$/;

const LAST_ADMIN = 'An organization needs at least one admin: make another member admin first';

/** "jane.doe@example.com" → "jane.doe", the name of an invited user until they choose one. */
const nameFromEmail = (email: string): string => email.split('@')[0] || email;

type Invitee = { existing: User } | { existing?: undefined; create: { email: string; name: string; passwordHash: string }; temporaryPassword: string };

/**
 * Finds the user to add, or prepares a new one with a random temporary
 * password (returned once). Hashing happens here, outside the transaction,
 * so the database is not held for the cost of scrypt.
 */
async function invitee(store: Store, email: string, name: string | undefined): Promise<Invitee> {
  const existing = await store.users.byEmail(email);
  if (existing) return { existing };
  if (!EMAIL.test(email)) throw invalid('No user has that name; to invite someone new, give an email address', { email: 'must be an email address' });
  const temporaryPassword = randomToken(18);
  return { create: { email, name: name ?? nameFromEmail(email), passwordHash: await hashPassword(temporaryPassword) }, temporaryPassword };
}

/** Refuses a change that would leave the organization without an admin. Call after the change, inside its transaction. */
async function assertAdminRemains(tx: Store, org: Organization): Promise<void> {
  if ((await tx.orgs.adminCount(org.id)) === 0) throw conflict(LAST_ADMIN);
}

export const memberRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;

    app.get(
      '/orgs/:org/members',
      {
        schema: { tags: ['members'], summary: 'Members of the organization and their roles', params: OrgParams, response: { 200: Type.Array(MemberView) } },
      },
      async (request) => {
        const { org } = await orgAccess(store, request, request.params.org);
        return store.orgs.members(org.id);
      },
    );

    app.post(
      '/orgs/:org/members',
      {
        schema: {
          tags: ['members'],
          summary: 'Add an existing user, or invite a new one (admin only)',
          description: 'When no user has this email, one is created with a random temporary password, returned only in this response.',
          params: OrgParams,
          body: Body({ email: Type.String({ minLength: 1, maxLength: 320 }), role: RoleSchema, name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
          response: { 201: AddedMemberView },
        },
      },
      async (request, reply) => {
        const { org, user: actor } = await orgAccess(store, request, request.params.org, 'admin');
        const email = request.body.email.trim().toLowerCase();
        const role = request.body.role;
        const who = await invitee(store, email, request.body.name?.trim() || undefined);
        try {
          const added = await store.transaction(async (tx) => {
            const user = who.existing ?? (await tx.users.create(who.create));
            const temporaryPassword = who.existing ? undefined : who.temporaryPassword;
            if (await tx.orgs.membership(org.id, user.id)) throw conflict(`${user.email} is already a member of this organization`, { email: 'is already a member' });
            await tx.orgs.addMember(org.id, user.id, role);
            await tx.audit.record({
              orgId: org.id,
              ...actorOf(actor),
              action: 'member.added',
              targetType: 'user',
              targetId: user.id,
              details: { email: user.email, role, invited: temporaryPassword !== undefined },
            });
            return { userId: user.id, email: user.email, name: user.name, role, ...(temporaryPassword !== undefined && { temporaryPassword }) };
          });
          return reply.code(201).send(added);
        } catch (error) {
          if (isUniqueViolation(error)) throw conflict(`${email} was added at the same moment by someone else`, { email: 'is already a member' });
          throw error;
        }
      },
    );

    app.patch(
      '/orgs/:org/members/:userId',
      {
        schema: { tags: ['members'], summary: "Change a member's role (admin only)", params: MemberParams, body: Body({ role: RoleSchema }), response: { 200: MemberView } },
      },
      async (request) => {
        const { org, user: actor } = await orgAccess(store, request, request.params.org, 'admin');
        const { userId } = request.params;
        const role: Role = request.body.role;
        return store.transaction(async (tx) => {
          await tx.orgs.lock(org.id);
          const before = await tx.orgs.member(org.id, userId);
          if (!before) throw notFound('Member');
          if (before.role === role) return before;
          await tx.orgs.setRole(org.id, userId, role);
          await assertAdminRemains(tx, org);
          await tx.audit.record({
            orgId: org.id,
            ...actorOf(actor),
            action: 'member.role-changed',
            targetType: 'user',
            targetId: userId,
            details: { email: before.email, from: before.role, to: role },
          });
          return { ...before, role };
        });
      },
    );

    app.delete(
      '/orgs/:org/members/:userId',
      {
        schema: { tags: ['members'], summary: 'Remove a member (admin only); never the last admin', params: MemberParams, response: { 204: Type.Null() } },
      },
      async (request, reply) => {
        const { org, user: actor } = await orgAccess(store, request, request.params.org, 'admin');
        const { userId } = request.params;
        await store.transaction(async (tx) => {
          await tx.orgs.lock(org.id);
          const before = await tx.orgs.member(org.id, userId);
          if (!before) throw notFound('Member');
          await tx.orgs.removeMember(org.id, userId);
          await assertAdminRemains(tx, org);
          await tx.audit.record({ orgId: org.id, ...actorOf(actor), action: 'member.removed', targetType: 'user', targetId: userId, details: { email: before.email, role: before.role } });
        });
        return reply.code(204).send(null);
      },
    );
  };
