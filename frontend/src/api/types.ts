// Types for the Chorus JSON API (/api/v1).
//
// Hand-written for now. A later change will generate these from the server's
// /api/openapi.json so the two cannot drift; keep names aligned with the wire format
// (snake_case) until then so that switch is a mechanical one.

/** UUID string. */
export type Uuid = string;

/** RFC 3339 timestamp string. */
export type Timestamp = string;

export type Role = 'employee' | 'manager' | 'editor' | 'admin';

/** RFC 9457 problem document, as every API error is answered. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** Stable snake_case machine-readable code. */
  code: string;
  errors?: ProblemFieldError[];
}

export interface ProblemFieldError {
  field: string;
  message: string;
}

// ---- auth ----------------------------------------------------------------

export interface TokenDocument {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  /** Lifetime of the access token, in seconds. */
  expires_in: number;
}

export interface LoginRequest {
  email: string;
  password: string;
}

export interface RefreshRequest {
  refresh_token: string;
}

export interface LogoutRequest {
  refresh_token: string;
}

export interface MagicLinkRequest {
  email: string;
}

export interface MagicLinkVerifyRequest {
  token: string;
}

export interface PasswordResetRequest {
  email: string;
}

export interface PasswordResetConfirmRequest {
  token: string;
  password: string;
}

// ---- invitations ---------------------------------------------------------

export interface InvitationLookup {
  email: string;
  organisation_name: string;
  expires_at: Timestamp;
}

export interface AcceptInvitationRequest {
  token: string;
  display_name: string;
  password: string;
}

export interface CreateInvitationRequest {
  email: string;
  roles: Role[];
  team_id?: Uuid;
}

// ---- me ------------------------------------------------------------------

export interface Organisation {
  id: Uuid;
  name: string;
  slug: string;
}

export interface Me {
  id: Uuid;
  email: string;
  display_name: string;
  roles: Role[];
  team_id: Uuid | null;
  managed_team_ids: Uuid[];
  organisation: Organisation;
}

// ---- admin ---------------------------------------------------------------

export type UserStatus = 'active' | 'deactivated';

export interface UserSummary {
  id: Uuid;
  email: string;
  display_name: string;
  roles: Role[];
  team_id: Uuid | null;
  status: UserStatus;
  created_at: Timestamp;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface Team {
  id: Uuid;
  name: string;
  parent_id: Uuid | null;
  manager_ids: Uuid[];
}

export interface TeamList {
  items: Team[];
}

/** Minimum password length; the server enforces the same rule. */
export const MIN_PASSWORD_LENGTH = 10;
