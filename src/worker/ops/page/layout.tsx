/** @jsxImportSource hono/jsx */
import type { Child } from "hono/jsx";

export const ASSET_CSS = "/ui/assets/status.css";
export const ASSET_JS = "/ui/assets/status.js";

/** The document around every page: semantic landmarks, one stylesheet, one deferred script. */
export function Layout(props: { title: string; children: Child; script?: boolean }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{props.title} · machinelet</title>
        <link rel="stylesheet" href={ASSET_CSS} />
        {props.script && <script src={ASSET_JS} defer />}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a href="/ui/" class="brand">machinelet</a>
          <span class="title">{props.title}</span>
        </header>
        <main id="main">{props.children}</main>
      </body>
    </html>
  );
}
