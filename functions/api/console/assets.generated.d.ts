/** The console's built files (console/build.ts writes assets.generated.js beside this; it is not committed). */
declare const assets: readonly {
  /** The URL path it is served at, e.g. `/console/` or `/console/assets/main-3FJ2K1QX.js`. */
  path: string;
  contentType: string;
  body: string;
  /** A hashed file name: its content never changes under that name. */
  immutable: boolean;
}[];
export default assets;
