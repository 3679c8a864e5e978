import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/**
 * Launches Debian's Chromium through playwright-core (never a downloaded browser). The binary is
 * `$CONVERGE_CHROMIUM`, else `/usr/bin/chromium`; when neither exists this throws naming the
 * package to install (`./run test` installs it as root), so browser tests never skip silently.
 */
export async function launchChromium(): Promise<Browser> {
  const path = process.env["CONVERGE_CHROMIUM"] ?? "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(
      `the browser tests need Chromium at ${path}: install Debian's package "chromium" (apt-get install chromium) or set CONVERGE_CHROMIUM`,
    );
  }
  return chromium.launch({
    executablePath: path,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
    timeout: 30_000,
  });
}
