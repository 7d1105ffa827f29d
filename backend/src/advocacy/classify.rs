//! Classifying a tracked-link request: people are *human*; link-preview crawlers, search
//! engines, scripts and headless browsers are *bot*. The list is maintained here; matching is
//! case-insensitive substring search on the User-Agent, with every marker searched in one pass
//! (Aho-Corasick), since it runs on each redirect.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// Substrings of User-Agent headers that are not people.
pub const BOT_MARKERS: &[&str] = &[
    // link previews and social crawlers
    "linkedinbot",
    "twitterbot",
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "slackbot",
    "slack-imgproxy",
    "discordbot",
    "whatsapp",
    "telegrambot",
    "skypeuripreview",
    "microsoftpreview",
    "ms office",
    "microsoft office",
    "pinterest",
    "redditbot",
    "embedly",
    "iframely",
    "vkshare",
    "quora link preview",
    "bluesky cardyb",
    "mastodon/",
    "misskey",
    "applebot",
    "snapchat",
    "viber",
    "line/",
    "kakaotalk-scrap",
    "xing-contenttabreceiver",
    // search engines and SEO/AI crawlers
    "googlebot",
    "google-inspectiontool",
    "adsbot-google",
    "mediapartners-google",
    "bingbot",
    "bingpreview",
    "yandex",
    "baiduspider",
    "duckduckbot",
    "duckassistbot",
    "sogou",
    "exabot",
    "ahrefs",
    "semrush",
    "mj12bot",
    "dotbot",
    "petalbot",
    "bytespider",
    "gptbot",
    "chatgpt-user",
    "oai-searchbot",
    "claudebot",
    "claude-user",
    "perplexitybot",
    "ccbot",
    "amazonbot",
    // scripts and HTTP libraries
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "httpie",
    "go-http-client",
    "java/",
    "okhttp",
    "apache-httpclient",
    "libwww-perl",
    "node-fetch",
    "axios/",
    "undici",
    "got (",
    "postmanruntime",
    "insomnia",
    "ruby",
    "php/",
    "powershell",
    "reqwest",
    "hyper/",
    "dart:io",
    // automation and headless browsers
    "headlesschrome",
    "phantomjs",
    "puppeteer",
    "playwright",
    "selenium",
    "webdriver",
    "lighthouse",
    "pagespeed",
    "chrome-lighthouse",
    "prerender",
    // generic self-descriptions
    "bot",
    "crawler",
    "spider",
    "scraper",
    "preview",
    "fetcher",
    "monitor",
    "uptime",
    "scanner",
    "validator",
    "checker",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickClass {
    Human,
    Bot,
    /// The sharer's own click, when recognisable.
    SelfClick,
}

impl ClickClass {
    /// Every class, in declaration order (`class as usize` indexes it).
    pub const ALL: [ClickClass; 3] = [ClickClass::Human, ClickClass::Bot, ClickClass::SelfClick];

    pub fn as_str(self) -> &'static str {
        match self {
            ClickClass::Human => "human",
            ClickClass::Bot => "bot",
            ClickClass::SelfClick => "self",
        }
    }

    /// The class stored under `name` (the inverse of [`ClickClass::as_str`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|class| class.as_str() == name)
    }
}

/// True when the User-Agent belongs to a crawler, script or headless browser (or is missing).
pub fn is_bot(user_agent: Option<&str>) -> bool {
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return true;
    };
    MARKERS.as_ref().map_or_else(
        // Not reachable with the literal list above; scanning marker by marker is the fallback.
        |_| {
            let ua = ua.to_ascii_lowercase();
            BOT_MARKERS.iter().any(|marker| ua.contains(marker))
        },
        |markers| markers.is_match(ua),
    )
}

/// Every marker in one automaton, matched without regard to ASCII case.
static MARKERS: LazyLock<Result<AhoCorasick, aho_corasick::BuildError>> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(BOT_MARKERS)
});

#[cfg(test)]
mod tests {
    use super::{BOT_MARKERS, is_bot};

    #[test]
    fn previews_scripts_and_headless_browsers_are_bots() {
        for ua in [
            "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
            "Twitterbot/1.0",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
            "WhatsApp/2.23.20.0 A",
            "TelegramBot (like TwitterBot)",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "curl/8.4.0",
            "Wget/1.21.3",
            "python-requests/2.31.0",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
            "",
        ] {
            assert!(is_bot(Some(ua)), "{ua}");
        }
        assert!(is_bot(None));
    }

    #[test]
    fn browsers_are_people() {
        for ua in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:132.0) Gecko/20100101 Firefox/132.0",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        ] {
            assert!(!is_bot(Some(ua)), "{ua}");
        }
    }

    #[test]
    fn every_marker_matches_in_any_case_anywhere() {
        for marker in BOT_MARKERS {
            for ua in [
                marker.to_string(),
                marker.to_ascii_uppercase(),
                format!(
                    "Mozilla/5.0 (compatible; {}/2.1)",
                    marker.to_ascii_uppercase()
                ),
            ] {
                assert!(is_bot(Some(&ua)), "{ua}");
            }
        }
    }
}
