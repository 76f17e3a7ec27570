/** Absolute http(s) URL with a host and without credentials or fragment: what a gateway may forward to. */
export function isHttpUrlValue(value: string): boolean {
  // WHATWG parsing forgives `https:///host` and `http:\\host`; an address the user meant must be written plainly.
  if (!/^https?:\/\/[^/\\\s?#@]/i.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && !url.hash && !!url.hostname;
}
