// Types for the Chorus JSON API (/api/v1), under the names the app uses.
//
// Every type here is an alias of one generated from the server's OpenAPI document into
// ./schema.d.ts (`npm run gen:api`; `npm run check:api` fails when the two drift). Do not
// write wire types by hand: change the server, regenerate, and alias the new schema here.

import type { components } from './schema';

type Schemas = components['schemas'];

/** UUID string. */
export type Uuid = string;

/** RFC 3339 timestamp string. */
export type Timestamp = string;

export type Role = Schemas['Role'];

/** RFC 9457 problem document, as every API error is answered. */
export type ProblemDocument = Schemas['Problem'];
export type ProblemFieldError = Schemas['FieldError'];

// ---- auth ----------------------------------------------------------------

/** Answered by every sign-in route (login, magic link, invitation accept, refresh). */
export type TokenDocument = Schemas['TokenResponse'];
export type LoginRequest = Schemas['LoginRequest'];
export type RefreshRequest = Schemas['RefreshRequest'];
export type LogoutRequest = Schemas['RefreshRequest'];
export type MagicLinkRequest = Schemas['EmailRequest'];
export type MagicLinkVerifyRequest = Schemas['TokenRequest'];
export type PasswordResetRequest = Schemas['EmailRequest'];
export type PasswordResetConfirmRequest = Schemas['ResetConfirmRequest'];

// ---- invitations ---------------------------------------------------------

export type InvitationLookup = Schemas['InvitationLookup'];
export type AcceptInvitationRequest = Schemas['AcceptInvitationRequest'];
export type CreateInvitationRequest = Schemas['CreateInvitationRequest'];
export type Invitation = Schemas['InvitationView'];

// ---- me ------------------------------------------------------------------

export type Organisation = Schemas['OrganisationSummary'];
export type Me = Schemas['MeResponse'];

// ---- admin ---------------------------------------------------------------

export type UserSummary = Schemas['UserView'];
/** `active` or `deactivated` (the document types it as a plain string). */
export type UserStatus = UserSummary['status'];
/** One page of people, with the total across all pages. */
export type UserList = Schemas['UserList'];

export type Team = Schemas['TeamView'];
export type TeamList = Schemas['TeamList'];

// ---- rules the document does not carry -----------------------------------

/** Minimum password length; the server enforces the same rule. */
export const MIN_PASSWORD_LENGTH = 10;
