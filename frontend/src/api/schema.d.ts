// GENERATED FILE — do not edit. Regenerate with `npm run gen:api` (in frontend/).
// Source: the OpenAPI document of the Chorus server (`chorus openapi`, also served at
// /api/openapi.json). To change these types, change the server's API, rebuild it and regenerate;
// `npm run check:api` fails when this file and the server disagree.
// Import from ./types (the names the app uses), not from this file.

export interface paths {
    "/api/v1/admin/outbox": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Emails of the organisation with their delivery status, newest first (administrators). */
        get: operations["list_outbox"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit-log": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Administrative actions, newest first (administrators). */
        get: operations["list_audit_log"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign in with email and password.
         * @description Answers the same `invalid_credentials` problem for an unknown address, a wrong password and a
         *     deactivated account.
         */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign out: ends the session the refresh token belongs to, including its access tokens. */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/magic-link": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Email a single-use sign-in link.
         * @description Always answers 202, whether or not the address has an account.
         */
        post: operations["request_magic_link"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/magic-link/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign in with the token from a magic link (works once). */
        post: operations["verify_magic_link"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/password-reset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Email a password-reset link.
         * @description Always answers 202, whether or not the address has an account.
         */
        post: operations["request_password_reset"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/password-reset/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Set a new password with the token from a reset email; ends all existing sessions. */
        post: operations["confirm_password_reset"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange a refresh token for new tokens.
         * @description Refresh tokens rotate: each works once. Presenting one that was already used ends the whole
         *     session (every token derived from the same sign-in), because it means the token was copied.
         */
        post: operations["refresh"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/campaigns": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Campaigns of the organisation (any signed-in person; archived ones last). */
        get: operations["list_campaigns"];
        put?: never;
        /** Create a campaign (editors). */
        post: operations["create_campaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/campaigns/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One campaign. */
        get: operations["get_campaign"];
        /**
         * Replace a campaign's details, or archive it (editors). The slug stays as first created so
         *     that analytics keep one `utm_campaign` value.
         */
        put: operations["update_campaign"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/emv-settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** EMV rate versions (any signed-in person may read them; they explain the numbers). */
        get: operations["list_settings"];
        put?: never;
        /** Add a rate version for a network (administrators). */
        post: operations["add_setting"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/feed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The caller's feed: published, unexpired posts aimed at them, newest first, with the
         *     networks they already shared each to.
         */
        get: operations["feed"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/imports/people": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Import people and teams from CSV (administrators); see the module notes for the columns. */
        post: operations["import_people"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/integrations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Integrations of the organisation (administrators). */
        get: operations["list_integrations"];
        put?: never;
        /** Create an integration (administrators); its token and signing secret are shown only now. */
        post: operations["create_integration"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/integrations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an integration (administrators): its token and signatures stop working. */
        delete: operations["revoke_integration"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/integrations/engagement": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Report engagement for a share with an integration token. */
        post: operations["report_with_token"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/invitations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Invitations of the organisation, newest first (administrators). */
        get: operations["list_invitations"];
        put?: never;
        /** Invite someone by email (administrators). The email is sent through the outbox. */
        post: operations["create_invitation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/invitations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke a pending invitation (administrators). */
        delete: operations["revoke_invitation"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/invitations/accept": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Accept an invitation: creates the account and signs in. The token works once. */
        post: operations["accept_invitation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/invitations/lookup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What an invitation token is for (no sign-in needed; the token is the credential). */
        get: operations["lookup_invitation"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in user, their organisation and roles. */
        get: operations["me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change the signed-in user's display name. */
        patch: operations["update_me"];
        trace?: never;
    };
    "/api/v1/me/advocacy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's consent to the advocacy programme, with its history. */
        get: operations["get_consent"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change whether the caller appears on leaderboards (opted-in people only). */
        patch: operations["update_consent"];
        trace?: never;
    };
    "/api/v1/me/advocacy/opt-in": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Opt in, accepting the current programme terms. */
        post: operations["opt_in"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me/advocacy/opt-out": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Opt out; takes effect at once. Past clicks stay in aggregates only. */
        post: operations["opt_out"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me/networks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's linked network profiles. */
        get: operations["list_profiles"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me/networks/{network}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Link or update the caller's profile on a network (self-reported audience size). */
        put: operations["put_profile"];
        post?: never;
        /** Unlink a network. Shares keep the audience size they had when created. */
        delete: operations["delete_profile"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Change the signed-in user's password; other sessions are ended. */
        post: operations["change_password"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/me/shares": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's shares, newest first. */
        get: operations["my_shares"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/posts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Posts of the library (editors). */
        get: operations["list_posts"];
        put?: never;
        /** Create a post (editors). `status` may be `draft`, `scheduled` (with `publish_at`) or `published`. */
        post: operations["create_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/posts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One post: editors see any; others only published posts aimed at them. */
        get: operations["get_post"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Edit a post (editors). Published posts keep their status; archived posts cannot be edited. */
        patch: operations["update_post"];
        trace?: never;
    };
    "/api/v1/posts/{id}/archive": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Archive a post (editors): it leaves the feed and its tracked links stop redirecting. */
        post: operations["archive_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/posts/{id}/publish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Publish a draft or scheduled post now (editors). */
        post: operations["publish_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/reach/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download any table of the reach views as CSV (same access rules as the views). */
        get: operations["export"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/reach/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The caller's own impact: shares, human clicks, unique visitors, potential reach, engagement
         *     and EMV over a window, by day and network.
         */
        get: operations["my_impact"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/reach/programme": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Programme health for administrators: opt-in and participation, weekly trend, totals. */
        get: operations["programme"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/reach/teams": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Reach dashboard for the teams the caller manages (and the teams below them); administrators
         *     may pick any team or see the whole organisation. Aggregates only, k-anonymous.
         */
        get: operations["team_dashboard"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/shares": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a share of a post on a network (opted-in employees).
         * @description Answers the tracked link, the network's share-intent URL and warnings — notably when the text
         *     is near-identical to what several colleagues recently posted (a personal comment reads better
         *     and reward rules may value it).
         */
        post: operations["create_share"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/shares/{id}/engagement": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Report engagement for one of the caller's shares (labelled as employee-reported). */
        post: operations["report_engagement"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/shares/{id}/published": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** "I posted it", optionally with the public URL of the post; the share becomes `published`. */
        post: operations["mark_published"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/suggestions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Suggestions: editors see everyone's, others their own; newest first. */
        get: operations["list_suggestions"];
        put?: never;
        /** Suggest a post for the library. */
        post: operations["suggest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/suggestions/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Approve a suggestion (editors): creates a draft post from it. */
        post: operations["approve"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/suggestions/{id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Reject a suggestion with a note (editors). */
        post: operations["reject"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/teams": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organisation's teams (any signed-in person). */
        get: operations["list_teams"];
        put?: never;
        /** Create a team (administrators). */
        post: operations["create_team"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/teams/{team_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A team and its members (administrators, and managers of the team or a team above it). */
        get: operations["get_team"];
        put?: never;
        post?: never;
        /** Delete an empty team (no members, no sub-teams) (administrators). */
        delete: operations["delete_team"];
        options?: never;
        head?: never;
        /** Rename, move or change the managers of a team (administrators). */
        patch: operations["update_team"];
        trace?: never;
    };
    "/api/v1/teams/managed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Teams the signed-in manager manages, and all teams below them. */
        get: operations["managed_teams"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List people in the organisation (administrators). */
        get: operations["list_users"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One person in the organisation (administrators). */
        get: operations["get_user"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change a person's name, roles or team (administrators). */
        patch: operations["update_user"];
        trace?: never;
    };
    "/api/v1/users/{id}/deactivate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Deactivate a person: they can no longer sign in and their sessions end; history stays. */
        post: operations["deactivate_user"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{id}/reactivate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Reactivate a deactivated person. */
        post: operations["reactivate_user"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/engagement/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Receive an HMAC-signed engagement report.
         * @description Headers: `X-Chorus-Timestamp` (unix seconds, within five minutes) and
         *     `X-Chorus-Signature: sha256=<hex HMAC-SHA256(signing secret, "<timestamp>.<raw body>")>`.
         *     Each signature is accepted once.
         */
        post: operations["webhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: 200 while the process is up. */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics (OpenMetrics text). */
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/r/{code}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Follow a tracked link.
         * @description Answers `302 Found` to the post's destination with `utm_source`, `utm_medium` and
         *     `utm_campaign`, after recording the click; `404` (an HTML page) for unknown or withdrawn
         *     links; `503` if the click cannot be stored, so that no redirect is ever answered unrecorded.
         */
        get: operations["follow"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: 200 while the database answers, 503 otherwise (recovers on its own). */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        AcceptInvitationRequest: {
            display_name: string;
            password: string;
            token: string;
        };
        AuditEntry: {
            action: string;
            /** Format: uuid */
            actor_id?: string | null;
            after?: unknown;
            before?: unknown;
            /** Format: date-time */
            created_at: string;
            /** Format: uuid */
            id: string;
            target_id?: string | null;
            target_type: string;
        };
        AuditList: {
            items: components["schemas"]["AuditEntry"][];
        };
        CampaignInput: {
            /** @description Only on update: archive (`true`) or restore (`false`). */
            archived?: boolean | null;
            description?: string;
            /** Format: date-time */
            ends_at?: string | null;
            /** Format: int64 */
            goal_human_clicks?: number | null;
            name: string;
            /** Format: double */
            points_multiplier?: number | null;
            /** Format: date-time */
            starts_at: string;
            target_team_ids?: string[];
        };
        CampaignList: {
            items: components["schemas"]["CampaignView"][];
        };
        CampaignView: {
            archived: boolean;
            description: string;
            /** Format: date-time */
            ends_at?: string | null;
            /**
             * Format: int64
             * @description Goal in human clicks.
             */
            goal_human_clicks?: number | null;
            /** Format: uuid */
            id: string;
            name: string;
            /**
             * Format: double
             * @description Multiplier reward rules may apply to shares in this campaign.
             */
            points_multiplier: number;
            /** @description Used as `utm_campaign` on tracked links. */
            slug: string;
            /** Format: date-time */
            starts_at: string;
            target_team_ids: string[];
        };
        ChangePasswordRequest: {
            current_password: string;
            new_password: string;
        };
        ConsentEvent: {
            /** @description `opt_in` or `opt_out`. */
            action: string;
            /** Format: date-time */
            at: string;
            terms_version?: string | null;
        };
        ConsentSettings: {
            show_in_leaderboard: boolean;
        };
        ConsentView: {
            /** @description Terms version in force; opting in means accepting it. */
            current_terms_version: string;
            history: components["schemas"]["ConsentEvent"][];
            opted_in: boolean;
            /** Format: date-time */
            opted_in_at?: string | null;
            /** Format: date-time */
            opted_out_at?: string | null;
            /** @description Whether the caller appears on leaderboards (off unless chosen). */
            show_in_leaderboard: boolean;
            /** @description Terms version the caller accepted (when opted in). */
            terms_version?: string | null;
        };
        CreateInvitationRequest: {
            email: string;
            /** @description Roles granted on acceptance (`employee` is always included). */
            roles?: components["schemas"]["Role"][];
            /** Format: uuid */
            team_id?: string | null;
        };
        CreateTeamRequest: {
            manager_ids?: string[];
            name: string;
            /** Format: uuid */
            parent_id?: string | null;
        };
        Definition: {
            definition: string;
            /** @description `potential` or `measured`. */
            tier: string;
        };
        EmailRequest: {
            email: string;
        };
        EmvInput: {
            /** Format: double */
            cpc: number;
            /** Format: double */
            cpm: number;
            currency: string;
            /**
             * Format: date-time
             * @description Default: now. Earlier days keep the rates that applied then.
             */
            effective_from?: string | null;
            network: components["schemas"]["Network"];
        };
        EmvSetting: {
            /**
             * Format: double
             * @description Value of one human click.
             */
            cpc: number;
            /**
             * Format: double
             * @description Value of a thousand measured impressions.
             */
            cpm: number;
            /** @description ISO 4217 code, e.g. `EUR`. */
            currency: string;
            /** Format: date-time */
            effective_from: string;
            /** Format: uuid */
            id: string;
            network: components["schemas"]["Network"];
        };
        EmvSettingList: {
            items: components["schemas"]["EmvSetting"][];
        };
        EngagementInput: {
            /** Format: int64 */
            comments?: number;
            /** Format: int64 */
            impressions?: number;
            /** Format: int64 */
            reactions?: number;
            /** Format: int64 */
            reshares?: number;
        };
        /** @description Engagement numbers for a share named by its tracking code. */
        EngagementReport: {
            code: string;
            /** Format: int64 */
            comments?: number;
            /** Format: int64 */
            impressions?: number;
            /**
             * Format: date-time
             * @description When the numbers were observed (default: now).
             */
            observed_at?: string | null;
            /** Format: int64 */
            reactions?: number;
            /** Format: int64 */
            reshares?: number;
        };
        Feed: {
            items: components["schemas"]["FeedItem"][];
        };
        FeedItem: components["schemas"]["PostView"] & {
            /** @description Networks the caller already shared this post to. */
            shared_on: components["schemas"]["Network"][];
        };
        /** @description A field that failed validation and why. */
        FieldError: {
            field: string;
            message: string;
        };
        Health: {
            status: string;
        };
        ImportReport: {
            /** Format: int64 */
            created_teams: number;
            /** Format: int64 */
            created_users: number;
            dry_run: boolean;
            /** @description Rows listed here were not applied. */
            errors: components["schemas"]["RowError"][];
            /**
             * Format: int64
             * @description Data rows read (header excluded).
             */
            rows: number;
            /** Format: int64 */
            updated_users: number;
        };
        /** @description Shown once, at creation. */
        IntegrationCreated: {
            integration: components["schemas"]["IntegrationView"];
            /** @description Secret for signing webhooks to `POST /api/v1/webhooks/engagement/{id}`. */
            signing_secret: string;
            /** @description Bearer token for `POST /api/v1/integrations/engagement`. */
            token: string;
        };
        IntegrationInput: {
            name: string;
        };
        IntegrationList: {
            items: components["schemas"]["IntegrationView"][];
        };
        IntegrationView: {
            /** Format: date-time */
            created_at: string;
            /** Format: uuid */
            id: string;
            /** Format: date-time */
            last_used_at?: string | null;
            name: string;
            revoked: boolean;
        };
        InvitationList: {
            items: components["schemas"]["InvitationView"][];
        };
        InvitationLookup: {
            email: string;
            /** Format: date-time */
            expires_at: string;
            organisation_name: string;
        };
        InvitationView: {
            /** Format: date-time */
            created_at: string;
            email: string;
            /** Format: date-time */
            expires_at: string;
            /** Format: uuid */
            id: string;
            roles: components["schemas"]["Role"][];
            /** @description `pending`, `accepted`, `revoked` or `expired`. */
            status: string;
            /** Format: uuid */
            team_id?: string | null;
        };
        LeaderboardEntry: {
            /** Format: double */
            clicks_per_share: number;
            display_name: string;
            /** Format: int64 */
            human_clicks: number;
            /** Format: int32 */
            rank: number;
            /** Format: int64 */
            shares: number;
            /** Format: uuid */
            user_id: string;
        };
        LoginRequest: {
            email: string;
            password: string;
        };
        /** @description The signed-in user. */
        MeResponse: {
            display_name: string;
            email: string;
            /** Format: uuid */
            id: string;
            /** @description Teams this user manages directly (their dashboards also cover the teams below). */
            managed_team_ids: string[];
            organisation: components["schemas"]["OrganisationSummary"];
            roles: components["schemas"]["Role"][];
            /** Format: uuid */
            team_id?: string | null;
        };
        MyImpact: {
            by_day: components["schemas"]["Row"][];
            by_network: components["schemas"]["Row"][];
            definitions: {
                [key: string]: components["schemas"]["Definition"];
            };
            /** Format: date */
            from: string;
            /**
             * Format: int32
             * @description The caller's rank among opted-in colleagues who show their rank (if the caller does too).
             */
            rank?: number | null;
            /** Format: date */
            to: string;
            totals: components["schemas"]["Totals"];
        };
        /**
         * @description Social networks (and email) an employee can share to.
         * @enum {string}
         */
        Network: "linkedin" | "x" | "facebook" | "instagram" | "bluesky" | "mastodon" | "xing" | "threads" | "email" | "other";
        OptInRequest: {
            show_in_leaderboard?: boolean;
            /** @description Must equal the current programme-terms version. */
            terms_version: string;
        };
        OrganisationSummary: {
            /** Format: uuid */
            id: string;
            name: string;
            slug: string;
        };
        OutboxList: {
            items: components["schemas"]["OutboxMessage"][];
        };
        OutboxMessage: {
            /** Format: int32 */
            attempts: number;
            /** Format: date-time */
            created_at: string;
            /** Format: uuid */
            id: string;
            kind: string;
            last_error?: string | null;
            /** Format: date-time */
            next_attempt_at: string;
            /** Format: date-time */
            sent_at?: string | null;
            /** @description `queued`, `sending`, `sent` or `failed`. */
            status: string;
            subject: string;
            to_address: string;
        };
        Participation: {
            /** Format: int64 */
            active_advocates: number;
            /**
             * Format: double
             * @description active_advocates / opted_in.
             */
            active_rate: number;
            /** Format: int64 */
            members: number;
            /**
             * Format: double
             * @description opted_in / members.
             */
            opt_in_rate: number;
            /** Format: int64 */
            opted_in: number;
        };
        PostInput: {
            /** Format: uuid */
            campaign_id?: string | null;
            /** Format: date-time */
            expires_at?: string | null;
            image_url?: string | null;
            /** Format: date-time */
            publish_at?: string | null;
            /** @description `draft` (default), `scheduled` (needs `publish_at`) or `published` (now). */
            status?: string | null;
            suggested_texts?: {
                [key: string]: string;
            };
            summary?: string;
            tags?: string[];
            target_team_ids?: string[];
            title: string;
            url: string;
        };
        PostList: {
            items: components["schemas"]["PostView"][];
        };
        PostPatch: {
            /** Format: uuid */
            campaign_id?: string | null;
            /** Format: date-time */
            expires_at?: string | null;
            image_url?: string | null;
            /** Format: date-time */
            publish_at?: string | null;
            /** @description `draft` or `scheduled` (use the publish and archive actions for the rest). */
            status?: string | null;
            suggested_texts?: {
                [key: string]: string;
            } | null;
            summary?: string | null;
            tags?: string[] | null;
            target_team_ids?: string[] | null;
            title?: string | null;
            url?: string | null;
        };
        PostView: {
            /** Format: uuid */
            campaign_id?: string | null;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            expires_at?: string | null;
            /** Format: uuid */
            id: string;
            image_url?: string | null;
            /** Format: date-time */
            publish_at?: string | null;
            /** Format: date-time */
            published_at?: string | null;
            /** @description `draft`, `scheduled`, `published` or `archived`. */
            status: string;
            /** @description Suggested text per network (`linkedin`, `x`, …). */
            suggested_texts: {
                [key: string]: string;
            };
            summary: string;
            tags: string[];
            /** @description Empty: everyone; otherwise people in these teams and the teams below them. */
            target_team_ids: string[];
            title: string;
            url: string;
        };
        /** @description An RFC 9457 problem document. */
        Problem: {
            /** @description Stable machine-readable code, e.g. `validation_failed`, `not_found`, `rate_limited`. */
            code: string;
            detail?: string | null;
            /** @description Present on validation failures: one entry per offending field. */
            errors?: components["schemas"]["FieldError"][];
            /** Format: int32 */
            status: number;
            title: string;
            /** @description A URI naming the problem kind. */
            type: string;
        };
        ProfileInput: {
            /** Format: int64 */
            audience_size: number;
            handle: string;
            profile_url?: string | null;
        };
        ProfileList: {
            items: components["schemas"]["ProfileView"][];
        };
        ProfileView: {
            /** Format: date-time */
            as_of: string;
            /**
             * Format: int64
             * @description Followers or connections.
             */
            audience_size: number;
            handle: string;
            network: components["schemas"]["Network"];
            profile_url?: string | null;
            /** @description `self_reported` or `connector`. */
            source: string;
        };
        Programme: {
            by_campaign: components["schemas"]["Row"][];
            by_network: components["schemas"]["Row"][];
            definitions: {
                [key: string]: components["schemas"]["Definition"];
            };
            /** Format: date */
            from: string;
            participation: components["schemas"]["Participation"];
            /** Format: date */
            to: string;
            totals: components["schemas"]["Totals"];
            trend: components["schemas"]["TrendPoint"][];
        };
        PublishedInput: {
            /** @description The public URL of the resulting post on the network, if the employee has it. */
            public_url?: string | null;
        };
        RefreshRequest: {
            refresh_token: string;
        };
        ResetConfirmRequest: {
            password: string;
            token: string;
        };
        ReviewInput: {
            note?: string;
        };
        /**
         * @description What a user may do in their organisation; a user may hold several.
         * @enum {string}
         */
        Role: "employee" | "manager" | "editor" | "admin";
        /** @description One row of a breakdown table. */
        Row: components["schemas"]["Totals"] & {
            /** @description Day, network, or the id of the campaign, team or post; `other` for folded groups. */
            key: string;
            label: string;
        };
        RowError: {
            field: string;
            message: string;
            /**
             * Format: int64
             * @description 1-based line number in the file (the header is line 1).
             */
            row: number;
        };
        ShareCreated: {
            /**
             * @description Opens the network's composer with the tracked link (and the text where the network
             *     allows pre-filled text); `null` for networks without one (copy the text instead).
             */
            intent_url?: string | null;
            share: components["schemas"]["ShareView"];
            warnings: components["schemas"]["Warning"][];
        };
        ShareInput: {
            network: components["schemas"]["Network"];
            /** Format: uuid */
            post_id: string;
            /** @description The text the employee will post; defaults to the post's suggested text for the network. */
            text?: string | null;
        };
        ShareList: {
            items: components["schemas"]["ShareView"][];
        };
        ShareView: {
            /**
             * Format: int64
             * @description Audience size on the network when shared (potential reach).
             */
            audience_size: number;
            code: string;
            /** Format: int64 */
            comments: number;
            /** Format: date-time */
            created_at: string;
            /** @description Who reported the engagement numbers (`employee` or `integration:<name>`). */
            engagement_source?: string | null;
            /** Format: uuid */
            id: string;
            /** Format: int64 */
            impressions: number;
            network: components["schemas"]["Network"];
            /** @description The text differs from the suggested text (the sharer added their own words). */
            personalised: boolean;
            /** Format: uuid */
            post_id: string;
            public_url?: string | null;
            /** Format: date-time */
            published_at?: string | null;
            /** Format: int64 */
            reactions: number;
            /** Format: int64 */
            reshares: number;
            /** @description `intended` until "I posted it", then `published`. */
            status: string;
            text: string;
            /** @description The link to post: counts clicks, then redirects to the post's destination. */
            tracked_url: string;
        };
        SuggestionInput: {
            summary?: string;
            title: string;
            url: string;
        };
        SuggestionList: {
            items: components["schemas"]["SuggestionView"][];
        };
        SuggestionView: {
            /** Format: date-time */
            created_at: string;
            /** Format: uuid */
            id: string;
            /**
             * Format: uuid
             * @description The draft post created on approval.
             */
            post_id?: string | null;
            review_note?: string | null;
            /** Format: date-time */
            reviewed_at?: string | null;
            /** @description `pending`, `approved` or `rejected`. */
            status: string;
            /** Format: uuid */
            suggested_by: string;
            summary: string;
            title: string;
            url: string;
        };
        TeamDashboard: {
            by_campaign: components["schemas"]["Row"][];
            by_day: components["schemas"]["Row"][];
            by_network: components["schemas"]["Row"][];
            by_team: components["schemas"]["Row"][];
            definitions: {
                [key: string]: components["schemas"]["Definition"];
            };
            /** Format: date */
            from: string;
            /** Format: int32 */
            k_anonymity: number;
            /** @description Empty when fewer than k people may be ranked. */
            leaderboard: components["schemas"]["LeaderboardEntry"][];
            participation: components["schemas"]["Participation"];
            /**
             * @description True when fewer than k people stand behind the numbers (or are members of the teams):
             *     the figures are withheld and shown as zero, so no person can be singled out.
             */
            suppressed: boolean;
            /** @description Teams covered (the caller's managed teams and below, or a chosen team for administrators). */
            team_ids: string[];
            /** Format: date */
            to: string;
            top_posts: components["schemas"]["Row"][];
            totals: components["schemas"]["Totals"];
        };
        TeamDetail: components["schemas"]["TeamView"] & {
            members: components["schemas"]["UserView"][];
        };
        TeamList: {
            items: components["schemas"]["TeamView"][];
        };
        TeamView: {
            /** Format: uuid */
            id: string;
            manager_ids: string[];
            /**
             * Format: int64
             * @description People whose team this is (not counting sub-teams).
             */
            member_count: number;
            name: string;
            /** Format: uuid */
            parent_id?: string | null;
        };
        TokenRequest: {
            token: string;
        };
        /** @description The token document answered by every sign-in route. */
        TokenResponse: {
            access_token: string;
            /**
             * Format: int64
             * @description Lifetime of the access token in seconds.
             */
            expires_in: number;
            refresh_token: string;
            /** @description Always `Bearer`. */
            token_type: string;
        };
        Totals: {
            /** Format: int64 */
            bot_hits: number;
            /** @description EMV per currency (empty until an administrator sets rates). */
            emv: {
                [key: string]: number;
            };
            /** Format: int64 */
            engagement: number;
            /** Format: int64 */
            human_clicks: number;
            /** Format: int64 */
            measured_impressions: number;
            /** Format: int64 */
            potential_reach: number;
            /** Format: int64 */
            shares: number;
            /** Format: int64 */
            unique_visitors: number;
        };
        TrendPoint: {
            /** Format: int64 */
            active_advocates: number;
            /** Format: int64 */
            human_clicks: number;
            /** Format: int64 */
            shares: number;
            /** @description Monday of the week. */
            week: string;
        };
        UpdateMeRequest: {
            display_name?: string | null;
        };
        UpdateTeamRequest: {
            /** @description Replaces the team's managers. */
            manager_ids?: string[] | null;
            name?: string | null;
            /**
             * Format: uuid
             * @description Moves the team under another; `null` makes it a top-level team.
             */
            parent_id?: string | null;
        };
        UpdateUserRequest: {
            display_name?: string | null;
            /** @description Replaces the user's roles; `employee` is always kept. */
            roles?: components["schemas"]["Role"][] | null;
            /**
             * Format: uuid
             * @description Moves the user to a team; `null` removes them from their team.
             */
            team_id?: string | null;
        };
        UserList: {
            items: components["schemas"]["UserView"][];
            /** Format: int64 */
            total: number;
        };
        /** @description A person as administrators see them. */
        UserView: {
            /** Format: date-time */
            created_at: string;
            display_name: string;
            email: string;
            /** Format: uuid */
            id: string;
            /** Format: date-time */
            last_login_at?: string | null;
            roles: components["schemas"]["Role"][];
            /** @description `active` or `deactivated`. */
            status: string;
            /** Format: uuid */
            team_id?: string | null;
        };
        Warning: {
            code: string;
            message: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    list_outbox: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                /** @description `queued`, `sending`, `sent` or `failed`. */
                status?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OutboxList"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_audit_log: {
        parameters: {
            query?: {
                /** @description Items per page (default 50). */
                limit?: number;
                /** @description Items to skip (default 0). */
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditList"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description Signed in */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenResponse"];
                };
            };
            /** @description Wrong email or password */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid input */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many attempts */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RefreshRequest"];
            };
        };
        responses: {
            /** @description Signed out (also when the token was unknown) */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    request_magic_link: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EmailRequest"];
            };
        };
        responses: {
            /** @description If the address has an account, a link is on its way */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not an email address */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many attempts */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    verify_magic_link: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TokenRequest"];
            };
        };
        responses: {
            /** @description Signed in */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenResponse"];
                };
            };
            /** @description Unknown, used or expired link */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    request_password_reset: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EmailRequest"];
            };
        };
        responses: {
            /** @description If the address has an account, a link is on its way */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Not an email address */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many attempts */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    confirm_password_reset: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ResetConfirmRequest"];
            };
        };
        responses: {
            /** @description Password changed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Unknown, used or expired link */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Password too short or long */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    refresh: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RefreshRequest"];
            };
        };
        responses: {
            /** @description New tokens */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenResponse"];
                };
            };
            /** @description Invalid, expired, revoked or re-used refresh token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_campaigns: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CampaignList"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_campaign: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CampaignInput"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CampaignView"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_campaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CampaignView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    update_campaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CampaignInput"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CampaignView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_settings: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EmvSettingList"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    add_setting: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EmvInput"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EmvSetting"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    feed: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Feed"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    import_people: {
        parameters: {
            query?: {
                /** @description Validate and report without writing. */
                dry_run?: boolean;
                /** @description Email new people a link to choose their password (default true). */
                send_invitations?: boolean;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description CSV with a header row */
        requestBody: {
            content: {
                "text/csv": string;
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImportReport"];
                };
            };
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_integrations: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IntegrationList"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_integration: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["IntegrationInput"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["IntegrationCreated"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revoke_integration: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    report_with_token: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EngagementReport"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShareView"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_invitations: {
        parameters: {
            query?: {
                /** @description Items per page (default 50). */
                limit?: number;
                /** @description Items to skip (default 0). */
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InvitationList"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_invitation: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateInvitationRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InvitationView"];
                };
            };
            /** @description Already a member of this organisation */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revoke_invitation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    accept_invitation: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AcceptInvitationRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenResponse"];
                };
            };
            /** @description Invalid, used, revoked or expired invitation */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The address already has an account */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    lookup_invitation: {
        parameters: {
            query: {
                token: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InvitationLookup"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MeResponse"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    update_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateMeRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MeResponse"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_consent: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConsentView"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    update_consent: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConsentSettings"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConsentView"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    opt_in: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OptInRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConsentView"];
                };
            };
            /** @description Not the current terms version */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    opt_out: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConsentView"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_profiles: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProfileList"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    put_profile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                network: components["schemas"]["Network"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ProfileInput"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProfileView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_profile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                network: components["schemas"]["Network"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Unlinked */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    change_password: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChangePasswordRequest"];
            };
        };
        responses: {
            /** @description Changed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    my_shares: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShareList"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_posts: {
        parameters: {
            query?: {
                campaign_id?: string;
                limit?: number;
                offset?: number;
                /** @description `draft`, `scheduled`, `published` or `archived`. */
                status?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PostList"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PostInput"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PostView"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PostView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    update_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PostPatch"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PostView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    archive_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PostView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    publish_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PostView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    export: {
        parameters: {
            query: {
                from?: string;
                rank?: string;
                /** @description `by_day`, `by_network`, `by_campaign`, `by_team`, `by_post`, `leaderboard` or `trend`. */
                table: string;
                team_id?: string;
                to?: string;
                /** @description `me`, `teams` or `programme`. */
                view: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description CSV file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/csv": unknown;
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    my_impact: {
        parameters: {
            query?: {
                /** @description First day (UTC, `YYYY-MM-DD`); default 29 days before `to`. */
                from?: string;
                /**
                 * @description Leaderboard ranking: `clicks` (default) or `per_share` (human clicks per share, fairer to
                 *     people with small audiences).
                 */
                rank?: string;
                /** @description Administrators only: limit to this team and the teams below it. */
                team_id?: string;
                /** @description Last day, inclusive; default today. */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MyImpact"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    programme: {
        parameters: {
            query?: {
                /** @description First day (UTC, `YYYY-MM-DD`); default 29 days before `to`. */
                from?: string;
                /**
                 * @description Leaderboard ranking: `clicks` (default) or `per_share` (human clicks per share, fairer to
                 *     people with small audiences).
                 */
                rank?: string;
                /** @description Administrators only: limit to this team and the teams below it. */
                team_id?: string;
                /** @description Last day, inclusive; default today. */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Programme"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    team_dashboard: {
        parameters: {
            query?: {
                /** @description First day (UTC, `YYYY-MM-DD`); default 29 days before `to`. */
                from?: string;
                /**
                 * @description Leaderboard ranking: `clicks` (default) or `per_share` (human clicks per share, fairer to
                 *     people with small audiences).
                 */
                rank?: string;
                /** @description Administrators only: limit to this team and the teams below it. */
                team_id?: string;
                /** @description Last day, inclusive; default today. */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TeamDashboard"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_share: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ShareInput"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShareCreated"];
                };
            };
            /** @description No such post for you */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not opted in */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    report_engagement: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EngagementInput"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShareView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    mark_published: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PublishedInput"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShareView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_suggestions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SuggestionList"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    suggest: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SuggestionInput"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SuggestionView"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    approve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReviewInput"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SuggestionView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    reject: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReviewInput"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SuggestionView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_teams: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TeamList"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_team: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateTeamRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TeamView"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_team: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                team_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TeamDetail"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_team: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                team_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    update_team: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                team_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateTeamRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TeamView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    managed_teams: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TeamList"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_users: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                /** @description Matches the start of a name or email address. */
                q?: string;
                /** @description `active` or `deactivated`. */
                status?: string;
                team_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserList"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    update_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateUserRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deactivate_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    reactivate_user: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserView"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    webhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Integration id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EngagementReport"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShareView"];
                };
            };
            /** @description Missing, stale or wrong signature */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Replayed request */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Metrics in the OpenMetrics text format */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/openmetrics-text": unknown;
                };
            };
        };
    };
    follow: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Share tracking code */
                code: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Redirect to the destination */
            302: {
                headers: {
                    Location?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Unknown or withdrawn link (HTML page) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The click could not be stored; retry */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
