// Deploy-time configuration, read by the app before it starts.
// Edit this file on the server to point the app at another API origin without rebuilding,
// e.g. apiBase: "https://chorus-api.example.com" (no trailing slash). Empty = same origin.
window.CHORUS_CONFIG = { apiBase: "" };
