// Types for the Chorus JSON API (/api/v1), under the names the app uses.
//
// Every type here is an alias of one generated from the server's OpenAPI document into
// ./schema.d.ts (`npm run gen:api`; `npm run check:api` fails when the two drift). Do not
// write wire types by hand: change the server, regenerate, and alias the new schema here.

import type { components, operations } from './schema';

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
/** A colleague as the directory shows them (name and team only). */
export type Colleague = Schemas['Colleague'];
export type ColleagueList = Schemas['ColleagueList'];

// ---- admin ---------------------------------------------------------------

export type UserSummary = Schemas['UserView'];
/** `active`, `deactivated` or `deleted` (the document types it as a plain string). */
export type UserStatus = UserSummary['status'];
/** One page of people, with the total across all pages. */
export type UserList = Schemas['UserList'];

export type Team = Schemas['TeamView'];
export type TeamList = Schemas['TeamList'];

// ---- advocacy: consent, networks, sharing ---------------------------------

/** A network an employee can share to (`linkedin`, `x`, …, `email`, `other`). */
export type Network = Schemas['Network'];
export type ConsentView = Schemas['ConsentView'];
export type ConsentEvent = Schemas['ConsentEvent'];
export type ConsentSettings = Schemas['ConsentSettings'];
export type OptInRequest = Schemas['OptInRequest'];
export type ProfileView = Schemas['ProfileView'];
export type ProfileList = Schemas['ProfileList'];
export type ProfileInput = Schemas['ProfileInput'];
export type ShareInput = Schemas['ShareInput'];
export type ShareCreated = Schemas['ShareCreated'];
export type ShareView = Schemas['ShareView'];
export type ShareList = Schemas['ShareList'];
export type ShareWarning = Schemas['Warning'];
export type PublishedInput = Schemas['PublishedInput'];
export type EngagementInput = Schemas['EngagementInput'];

// ---- content -----------------------------------------------------------------

export type PostView = Schemas['PostView'];
export type PostList = Schemas['PostList'];
export type PostInput = Schemas['PostInput'];
export type PostPatch = Schemas['PostPatch'];
/** `draft`, `scheduled`, `published` or `archived` (the document types it as a plain string). */
export type PostStatus = 'draft' | 'scheduled' | 'published' | 'archived';
export type PostFilter = NonNullable<operations['list_posts']['parameters']['query']>;
export type FeedItem = Schemas['FeedItem'];
export type Feed = Schemas['Feed'];
export type CampaignView = Schemas['CampaignView'];
export type CampaignList = Schemas['CampaignList'];
export type CampaignInput = Schemas['CampaignInput'];
export type SuggestionView = Schemas['SuggestionView'];
export type SuggestionList = Schemas['SuggestionList'];
export type SuggestionInput = Schemas['SuggestionInput'];

// ---- reach -------------------------------------------------------------------

export type Totals = Schemas['Totals'];
/** One row of a breakdown table (a day, network, campaign, team or post). */
export type ReachRow = Schemas['Row'];
export type MetricDefinition = Schemas['Definition'];
export type Participation = Schemas['Participation'];
export type LeaderboardEntry = Schemas['LeaderboardEntry'];
export type MyImpact = Schemas['MyImpact'];
export type TeamDashboard = Schemas['TeamDashboard'];
export type Programme = Schemas['Programme'];
export type TrendPoint = Schemas['TrendPoint'];
type ReachQuery = NonNullable<operations['team_dashboard']['parameters']['query']>;
/** A reporting window: UTC days `YYYY-MM-DD`, both inclusive. */
export type ReachWindow = Pick<ReachQuery, 'from' | 'to'>;
export type TeamReachQuery = ReachQuery;
export type ReachExportQuery = operations['export']['parameters']['query'];

// ---- organisation settings ---------------------------------------------------

export type EmvSetting = Schemas['EmvSetting'];
export type EmvSettingList = Schemas['EmvSettingList'];
export type EmvInput = Schemas['EmvInput'];
export type IntegrationView = Schemas['IntegrationView'];
export type IntegrationList = Schemas['IntegrationList'];
export type IntegrationInput = Schemas['IntegrationInput'];
export type IntegrationCreated = Schemas['IntegrationCreated'];

// ---- recognition: thanks, wallet, rewards, rules ---------------------------------

export type ThanksView = Schemas['ThanksView'];
export type ThanksList = Schemas['ThanksList'];
export type ThanksInput = Schemas['ThanksInput'];
export type CompanyValue = Schemas['CompanyValue'];
export type CompanyValueList = Schemas['CompanyValueList'];
export type CompanyValueInput = Schemas['CompanyValueInput'];
export type CompanyValuePatch = Schemas['CompanyValuePatch'];
export type Wallet = Schemas['Wallet'];
export type LedgerLine = Schemas['LedgerLine'];
export type LedgerLines = Schemas['LedgerLines'];
export type RecognitionPreferences = Schemas['Preferences'];
export type PeriodKind = Schemas['PeriodKind'];
export type RewardView = Schemas['RewardView'];
export type RewardList = Schemas['RewardList'];
export type RewardInput = Schemas['RewardInput'];
export type RewardPatch = Schemas['RewardPatch'];
export type RedemptionView = Schemas['RedemptionView'];
export type RedemptionList = Schemas['RedemptionList'];
export type BudgetView = Schemas['BudgetView'];
export type SpotAwardInput = Schemas['SpotAwardInput'];
export type SpotAwardView = Schemas['SpotAwardView'];
export type SpotAwardList = Schemas['SpotAwardList'];
export type TeamRecognition = Schemas['TeamRecognition'];
export type TeamDetail = Schemas['TeamDetail'];
export type RuleTrigger = Schemas['Trigger'];
export type RuleDocument = Schemas['RuleDocument'];
export type RuleInput = Schemas['RuleInput'];
export type RuleUpdate = Schemas['RuleUpdate'];
export type RuleView = Schemas['RuleView'];
export type RuleList = Schemas['RuleList'];
export type RuleVersionView = Schemas['RuleVersionView'];
export type PreviewInput = Schemas['PreviewInput'];
export type PreviewResult = Schemas['PreviewResult'];
export type AllowancePolicy = Schemas['AllowancePolicy'];
export type AllowancePolicyInput = Schemas['AllowancePolicyInput'];
export type AllowancePolicyList = Schemas['AllowancePolicyList'];
export type RecognitionSettings = Schemas['Settings'];
export type Economy = Schemas['Economy'];
export type ConsistencyReport = Schemas['ConsistencyReport'];
export type Reversal = Schemas['Reversal'];
export type MyBadges = Schemas['MyBadges'];
export type MyBadge = Schemas['MyBadge'];
export type BadgeView = Schemas['BadgeView'];
export type BadgeList = Schemas['BadgeList'];
export type BadgeInput = Schemas['BadgeInput'];
export type BadgeUpdate = Schemas['BadgeUpdate'];
/** The recognition leaderboard (points, clicks, shares), consent-filtered by the server. */
export type RecognitionLeaderboard = Schemas['RecognitionLeaderboard'];
export type RecognitionLeaderboardEntry = Schemas['RecognitionLeaderboardEntry'];
export type LeaderboardQuery = Omit<NonNullable<operations['get_leaderboard']['parameters']['query']>, 'format'>;

// ---- rules the document does not carry -----------------------------------

/** Minimum password length; the server enforces the same rule. */
export const MIN_PASSWORD_LENGTH = 10;
