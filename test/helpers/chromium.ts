/** Debian's headless Chromium through playwright-core, for the tests of pages inertia writes or serves. */
import fs from 'node:fs';
import type { Browser } from 'playwright-core';

/** The Chromium executable, when one is installed (CI installs Debian's: .ci/run). */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((file) => fs.existsSync(file));

/** True where the browser tests must run: Chromium is installed, or this is CI (where its absence is a failure). */
export const BROWSER_TESTS = CHROMIUM !== undefined || Boolean(process.env.CI);

/** A headless Chromium with nothing that reaches the network on its own. */
export async function launchChromium(): Promise<Browser> {
  if (CHROMIUM === undefined) throw new Error('chromium is not installed: apt-get install -y chromium');
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}
