/** The page's stylesheet (served as /ui/assets/status.css). Colours keep WCAG AA contrast in light and dark. */
export const STATUS_CSS = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1a1a1a; --muted: #555; --line: #d0d0d0; --card: #f6f6f6; --accent: #0b57d0;
  --pending: #8a5a00; --running: #1b6e2a; --succeeded: #205493; --failed: #b3261e; --unknown: #555; }
@media (prefers-color-scheme: dark) { :root { --bg: #121212; --fg: #ececec; --muted: #b0b0b0; --line: #3a3a3a; --card: #1e1e1e; --accent: #8ab4f8;
  --pending: #f2c14e; --running: #7bd88f; --succeeded: #8ab4f8; --failed: #ff8a80; --unknown: #b0b0b0; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
a { color: var(--accent); }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; }
.top { display: flex; gap: 12px; align-items: baseline; padding: 10px 16px; border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; text-decoration: none; }
main { padding: 12px 16px 32px; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 1.35rem; margin: 4px 0; } h2 { font-size: 1.05rem; margin: 20px 0 6px; }
.muted { color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px; }
.narrow { max-width: 420px; margin: 32px auto; }
.narrow form { display: grid; gap: 8px; }
input, select, button { font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); min-height: 36px; }
button { background: var(--accent); color: var(--bg); border: 0; cursor: pointer; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.filters { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.filters div { display: grid; gap: 2px; flex: 1 1 160px; }
.filters label { font-size: .85rem; color: var(--muted); }
.phases { list-style: none; display: flex; flex-wrap: wrap; gap: 8px; padding: 0; margin: 0; }
.phases li { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 6px 12px; }
.phases .n { font-weight: 700; font-size: 1.2rem; }
.scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { position: sticky; top: 0; background: var(--card); white-space: nowrap; }
tbody th { font-weight: 600; }
.num { text-align: right; } .mono { font-family: ui-monospace, monospace; font-size: .85rem; white-space: nowrap; } .nowrap { white-space: nowrap; }
.badge { font-weight: 600; white-space: nowrap; }
.problem { min-width: 16em; }
.phase-pending { color: var(--pending); } .phase-running { color: var(--running); } .phase-succeeded { color: var(--succeeded); }
.phase-failed { color: var(--failed); } .phase-unknown { color: var(--unknown); }
.alert { border: 2px solid var(--failed); border-radius: 8px; padding: 8px 12px; }
.empty { color: var(--muted); padding: 6px 8px; margin: 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); gap: 0 24px; }
@media (max-width: 640px) { main { padding: 8px; } table { font-size: .85rem; } th, td { padding: 5px 6px; } }
`;
