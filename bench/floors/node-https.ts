// What any HTTPS client pulls from Node itself, before a line of its own: the built-in modules the SDK's HTTP handler,
// signer and checksums import (the AWS SDK and Slack's both need https). Bundled like a function (bench/bundles.ts);
// exported, because esbuild drops a built-in imported for its side effects only.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as stream from "node:stream";
import * as zlib from "node:zlib";

export const builtins = [crypto, fs, https, os, stream, zlib];
