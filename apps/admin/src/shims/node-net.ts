// The browser build of node:net's isIP, for @tessera/contracts' URI checks (vite.config.mts aliases it).
const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIP(input: string): 0 | 4 | 6 {
  if (V4.test(input)) return 4;
  if (input.includes(':') && /^[0-9a-fA-F:.]+$/.test(input)) {
    try {
      new URL(`http://[${input}]/`);
      return 6;
    } catch {
      return 0;
    }
  }
  return 0;
}
