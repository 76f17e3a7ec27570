/** Absolute http(s) URL with a host and without credentials or fragment: what a gateway may forward to. */
export function isHttpUrlValue(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && !url.hash && !!url.hostname;
}
