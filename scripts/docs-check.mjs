// docs-check drives bindgate's docs UI (BIND_ENABLE_DOCS=true) in headless Chromium, by hand,
// not in `make test`: the page renders the operations, loads nothing from another host, breaks
// no Content-Security-Policy rule, and "Try it out" on GET /api/v1/zones answers 200 after
// Authorize with a bearer token.
//
//   bin/bindgate dev --enable-docs --api-port 18181 &          # note the token it prints
//   cd "$(mktemp -d)" && npm i playwright-core                  # outside the repository
//   node /path/to/bindgate/scripts/docs-check.mjs http://127.0.0.1:18181 <token> [screenshot.png]
//
// Chromium: Debian's /usr/bin/chromium (apt-get install chromium), or CHROMIUM=<path>.
import { createRequire } from "node:module";

const require = createRequire(process.cwd() + "/");
const { chromium } = require("playwright-core");

const [base, token, shot] = process.argv.slice(2);
if (!base || !token) {
  console.error("usage: node docs-check.mjs <base URL> <token> [screenshot.png]");
  process.exit(2);
}
const origin = new URL(base).origin;
const problems = [];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.protocol !== "data:" && u.origin !== origin) problems.push("request to another host: " + r.url());
  });
  page.on("response", (r) => {
    // The browser's own favicon probe is the one 404 expected: bindgate serves no icon.
    if (r.status() >= 400 && new URL(r.url()).pathname !== "/favicon.ico") problems.push(r.status() + " " + r.url());
  });
  page.on("console", (m) => {
    if (/Content.Security.Policy/i.test(m.text()) || (m.type() === "error" && !/status of 404/.test(m.text()))) {
      problems.push("console " + m.type() + ": " + m.text());
    }
  });
  page.on("pageerror", (e) => problems.push("page error: " + e.message));

  await page.goto(base + "/api/v1/docs", { waitUntil: "networkidle" });
  await page.waitForSelector(".opblock", { timeout: 15000 });
  const ops = await page.locator(".opblock").count();
  console.log("operations shown:", ops);

  // Authorize with the bearer token.
  await page.click(".auth-wrapper .authorize");
  await page.fill(".modal-ux input", token);
  await page.click(".modal-ux .auth-btn-wrapper .authorize");
  await page.click(".modal-ux .btn-done");

  // GET /api/v1/zones: Try it out, Execute, read the status shown.
  const op = page.locator("#operations-zones-listZones");
  await op.locator(".opblock-summary").first().click();
  await op.locator(".try-out__btn").click();
  await op.locator(".execute").click();
  const status = op.locator(".live-responses-table tbody .response-col_status").first();
  await status.waitFor({ timeout: 15000 });
  const code = (await status.innerText()).trim();
  const body = (await op.locator(".live-responses-table tbody .microlight").first().innerText()).trim();
  console.log("GET /api/v1/zones via Try it out:", code, body.replace(/\s+/g, " ").slice(0, 200));
  if (code !== "200") problems.push("Try it out answered " + code);
  // More of the page under the CSP: a request body with its schema, and the models.
  const create = page.locator("#operations-zones-createZone");
  await create.locator(".opblock-summary").first().click();
  await create.locator(".tablinks", { hasText: "Schema" }).first().click();
  await page.locator("section.models .models-control").click().catch(() => {});
  await page.locator("section.models .model-box-control").first().click().catch(() => {});
  await page.waitForTimeout(500);
  if (shot) {
    await page.screenshot({ path: shot, fullPage: false });
    console.log("screenshot:", shot);
  }
} finally {
  await browser.close();
}
if (problems.length) {
  console.error("FAIL\n" + problems.join("\n"));
  process.exit(1);
}
console.log("OK");
