//! HTML and plain-text email templates (minijinja, HTML auto-escaped), compiled into the binary.

use std::sync::LazyLock;

use minijinja::{Environment, context};

/// A rendered email ready for the outbox.
#[derive(Debug, Clone)]
pub struct Email {
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
}

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    let templates: [(&str, &str); 7] = [
        ("layout.html", include_str!("templates/layout.html")),
        ("invitation.html", include_str!("templates/invitation.html")),
        ("invitation.txt", include_str!("templates/invitation.txt")),
        ("magic_link.html", include_str!("templates/magic_link.html")),
        ("magic_link.txt", include_str!("templates/magic_link.txt")),
        (
            "password_reset.html",
            include_str!("templates/password_reset.html"),
        ),
        (
            "password_reset.txt",
            include_str!("templates/password_reset.txt"),
        ),
    ];
    for (name, source) in templates {
        // The templates are part of the binary and covered by tests; a broken one is a build bug.
        if let Err(err) = env.add_template(name, source) {
            tracing::error!(%err, name, "email template failed to compile");
        }
    }
    env
});

fn render(
    kind: &'static str,
    to: &str,
    subject: String,
    ctx: minijinja::Value,
) -> anyhow::Result<Email> {
    let html = ENV.get_template(&format!("{kind}.html"))?.render(&ctx)?;
    let text = ENV.get_template(&format!("{kind}.txt"))?.render(&ctx)?;
    Ok(Email {
        kind,
        to: to.to_owned(),
        subject,
        html,
        text,
    })
}

pub fn invitation(
    to: &str,
    organisation: &str,
    inviter: &str,
    link: &str,
    expires: &str,
) -> anyhow::Result<Email> {
    render(
        "invitation",
        to,
        format!("You're invited to {organisation} on Chorus"),
        context! { organisation, inviter, link, expires },
    )
}

pub fn magic_link(to: &str, name: &str, link: &str, minutes: i64) -> anyhow::Result<Email> {
    render(
        "magic_link",
        to,
        "Your Chorus sign-in link".into(),
        context! { name, link, minutes },
    )
}

pub fn password_reset(to: &str, name: &str, link: &str, minutes: i64) -> anyhow::Result<Email> {
    render(
        "password_reset",
        to,
        "Reset your Chorus password".into(),
        context! { name, link, minutes },
    )
}

/// Recognition emails, in an environment of their own so the list above stays untouched.
static RECOGNITION: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    let templates: [(&str, &str); 11] = [
        ("layout.html", include_str!("templates/layout.html")),
        (
            "thanks_received.html",
            include_str!("templates/thanks_received.html"),
        ),
        (
            "thanks_received.txt",
            include_str!("templates/thanks_received.txt"),
        ),
        (
            "redemption_update.html",
            include_str!("templates/redemption_update.html"),
        ),
        (
            "redemption_update.txt",
            include_str!("templates/redemption_update.txt"),
        ),
        (
            "budget_alert.html",
            include_str!("templates/budget_alert.html"),
        ),
        (
            "budget_alert.txt",
            include_str!("templates/budget_alert.txt"),
        ),
        ("spot_award.html", include_str!("templates/spot_award.html")),
        ("spot_award.txt", include_str!("templates/spot_award.txt")),
        (
            "spot_award_pending.html",
            include_str!("templates/spot_award_pending.html"),
        ),
        (
            "spot_award_pending.txt",
            include_str!("templates/spot_award_pending.txt"),
        ),
    ];
    for (name, source) in templates {
        if let Err(err) = env.add_template(name, source) {
            tracing::error!(%err, name, "email template failed to compile");
        }
    }
    env
});

fn render_recognition(
    kind: &'static str,
    to: &str,
    subject: String,
    ctx: minijinja::Value,
) -> anyhow::Result<Email> {
    let html = RECOGNITION
        .get_template(&format!("{kind}.html"))?
        .render(&ctx)?;
    let text = RECOGNITION
        .get_template(&format!("{kind}.txt"))?
        .render(&ctx)?;
    Ok(Email {
        kind,
        to: to.to_owned(),
        subject,
        html,
        text,
    })
}

/// "You were thanked".
pub struct ThanksReceived<'a> {
    pub name: &'a str,
    pub giver: &'a str,
    pub points: i64,
    pub message: &'a str,
    pub value: Option<&'a str>,
    pub link: &'a str,
}

pub fn thanks_received(to: &str, t: ThanksReceived<'_>) -> anyhow::Result<Email> {
    render_recognition(
        "thanks_received",
        to,
        format!("{} thanked you", t.giver),
        context! { name => t.name, giver => t.giver, points => t.points, message => t.message, value => t.value, link => t.link },
    )
}

/// A redemption changed status.
pub struct RedemptionUpdate<'a> {
    pub name: &'a str,
    pub reward: &'a str,
    pub cost: i64,
    pub status: &'a str,
    pub refunded: bool,
    pub note: Option<&'a str>,
    pub link: &'a str,
}

pub fn redemption_update(to: &str, r: RedemptionUpdate<'_>) -> anyhow::Result<Email> {
    render_recognition(
        "redemption_update",
        to,
        format!("Your reward \"{}\" is {}", r.reward, r.status),
        context! { name => r.name, reward => r.reward, cost => r.cost, status => r.status, refunded => r.refunded, note => r.note, link => r.link },
    )
}

pub fn budget_alert(
    to: &str,
    name: &str,
    rule: &str,
    budget: i64,
    link: &str,
) -> anyhow::Result<Email> {
    render_recognition(
        "budget_alert",
        to,
        format!("Reward rule \"{rule}\" has used its budget"),
        context! { name, rule, budget, link },
    )
}

/// A spot award: to its recipient ("you received a spot award") or, when it waits for
/// approval, to an administrator.
pub struct SpotAward<'a> {
    pub name: &'a str,
    pub manager: &'a str,
    pub recipient: &'a str,
    pub points: i64,
    pub reason: &'a str,
    pub link: &'a str,
}

pub fn spot_award(to: &str, a: SpotAward<'_>) -> anyhow::Result<Email> {
    render_recognition(
        "spot_award",
        to,
        "You received a spot award".to_owned(),
        context! { name => a.name, manager => a.manager, points => a.points, reason => a.reason, link => a.link },
    )
}

pub fn spot_award_pending(to: &str, a: SpotAward<'_>) -> anyhow::Result<Email> {
    render_recognition(
        "spot_award_pending",
        to,
        format!(
            "Spot award for {} waiting for approval ({} points)",
            a.recipient, a.points
        ),
        context! { name => a.name, manager => a.manager, recipient => a.recipient, points => a.points, reason => a.reason, link => a.link },
    )
}
