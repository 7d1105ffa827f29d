/// <reference types="vite/client" />

interface ChorusConfig {
  /** Origin (and optional path prefix) of the Chorus API, without a trailing slash. Empty = same origin. */
  apiBase?: string;
}

interface Window {
  /** Set by /config.js at deploy time; see public/config.js. */
  CHORUS_CONFIG?: ChorusConfig;
}
